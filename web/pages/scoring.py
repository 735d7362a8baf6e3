"""Quality pages: a record's scorecard, the performance report of an agent, a team or everyone (with CSV and XLSX
exports), and the rubric editor for administrators. scoring.operations, scoring.reports and scoring.report_exports do
the work."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import quote

import sqlalchemy as sa
from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from markupsafe import Markup
from marshmallow import ValidationError

from jobs.requests import job_activity, may_request
from records import audit
from records.charts import ALERT, PALETTE, Series, bar_chart, line_chart, number_format
from records.db import db
from records.enums import Role
from records.models import Record, Team, User
from records.operations import get_record_for
from records.timeutil import format_local, utcnow
from scoring.checks import CHECKS
from scoring.engine import critical_cap, default_definition, newest_rubric, rubric_note
from scoring.models import RecordScore
from scoring.operations import RUBRIC_EDITORS, rubric_versions, update_rubric
from scoring.report_exports import REPORT_FORMATS, export_report
from scoring.reports import agreement_summary, parse_period, score_report, scorecard_for, this_month
from scoring.tuning import refit, remove_tuning, set_enabled, tunings
from web.auth import STAFF, roles_required
from web.pages.common import current_user_required
from web.pages.display import is_chinese_ui, ui_locale

bp = Blueprint("scoring_pages", __name__)

#: Roles that pick any team and any agent on the performance page (supervisors: their team; agents: themselves).
SEE_ALL = (Role.ADMIN, Role.TRAINER)
#: The rubric page shows the agreement of the grades of records contacted in this many days.
AGREEMENT_DAYS = 90
MIME_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def text_language() -> str:
    """Which of a criterion's texts ("zh"/"en") the UI shows."""
    return "zh" if is_chinese_ui() else "en"


# ----- scorecard ---------------------------------------------------------------------------------------------------


@bp.get("/records/<ref>/score")
@roles_required(*STAFF)
def record_score_page(ref: str):
    user = current_user_required()
    record = get_record_for(user, ref)
    card = scorecard_for(record, user)
    return render_template(
        "scoring/scorecard.html",
        card=card,
        record={
            "number": record.number,
            "status": record.status.value,
            "agent_name": record.agent.display_name,
            "contacted_local": format_local(record.contacted_at),
        },
        computed_local=format_local(card["computed_at"]),
        lang=text_language(),
    )


# ----- performance -------------------------------------------------------------------------------------------------


def agent_choices(user: User) -> list[User]:
    """The people whose records the viewer may report on, for the agent filter."""
    if user.role == Role.AGENT:
        return []
    query = sa.select(User).where(User.role.in_((Role.AGENT, Role.SUPERVISOR))).order_by(User.display_name)
    if user.role == Role.SUPERVISOR:
        query = query.where(User.team_id == user.team_id)
    return list(db.session.scalars(query))


def team_choices(user: User) -> list[Team]:
    if user.role not in SEE_ALL:
        return []
    return list(db.session.scalars(sa.select(Team).order_by(Team.name)))


def performance_filters(user: User, args: Any) -> tuple[dict[str, Any], dict[str, str], list[str]]:
    """score_report's arguments from the page's query, the filter values to show, and what was not understood
    (ignored, like the records list does). Agents get their own records; supervisors their team's."""
    shown = {name: (args.get(name) or "").strip() for name in ("agent", "team", "period")}
    errors: list[str] = []
    shown["period"] = shown["period"] or this_month()
    try:
        start, end = parse_period(shown["period"])
    except ValueError:
        errors.append(
            _(
                "Could not read the period %(period)s; use 2026-W46 (week), 2026-10 (month), 2026-Q4 (quarter), "
                "2026 (year) or 2026-10-01..2026-10-31. Showing this month.",
                period=shown["period"],
            )
        )
        shown["period"] = this_month()
        start, end = parse_period(shown["period"])
    kwargs: dict[str, Any] = {"viewer": user, "start": start, "end": end, "agent_id": None, "team_id": None}
    if user.role == Role.AGENT:
        shown["agent"] = shown["team"] = ""
        return kwargs, shown, errors
    if user.role == Role.SUPERVISOR:
        kwargs["team_id"] = user.team_id
        shown["team"] = user.team.name if user.team else ""
    elif shown["team"]:
        team = db.session.scalar(sa.select(Team).where(Team.name == shown["team"]))
        if team is None:
            errors.append(_("No team %(name)s.", name=shown["team"]))
            shown["team"] = ""
        else:
            kwargs["team_id"] = team.id
    if shown["agent"]:
        agent = next((person for person in agent_choices(user) if person.username == shown["agent"]), None)
        if agent is None:
            errors.append(_("No agent %(name)s among those you may see.", name=shown["agent"]))
            shown["agent"] = ""
        else:
            kwargs["agent_id"] = agent.id
    return kwargs, shown, errors


