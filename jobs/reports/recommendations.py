"""Concrete recommendations derived from a report's figures, in Chinese and English.

Each names what to do, where, and the figure that triggered it (`figure`), so a reader can check the reason. A rule
fires only on enough records (MIN_RECORDS) that one bad day cannot trigger it. Pure: figures in, list out.
"""

from __future__ import annotations

from typing import Any

#: Fewer records than this in a group say too little to recommend anything about it.
MIN_RECORDS = 10
#: A team "keeps failing" a rubric criterion when it lost points on it in at least this share of its records, in
#: this period and the previous one. 40 % is twice the share at which the default rubric's weakest checks usually
#: settle once a team has been coached on them.
FAILING_SHARE = 0.4
#: A channel's mean satisfaction (1-5) falling by this much is more than the week-to-week noise of a few dozen
#: ratings (their standard error is about 0.15-0.2).
SATISFACTION_DROP = 0.3
#: First-contact resolution falling by this many points (a fraction).
FCR_DROP = 0.05
#: A share of resolve-deadline breaches above this is worth a recommendation.
BREACH_RATE = 0.1
#: A query searched this often without a result in the help center deserves an article or an alternative question.
ZERO_RESULT_MIN = 3
#: Fields named at most, weakest first.
FILL_ALERTS = 3

HIGH, MEDIUM = "high", "medium"


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.0f}%"


def _rec(kind: str, severity: str, zh: str, en: str, figure: dict[str, Any]) -> dict[str, Any]:
    return {"kind": kind, "severity": severity, "zh": zh, "en": en, "figure": figure}


def _topics(figures: dict[str, Any]) -> list[dict[str, Any]]:
    recommendations = []
    covered = {(item["category"], item["subcategory"]): item for item in figures["knowledge"]["coverage"]}
    for topic in figures["rising_topics"]:
        item = covered.get((topic["category"], topic["subcategory"]))
        if item is None or item["covered"]:
            continue
        figure = {
            "category": topic["category"],
            "subcategory": topic["subcategory"],
            "current": topic["current"],
            "previous": topic["previous"],
            "change_ratio": topic["change_ratio"],
            "articles": 0,
            "open_proposals": item["open_proposals"],
        }
        grew_zh = "新出现" if topic["previous"] == 0 else f"比上期增加 {_pct(topic['change_ratio'])}"
        grew_en = "new this period" if topic["previous"] == 0 else f"up {_pct(topic['change_ratio'])}"
        proposal_zh = f"，可先审核其 {item['open_proposals']} 条待审 FAQ 提案" if item["open_proposals"] else ""
        proposal_en = (
            f"; start from its {item['open_proposals']} open FAQ proposal(s)" if item["open_proposals"] else ""
        )
        recommendations.append(
            _rec(
                "rising_topic_without_article",
                HIGH,
                f"“{topic['name']['zh']}”咨询 {topic['current']} 条（{grew_zh}），知识库还没有对应的公开文章："
                f"请编写自助文章{proposal_zh}。",
                f"“{topic['name']['en']}” had {topic['current']} contacts ({grew_en}) and no public article covers it: "
                f"write a self-service article{proposal_en}.",
                figure,
            )
        )
    for item in figures["knowledge"]["coverage"]:
        top = next(
            (
                p
                for p in figures["top_problems"]
                if (p["category"], p["subcategory"]) == (item["category"], item["subcategory"])
            ),
            None,
        )
        if (
            top is None
            or item["covered"]
            or any(
                r["figure"].get("subcategory") == item["subcategory"]
                and r["figure"].get("category") == item["category"]
                for r in recommendations
            )
        ):
            continue
        recommendations.append(
            _rec(
                "top_problem_without_article",
                HIGH,
                f"高频问题第 {top['rank']} 名“{top['name']['zh']}”（{top['current']} 条）"
                "没有公开的知识库文章：请编写。",
                f"Top problem #{top['rank']} “{top['name']['en']}” ({top['current']} contacts) has no public article: "
                "write one.",
                {
                    "category": top["category"],
                    "subcategory": top["subcategory"],
                    "current": top["current"],
                    "articles": 0,
                },
            )
        )
    return recommendations


