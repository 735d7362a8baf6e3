"""The `consultkb` commands: users, imports of every format (good and bad files), exports, demo seed."""

from __future__ import annotations

import csv
import json

import pytest
import sqlalchemy as sa

from records.enums import Role, Status
from records.models import AuditLog, Customer, FollowUp, Record, User
from tests.conftest import FIXTURES, PASSWORD

IMPORTS = FIXTURES / "imports"


@pytest.fixture
def cli(app, db):
    runner = app.test_cli_runner(mix_stderr=False) if _supports_mix_stderr(app) else app.test_cli_runner()

    def invoke(*args: str):
        return runner.invoke(args=[str(arg) for arg in args], catch_exceptions=False)

    return invoke


def _supports_mix_stderr(app) -> bool:
    import inspect

    from click.testing import CliRunner

    return "mix_stderr" in inspect.signature(CliRunner.__init__).parameters


@pytest.fixture
def agents(make_user):
    return {
        "wang": make_user(Role.AGENT, username="wang", team="客服A组", email="wang@example.com"),
        "li": make_user(Role.AGENT, username="li", team="客服A组"),
        "alice": make_user(Role.AGENT, username="alice", team="English Support", email="alice@example.com"),
    }


def records_snapshot(db) -> dict:
    return {
        record.external_id: (
            record.status,
            record.customer.phone,
            record.problem_description,
            record.contacted_at,
            sorted((f.action, f.owner, f.due) for f in record.follow_ups),
        )
        for record in db.session.scalars(sa.select(Record))
    }


def record_count(db) -> int:
    return db.session.scalar(sa.select(sa.func.count(Record.id)))


def test_users_create(cli, db):
    result = cli("users", "create", "wangfang", "--role", "agent", "--team", "客服A组", "--password", "long-enough-1")
    assert result.exit_code == 0, result.output
    user = db.session.scalar(sa.select(User).where(User.username == "wangfang"))
    assert user.role == Role.AGENT and user.team.name == "客服A组" and user.check_password("long-enough-1")

    again = cli("users", "create", "wangfang", "--role", "agent", "--team", "客服A组", "--password", "long-enough-1")
    assert again.exit_code == 1 and "taken" in again.stderr
    no_team = cli("users", "create", "zhao", "--role", "agent", "--password", "long-enough-1")
    assert no_team.exit_code == 1 and "team" in no_team.stderr
    bad_role = cli("users", "create", "zhao", "--role", "boss", "--password", "long-enough-1")
    assert bad_role.exit_code == 2 and "boss" in bad_role.stderr


def test_users_list_and_deactivate(cli, db, client, agents):
    listing = cli("users", "list")
    assert "wang" in listing.output and "客服A组" in listing.output and "3 users." in listing.output

    assert cli("users", "deactivate", "wang").exit_code == 0
    assert "(deactivated)" in cli("users", "list").output
    refused = client.post("/api/v1/auth/tokens", json={"username": "wang", "password": PASSWORD})
    assert refused.status_code == 401
    assert cli("users", "deactivate", "nobody").exit_code == 1

    assert cli("users", "activate", "wang").exit_code == 0
    assert client.post("/api/v1/auth/tokens", json={"username": "wang", "password": PASSWORD}).status_code == 201
    actions = db.session.scalars(sa.select(AuditLog.action).where(AuditLog.object_id == "wang")).all()
    assert "user.deactivate" in actions and "user.activate" in actions


@pytest.mark.parametrize("name", ["good.csv", "good.jsonl", "good.xlsx"])
def test_good_canonical_files_import_idempotently(cli, db, agents, name):
    first = cli("records", "import", IMPORTS / name)
    assert first.exit_code == 0, first.output + first.stderr
    created = record_count(db)
    assert created >= 3 and f"{created} created" in first.output

    second = cli("records", "import", IMPORTS / name)
    assert second.exit_code == 0
    assert "0 created" in second.output and f"{created} unchanged" in second.output
    assert record_count(db) == created