@bp.get("/scoring/performance")
@roles_required(*STAFF)
def performance_page():
    user = current_user_required()
    kwargs, shown, errors = performance_filters(user, request.args)
    report = score_report(**kwargs)
    return render_template(
        "scoring/performance.html",
        report=report,
        filters=shown,
        filter_errors=errors,
        agents=agent_choices(user),
        teams=team_choices(user),
        team_fixed=user.role == Role.SUPERVISOR,
        show_filters=user.role != Role.AGENT,
        lang=text_language(),
        charts=performance_charts(report),
        export_args={name: value for name, value in shown.items() if value},
    )


def performance_charts(report: dict[str, Any]) -> dict[str, Markup | None]:
    """The score distribution (bands under 60 and 80 in the alert colours) and the weekly mean score."""
    locale = ui_locale()
    bands = report["distribution"]
    colours = [ALERT if band["high"] < 60 else PALETTE[1] if band["high"] < 80 else PALETTE[2] for band in bands]
    weeks = report["weeks"]
    return {
        "distribution": bar_chart(
            _("Score distribution"),
            [band["label"] for band in bands],
            [Series(_("Records"), [band["count"] for band in bands], colours=colours)],
            value_format=number_format(locale),
        ),
        "weeks": line_chart(
            _("Weekly trend"),
            [row["week"] for row in weeks],
            [Series(_("Mean score"), [row["mean"] for row in weeks])],
            value_format=number_format(locale),
            low=0,
            high=100,
        ),
    }


@bp.get("/scoring/performance/export")
@roles_required(*STAFF)
def export_performance():
    user = current_user_required()
    fmt = request.args.get("format", "")
    if fmt not in REPORT_FORMATS:
        abort(400, description=_("Choose the format csv or xlsx."))
    kwargs, shown, errors = performance_filters(user, request.args)
    if errors:
        abort(400, description=" ".join(errors))
    report = score_report(**kwargs)
    content = export_report(report, fmt, language=text_language())
    audit.log(user, "scores.export", "scores", format=fmt, count=report["count"], period=shown["period"])
    db.session.commit()
    subject = shown["agent"] or shown["team"] or "all"
    filename = f"scores-{shown['period']}-{subject}.{fmt}".replace("..", "_to_")
    return Response(
        content,
        mimetype=MIME_TYPES[fmt],
        headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(filename, safe='')}"},
    )


# ----- rubric ------------------------------------------------------------------------------------------------------


def rubric_rows(definition: dict) -> list[dict[str, Any]]:
    """Every check: the current rubric's criteria in order, then the checks it leaves out (disabled)."""
    shipped = {item["key"]: item for item in default_definition()["criteria"]}
    rows = [{**item, "enabled": True} for item in definition["criteria"]]
    present = {item["key"] for item in definition["criteria"]}
    for key in CHECKS:
        if key not in present:
            template = shipped.get(key, {"key": key, "zh": key, "en": key, "weight": 0, "scale": 1})
            rows.append({**template, "critical": bool(template.get("critical")), "enabled": False})
    return rows


