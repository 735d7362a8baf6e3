"""Writes bench/data/graded_records_dev.jsonl: a SYNTHETIC graded-record dev set for bench/eval_agreement.py.

Each record is put together from snippets (problem description, handling steps, resolution, request) that carry a
grader's judgement written beside the snippet, by hand, as a supervisor reading the rubric would judge it, not by
running the checks: some good snippets use words no rule list holds ("added 7 free days", "回充座一直找不到"),
some judgements no list holds (态度傲慢), so the automatic score and the grade disagree where real ones would. The
record-level criteria (core fields, follow-ups, confirmation, emotion, timeliness, personal data) are graded from
the record's facts, as a supervisor checks them. Rows are import rows (canonical columns) with the grade under
"grade"; like the held-out set of issue 19 they are history: contacted weeks before the import, some with
`recorded_at`, some pending without a follow-up owner or resolved without a resolution.

    python bench/data/make_graded_records.py   # rewrites the JSONL (seeded: the same file every time)
"""

from __future__ import annotations

import json
import random
from datetime import datetime, timedelta
from pathlib import Path

OUT = Path(__file__).with_name("graded_records_dev.jsonl")

#: (text, grader's points of 2 for a specific problem description, language)
PROBLEMS = [
    ("客户自11月3日起在iPhone 15上登录App提示“密码错误”，版本5.2.1，订单号DD20261103。", 2, "zh"),
    ("订单DD20261021于10月21日下单，至今未发货，金额199元。", 2, "zh"),
    ("10月30日支付的年费会员（订单HY1030）被重复扣款两次，每次298元。", 2, "zh"),
    ("上周五买的扫地机器人回充座一直找不到，机器转圈后停在客厅中间。", 2, "zh"),
    ("客户说App登录不了，从昨天开始。", 1, "zh"),
    ("会员积分兑换失败。", 1, "zh"),
    ("客户反映快递慢。", 1, "zh"),
    ("客户有问题。", 0, "zh"),
    ("客户来电咨询。", 0, "zh"),
    ("Since Nov 2 the Android app (v4.1) crashes when opening the order page for order #A-10293.", 2, "en"),
    ("Charged twice ($59.99 each) on Oct 28 for the annual plan, invoice INV-2291.", 2, "en"),
    ("The blender bought last Tuesday smells of burning after ten seconds on the pulse setting.", 2, "en"),
    ("Customer cannot log in to the app.", 1, "en"),
    ("Parcel is late.", 1, "en"),
    ("Customer has an issue.", 0, "en"),
    ("Help.", 0, "en"),
]
#: (text, grader's points of 2 for concrete handling steps, language)
STEPS = [
    ("核实账号状态\n引导客户清除缓存后重新登录\n提交技术工单JS-1102", 2, "zh"),
    ("查询物流轨迹，包裹滞留在转运中心\n联系快递催件\n告知客户预计到达时间", 2, "zh"),
    ("核对扣款记录，确认重复扣款\n发起一笔退款", 2, "zh"),
    ("让客户把机器搬回充电座旁重新配对，指示灯恢复绿色", 2, "zh"),
    ("已安抚客户。", 1, "zh"),
    ("转技术部。", 1, "zh"),
    ("处理中。", 0, "zh"),
    ("会跟进。", 0, "zh"),
    ("Checked the account status\nSent a password reset link\nWalked the customer through logging in", 2, "en"),
    ("Added 7 free days to the subscription and re-sent the activation e-mail.", 2, "en"),
    ("Looked up the tracking, contacted the carrier and booked a redelivery for Friday.", 2, "en"),
    ("Escalated to tech.", 1, "en"),
    ("Apologised to the customer.", 1, "en"),
    ("Will look into it.", 0, "en"),
]
#: (text or None, grader's point for an outcome, whether the customer confirmed, language)
RESOLUTIONS = [
    ("已退款199元，预计3个工作日到账，客户确认。", 1, True, "zh"),
    ("客户重新登录成功，客户表示满意。", 1, True, "zh"),
    ("机器已能自动回充。", 1, False, "zh"),
    ("已转交技术部处理。", 0, False, "zh"),
    ("等待仓库回复。", 0, False, "zh"),
    ("Refunded $59.99; it arrives within 3 business days. Customer confirmed.", 1, True, "en"),
    ("The app opens the order page normally now.", 1, False, "en"),
    ("Will call back tomorrow.", 0, False, "en"),
    ("Passed to the billing team.", 0, False, "en"),
    (None, 0, False, "zh"),
    (None, 0, False, "en"),
]
#: (customer request, grader's point for objective wording, language)
REQUESTS = [
    ("希望尽快恢复登录。", 1, "zh"),
    ("要求退还重复扣款。", 1, "zh"),
    ("客户无理取闹，要求立即退款。", 0, "zh"),
    ("客户态度极其傲慢，坚持要赔偿。", 0, "zh"),
    ("Wants access back today.", 1, "en"),
    ("Asks for the duplicate charge back.", 1, "en"),
    ("Customer is rude and demands a refund.", 0, "en"),
    ("An entitled customer who wants everything for free.", 0, "en"),
]
CATEGORIES = [("功能故障", "登录异常"), ("物流", "物流延迟"), ("账单疑问", "重复扣费"), ("服务态度", "客服态度")]