def test_csv_import_maps_fields(cli, db, agents):
    assert cli("records", "import", IMPORTS / "good.csv").exit_code == 0
    record = db.session.scalar(sa.select(Record).where(Record.external_id == "CSV-2026-1001"))
    assert record.source == "csv" and record.agent.username == "wang"
    assert record.customer.name == "张伟" and record.customer.phone_key == "13812345678"
    assert record.customer.tier.value == "vip"
    assert (record.category, record.subcategory) == ("logistics", "delivery_delay")
    assert record.tags == ["投诉-物流延迟", "咨询-物流进度"]
    assert record.number.startswith("R20261008") and record.customer.number.startswith("C20261008")
    assert record.language.value == "zh"


def test_bad_rows_are_reported_and_nothing_of_them_written(cli, db, agents):
    result = cli("records", "import", IMPORTS / "bad.csv")
    assert result.exit_code == 1
    report = result.stderr
    expected = {
        2: "status",  # unknown status "escalated"
        4: "satisfaction",  # 7 is not 1–5
        5: "contacted_at",  # in the future
        6: "follow_ups",  # broken JSON
        7: "collaboration",  # an object instead of a list
    }
    for row, field in expected.items():
        assert f"row {row}: {field}" in report, report
    assert "row 3:" not in report
    assert "2 created" in result.output and "5 rejected" in result.output
    # Row 3 is history that today's template would refuse (resolved without a resolution): kept and flagged.
    assert sorted(db.session.scalars(sa.select(Record.external_id)).all()) == ["BAD-002", "BAD-007"]
    kept = db.session.scalar(sa.select(Record).where(Record.external_id == "BAD-002"))
    assert kept.template_exceptions == ["resolution"] and kept.imported_at is not None
    # Rejected rows left no customers behind either.
    assert db.session.scalar(sa.select(sa.func.count(Customer.id))) == 2


def test_bad_jsonl_reports_the_broken_line(cli, db, agents):
    result = cli("records", "import", IMPORTS / "bad.jsonl")
    assert result.exit_code == 1
    assert "rejected" in result.output and "row " in result.stderr


def test_unreadable_file_is_a_clear_error(cli, db, agents, tmp_path):
    wrong = tmp_path / "wrong.csv"
    wrong.write_text("id,who\n1,wang\n", encoding="utf-8")
    result = cli("records", "import", wrong)
    assert result.exit_code == 1
    assert "Error:" in result.stderr and "external_id" in result.stderr
    assert record_count(db) == 0


def test_zendesk_import(cli, db, agents):
    result = cli("records", "import", IMPORTS / "zendesk.json", "--default-agent", "wang")
    assert result.exit_code == 0, result.output + result.stderr
    records = db.session.scalars(sa.select(Record).where(Record.source == "zendesk")).all()
    assert len(records) >= 3
    by_status = {record.status for record in records}
    assert Status.PENDING in by_status and Status.RESOLVED in by_status
    pending = next(record for record in records if record.status == Status.PENDING)
    assert pending.follow_ups and pending.follow_ups[0].due is not None
    assert cli("records", "import", IMPORTS / "zendesk.json", "--default-agent", "wang").exit_code == 0
    assert db.session.scalar(sa.select(sa.func.count(Record.id)).where(Record.source == "zendesk")) == len(records)


def test_freshdesk_import(cli, db, agents):
    result = cli("records", "import", IMPORTS / "freshdesk.csv", "--default-agent", "wang")
    assert result.exit_code == 0, result.output + result.stderr
    records = db.session.scalars(sa.select(Record).where(Record.source == "freshdesk")).all()
    assert len(records) == 5
    assert all(record.problem_description for record in records)


@pytest.mark.parametrize("name", ["call.srt", "call.vtt", "call.txt"])
def test_transcript_becomes_a_phone_record(cli, db, agents, name):
    result = cli(
        "records",
        "import",
        IMPORTS / name,
        "--agent",
        "wang",
        "--contacted-at",
        "2026-10-20 10:15",
        "--customer-name",
        "陈女士",
    )
    assert result.exit_code == 0, result.output + result.stderr
    record = db.session.scalar(sa.select(Record).where(Record.source == "transcript"))
    assert record.channel.value == "phone" and record.status == Status.OPEN
    assert record.customer.name == "陈女士"
    assert "-->" not in record.problem_description and "WEBVTT" not in record.problem_description
    if name != "call.txt":
        assert record.duration_minutes and record.duration_minutes > 0


def test_transcript_without_agent_is_rejected(cli, db, agents):
    result = cli("records", "import", IMPORTS / "call.txt", "--contacted-at", "2026-10-20 10:15")
    assert result.exit_code == 1 and "agent" in result.stderr
    assert record_count(db) == 0


