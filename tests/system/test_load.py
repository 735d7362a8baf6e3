"""Load: 8 concurrent clients for 60 s against gunicorn (4 workers) on PostgreSQL.

Six agents create, update and search records; two trainers write, publish and edit articles (so the search index
changes under load). Afterwards every request must have succeeded, every record must be there once with its last
update, and the search index must hold exactly the published articles.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from pathlib import Path

import pytest
import requests
from whoosh.index import open_dir

from tests.conftest import record_payload
from tests.system.conftest import PASSWORD, Site

#: The issue's load profile.
CLIENTS = 8
TRAINER_CLIENTS = 2
DURATION_S = 60.0
SEARCHES = ["登录", "退款", "物流", "密码", "refund", "发票", "App 闪退", "order"]


@pytest.fixture(scope="module")
def accounts(served: Site) -> list[tuple[str, dict[str, str]]]:
    """(role, auth headers) per client; each client has its own user."""
    admin = served.token("sys_admin", PASSWORD)
    clients = []
    for number in range(CLIENTS):
        role = "trainer" if number < TRAINER_CLIENTS else "agent"
        username = f"load_{role}_{number}"
        body = {"username": username, "password": PASSWORD, "role": role}
        if role == "agent":
            body["team"] = "客服A组"
        response = requests.post(f"{served.base_url}/api/v1/users", json=body, headers=admin, timeout=30)
        assert response.status_code == 201, response.text
        clients.append((role, served.token(username, PASSWORD)))
    return clients


class Client(threading.Thread):
    def __init__(self, site: Site, number: int, role: str, auth: dict[str, str], reviewer: dict[str, str], stop: float):
        super().__init__(name=f"load-{number}")
        self.site, self.number, self.role = site, number, role
        self.auth, self.reviewer, self.stop_at = auth, reviewer, stop
        self.session = requests.Session()
        self.errors: list[str] = []
        #: record id → the customer_request it was last given (the last successful PATCH wins).
        self.records: dict[int, str] = {}
        self.articles: list[int] = []
        self.requests = 0

    def call(self, method: str, path: str, expected: int, auth: dict[str, str] | None = None, **kwargs):
        self.requests += 1
        try:
            response = self.session.request(
                method, self.site.base_url + path, headers=auth or self.auth, timeout=60, **kwargs
            )
        except requests.RequestException as error:
            self.errors.append(f"{method} {path}: {error!r}")
            return None
        if response.status_code != expected:
            self.errors.append(f"{method} {path}: {response.status_code} {response.text[:300]}")
            return None
        return response.json() if response.content else {}

    def run(self) -> None:
        step = 0
        while time.monotonic() < self.stop_at:
            step += 1
            if self.role == "agent":
                self.agent_step(step)
            else:
                self.trainer_step(step)
            self.call("get", "/api/v1/search", 200, params={"q": SEARCHES[step % len(SEARCHES)]})

    def agent_step(self, step: int) -> None:
        marker = f"LOAD-{self.number}-{step}"
        payload = record_payload(customer_request=marker, key_details=marker)
        created = self.call("post", "/api/v1/records", 201, json=payload)
        if created is None:
            return
        self.records[created["id"]] = marker
        if step % 2 == 0:
            # Update an earlier record of ours: concurrent writers each touch their own rows.
            record_id = next(iter(self.records)) if step % 4 == 0 else created["id"]
            updated = f"{marker}-updated"
            if self.call("patch", f"/api/v1/records/{record_id}", 200, json={"customer_request": updated}) is not None:
                self.records[record_id] = updated
        self.call("get", "/api/v1/records", 200, params={"q": "登录", "per_page": 20})

    def trainer_step(self, step: int) -> None:
        title = f"负载测试文章 {self.number}-{step}：如何查询物流"
        body = {"title": title, "body": f"在订单页点击“物流”。编号 {step}。"}
        article = self.call("post", "/api/v1/articles", 201, json=body)
        if article is None:
            return
        ref = article["id"]
        self.articles.append(ref)
        if self.call("post", f"/api/v1/articles/{ref}/submit", 200) is None:
            return
        # Publishing needs a reviewer other than the author: the other trainer client's account.
        if self.call("post", f"/api/v1/articles/{ref}/publish", 200, auth=self.reviewer) is None:
            return
        if step % 3 == 0:
            self.call("patch", f"/api/v1/articles/{ref}", 200, json={"body": f"更新后的步骤 {step}。"})


def test_eight_clients_for_a_minute_lose_nothing(served: Site, accounts) -> None:
    stop = time.monotonic() + DURATION_S
    trainers = [auth for role, auth in accounts if role == "trainer"]
    clients = [
        Client(served, number, role, auth, trainers[(number + 1) % len(trainers)] if role == "trainer" else {}, stop)
        for number, (role, auth) in enumerate(accounts)
    ]
    for client in clients:
        client.start()
    for client in clients:
        client.join()

    errors = [error for client in clients for error in client.errors]
    assert errors == [], f"{len(errors)} failed requests, e.g. {errors[:5]}"
    assert served.server_errors() == ""
    assert sum(client.requests for client in clients) > CLIENTS  # the clients did work

    # No lost or duplicated records: each created record is there once, with its last update.
    made = {record_id: text for client in clients for record_id, text in client.records.items()}
    rows = served.sql("SELECT id, customer_request FROM records WHERE customer_request LIKE 'LOAD-%%'")
    assert len(rows) == len(made)
    assert dict(rows) == made
    # Each creation (its marker is in key_details, which no update touches) made exactly one row.
    created = Counter(row[0] for row in served.sql("SELECT key_details FROM records WHERE key_details LIKE 'LOAD-%%'"))
    assert len(created) == len(made) and max(created.values()) == 1

    # The search index holds exactly what customers can find (each article's live version, unless archived),
    # as the scheduler's index check also says.
    public = "live_version_id IS NOT NULL AND status <> 'archived'"
    searchable = dict(served.sql(f"SELECT id, live_version_id FROM articles WHERE {public}"))
    assert set(client_articles(clients)) <= set(searchable)
    with open_dir(str(Path(served.data_dir) / "search-index")).searcher() as searcher:
        # The stored version key is "<version id>@<created at>" (kb.search.public_versions).
        indexed = [
            (int(fields["article_id"]), int(fields["version_id"].partition("@")[0]))
            for fields in searcher.all_stored_fields()
        ]
    assert len(indexed) == len(searchable)
    assert dict(indexed) == searchable
    check = served.cli("jobs", "start", "index_check").stdout
    assert '"missing": []' in check and '"extra": []' in check and '"stale": []' in check, check


def client_articles(clients: list[Client]) -> list[int]:
    return [article for client in clients for article in client.articles]