def _teams(figures: dict[str, Any]) -> list[dict[str, Any]]:
    recommendations = []
    for team in figures["quality"]["by_team"]:
        failing = [
            row
            for row in team["criteria"]
            if row["applicable"] >= MIN_RECORDS
            and row["previous_applicable"] >= MIN_RECORDS
            and (row["losing_share"]["current"] or 0) >= FAILING_SHARE
            and (row["losing_share"]["previous"] or 0) >= FAILING_SHARE
        ]
        if not failing:
            continue
        worst = failing[0]  # criteria rows come weakest first
        name = team["name"] or "—"
        share, before = worst["losing_share"]["current"], worst["losing_share"]["previous"]
        recommendations.append(
            _rec(
                "team_failing_criterion",
                MEDIUM,
                f"{name} 连续两期在“{worst['name']['zh']}”上失分（本期 {_pct(share)} 的记录，上期 {_pct(before)}）："
                "请安排针对性培训，并从案例库选取该维度的优秀记录作示范。",
                f"{name} keeps losing points on “{worst['name']['en']}” ({_pct(share)} of its records, previously "
                f"{_pct(before)}): coach the team on it, with good records of that criterion as examples.",
                {
                    "team_id": team["team_id"],
                    "team": team["name"],
                    "criterion": worst["key"],
                    "losing_share": worst["losing_share"],
                    "applicable": worst["applicable"],
                },
            )
        )
    return recommendations


def _channels(figures: dict[str, Any]) -> list[dict[str, Any]]:
    recommendations = []
    for channel in figures["satisfaction"]["by_channel"]:
        if channel["rated"] < MIN_RECORDS or channel["previous_rated"] < MIN_RECORDS:
            continue
        if channel["change"] is None or channel["change"] > -SATISFACTION_DROP:
            continue
        recommendations.append(
            _rec(
                "channel_satisfaction_fell",
                HIGH,
                f"{channel['name']['zh']}渠道的满意度从 {channel['previous']:.2f} 降到 {channel['current']:.2f}"
                f"（{channel['rated']} 条评价）：请抽查该渠道的低分记录，找出原因（响应速度、流程或话术）。",
                f"Satisfaction on {channel['name']['en']} fell from {channel['previous']:.2f} to "
                f"{channel['current']:.2f} ({channel['rated']} ratings): review its low-rated records for the cause "
                "(speed, process or wording).",
                {key: channel[key] for key in ("key", "current", "previous", "change", "rated", "previous_rated")},
            )
        )
    return recommendations


def _fields(figures: dict[str, Any]) -> list[dict[str, Any]]:
    alerts = [row for row in figures["quality"]["fill_rates"] if row["alert"] and row["applicable"] >= MIN_RECORDS]
    alerts.sort(key=lambda row: (row["rate"]["current"], row["key"]))
    return [
        _rec(
            "field_fill_rate",
            MEDIUM,
            f"“{row['name']['zh']}”只在 {_pct(row['rate']['current'])} 的适用记录中填写（低于 "
            f"{_pct(figures['quality']['alert_below'])}）：请培训客服填写，或简化表单中的这一项。",
            f"“{row['name']['en']}” is filled in only {_pct(row['rate']['current'])} of the records it applies to "
            f"(below {_pct(figures['quality']['alert_below'])}): train agents to fill it in, or simplify it on the "
            "form.",
            {"field": row["key"], "rate": row["rate"], "applicable": row["applicable"], "filled": row["filled"]},
        )
        for row in alerts[:FILL_ALERTS]
    ]


