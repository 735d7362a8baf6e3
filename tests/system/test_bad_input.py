"""Bad input: malformed and oversized requests and import files get a clear 4xx (or a failing import) and write
nothing; script in any text field is shown as text, never run, in a page."""

from __future__ import annotations

import pytest
import requests

from tests.conftest import record_payload
from tests.system.conftest import OUT, PASSWORD, Site
from tests.system.test_journeys import browser_page, sign_in

#: Above the served app's MAX_CONTENT_LENGTH (16 MiB, web/config.py).
OVERSIZED_BYTES = 17 * 1024 * 1024
SCRIPT = '<script>window.__xss = 1</script><img src="x" onerror="window.__xss = 1">'


def record_count(site: Site) -> int:
    return site.sql("SELECT count(*) FROM records")[0][0]


@pytest.fixture(scope="module")
def auth(served: Site) -> dict[str, str]:
    return served.token("sys_admin", PASSWORD)


@pytest.mark.parametrize(
    ("body", "content_type", "status"),
    [
        (b'{"channel": "phone", ', "application/json", 400),
        (b"\xff\xfe not utf-8", "application/json", 400),
        (b'["a list"]', "application/json", 422),
        (b'{"channel": "fax", "problem_description": ""}', "application/json", 422),
        (b'{"contacted_at": "2999-01-01 10:00"}', "application/json", 422),
    ],
)
def test_malformed_api_requests_get_a_4xx_and_write_nothing(served: Site, auth, body, content_type, status) -> None:
    before = record_count(served)
    response = requests.post(
        f"{served.base_url}/api/v1/records", data=body, headers={**auth, "Content-Type": content_type}, timeout=30
    )
    assert response.status_code == status, response.text
    assert response.json()["code"] == status
    assert record_count(served) == before


def test_text_with_a_nul_byte_is_refused_not_a_server_error(served: Site, auth) -> None:
    before = record_count(served)
    payload = record_payload(problem_description="登录失败\u0000后台")
    response = requests.post(f"{served.base_url}/api/v1/records", json=payload, headers=auth, timeout=30)
    assert 400 <= response.status_code < 500, response.text
    assert record_count(served) == before


def test_an_oversized_request_is_refused(served: Site, auth) -> None:
    before = record_count(served)
    payload = b'{"problem_description": "' + b"a" * OVERSIZED_BYTES + b'"}'
    response = requests.post(
        f"{served.base_url}/api/v1/records",
        data=payload,
        headers={**auth, "Content-Type": "application/json"},
        timeout=60,
    )
    assert response.status_code == 413
    assert record_count(served) == before


def test_malformed_import_files_are_rejected_whole(served: Site, tmp_path) -> None:
    before = record_count(served)
    broken = tmp_path / "broken.jsonl"
    broken.write_text('{"channel": "phone", "problem_description": "ok"\nnot json at all\n', encoding="utf-8")
    result = served.cli("records", "import", str(broken), check=False)
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert record_count(served) == before

    oversized = tmp_path / "huge.csv"
    oversized.write_text("channel,problem_description\nphone," + "长" * 2_000_000 + "\n", encoding="utf-8")
    result = served.cli("records", "import", str(oversized), check=False)
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert record_count(served) == before


def test_script_in_text_fields_never_runs_in_a_page(served: Site, auth) -> None:
    fields = {name: f"字段 {name} {SCRIPT}" for name in ("problem_description", "customer_request", "resolution")}
    payload = record_payload(**fields, customer={"name": f"张{SCRIPT}", "phone": "13812345678"})
    record = requests.post(f"{served.base_url}/api/v1/records", json=payload, headers=auth, timeout=30)
    assert record.status_code == 201, record.text
    trainer = served.token("sys_trainer", PASSWORD)
    article = requests.post(
        f"{served.base_url}/api/v1/articles",
        json={"title": f"脚本测试 {SCRIPT}", "body": f"正文 {SCRIPT}\n\n[链接](javascript:window.__xss=1)"},
        headers=trainer,
        timeout=30,
    )
    assert article.status_code == 201, article.text
    article_id = article.json()["id"]
    for step, who in (("submit", trainer), ("publish", served.token("sys_trainer2", PASSWORD))):
        response = requests.post(f"{served.base_url}/api/v1/articles/{article_id}/{step}", headers=who, timeout=30)
        assert response.status_code == 200, response.text

    with browser_page() as page:
        dialogs: list[str] = []
        page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
        sign_in(page, served, "sys_admin", PASSWORD)
        for path in (
            f"/records/{record.json()['id']}",
            f"/records/{record.json()['id']}/edit",
            "/records",
            f"/kb/articles/{article_id}",
            f"/help/articles/{article_id}",
            "/help?q=脚本测试",
        ):
            page.goto(served.base_url + path)
            page.wait_for_load_state("networkidle")
            assert page.evaluate("window.__xss") is None, path
            for link in page.locator("a[href^='javascript:']").all():
                pytest.fail(f"{path} renders a javascript: link {link.get_attribute('href')}")
        OUT.joinpath("journeys").mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(OUT / "journeys" / "script-injection-help-search.png"), full_page=True)
    assert dialogs == []