def _number(raw: str) -> int | float:
    value = float(raw.replace(",", "."))
    if value != value or value in (float("inf"), float("-inf")):
        raise ValueError(raw)
    return int(value) if value.is_integer() else value


def read_rubric_form(form: Any, rows: list[dict[str, Any]]) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """The changes the form asks for, in update_rubric's shape, and per-field errors of numbers not understood."""
    changes: dict[str, Any] = {"criteria": {}}
    errors: dict[str, list[str]] = {}
    raw_minutes = (form.get("timeliness_minutes") or "").strip()
    if not raw_minutes.isdigit():
        errors["timeliness_minutes"] = [_("Whole minutes from 1 to 10080.")]
    else:
        changes["timeliness_minutes"] = int(raw_minutes)
    for row in rows:
        key = row["key"]
        enabled = form.get(f"enabled-{key}") == "on"
        if not enabled and not row["enabled"]:
            continue  # stays out of the rubric
        values: dict[str, Any] = {"critical": form.get(f"critical-{key}") == "on", "enabled": enabled}
        for name in ("weight", "scale"):
            raw = (form.get(f"{name}-{key}") or "").strip()
            try:
                values[name] = _number(raw)
            except ValueError:
                errors[f"{name}-{key}"] = [_("Enter a number.")]
        changes["criteria"][key] = values
    return changes, errors


def form_values(form: Any | None, rows: list[dict[str, Any]], minutes: int) -> dict[str, Any]:
    """What the inputs show: the submitted values after a refused save, else the current rubric."""
    if form is not None:
        return {key: form.get(key, "") for key in form} | {
            f"{flag}-{row['key']}": form.get(f"{flag}-{row['key']}") == "on"
            for row in rows
            for flag in ("enabled", "critical")
        }
    values: dict[str, Any] = {"timeliness_minutes": str(minutes), "note": ""}
    for row in rows:
        key = row["key"]
        values |= {
            f"weight-{key}": f"{row['weight']:g}",
            f"scale-{key}": f"{row['scale']:g}",
            f"critical-{key}": bool(row.get("critical")),
            f"enabled-{key}": row["enabled"],
        }
    return values


def place_errors(exc: ValidationError, rows: list[dict[str, Any]]) -> dict[str, list[str]]:
    """update_rubric's errors by form field: criteria errors come keyed by criterion and input ("timeliness":
    {"weight": [...]}) and land on that row's weight or scale input; the rest goes above the form."""
    messages = exc.messages if isinstance(exc.messages, dict) else {"_schema": exc.messages}
    keys = {row["key"] for row in rows}
    placed: dict[str, list[str]] = {}
    for field, problems in messages.items():
        if field == "criteria" and isinstance(problems, dict):
            for key, by_input in problems.items():
                for name, texts in by_input.items() if isinstance(by_input, dict) else [("_schema", by_input)]:
                    target = f"{name}-{key}" if key in keys and name in ("weight", "scale") else "_schema"
                    placed.setdefault(target, []).extend(str(text) for text in texts)
        else:
            target = "timeliness_minutes" if field == "timeliness_minutes" else "_schema"
            for text in problems if isinstance(problems, list) else [problems]:
                placed.setdefault(target, []).append(str(text))
    return placed


def render_rubric(rows, values, errors, status: int = 200):
    counts = dict(
        db.session.execute(sa.select(RecordScore.rubric_id, sa.func.count()).group_by(RecordScore.rubric_id)).all()
    )
    versions = [
        {
            "version": rubric.version,
            "created_local": format_local(rubric.created_at) if rubric.created_at else "",
            "created_by": rubric.created_by.display_name if rubric.created_by else "",
            "note": rubric_note(rubric),
            "scores": counts.get(rubric.id, 0),
        }
        for rubric in rubric_versions() or [newest_rubric()]
    ]
    names = {row["key"]: {"zh": row.get("zh", row["key"]), "en": row.get("en", row["key"])} for row in rows}
    body = render_template(
        "scoring/rubric.html",
        rows=rows,
        values=values,
        errors=errors,
        versions=versions,
        current_version=versions[0]["version"],
        critical_cap=critical_cap(newest_rubric().definition),
        lang=text_language(),
        agreement=agreement_summary([Record.contacted_at >= utcnow() - timedelta(days=AGREEMENT_DAYS)]),
        agreement_days=AGREEMENT_DAYS,
        tunings=[tuning_row(item, names) for item in tunings()],
        # The full rescore after a rubric change, run by the scheduler process (jobs.requests), never in the request.
        rescore=job_activity(db.session, "rescore") if may_request(current_user_required(), "rescore") else None,
    )
    return body, status


