"""The customer's side of a record: the status page a signed link opens, its forms, the staff action and API that
send links (mailed through a local SMTP server), the contact request's own link, 404 sameness and rate limits."""

from __future__ import annotations

import email
import re
import socket
from datetime import timedelta
from email import policy

import pytest
import sqlalchemy as sa
from flask_migrate import upgrade

from records import customer_links
from records.customer_links import create_link, revoke_link, token_for
from records.db import db as database
from records.enums import Role
from records.models import AuditLog, CustomerLink, Record, RecordNote
from records.people import create_user
from records.timeutil import utcnow
from tests.conftest import PASSWORD
from web import create_app


def page(response) -> str:
    return response.get_data(as_text=True)


def status_path(link: CustomerLink) -> str:
    return f"/help/status/{token_for(link)}"


@pytest.fixture
def english(client):
    """The visitor chose English: it wins over the record's language (Chinese in make_record)."""
    client.post("/language", data={"language": "en"})
    return client


class Inbox:
    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802  (aiosmtpd's hook name)
        self.messages.append(email.message_from_bytes(envelope.content, policy=policy.default))
        return "250 OK"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp(app, monkeypatch):
    from aiosmtpd.controller import Controller

    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
    monkeypatch.setitem(app.config, "MAIL_PORT", controller.port)
    yield inbox
    controller.stop()


# ----- the status page -----------------------------------------------------------------------------------------------


def test_the_status_page_shows_number_status_and_the_public_answer_in_the_records_language(client, make_record):
    record = make_record(
        status="resolved",
        problem_description="Since Nov 1 the app says wrong password at login, version 5.2.1, order 88001234.",
        customer_request="Please restore my login.",
        resolution="We reset your login session; call 13812345678 if it happens again.",
    )
    link = create_link(record, by=record.agent)
    database.session.commit()
    response = client.get(status_path(link))
    assert response.status_code == 200
    html = page(response)
    assert record.number in html and "Resolved" in html, "an English record's page is in English"
    assert "We reset your login session" in html and "13812345678" not in html
    assert record.agent.display_name not in html and record.agent.username not in html
    assert "/login" not in html and "/records" not in html, "no way into the staff pages"
    assert response.headers["Cache-Control"] == "private, no-store" and "noindex" in response.headers["X-Robots-Tag"]
    assert 'name="satisfaction"' in html, "a closed record can be rated"


def test_a_chinese_record_gets_a_chinese_page_unless_the_visitor_chose_english(client, make_record):
    record = make_record(status="open")
    link = create_link(record, by=record.agent)
    database.session.commit()
    html = page(client.get(status_path(link)))
    assert "处理中" in html and "您的请求" in html
    assert 'name="satisfaction"' not in html, "an open record is not rated yet"
    client.post("/language", data={"language": "en", "next": status_path(link)})
    assert "Open" in page(client.get(status_path(link)))


def test_every_link_that_opens_nothing_gets_the_same_404(client, make_record, monkeypatch):
    record = make_record()
    revoked = create_link(record, by=record.agent)
    expired = create_link(record, by=record.agent, days=1)
    live = create_link(record, by=record.agent)
    database.session.commit()
    revoke_link(revoked, by=record.agent)
    database.session.commit()
    token = token_for(live)
    payload, signature = token.rsplit(".", 1)
    tampered = f"{payload}.{'A' if signature[0] != 'A' else 'B'}{signature[1:]}"
    monkeypatch.setattr(customer_links, "utcnow", lambda: utcnow() + timedelta(days=1, minutes=1))
    answers = [
        client.get(path)
        for path in (
            "/help/status/unknown-token",
            f"/help/status/{tampered}",
            status_path(revoked),
            status_path(expired),
        )
    ]
    assert {answer.status_code for answer in answers} == {404}
    # The language switch carries a CSRF token and the page's own address back; everything else is the same bytes.
    bodies = {re.sub(r'name="(csrf_token|next)" value="[^"]*"', "", page(answer)) for answer in answers}
    assert len(bodies) == 1
    assert "help" in next(iter(bodies)), "in the help center's layout"
    assert client.post(f"/help/status/{tampered}/notes", data={"text": "hello"}).status_code == 404
    assert database.session.scalar(sa.select(sa.func.count()).select_from(RecordNote)) == 0


def test_the_customer_adds_information_as_a_note(english, client, make_record, sign_in):
    record = make_record(status="pending", follow_ups=[{"action": "回电", "owner": "王", "due": "2026-12-30"}])
    link = create_link(record, by=record.agent)
    database.session.commit()
    description = record.problem_description
    empty = client.post(f"{status_path(link)}/notes", data={"text": "  "})
    assert empty.status_code == 422 and "Write what you would like to add." in page(empty)
    sent = client.post(f"{status_path(link)}/notes", data={"text": "My new phone is 13912345678.\nThanks"})
    assert sent.status_code == 302
    html = page(client.get(status_path(link)))
    assert "we added this to your request" in html and "139****5678" in html
    database.session.expire_all()
    assert database.session.get(Record, record.id).problem_description == description

    sign_in(record.agent)
    html = page(client.get(f"/records/{record.number}"))
    assert "Added by the customer" in html and "139****5678" in html and "13912345678" not in html
    revealed = page(client.post(f"/records/{record.number}/reveal"))
    assert "13912345678" in revealed


def test_the_rating_form_fills_the_satisfaction_fields(english, client, make_record, sign_in):
    record = make_record(status="resolved", satisfaction=None)
    link = create_link(record, by=record.agent)
    database.session.commit()
    bad = client.post(f"{status_path(link)}/rating", data={"satisfaction": "9", "satisfaction_attitude": "x"})
    assert bad.status_code == 422 and "Choose 1 to 5 stars." in page(bad)
    missing = client.post(f"{status_path(link)}/rating", data={"satisfaction_attitude": "4"})
    assert missing.status_code == 422
    sent = client.post(
        f"{status_path(link)}/rating",
        data={"satisfaction": "4", "satisfaction_efficiency": "3", "satisfaction_resolution": "5"},
    )
    assert sent.status_code == 302
    database.session.expire_all()
    stored = database.session.get(Record, record.id)
    assert (stored.satisfaction, stored.satisfaction_efficiency, stored.satisfaction_resolution) == (4, 3, 5)
    html = page(client.get(status_path(link)))
    assert "Thank you for rating our service." in html and "You can change it here." in html
    assert re.search(r'name="satisfaction" id="f-satisfaction-4" value="4"\s+checked', html)
    sign_in(record.agent)
    assert "rated by the customer" in page(client.get(f"/records/{record.number}"))


def test_an_open_record_refuses_a_rating_with_a_message(english, client, make_record):
    record = make_record(status="open", satisfaction=None)
    link = create_link(record, by=record.agent)
    database.session.commit()
    refused = client.post(f"{status_path(link)}/rating", data={"satisfaction": "5"})
    assert refused.status_code == 422 and "once it is resolved" in page(refused)


# ----- staff: sending and revoking ------------------------------------------------------------------------------------


def test_without_mail_the_record_page_shows_the_link_to_copy(english, client, make_record, login_as):
    agent = login_as(Role.AGENT)
    record = make_record(agent=agent)
    response = client.post(f"/records/{record.number}/customer-links", follow_redirects=True)
    html = page(response)
    assert response.status_code == 200 and "Mail is not set up" in html
    link = database.session.scalar(sa.select(CustomerLink).where(CustomerLink.record_id == record.id))
    assert f"/help/status/{token_for(link)}" in html
    assert client.get(status_path(link)).status_code == 200

    client.post(f"/records/{record.number}/customer-links/{link.id}/revoke")
    assert client.get(status_path(link)).status_code == 404
    assert "Revoked" in page(client.get(f"/records/{record.number}"))


def test_the_link_is_mailed_in_the_customers_language(english, client, make_record, login_as, smtp):
    agent = login_as(Role.AGENT)
    record = make_record(agent=agent)  # Chinese, with zhang.san@example.com
    response = client.post(f"/records/{record.number}/customer-links", follow_redirects=True)
    assert "e-mailed to the customer" in page(response)
    (message,) = smtp.messages
    assert message["To"] == "zhang.san@example.com" and record.number in message["Subject"]
    body = message.get_body(("plain",)).get_content()
    link = database.session.scalar(sa.select(CustomerLink).where(CustomerLink.record_id == record.id))
    assert f"/help/status/{token_for(link)}" in body and "工单号" in body
    assert link.emailed_at is not None
    actions = set(database.session.scalars(sa.select(AuditLog.action)))
    assert {"customer_link.create", "customer_link.email"} <= actions


def test_a_mail_server_that_fails_leaves_the_link_to_copy(english, app, client, make_record, login_as, monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
    monkeypatch.setitem(app.config, "MAIL_PORT", free_port())  # nobody listens
    agent = login_as(Role.AGENT)
    record = make_record(agent=agent)
    html = page(client.post(f"/records/{record.number}/customer-links", follow_redirects=True))
    assert "could not be e-mailed" in html
    link = database.session.scalar(sa.select(CustomerLink).where(CustomerLink.record_id == record.id))
    assert link.emailed_at is None and token_for(link) in html


def test_trainers_and_other_agents_send_no_links(client, make_record, people, sign_in):
    record = make_record(agent=people["agent"])
    sign_in(people["trainer"])
    assert client.post(f"/records/{record.number}/customer-links").status_code == 403
    assert "customer-links" not in page(client.get(f"/records/{record.number}"))
    client.post("/logout")
    sign_in(people["other_agent"])
    assert client.post(f"/records/{record.number}/customer-links").status_code in (403, 404)
    assert database.session.scalar(sa.select(sa.func.count()).select_from(CustomerLink)) == 0


def test_the_api_makes_lists_and_revokes_links(client, make_record, people, token_for):
    record = make_record(agent=people["agent"])
    headers = token_for(people["agent"])
    made = client.post(f"/api/v1/records/{record.number}/customer-links", json={"days": 3}, headers=headers)
    assert made.status_code == 201, made.json
    assert made.json["active"] and made.json["emailed"] is False and "/help/status/" in made.json["url"]
    assert client.get(made.json["url"]).status_code == 200
    bad = client.post(f"/api/v1/records/{record.number}/customer-links", json={"days": 0}, headers=headers)
    assert bad.status_code == 422
    chinese = {**headers, "Accept-Language": "zh-CN"}
    bad = client.post(f"/api/v1/records/{record.number}/customer-links", json={"days": 0}, headers=chinese)
    assert bad.json["errors"]["json"] == {"days": ["请填写 1 到 365 之间的数字。"]}
    listed = client.get(f"/api/v1/records/{record.number}/customer-links", headers=headers).json
    assert [item["id"] for item in listed] == [made.json["id"]]
    revoked = client.post(f"/api/v1/records/{record.number}/customer-links/{made.json['id']}/revoke", headers=headers)
    assert revoked.status_code == 200 and revoked.json["active"] is False and revoked.json["url"] is None
    assert client.get(made.json["url"]).status_code == 404
    trainer = token_for(people["trainer"])
    assert client.post(f"/api/v1/records/{record.number}/customer-links", headers=trainer).status_code == 403
    missing = client.post(f"/api/v1/records/{record.number}/customer-links/999999/revoke", headers=headers)
    assert missing.status_code == 404


# ----- contact requests get a link at once ----------------------------------------------------------------------------


def test_a_contact_request_shows_and_mails_its_status_link(english, client, make_user, smtp):
    make_user(Role.AGENT, username="helpdesk")
    sent = client.post(
        "/help/contact",
        data={"name": "Li Lei", "email": "li.lei@example.com", "description": "My invoice for order 2024-77 is wrong."},
    )
    assert sent.status_code == 302
    thanks = page(client.get("/help/contact/thanks"))
    url = re.search(r'href="(http://localhost/help/status/[^"]+)"', thanks).group(1)
    assert "We have also sent this link to your e-mail address." in thanks
    (message,) = smtp.messages
    assert message["To"] == "li.lei@example.com" and url in message.get_body(("plain",)).get_content()
    status = client.get(url)
    assert status.status_code == 200 and "Open" in page(status)


def test_the_contact_request_api_answers_with_the_status_link(client, make_user):
    make_user(Role.AGENT, username="helpdesk")
    response = client.post(
        "/api/v1/contact-requests",
        json={"name": "王", "phone": "13900001111", "description": "发票开错了，订单 2024-77。"},
    )
    assert response.status_code == 201 and response.json["emailed"] is False
    assert client.get(response.json["status_url"]).status_code == 200


# ----- rate limits ------------------------------------------------------------------------------------------------


@pytest.fixture
def limited_app(tmp_path):
    application = create_app(
        {
            "TESTING": True,
            "INSTANCE_PATH": str(tmp_path),
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'limits.db'}",
            "DATA_DIR": str(tmp_path / "data"),
            "WTF_CSRF_ENABLED": False,
            "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
            "EMBEDDINGS_ENABLED": False,
            "RATELIMIT_ENABLED": True,
            "RATELIMIT_CUSTOMER_STATUS": "6/minute",
            "RATELIMIT_CUSTOMER_LINK_INPUT": "2/hour",
        }
    )
    with application.app_context():
        upgrade()
        create_user("helpdesk", role=Role.AGENT, password=PASSWORD, team="客服A组")
        database.session.commit()
    yield application
    with application.app_context():
        database.session.remove()
        database.engine.dispose()


def test_status_pages_and_their_forms_are_rate_limited(limited_app):
    client = limited_app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    made = client.post(
        "/api/v1/contact-requests", json={"name": "Li", "phone": "13900001111", "description": "Please call back."}
    )
    path = made.json["status_url"].removeprefix("http://localhost")
    assert client.post(f"{path}/notes", data={"text": ""}).status_code == 422, "a mistake does not count"
    assert [client.post(f"{path}/notes", data={"text": "more"}).status_code for _ in range(2)] == [302, 302]
    refused = client.post(f"{path}/notes", data={"text": "more"})
    assert refused.status_code == 429 and "Too many requests" in page(refused)
    # Six views a minute per address, valid links or not.
    guesses = [client.get("/help/status/guess").status_code for _ in range(4)]
    assert guesses[0] == 404 and guesses[-1] == 429
    with limited_app.app_context():
        assert database.session.scalar(sa.select(sa.func.count()).select_from(RecordNote)) == 2