def pick(rng: random.Random, pool: list[tuple], language: str) -> tuple:
    return rng.choice([item for item in pool if item[-1] == language])


def make(index: int, rng: random.Random) -> dict:
    language = "zh" if index % 3 else "en"
    problem, problem_points, _ = pick(rng, PROBLEMS, language)
    steps, steps_points, _ = pick(rng, STEPS, language)
    request, objective, _ = pick(rng, REQUESTS, language)
    status = rng.choice(["resolved"] * 5 + ["pending"] * 2 + ["open"])
    contacted = datetime(2026, 9, 1, 9, 0) + timedelta(hours=index * 13)
    category, subcategory = CATEGORIES[index % len(CATEGORIES)]
    row = {
        "external_id": f"G-{index:03d}",
        "channel": rng.choice(["phone", "online_chat", "email"]),
        "contacted_at": f"{contacted:%Y-%m-%d %H:%M}",
        "agent": rng.choice(["wang", "li", "alice"]),
        "category": category,
        "subcategory": subcategory,
        "status": status,
        "problem_description": problem,
        "customer_request": request,
        "handling_steps": steps,
        "language": language,
    }
    if index % 7 == 0:  # personal data left in the free text
        row["handling_steps"] += "\n请客户回电13812345678" if language == "zh" else "\nCall back on +44 20 7946 0958"
    emotion = rng.choice([None, "calm", "dissatisfied"])
    if emotion:
        row["emotion"] = emotion
    delay = rng.choice([None, 10, 25, 180, 600, 2400])  # minutes after the contact; None: the source did not say
    if delay is not None:
        row["recorded_at"] = f"{contacted + timedelta(minutes=delay):%Y-%m-%d %H:%M}"

    grade: dict[str, float] = {}
    filled = sum(
        (
            len(problem.strip()) >= 10,
            True,  # category and subcategory
            True,  # customer request
            True,  # handling steps
        )
    )
    grade["core_fields"] = float(filled)
    grade["specific_problem"] = float(problem_points)
    grade["objective_wording"] = float(objective)
    grade["concrete_steps"] = float(steps_points)
    grade["no_unmasked_pii"] = 0.0 if index % 7 == 0 else 1.0
    if delay is not None:
        grade["timeliness"] = 2.0 if delay <= 30 else (1.0 if delay <= 24 * 60 else 0.0)
    if category == "服务态度":
        grade["complaint_emotion"] = 1.0 if emotion else 0.0
    if status == "resolved":
        resolution, outcome, confirmed, _ = pick(rng, RESOLUTIONS, language)
        if resolution:
            row["resolution"] = resolution
        if rng.random() < 0.4:
            row["satisfaction"] = rng.choice([3, 4, 5])
            confirmed = True
        grade["resolution_confirmed"] = 0.0 if not resolution else (2.0 if confirmed else 1.0)
        grade["resolution_outcome"] = float(outcome)
    if status == "pending":
        due = f"{contacted + timedelta(days=3):%Y-%m-%d}"
        complete = rng.random() < 0.6
        row["follow_ups"] = [
            {
                "action": "回访客户" if language == "zh" else "Call the customer back",
                "owner": "王磊" if complete else "",
                "due": due,
                "done": False,
            }
        ]
        grade["follow_up_complete"] = 1.0 if complete else 0.0
        grade["follow_up_dates"] = 0.0  # the due day passed long before the import
    row["grade"] = grade
    return row


def main() -> None:
    rng = random.Random(19)
    rows = [make(index, rng) for index in range(1, 61)]
    with OUT.open("w", encoding="utf-8") as out:
        for row in rows:
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
    print(f"{len(rows)} graded records → {OUT}")


if __name__ == "__main__":
    main()