def tuning_row(item, names: dict[str, dict[str, str]]) -> dict[str, Any]:
    """A criterion's tuning as the rubric page lists it: each tuned level as "check's points → tuned points"."""
    scale = next(
        (float(row["scale"]) for row in newest_rubric().definition["criteria"] if row["key"] == item.criterion), 1.0
    )
    return {
        "criterion": item.criterion,
        "name": names.get(item.criterion, {"zh": item.criterion, "en": item.criterion}),
        "levels": [
            (float(level) * scale, tuned * scale)
            for level, tuned in sorted(item.mapping.items(), key=lambda p: float(p[0]))
        ],
        "examples": item.examples,
        "before": item.agreement_before,
        "after": item.agreement_after,
        "enabled": item.enabled,
        "fitted_local": format_local(item.fitted_at),
    }


@bp.post("/admin/rubric/tuning")
@roles_required(*RUBRIC_EDITORS)
def tuning_refit_page():
    user = current_user_required()
    found = refit(newest_rubric().definition, by=user)
    db.session.commit()
    flash(
        _(
            "Tuning learnt again from the supervisors' grades: %(num)s criteria tuned. Stored scores change with "
            "the next full rescore (start it on this page).",
            num=len(found),
        ),
        "success",
    )
    return redirect(url_for("scoring_pages.rubric_page") + "#h-tuning", code=303)


@bp.post("/admin/rubric/tuning/<criterion>")
@roles_required(*RUBRIC_EDITORS)
def tuning_switch_page(criterion: str):
    user = current_user_required()
    action = request.form.get("action", "")
    if action not in ("on", "off", "remove"):
        abort(400, description=_("Choose to switch the tuning on, off or remove it."))
    if action == "remove":
        remove_tuning(criterion, by=user)
        message = _("Tuning of %(criterion)s removed.", criterion=criterion)
    else:
        set_enabled(criterion, action == "on", by=user)
        message = (
            _("Tuning of %(criterion)s switched on.", criterion=criterion)
            if action == "on"
            else _("Tuning of %(criterion)s switched off.", criterion=criterion)
        )
    db.session.commit()
    flash(message, "success")
    return redirect(url_for("scoring_pages.rubric_page") + "#h-tuning", code=303)


@bp.route("/admin/rubric", methods=["GET", "POST"])
@roles_required(*RUBRIC_EDITORS)
def rubric_page():
    user = current_user_required()
    rubric = newest_rubric()
    rows = rubric_rows(rubric.definition)
    minutes = int(rubric.definition.get("timeliness_minutes", 30))
    if request.method == "GET":
        return render_rubric(rows, form_values(None, rows, minutes), {})
    changes, errors = read_rubric_form(request.form, rows)
    if not errors:
        try:
            saved = update_rubric(changes, request.form.get("note", "").strip() or None, by=user)
        except ValidationError as exc:
            db.session.rollback()
            errors = place_errors(exc, rows)
    if errors:
        return render_rubric(rows, form_values(request.form, rows, minutes), errors, status=422)
    if saved.version == rubric.version:
        flash(_("Nothing changed."), "info")
    else:
        db.session.commit()
        flash(
            _(
                "Rubric version %(version)s saved. Existing scores keep their version until the records are "
                "scored again: start a rescore on this page.",
                version=saved.version,
            ),
            "success",
        )
    return redirect(url_for("scoring_pages.rubric_page"))
