"""Issue 18, Low 9: inputs that gave a 500 or spoilt an import get a clear answer naming what is wrong."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa

from records.enums import Role
from records.models import Record
from tests.conftest import record_payload
from tests.records.test_cli import _supports_mix_stderr

CSV_HEADER = "external_id,channel,contacted_at,agent,status,problem_description\n"


@pytest.fixture
def api(client, make_user, token_for):
    headers = token_for(make_user(Role.AGENT))

    def post(path: str, body: str):
        return client.post(path, data=body, headers={**headers, "Content-Type": "application/json"})

    return post


def test_a_lone_surrogate_is_refused_as_bad_input(api, db):
    # json.dumps writes the lone surrogate as the escape "\ud800", as a client would send it.
    response = api("/api/v1/records", json.dumps(record_payload(problem_description="密码\ud800错误")))
    assert response.status_code == 422, response.json
    assert "surrogate" in response.json["message"]
    assert db.session.scalar(sa.select(sa.func.count(Record.id))) == 0


@pytest.mark.parametrize("when", ["0001-01-01 00:00", "1899-12-30 00:00", "9999-12-31T23:59:00-12:00"])
def test_contact_times_out_of_range_are_field_errors(api, when):
    response = api("/api/v1/records", json.dumps(record_payload(contacted_at=when)))
    assert response.status_code == 422, response.json
    assert "contacted_at" in response.json["errors"]["json"]


@pytest.mark.parametrize("path", ["/api/v1/records", "/api/v1/auth/tokens", "/login"])
@pytest.mark.parametrize("opening, closing", [("[", "]"), ('{"a":', "}")])
def test_deeply_nested_json_is_a_400(client, api, path, opening, closing):
    body = opening * 5000 + "1" + closing * 5000
    response = api(path, body)
    assert response.status_code == 400
    if path.startswith("/api/"):
        assert "nested" in response.json["message"]
    # Moderately deep (under Python's recursion limit, over ours) is refused the same way, not walked into a 500.
    assert api(path, opening * 900 + "1" + closing * 900).status_code == 400


@pytest.fixture
def cli(app, db):
    runner = app.test_cli_runner(mix_stderr=False) if _supports_mix_stderr(app) else app.test_cli_runner()
    return lambda *args: runner.invoke(args=[str(arg) for arg in args], catch_exceptions=False)


def test_an_import_with_a_year_one_contact_time_rejects_that_row_only(cli, make_user, tmp_path, db):
    make_user(Role.AGENT, username="wang")
    path = tmp_path / "calls.csv"
    path.write_text(
        CSV_HEADER + "E1,phone,0001-01-01 00:00,wang,open,客户咨询\nE2,phone,2026-10-01 09:00,wang,open,客户咨询\n",
        encoding="utf-8",
    )
    result = cli("records", "import", path)
    assert result.exit_code == 1
    assert "row 2: contacted_at" in result.stderr
    assert "1 created" in result.output
    assert db.session.scalars(sa.select(Record.external_id)).all() == ["E2"]


def test_an_import_repeating_an_external_id_rejects_the_repeats_by_row(cli, make_user, tmp_path, db):
    make_user(Role.AGENT, username="wang")
    path = tmp_path / "calls.csv"
    path.write_text(
        CSV_HEADER
        + "E1,phone,2026-10-01 09:00,wang,open,第一次\n"
        + "E2,phone,2026-10-01 10:00,wang,open,另一条\n"
        + "E1,phone,2026-10-01 11:00,wang,open,第二次\n",
        encoding="utf-8",
    )
    result = cli("records", "import", path)
    assert result.exit_code == 1
    assert "row 4: external_id: 'E1' was already given in row 2" in result.stderr
    assert "2 created" in result.output and "1 rejected" in result.output
    first = db.session.scalar(sa.select(Record).where(Record.external_id == "E1"))
    assert first.problem_description == "第一次"
    # Importing the same file again changes nothing: the first row still wins.
    cli("records", "import", path)
    db.session.expire_all()
    assert db.session.get(Record, first.id).problem_description == "第一次"


def test_an_unterminated_csv_quote_names_its_row(cli, make_user, tmp_path, db):
    make_user(Role.AGENT, username="wang")
    path = tmp_path / "calls.csv"
    path.write_text(
        CSV_HEADER
        + 'E1,phone,2026-10-01 09:00,wang,open,"多行\n描述"\n'
        + 'E2,phone,2026-10-01 10:00,wang,open,"引号没有关闭\n'
        + "E3,phone,2026-10-01 11:00,wang,open,客户咨询\n",
        encoding="utf-8",
    )
    result = cli("records", "import", path)
    assert result.exit_code == 1
    assert "row 3 (line 4) opens a quote" in result.stderr
    assert db.session.scalar(sa.select(sa.func.count(Record.id))) == 0


def test_a_stray_quote_after_a_closing_one_is_still_read(cli, make_user, tmp_path, db):
    make_user(Role.AGENT, username="wang")
    path = tmp_path / "calls.csv"
    path.write_text(CSV_HEADER + 'E1,phone,2026-10-01 09:00,wang,open,"客户"说明\n', encoding="utf-8")
    result = cli("records", "import", path)
    assert result.exit_code == 0, result.stderr
    assert db.session.scalar(sa.select(Record.problem_description)) == "客户说明"
