"""Caller lookup in the browser and the API, and the incoming-call page a telephony system opens."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from records.enums import Role
from records.models import Customer, Record

CALLER = {"name": "王小明", "phone": "13886168491", "email": "wang.xm@example.com", "tags": ["VIP"]}


def page(response) -> str:
    return response.get_data(as_text=True)


@pytest.fixture
def caller(make_user, make_record):
    """Agent a1 (客服A组) served 王小明: one open record with an order number, one resolved earlier."""
    agent = make_user(Role.AGENT, username="a1", team="客服A组")
    make_record(agent=agent, customer=CALLER, contacted_at="2026-10-01 09:00", tags=["咨询-产品功能"])
    open_record = make_record(
        agent=agent,
        customer=CALLER,
        status="open",
        resolution=None,
        key_details="订单号 DD20261102001",
        tags=["投诉-物流延迟"],
    )
    make_record(agent=agent, customer={"name": "李四", "phone": "13900001111"})
    return agent, open_record


# ----- search ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("q", ["13886168491", "138-8616-8491", "+86 138 8616 8491", "王 8491", "wang.xm@example.com"])
def test_customers_page_finds_the_caller_masked(client, caller, sign_in, q):
    agent, record = caller
    sign_in(agent)
    html = page(client.get("/customers", query_string={"q": q}))
    assert record.customer.number in html and "138****8491" in html
    # The search box and the language switch's return path hold what was typed; nothing else shows the number.
    assert "13886168491" not in re.sub(r'value="[^"]*"', "", html)
    assert "李四" not in html


@pytest.mark.parametrize("q", ["138 8616 8491", "DD20261102001", "8491王先生"])
def test_records_page_finds_the_callers_records(client, caller, sign_in, q):
    agent, record = caller
    sign_in(agent)
    html = page(client.get("/records", query_string={"q": q}))
    assert record.number in html
    assert "李四" not in html


def test_api_lists_find_by_phone_for_their_scope(client, caller, make_user, token_for):
    agent, record = caller
    headers = token_for(agent)
    customers = client.get("/api/v1/customers", query_string={"q": "+86 138-8616-8491"}, headers=headers)
    assert customers.status_code == 200
    assert [item["number"] for item in customers.json["items"]] == [record.customer.number]
    assert customers.json["items"][0]["phone"] == "138****8491"
    records = client.get("/api/v1/records", query_string={"q": "138-8616-8491"}, headers=headers)
    assert records.json["total"] == 2
    stranger = token_for(make_user(Role.AGENT, team="客服B组"))
    assert client.get("/api/v1/customers?q=13886168491", headers=stranger).json["total"] == 0
    assert client.get("/api/v1/records?q=13886168491", headers=stranger).json["total"] == 0
    too_long = client.get("/api/v1/customers", query_string={"q": "1" * 201}, headers=headers)
    assert too_long.status_code == 422


# ----- the incoming call -------------------------------------------------------------------------------------------


def test_incoming_call_needs_sign_in_and_comes_back_after(client, caller):
    response = client.get("/calls/incoming?phone=13886168491")
    assert response.status_code == 302
    assert "/login" in response.location and "calls/incoming" in response.location


def test_incoming_call_pops_the_callers_profile(client, caller, sign_in):
    agent, record = caller
    sign_in(agent, language="en")
    response = client.get("/calls/incoming", query_string={"phone": "+86 138 8616 8491"})
    html = page(response)
    assert response.status_code == 200
    assert "王小明" in html and record.customer.number in html
    assert "138****8491" in html and "13886168491" not in html and "wang.xm@example.com" not in html
    assert record.number in html  # open record
    assert html.count(">R2026") == 3  # one open record + two last contacts
    for tag in ("VIP", "投诉-物流延迟", "咨询-产品功能"):
        assert tag in html
    link = re.search(r'href="(/records/new\?[^"]+)"', html).group(1).replace("&amp;", "&")
    assert f"customer_no={record.customer.number}" in link and "channel=phone" in link
    form = page(client.get(link))
    assert f'value="{record.customer.number}"' in form
    assert re.search(r'<option value="phone"\s+selected', form)
    assert re.search(r'name="contacted_at"\s+type="datetime-local" value="\d{4}-\d\d-\d\dT\d\d:\d\d"', form)


def test_incoming_call_in_chinese(client, caller, sign_in):
    agent, _record = caller
    sign_in(agent, language="zh_CN")
    html = page(client.get("/calls/incoming?phone=13886168491"))
    assert "来电" in html and "为此来电客户新建记录" in html and "未结记录" in html


def test_unknown_number_offers_a_new_customer(client, db, caller, sign_in):
    agent, _record = caller
    sign_in(agent, language="en")
    response = client.get("/calls/incoming", query_string={"phone": "135-0000-1234"})
    html = page(response)
    assert response.status_code == 200
    assert "No customer you may see has this number" in html
    link = re.search(r'href="(/records/new\?[^"]+)"', html).group(1).replace("&amp;", "&")
    assert "customer_phone=135-0000-1234" in link
    form = page(client.get(link))
    assert 'value="135-0000-1234"' in form
    customers = db.session.scalar(sa.select(sa.func.count(Customer.id)))
    data = {
        "customer_phone": "135-0000-1234",
        "customer_name": "赵女士",
        "customer_type": "individual",
        "customer_tier": "regular",
        "contacted_at": "2026-11-03T09:15",
        "channel": "phone",
        "priority": "medium",
        "problem_description": "来电咨询发票开具。",
        "status": "open",
    }
    assert client.post("/records/new", data=data).status_code == 302
    assert db.session.scalar(sa.select(sa.func.count(Customer.id))) == customers + 1
    assert client.get("/calls/incoming?phone=13500001234").get_data(as_text=True).count("赵女士") >= 1


def test_another_teams_agent_sees_no_profile_of_the_caller(client, caller, make_user, sign_in):
    sign_in(make_user(Role.AGENT, team="客服B组"), language="en")
    html = page(client.get("/calls/incoming?phone=13886168491"))
    assert "王小明" not in html and "No customer you may see has this number" in html


def test_supervisor_sees_the_teams_caller_and_admin_too(client, caller, make_user, sign_in):
    _agent, record = caller
    sign_in(make_user(Role.SUPERVISOR, team="客服A组"))
    assert record.number in page(client.get("/calls/incoming?phone=13886168491"))
    sign_in(make_user(Role.ADMIN))
    assert record.number in page(client.get("/calls/incoming?phone=13886168491"))


def test_trainers_get_no_screen_pop(client, caller, login_as):
    login_as(Role.TRAINER)
    assert client.get("/calls/incoming?phone=13886168491").status_code == 403


@pytest.mark.parametrize("phone", ["", "anonymous", "12", "1" * 80, "+86%20abc"])
def test_bad_numbers_get_a_message_not_a_500(client, caller, sign_in, phone):
    agent, _record = caller
    sign_in(agent, language="en")
    response = client.get(f"/calls/incoming?phone={phone}")
    assert response.status_code == 400
    html = page(response)
    assert "phone number" in html and 'aria-invalid="true"' in html


def test_the_screen_pop_writes_nothing(client, db, caller, sign_in):
    agent, _record = caller
    sign_in(agent)
    before = db.session.scalar(sa.select(sa.func.count(Record.id)))
    client.get("/calls/incoming?phone=13886168491")
    assert db.session.scalar(sa.select(sa.func.count(Record.id))) == before


def test_prefill_ignores_values_that_do_not_fit(client, login_as):
    login_as(Role.AGENT)
    form = page(client.get("/records/new?channel=fax&contacted_at=yesterday&customer_phone=" + "9" * 80))
    assert 'value="yesterday"' not in form
    assert not re.search(r'<option value="fax"', form)
    assert re.search(r'name="customer_phone"\s+type="tel" value="9{40}"', form)


def test_a_nul_in_the_number_is_refused_cleanly(client, caller, sign_in):
    agent, _record = caller
    sign_in(agent)
    assert client.get("/calls/incoming?phone=%00").status_code in (400, 422)
