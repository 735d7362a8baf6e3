"""Records with personal data planted in every field, and the pieces that must never reach a case or an export."""

from __future__ import annotations

import json
from typing import Any

from records.db import db
from records.enums import Role

#: The planted personal data of `pii_records` (and parts of it: a surname with an honorific, the end of a number).
PLANTED = (
    "王小明",
    "小明",
    "王先生",
    "王总",
    "李娜",
    "陈静",
    "赵敏",
    "13812345678",
    "138 1234 5678",
    "13912345678",
    "5678",
    "wang.xm",
    "example.com",
    "110101199003077774",
    "7774",
    "6222021234567890128",
    "0128",
    "建国路",
    "朝阳区",
    "明远科技",
    "John",
    "Smith",
    "Emma",
    "Brown",
    "7946",
    "0958",
    "7566",
    "073908",
    "Baker",
    "NW1",
)

ZH_PROBLEM = (
    "王小明先生来电（手机13812345678，邮箱wang.xm@example.com），称自11月1日起App 5.2.1登录提示“密码错误”。"
    "身份证号110101199003077774，退款银行卡6222021234567890128，"
    "收货地址：北京市朝阳区建国路88号院3号楼2单元501。"
)
EN_PROBLEM = (
    "Mr Smith (john.smith@example.com, +44 20 7946 0958) cannot log in to the app since 1 November, version 5.2.1. "
    "He lives at 42 Baker Street, London NW1 6XE."
)


def pii_records(make_user, make_record) -> dict[str, Any]:
    """A Chinese enterprise record handled by 李娜 with 陈静 and 赵敏 named in it, and an English record by
    Emma Brown; both full of the customer's personal data."""
    agent = make_user(Role.AGENT, team="客服A组", display_name="李娜")
    colleague = make_user(Role.AGENT, team="客服A组", display_name="陈静")
    english_agent = make_user(Role.AGENT, team="客服A组", display_name="Emma Brown")
    zh = make_record(
        agent=agent,
        customer={
            "name": "王小明",
            "phone": "13812345678",
            "email": "wang.xm@example.com",
            "customer_type": "enterprise",
            "company": "上海明远科技有限公司",
            "industry": "制造业",
        },
        problem_description=ZH_PROBLEM,
        customer_request="王先生希望客服李娜今天回电，号码 138 1234 5678。",
        handling_steps="1. 客服李娜核实账号状态\n2. 转技术部陈静排查，工单 JS-20261102-001\n3. 已脱敏记录：138****5678",
        resolution="重置登录状态后小明成功登录，王总电话确认问题已解决。",
        customer_feedback="王总表示满意，感谢李娜和陈静。",
        collaboration=[
            {"department": "技术部", "ticket_no": "JS-20261102-001", "note": "陈静跟进，电话13912345678"},
            {"department": "客户成功部", "note": "上海明远科技有限公司的续约"},
        ],
        attachments=[{"type": "截图", "obtained_via": "微信", "note": "王小明发来的报错截图"}],
        emotion="angry",
        satisfaction=5,
    )
    # The customer number is given when the record is saved; agents sometimes copy it into the text.
    zh.key_details = f"客户编号 {zh.customer.number}，订单号 DD20261101001"
    db.session.commit()
    transferred = make_record(
        agent=agent,
        customer={"name": "王小明", "phone": "13812345678"},
        status="transferred",
        resolution=None,
        satisfaction=None,
        problem_description="王先生再次来电，发票抬头错误，需财务部重开。",
        follow_ups=[{"action": "赵敏 3日内回电王先生确认发票", "owner": "赵敏", "due": "2026-11-05"}],
        collaboration=[{"department": "财务部", "ticket_no": "CW-1"}],
    )
    en = make_record(
        agent=english_agent,
        customer={"name": "John Smith", "phone": "+44 20 7946 0958", "email": "john.smith@example.com"},
        problem_description=EN_PROBLEM,
        customer_request="John wants Emma Brown to call him back today.",
        key_details="Call back on +44 7566 073908, or at home on 020 7946 0958. Order DD202611010042.",
        handling_steps="Emma Brown checked the account and reset the login state.",
        resolution="Mr Smith logged in again and confirmed on the phone.",
        customer_feedback="Thanks Emma!",
        language="en",
        category="malfunction",
        subcategory="login",
    )
    return {
        "agent": agent,
        "colleague": colleague,
        "english_agent": english_agent,
        "zh": zh,
        "transferred": transferred,
        "en": en,
    }


def leaked(text: str, extra: tuple[str, ...] = ()) -> list[str]:
    """The planted values found in text."""
    return [value for value in (*PLANTED, *extra) if value in text]


def as_text(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, default=str)