def _service(figures: dict[str, Any]) -> list[dict[str, Any]]:
    recommendations = []
    sla = figures["sla"]
    rate, applicable = sla["resolve_breach_rate"], sla["resolve_applicable"]
    if applicable >= MIN_RECORDS and (rate["current"] or 0) > BREACH_RATE:
        recommendations.append(
            _rec(
                "resolve_breaches",
                HIGH,
                f"{_pct(rate['current'])} 的记录未在时限内解决（{sla['resolve_breaches']['current']} 条，上期 "
                f"{_pct(rate['previous'])}）：请主管每日查看超时未结的记录，按优先级分派。",
                f"{_pct(rate['current'])} of records missed their resolution deadline "
                f"({sla['resolve_breaches']['current']}, previously {_pct(rate['previous'])}): have supervisors "
                "review open overdue records daily and assign them by priority.",
                {"resolve_breach_rate": rate, "resolve_breaches": sla["resolve_breaches"], "applicable": applicable},
            )
        )
    if sla["respond_breaches"]["current"]:
        recommendations.append(
            _rec(
                "respond_breaches",
                MEDIUM,
                f"{sla['respond_breaches']['current']} 条帮助中心的联系请求没有在时限内得到回应：请指定专人每天处理"
                "联系请求（CONSULTKB_SELF_SERVICE_AGENT）。",
                f"{sla['respond_breaches']['current']} help-center contact requests waited past their response "
                "deadline: name someone to answer contact requests daily (CONSULTKB_SELF_SERVICE_AGENT).",
                {"respond_breaches": sla["respond_breaches"]},
            )
        )
    overdue = sla["follow_ups"]["overdue_now"]
    if overdue:
        recommendations.append(
            _rec(
                "overdue_follow_ups",
                MEDIUM if overdue < MIN_RECORDS else HIGH,
                f"目前有 {overdue} 项跟进已过截止日期仍未完成：请提醒负责人并告知客户最新进展。",
                f"{overdue} follow-ups are past their due date and not done: remind their owners and update the "
                "customers.",
                {"overdue_now": overdue, "late": sla["follow_ups"]["late"]},
            )
        )
    return recommendations


def _fcr_and_search(figures: dict[str, Any]) -> list[dict[str, Any]]:
    recommendations = []
    fcr = figures["fcr"]["rate"]
    if figures["fcr"]["records"]["current"] >= MIN_RECORDS and fcr["change"] is not None and fcr["change"] <= -FCR_DROP:
        recommendations.append(
            _rec(
                "fcr_fell",
                MEDIUM,
                f"首次解决率从 {_pct(fcr['previous'])} 降到 {_pct(fcr['current'])}：请查看 "
                f"{figures['fcr']['repeat_days']} 天内重复来电的问题，补充解决步骤到知识库。",
                f"First-contact resolution fell from {_pct(fcr['previous'])} to {_pct(fcr['current'])}: look at "
                f"the problems customers came back about within {figures['fcr']['repeat_days']} days and add their "
                "solutions to the knowledge base.",
                {"rate": fcr},
            )
        )
    for query in figures["knowledge"]["help_center"]["top_zero_result_queries"][:1]:
        if query["count"] < ZERO_RESULT_MIN:
            continue
        recommendations.append(
            _rec(
                "zero_result_search",
                MEDIUM,
                f"帮助中心里“{query['query']}”被搜索了 {query['count']} 次却没有结果："
                "请为它写文章，或把它加为已有文章的相似问法。",
                f"“{query['query']}” was searched {query['count']} times in the help center without a result: write "
                "an article for it or add it as an alternative question of an existing one.",
                dict(query),
            )
        )
    return recommendations


def recommendations(figures: dict[str, Any]) -> list[dict[str, Any]]:
    """All recommendations the figures support, the most urgent first."""
    found = (
        _topics(figures)
        + _channels(figures)
        + _service(figures)
        + _teams(figures)
        + _fields(figures)
        + _fcr_and_search(figures)
    )
    return sorted(found, key=lambda item: item["severity"] != HIGH)
