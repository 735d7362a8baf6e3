"""Tests of records.formats: import files → canonical rows (shapes only; business rules belong to the schema).

The fixtures in tests/fixtures/imports/ are shared with the end-to-end import tests, so the good files hold rows that
pass the record rules. In bad.csv, rows 2-5 break schema rules only (unknown status, resolved without resolution,
satisfaction 7, contacted in 2030): the parser must pass them through untouched. Rows 6-7 have shape errors (broken
JSON follow_ups, collaboration given as an object) that the parser flags itself in ``__errors__``.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from records.formats import (
    FormatError,
    SourceRow,
    detect_format,
    read_rows,
)
from records.formats.freshdesk import FRESHDESK_RESOLUTION_MISSING
from records.formats.zendesk import ZENDESK_RESOLUTION_MISSING

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "imports"
REQUIRED_HEADER = "external_id,channel,contacted_at,agent,status,problem_description"
MINIMAL_ROW = "E1,phone,2026-10-01 09:00,wang,open,客户咨询"


def read(name: str, fmt: str | None = None, **kwargs: Any) -> list[SourceRow]:
    return list(read_rows(FIXTURES / name, fmt, **kwargs))


def by_id(rows: list[SourceRow]) -> dict[str, dict[str, Any]]:
    return {row.values["external_id"]: row.values for row in rows}


def write(tmp_path: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def write_xlsx(tmp_path: Path, rows: list[list[Any]]) -> Path:
    workbook = openpyxl.Workbook()
    for row in rows:
        workbook.active.append(row)
    path = tmp_path / "records.xlsx"
    workbook.save(path)
    return path


# --- detection and whole-file errors -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("good.csv", "csv"),
        ("freshdesk.csv", "freshdesk"),  # recognised by its "Ticket ID" column
        ("good.jsonl", "jsonl"),
        ("zendesk.ndjson", "zendesk"),  # Zendesk incremental export: NDJSON of tickets
        ("good.xlsx", "xlsx"),
        ("zendesk.json", "zendesk"),
        ("call.srt", "transcript"),
        ("call.vtt", "transcript"),
        ("call.txt", "transcript"),
    ],
)
def test_detect_format(name: str, expected: str) -> None:
    assert detect_format(FIXTURES / name) == expected


@pytest.mark.parametrize(
    ("name", "content", "hint"),
    [
        ("data.json", '[{"external_id": "E1"}]', ".jsonl"),  # JSON that is not a Zendesk export
        ("data.json", '{"tickets": [', "line 1"),  # broken JSON says where
        ("records.xls", "", ".xlsx"),
        ("records.pdf", "", "--format"),
    ],
)
def test_detect_format_rejects_with_a_hint(tmp_path: Path, name: str, content: str, hint: str) -> None:
    with pytest.raises(FormatError, match=hint.replace(".", r"\.")):
        detect_format(write(tmp_path, name, content))


def test_read_rows_rejects_unknown_format_and_missing_file(tmp_path: Path) -> None:
    with pytest.raises(FormatError, match="choose one of: csv, jsonl"):
        read_rows(FIXTURES / "good.csv", "tsv")
    with pytest.raises(FormatError, match="Cannot read"):
        read_rows(tmp_path / "missing.csv", "csv")


def test_file_errors_are_raised_by_the_call_not_during_iteration(tmp_path: Path) -> None:
    # The caller can then refuse the file before writing any row.
    path = write(tmp_path, "r.csv", "external_id,channel\nE1,phone\n")
    with pytest.raises(FormatError, match="missing required column"):
        read_rows(path)


# --- CSV -----------------------------------------------------------------------------------------------------------


def test_good_csv_is_normalised() -> None:
    rows = read("good.csv")
    assert [row.number for row in rows] == [2, 3, 4, 5]  # a multi-line cell still counts as one spreadsheet row
    assert not any(row.errors for row in rows)
    records = by_id(rows)
    first = records["CSV-2026-1001"]
    assert first["customer_tags"] == ["老客户", "高价值"]  # split on the Chinese comma
    assert first["tags"] == ["投诉-物流延迟", "咨询-物流进度"]
    assert first["collaboration"] == [{"department": "仓储部", "ticket_no": "WH-20261008-01", "note": "加急出库"}]
    assert first["handling_steps"] == "核实订单状态\n联系仓库确认库存\n安排加急发货"
    assert first["duration_minutes"] == "12"  # strings: the schema coerces numbers and dates
    assert "record_no" not in first and "customer_email" not in first  # export-only column, empty cell
    assert records["CSV-2026-1002"]["tags"] == ["billing", "duplicate charge"]
    assert records["CSV-2026-1002"]["follow_ups"] == [
        {"action": "Confirm refund with finance", "owner": "alice", "due": "2026-10-16", "done": False}
    ]
    assert records["CSV-2026-1003"]["tags"] == ["咨询-登录问题", "APP"]
    assert set(records["CSV-2026-1004"]) == {
        "external_id", "channel", "contacted_at", "duration_minutes", "agent", "category", "subcategory", "tags",
        "priority", "status", "problem_description", "emotion", "handling_steps",
    }  # fmt: skip


def test_bad_csv_flags_only_shape_errors() -> None:
    rows = read("bad.csv")
    records = {row.values["external_id"]: row for row in rows}
    # Business-rule problems are the schema's: passed through unchanged and without errors.
    assert records["BAD-001"].values["status"] == "escalated"
    assert records["BAD-002"].values["status"] == "resolved" and "resolution" not in records["BAD-002"].values
    assert records["BAD-003"].values["satisfaction"] == "7"
    assert records["BAD-004"].values["contacted_at"] == "2030-01-01 09:00"
    assert {name: row.errors for name, row in records.items() if row.errors}.keys() == {"BAD-005", "BAD-006"}
    broken = records["BAD-005"]
    assert broken.number == 6 and "follow_ups" not in broken.values
    [message] = broken.errors["follow_ups"]
    assert "Not valid JSON" in message and '"due": "YYYY-MM-DD"' in message  # says what the cell should look like
    assert "Must be a JSON array" in records["BAD-006"].errors["collaboration"][0]
    assert records["BAD-006"].values["follow_ups"][0]["owner"] == "alice"  # the rest of the row is still read


def test_csv_header_is_matched_case_insensitively_with_bom(tmp_path: Path) -> None:
    header = "\ufeff External_ID ,CHANNEL,Contacted At,agent,status,problem_description,Record_No"
    path = write(tmp_path, "r.csv", f"{header}\r\n{MINIMAL_ROW},R1\r\n")
    [row] = read_rows(path)
    assert row.values == {
        "external_id": "E1", "channel": "phone", "contacted_at": "2026-10-01 09:00", "agent": "wang",
        "status": "open", "problem_description": "客户咨询",
    }  # fmt: skip


def test_csv_missing_required_columns_are_named(tmp_path: Path) -> None:
    path = write(tmp_path, "r.csv", "external_id,channel,contacted_at,problem_description\nE1,phone,x,y\n")
    with pytest.raises(FormatError, match=r"missing required column\(s\) agent, status"):
        read_rows(path)


def test_csv_unknown_columns_are_rejected_with_a_suggestion(tmp_path: Path) -> None:
    path = write(tmp_path, "r.csv", f"{REQUIRED_HEADER},custmer_name,note\n{MINIMAL_ROW},张三,x\n")
    with pytest.raises(FormatError) as caught:
        read_rows(path)
    message = str(caught.value)
    assert "'custmer_name' (did you mean 'customer_name'?)" in message and "'note'" in message
    assert "allowed columns are: external_id, source" in message


def test_csv_duplicate_columns_are_rejected(tmp_path: Path) -> None:
    path = write(tmp_path, "r.csv", f"{REQUIRED_HEADER},tags,Tags\n{MINIMAL_ROW},a,b\n")
    with pytest.raises(FormatError, match="given twice: tags"):
        read_rows(path)


def test_csv_gb18030_fallback(tmp_path: Path) -> None:
    # What Chinese Excel writes for "CSV (逗号分隔)".
    path = write(tmp_path, "r.csv", f"{REQUIRED_HEADER},tags\n{MINIMAL_ROW},投诉；退款\n", encoding="gb18030")
    [row] = read_rows(path)
    assert row.values["problem_description"] == "客户咨询" and row.values["tags"] == ["投诉", "退款"]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"external_id\n\xff\xfe\xff\n", "neither UTF-8 nor GB18030.*line 2"),
        ("external_id,channel\n".encode("utf-16"), "UTF-16"),
        (b"", "empty"),
        (b"\n,,,\n", "empty"),
    ],
)
def test_csv_unreadable_files(tmp_path: Path, data: bytes, message: str) -> None:
    path = tmp_path / "r.csv"
    path.write_bytes(data)
    with pytest.raises(FormatError, match=message):
        read_rows(path, "csv")


def test_csv_row_shape_problems_are_per_row(tmp_path: Path) -> None:
    text = (
        f"{REQUIRED_HEADER},related,attachments\n"
        f'{MINIMAL_ROW},"[""R1"", ""E0""]",\n'
        ",,,,,,,\n"  # blank row: skipped, but it keeps its number
        f'{MINIMAL_ROW},"[""R1"", ",[]\n'
        f"{MINIMAL_ROW},,,stray\n"  # a value beyond the header, e.g. an unquoted comma
    )
    rows = list(read_rows(write(tmp_path, "r.csv", text)))
    assert [row.number for row in rows] == [2, 4, 5]
    assert rows[0].values["related"] == ["R1", "E0"] and not rows[0].errors
    assert "JSON array" in rows[1].errors["related"][0] and "attachments" not in rows[1].values  # [] = not given
    assert "no header" in rows[2].errors["__row__"][0]


def test_csv_with_semicolons_is_read(tmp_path: Path) -> None:
    path = write(tmp_path, "r.csv", f"{REQUIRED_HEADER.replace(',', ';')}\n{MINIMAL_ROW.replace(',', ';')}\n")
    assert next(read_rows(path)).values["agent"] == "wang"


# --- JSONL ---------------------------------------------------------------------------------------------------------


def test_good_jsonl_keeps_json_types() -> None:
    rows = read("good.jsonl")
    assert [row.number for row in rows] == [1, 3, 4]  # blank line 2 skipped; numbers are file lines
    assert not any(row.errors for row in rows)
    records = by_id(rows)
    first, second = records["JSONL-2026-2001"], records["JSONL-2026-2002"]
    assert first["duration_minutes"] == 9 and first["tags"] == ["咨询-退货流程", "售后"]
    assert first["customer_phone"] == "13700001111"  # a number in a text column becomes text
    assert first["follow_ups"][0]["done"] is False
    assert second["satisfaction"] == 5 and second["tags"] == ["billing", "refund status"]
    assert "customer_tags" not in second and "record_no" not in second  # null = not given; export-only
    assert records["JSONL-2026-2003"]["handling_steps"] == "联系物流\n确认包裹已在途，无法拦截"


def test_bad_jsonl_errors_stay_on_their_line() -> None:
    rows = {row.number: row for row in read("bad.jsonl")}
    assert rows[1].errors == {"custmer_name": ["Unknown field 'custmer_name' (did you mean 'customer_name'?)."]}
    assert rows[1].values["external_id"] == "JSONL-BAD-1"
    assert rows[2].errors["__line__"][0].startswith("Invalid JSON at column")
    assert rows[3].errors == {"__line__": ["Expected a JSON object {...} on this line, got list."]}
    assert "Must be a JSON array" in rows[4].errors["follow_ups"][0]
    assert not rows[5].errors and rows[5].values["problem_description"] == "这一行是正常的。"


# --- XLSX ----------------------------------------------------------------------------------------------------------


def test_good_xlsx_cells_are_normalised() -> None:
    rows = read("good.xlsx")
    assert [row.number for row in rows] == [2, 3, 5]  # sheet row numbers; the empty row 4 is skipped
    first, second, third = (row.values for row in rows)
    assert first["contacted_at"] == "2026-10-20 09:45"  # an Excel date-time cell
    assert first["customer_phone"] == "13812345678"  # typed as a number in Excel, still text
    assert first["duration_minutes"] == 15 and first["satisfaction"] == 5  # 5.0 → 5
    assert first["tags"] == ["投诉-物流延迟", "咨询-产品功能"] and "record_no" not in first
    assert first["agent"] == "wang" and first["status"] == "resolved"  # "Agent"/"Status" headers
    assert second["external_id"] == "3002"
    assert second["follow_ups"] == [
        {"action": "Send corrected invoice", "owner": "alice", "due": "2026-10-24", "done": False}
    ]
    assert third["customer_name"] == "何静" and "category" not in third


def test_xlsx_header_errors_and_broken_workbooks(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path, [["external_id", "channel"], ["E1", "phone"]])
    with pytest.raises(FormatError, match="missing required column"):
        read_rows(path)
    not_a_workbook = write(tmp_path, "fake.xlsx", "external_id,channel\n")
    with pytest.raises(FormatError, match="not a readable .xlsx"):
        read_rows(not_a_workbook)


def test_xlsx_structured_cell_errors_are_per_row(tmp_path: Path) -> None:
    header = REQUIRED_HEADER.split(",") + ["attachments"]
    when = datetime(2026, 10, 1, 9, 0)
    path = write_xlsx(tmp_path, [header, ["E1", "phone", when, 1024, "open", "x", "[{"]])
    [row] = read_rows(path)
    assert row.values["agent"] == "1024"  # a numeric agent code (工号) stays text
    assert "Not valid JSON" in row.errors["attachments"][0]


# --- Zendesk -------------------------------------------------------------------------------------------------------


def zendesk_file(tmp_path: Path, *tickets: Any, **sideloads: Any) -> Path:
    return write(tmp_path, "tickets.json", json.dumps({"tickets": list(tickets), **sideloads}))


def test_zendesk_api_export_with_sideloads() -> None:
    rows = read("zendesk.json")
    assert [row.number for row in rows] == [1, 2, 3]
    solved, pending, wechat = (row.values for row in rows)
    assert solved == solved | {
        "external_id": "35436", "source": "zendesk", "status": "resolved", "priority": "high", "channel": "email",
        "contacted_at": "2026-10-08T02:15:00+00:00", "agent": "wang@example.com", "customer_name": "刘洋",
        "customer_email": "liu.yang@example.com", "customer_phone": "+86 138 0013 8000", "satisfaction": 5,
        "company": "星辰贸易有限公司", "customer_type": "enterprise", "customer_feedback": "处理很快，谢谢",
    }  # fmt: skip
    assert solved["problem_description"].startswith("退款还没到账\n\n我10月1日申请的退款")
    # The last public comment not by the requester: not the internal note, not the customer's thanks.
    assert solved["resolution"] == "您好，退款已于今天重新发起，预计 1-3 个工作日到账。"
    assert pending["channel"] == "online_chat" and pending["priority"] == "medium" and "satisfaction" not in pending
    assert pending["follow_ups"] == [
        {"action": "Follow up Zendesk ticket #35437", "owner": "Alice Chen", "due": "2026-10-13", "done": False}
    ]
    assert (wechat["channel"], wechat["channel_platform"]) == ("social_media", "WeChat")
    assert "priority" not in wechat and "tags" not in wechat and "customer_email" not in wechat


def test_zendesk_ndjson_with_embedded_people() -> None:
    rows = read("zendesk.ndjson")
    assert [row.number for row in rows] == [1, 2, 4]
    closed, new, hold = (row.values for row in rows)
    assert closed["resolution"] == ZENDESK_RESOLUTION_MISSING and closed["satisfaction"] == 1
    assert closed["customer_name"] == "Daniel Kim" and closed["agent"] == "alice@example.com"
    assert (new["status"], new["channel"], new["customer_phone"]) == ("open", "phone", "13600136000")
    assert (hold["status"], hold["channel"], hold["channel_platform"]) == ("pending", "other", "Zendesk api")
    assert hold["follow_ups"][0]["due"] == "2026-10-20" and "customer_name" not in hold


@pytest.mark.parametrize(
    ("status", "expected"),
    [("new", "open"), ("open", "open"), ("pending", "pending"), ("hold", "pending"), ("solved", "resolved"),
     ("closed", "resolved"), ("deleted", "deleted")],  # unknown values pass through for the schema to reject
)  # fmt: skip
def test_zendesk_statuses(tmp_path: Path, status: str, expected: str) -> None:
    [row] = read_rows(zendesk_file(tmp_path, {"id": 1, "status": status, "via": {"channel": "email"}}))
    assert row.values["status"] == expected
    assert "follow_ups" not in row.values  # pending without due_at: the schema reports the missing follow-up


@pytest.mark.parametrize(
    ("via", "channel", "platform"),
    [("email", "email", None), ("web", "web", None), ("chat", "online_chat", None), ("voice", "phone", None),
     ("facebook", "social_media", "Facebook"), ("whatsapp", "social_media", "WhatsApp"),
     ("line", "social_media", "LINE"), ("api", "other", "Zendesk api"), ("sms", "other", "Zendesk sms")],
)  # fmt: skip
def test_zendesk_channels(tmp_path: Path, via: str, channel: str, platform: str | None) -> None:
    [row] = read_rows(zendesk_file(tmp_path, {"id": 1, "status": "open", "via": {"channel": via}}))
    assert (row.values["channel"], row.values.get("channel_platform")) == (channel, platform)


def test_zendesk_solved_ticket_with_only_customer_comments(tmp_path: Path) -> None:
    ticket = {"id": 7, "status": "solved", "requester_id": 3, "assignee_id": 9, "group_id": 4, "via": {},
              "comments": [{"author_id": 3, "public": True, "body": "Thanks"},
                           {"author_id": 9, "public": False, "body": "internal"}]}  # fmt: skip
    path = zendesk_file(tmp_path, ticket, groups=[{"id": 4, "name": "售后组"}], users=[{"id": 9, "name": "Wang"}])
    [row] = read_rows(path)
    assert row.values["resolution"] == ZENDESK_RESOLUTION_MISSING
    assert row.values["team"] == "售后组" and "agent" not in row.values  # assignee without e-mail: caller's default
    assert (row.values["channel"], row.values["channel_platform"]) == ("other", "Zendesk")


def test_zendesk_non_ticket_items_are_row_errors(tmp_path: Path) -> None:
    rows = list(read_rows(zendesk_file(tmp_path, {"id": 1, "status": "open"}, "oops")))
    assert not rows[0].errors and rows[1].errors == {"__row__": ["Expected a Zendesk ticket object."]}


def test_zendesk_rejects_other_json(tmp_path: Path) -> None:
    with pytest.raises(FormatError, match="does not look like a Zendesk export"):
        read_rows(write(tmp_path, "x.json", '{"records": []}'), "zendesk")


# --- Freshdesk -----------------------------------------------------------------------------------------------------


def test_freshdesk_export_mapping() -> None:
    records = by_id(read("freshdesk.csv"))
    assert set(records) == {"4101", "4102", "4103", "4104", "4105"}
    refund = records["4101"]
    assert refund == refund | {
        "source": "freshdesk", "status": "resolved", "priority": "high", "channel": "email", "agent": "wang",
        "contacted_at": "2026-10-02 09:12", "customer_name": "陈晨", "customer_email": "chen.chen@example.com",
        "customer_phone": "13811112222", "satisfaction": 5, "tags": ["重复扣款", "退款", "type:Refund"],
        "resolution": "已退还重复扣款 199 元，预计 3 个工作日到账。",
    }  # fmt: skip
    assert refund["problem_description"] == "订单重复扣款\n\n客户反映同一订单被扣款两次，订单号 SO20261002077。"
    assert records["4102"]["follow_ups"] == [
        {"action": "Follow up Freshdesk ticket #4102", "owner": "alice", "due": "2026-10-07", "done": False}
    ]
    assert records["4102"]["customer_phone"] == "+1 415 555 0100" and "satisfaction" not in records["4102"]
    assert (records["4103"]["channel"], records["4103"]["priority"]) == ("online_chat", "urgent")
    assert records["4103"]["tags"] == ["物流延迟", "包裹", "type:Problem"] and "follow_ups" not in records["4103"]
    wrong_item = records["4104"]
    assert (wrong_item["channel"], wrong_item["channel_platform"]) == ("social_media", "WhatsApp")
    assert wrong_item["resolution"] == FRESHDESK_RESOLUTION_MISSING and wrong_item["satisfaction"] == 2
    assert (wrong_item["company"], wrong_item["customer_type"]) == ("Desert Trading LLC", "enterprise")
    invoice = records["4105"]
    assert (invoice["status"], invoice["channel"]) == ("pending", "web")  # Waiting on Customer, Portal
    assert invoice["follow_ups"][0]["owner"] == "wang" and invoice["follow_ups"][0]["due"] == "2026-10-16"
    assert not any("team" in values for values in records.values())  # empty Group cells


@pytest.mark.parametrize(
    ("source", "status", "rating", "expected"),
    [("Outbound Email", "Closed", "Extremely unhappy", {"channel": "email", "status": "resolved", "satisfaction": 1}),
     ("Feedback Widget", "Waiting on Third Party", "4", {"channel": "web", "status": "pending", "satisfaction": 4}),
     ("Twitter", "Open", "Neutral", {"channel": "social_media", "channel_platform": "Twitter", "satisfaction": 3}),
     ("Mobihelp", "Escalated", "", {"channel": "other", "channel_platform": "Freshdesk Mobihelp",
                                    "status": "Escalated"})],
)  # fmt: skip
def test_freshdesk_value_mappings(
    tmp_path: Path, source: str, status: str, rating: str, expected: dict[str, Any]
) -> None:
    text = f"Ticket ID,Source,Status,Satisfaction Rating,Group\n9,{source},{status},{rating},VIP 组\n"
    [row] = read_rows(write(tmp_path, "export.csv", text), "freshdesk")
    assert row.values == row.values | expected and row.values["team"] == "VIP 组"


def test_freshdesk_needs_ticket_id(tmp_path: Path) -> None:
    with pytest.raises(FormatError, match="'Ticket ID' column"):
        read_rows(write(tmp_path, "export.csv", "Subject,Status\nx,Open\n"), "freshdesk")


# --- transcripts ---------------------------------------------------------------------------------------------------


def test_srt_transcript() -> None:
    [row] = read("call.srt")
    text = row.values["problem_description"]
    assert text.splitlines()[:2] == [
        "客服：您好，这里是星辰商城客服中心，工号 1024， 请问有什么可以帮您？",  # cue lines joined by a space
        "客户：你好，我 10 月 1 日买的扫地机器人， 到现在还没发货。",
    ]
    assert "-->" not in text and not any(line.isdigit() for line in text.splitlines())
    digest = hashlib.sha256((FIXTURES / "call.srt").read_bytes()).hexdigest()[:16]
    assert row.number == 1 and row.values == row.values | {
        "external_id": f"transcript-{digest}", "source": "transcript", "channel": "phone", "status": "open",
        "duration_minutes": 3,  # last cue ends at 2:05.4
    }  # fmt: skip


def test_vtt_transcript_keeps_speakers() -> None:
    [row] = read("call.vtt")
    assert row.values["problem_description"].split("\n") == [
        "客服: 您好，星辰商城客服，请问有什么可以帮您？",
        "客户: 我的会员被自动续费了， 我想取消并退款。",
        "客服: 好的，我先帮您关闭自动续费，退款需要 1–3 个工作日。",  # <i> dropped, &ndash; decoded
        "客户: 好的，谢谢。",
    ]
    assert row.values["duration_minutes"] == 4  # 3:01.2 rounds up


def test_txt_transcript_and_defaults() -> None:
    defaults = {"agent": "wang", "contacted_at": "2026-10-18 10:00", "customer_name": None, "status": "resolved",
                "resolution": "已登记退货", "problem_description": "ignored", "external_id": "ignored"}  # fmt: skip
    [row] = read("call.txt", transcript_defaults=defaults)
    assert row.values["problem_description"].startswith("客服：您好，星辰商城客服中心")
    assert "\r" not in row.values["problem_description"] and "duration_minutes" not in row.values
    assert row.values["external_id"].startswith("transcript-") and "customer_name" not in row.values
    assert row.values == row.values | {"agent": "wang", "status": "resolved", "resolution": "已登记退货"}


def test_transcript_edge_cases(tmp_path: Path) -> None:
    # SRT without blank lines between cues, GB18030-encoded, saved as .txt: still recognised and cleaned.
    srt = "1\n00:00:01,000 --> 00:00:02,000\n<i>你好</i>\n2\n00:01:00,000 --> 00:01:00,500\n再见\n"
    [row] = read_rows(write(tmp_path, "call.txt", srt, encoding="gb18030"))
    assert (row.values["problem_description"], row.values["duration_minutes"]) == ("你好\n再见", 2)
    with pytest.raises(FormatError, match="no transcript text"):
        read_rows(write(tmp_path, "empty.vtt", "WEBVTT\n\nNOTE nothing said\n"))
    with pytest.raises(ValueError, match="Unknown transcript default"):
        read_rows(FIXTURES / "call.txt", transcript_defaults={"agnet": "wang"})