def test_export_is_masked_and_audited(cli, db, agents, tmp_path):
    assert cli("records", "import", IMPORTS / "good.csv").exit_code == 0
    target = tmp_path / "out.csv"
    result = cli("records", "export", target)
    assert result.exit_code == 0, result.output + result.stderr
    text = target.read_text(encoding="utf-8-sig")
    assert "13812345678" not in text and "138****5678" in text
    rows = list(csv.DictReader(text.splitlines()))
    assert len(rows) == record_count(db)
    entry = db.session.scalar(sa.select(AuditLog).where(AuditLog.action == "records.export"))
    assert entry.actor == "cli" and entry.details["count"] == len(rows) and entry.details["revealed"] is False


@pytest.mark.parametrize("fmt", ["csv", "jsonl", "xlsx"])
def test_revealed_export_round_trips(cli, db, agents, tmp_path, fmt):
    assert cli("records", "import", IMPORTS / "good.csv").exit_code == 0
    before = records_snapshot(db)
    target = tmp_path / f"out.{fmt}"
    assert cli("records", "export", target, "--reveal").exit_code == 0
    for model in (FollowUp, Record, Customer):
        db.session.execute(sa.delete(model))
    db.session.commit()

    result = cli("records", "import", target, "--format", fmt)
    assert result.exit_code == 0, result.output + result.stderr
    after = records_snapshot(db)
    assert after == before


def test_export_filters(cli, db, agents, tmp_path):
    assert cli("records", "import", IMPORTS / "good.jsonl").exit_code == 0
    target = tmp_path / "pending.jsonl"
    assert cli("records", "export", target, "--status", "resolved").exit_code == 0
    statuses = {json.loads(line)["status"] for line in target.read_text(encoding="utf-8").splitlines()}
    assert statuses == {"resolved"}
    assert cli("records", "export", tmp_path / "x.pdf").exit_code == 1


def test_demo_seed_fills_an_empty_database_once(cli, db):
    result = cli("demo", "seed", "--records", "120")
    assert result.exit_code == 0, result.output + result.stderr
    assert "120 records created" in result.output
    people = db.session.scalars(sa.select(User)).all()
    assert {user.role for user in people} == set(Role)
    assert len({user.team_id for user in people if user.team_id}) >= 3
    assert record_count(db) == 120
    languages = set(db.session.scalars(sa.select(Record.language)))
    assert {language.value for language in languages} == {"zh", "en"}

    again = cli("demo", "seed", "--records", "120")
    assert again.exit_code == 0 and "already has records" in again.output
    assert record_count(db) == 120

    logins = cli("demo", "logins")
    assert "admin / admin-demo" in logins.output and "agent" in logins.output


def test_imports_carry_the_assignee_and_follow_up_owners_and_exports_keep_them(cli, db, agents, tmp_path):
    source = tmp_path / "assigned.jsonl"
    rows = [
        {
            "external_id": "AS-1",
            "channel": "phone",
            "contacted_at": "2026-10-08 09:30",
            "agent": "wang",
            "assignee": "li",
            "status": "pending",
            "problem_description": "退款未到账",
            "follow_ups": [{"action": "回电", "owner": "li", "due": "2026-10-10"}],
        },
        {
            "external_id": "AS-2",
            "channel": "phone",
            "contacted_at": "2026-10-08 10:30",
            "agent": "wang",
            "assignee": "alice",  # another team's agent may not handle 客服A组's record
            "status": "open",
            "problem_description": "发票抬头错误",
        },
    ]
    source.write_text("\n".join(json.dumps(row, ensure_ascii=False) for row in rows), encoding="utf-8")
    result = cli("records", "import", source)
    assert result.exit_code == 1 and "row 2: assignee" in result.stderr
    record = db.session.scalar(sa.select(Record).where(Record.external_id == "AS-1"))
    assert record.assignee.username == "li" and record.follow_ups[0].owner_user.username == "li"
    target = tmp_path / "out.jsonl"
    assert cli("records", "export", target, "--reveal").exit_code == 0
    (exported,) = [json.loads(line) for line in target.read_text(encoding="utf-8").splitlines()]
    assert exported["assignee"] == "li" and exported["follow_ups"][0]["owner_user"] == "li"
