"""Automatic scores, score reports and the rubric.

Everyone on the staff reads a record's scorecard (for the records they may see) and score reports (agents their own
records, supervisors their team's, trainers and administrators all). Administrators change the rubric; every
change is a new version and existing scores keep the version that made them until a rescore
(`POST /api/v1/jobs/rescore/requests`, the rubric page's "start a rescore", or `consultkb scoring rescore`).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from functools import wraps
from typing import Any

import sqlalchemy as sa
from flask_smorest import Blueprint
from marshmallow import ValidationError, fields, validate, validates_schema

from records.access import require
from records.db import db
from records.messages import Schema
from records.models import Record, Team, User
from records.operations import get_record_for
from records.people import find_agent
from records.presenting import iso_utc
from records.schemas import FILTER_DAYS, PageSchema, PaginationSchema
from records.timeutil import local_day_start, local_today, utcnow
from scoring.engine import newest_rubric
from scoring.operations import RUBRIC_EDITORS, rubric_versions, update_rubric
from scoring.reports import agreement_summary, report_summary, score_report, scorecard_for
from scoring.tuning import refit, remove_tuning, set_enabled, tunings
from web.api.articles import current_user
from web.api.common import StaffView

blp = Blueprint(
    "scores",
    __name__,
    url_prefix="/api/v1",
    description="Automatic scores of records, score reports by agent or team, and the versioned rubric.",
)


# ----- schemas -------------------------------------------------------------------------------------------------------


class UtcTime(fields.DateTime):
    """A stored naive-UTC time as the other endpoints write it: 2026-11-02T06:30Z."""

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> str | None:
        return iso_utc(value)


class BilingualTextSchema(Schema):
    zh = fields.String()
    en = fields.String()


class ScorecardCriterionSchema(Schema):
    key = fields.String()
    name = fields.Nested(BilingualTextSchema)
    kind = fields.String()
    weight = fields.Float()
    scale = fields.Float()
    critical = fields.Boolean()
    applicable = fields.Boolean()
    points = fields.Float(allow_none=True)
    explanation = fields.Nested(BilingualTextSchema, allow_none=True)
    suggestion = fields.Nested(BilingualTextSchema, allow_none=True)


class ScorecardSchema(Schema):
    record_id = fields.Integer()
    record_number = fields.String()
    score = fields.Float(metadata={"description": "The automatic score, 0-100."})
    critical_failed = fields.Boolean()
    critical_cap = fields.Float(
        metadata={
            "description": "The most a record failing a critical criterion scores under this rubric (0: auto-fail)."
        }
    )
    rubric_version = fields.Integer(metadata={"description": "The rubric version that made the automatic score."})
    computed_at = UtcTime()
    criteria = fields.List(fields.Nested(ScorecardCriterionSchema))
    auto = fields.Float()
    grade = fields.Float(allow_none=True, metadata={"description": "The newest grade outside calibration sessions."})
    effective = fields.Float(metadata={"description": "The grade if there is one, else the automatic score."})
    grade_id = fields.Integer(allow_none=True)
    graded_by = fields.String(allow_none=True)


class ScoreQuerySchema(PaginationSchema):
    agent = fields.String(metadata={"description": "Username, agent code or e-mail of one agent."})
    team = fields.String(metadata={"description": "Team name."})
    date_from = fields.Date(
        data_key="from", validate=FILTER_DAYS, metadata={"description": "First local day; default: the month's first."}
    )
    date_to = fields.Date(
        data_key="to", validate=FILTER_DAYS, metadata={"description": "Last local day; default: the month's last."}
    )

    @validates_schema
    def range_in_order(self, data: dict, **kwargs: Any) -> None:
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            raise ValidationError("'from' is after 'to'.", "from")


class ScoreRowSchema(Schema):
    record_id = fields.Integer()
    record_number = fields.String()
    agent = fields.String()
    agent_name = fields.String()
    team = fields.String(allow_none=True)
    contacted_at = UtcTime()
    status = fields.String()
    auto_score = fields.Float()
    grade_score = fields.Float(allow_none=True)
    effective_score = fields.Float()
    graded_by = fields.String(allow_none=True)
    critical_failed = fields.Boolean()
    rubric_version = fields.Integer()


class ReportBandSchema(Schema):
    label = fields.String()
    low = fields.Integer()
    high = fields.Integer()
    count = fields.Integer()
    share = fields.Float(allow_none=True)


class ReportCriterionSchema(Schema):
    key = fields.String()
    name = fields.Nested(BilingualTextSchema)
    applicable = fields.Integer()
    losing = fields.Integer(metadata={"description": "Records that lost points on it."})
    losing_share = fields.Float()
    mean_fraction = fields.Float(metadata={"description": "Mean share of the criterion's points earned."})


class ReportFillRateSchema(Schema):
    key = fields.String()
    name = fields.Nested(BilingualTextSchema)
    applicable = fields.Integer()
    filled = fields.Integer()
    rate = fields.Float(allow_none=True)
    alert = fields.Boolean()


class ReportWeekSchema(Schema):
    week = fields.String(metadata={"description": "ISO week, e.g. 2026-W46."})
    starts = fields.Date()
    count = fields.Integer()
    mean = fields.Float(allow_none=True)


class ReportExampleSchema(Schema):
    record_id = fields.Integer()
    record_number = fields.String()
    agent_name = fields.String()
    contacted_at = UtcTime()
    effective_score = fields.Float()
    auto_score = fields.Float()
    grade_score = fields.Float(allow_none=True)


class ReportCriterionRefSchema(Schema):
    key = fields.String()
    name = fields.Nested(BilingualTextSchema)


class ReportAgentSchema(Schema):
    agent_id = fields.Integer()
    username = fields.String()
    name = fields.String()
    count = fields.Integer()
    mean = fields.Float(allow_none=True)
    mean_auto = fields.Float(allow_none=True)
    weakest = fields.Nested(ReportCriterionRefSchema, allow_none=True)


class AgreementRowSchema(Schema):
    key = fields.String()
    name = fields.Nested(BilingualTextSchema)
    grades = fields.Integer(metadata={"description": "Graded records the criterion applied to."})
    agreement = fields.Float(
        allow_none=True,
        metadata={"description": "Mean of 100 × (1 − |automatic − grade points| ÷ scale) over those records."},
    )
    band = fields.String(allow_none=True, metadata={"description": "Zendesk QA's band: strong, moderate or weak."})
    flagged = fields.Boolean(metadata={"description": "Below `threshold` over at least `min_grades` grades."})


class AgreementTeamSchema(Schema):
    team = fields.String()
    criteria = fields.List(fields.Nested(AgreementRowSchema))


class ReportAgreementSchema(Schema):
    grades = fields.Integer(metadata={"description": "Graded records in the report."})
    threshold = fields.Float()
    min_grades = fields.Integer()
    criteria = fields.List(fields.Nested(AgreementRowSchema))
    flagged = fields.List(fields.String())
    teams = fields.List(fields.Nested(AgreementTeamSchema))


class ReportSummarySchema(Schema):
    start = UtcTime()
    end = UtcTime()
    first_day = fields.Date()
    last_day = fields.Date()
    agent = fields.Dict(allow_none=True)
    team = fields.Dict(allow_none=True)
    rubric_version = fields.Integer()
    count = fields.Integer()
    graded = fields.Integer()
    critical_failed = fields.Integer()
    mean_auto = fields.Float(allow_none=True)
    mean_effective = fields.Float(allow_none=True)
    distribution = fields.List(fields.Nested(ReportBandSchema))
    weakest_criteria = fields.List(fields.Nested(ReportCriterionSchema))
    agreement = fields.Nested(
        ReportAgreementSchema,
        metadata={"description": "Agreement of the automatic points with supervisors' grades, per criterion and team."},
    )
    fill_rates = fields.List(fields.Nested(ReportFillRateSchema))
    alert_below = fields.Float()
    weeks = fields.List(fields.Nested(ReportWeekSchema))
    best = fields.List(fields.Nested(ReportExampleSchema))
    worst = fields.List(fields.Nested(ReportExampleSchema))
    agents = fields.List(fields.Nested(ReportAgentSchema))


class ScorePageSchema(PageSchema):
    items = fields.List(fields.Nested(ScoreRowSchema))
    summary = fields.Nested(ReportSummarySchema)


class RubricOutSchema(Schema):
    version = fields.Integer()
    definition = fields.Dict(metadata={"description": "name, timeliness_minutes and criteria, as in the shipped file."})
    note = fields.String(allow_none=True)
    created_by = fields.Function(lambda rubric: rubric.created_by.username if rubric.created_by else None)
    created_at = UtcTime()


class CriterionChangeSchema(Schema):
    weight = fields.Float()
    scale = fields.Float()
    critical = fields.Boolean()
    enabled = fields.Boolean(metadata={"description": "false removes the criterion from the new version."})


class RubricChangeSchema(Schema):
    timeliness_minutes = fields.Integer(strict=True)
    criteria = fields.Dict(keys=fields.String(), values=fields.Nested(CriterionChangeSchema))
    note = fields.String(allow_none=True, validate=validate.Length(max=1000))


# ----- views ---------------------------------------------------------------------------------------------------------


def admins_only(view: Callable) -> Callable:
    """403 for other roles before the body is read, so they learn nothing from 422s."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        require(current_user().role in RUBRIC_EDITORS, "Only administrators change the rubric.")
        return view(*args, **kwargs)

    return wrapper


@blp.route("/records/<string:ref>/score")
class RecordScoreView(StaffView):
    @blp.response(200, ScorecardSchema)
    def get(self, ref: str):
        """A record's automatic score: each criterion's points, explanation and suggestion (Chinese and English),
        by the rubric version that made it; and the effective score (the newest grade, else the automatic one).

        Personal data quoted in explanations is masked, as in the record's text."""
        user = current_user()
        return scorecard_for(get_record_for(user, ref), user)


def report_filters(args: dict[str, Any], user: User) -> dict[str, Any]:
    """score_report's arguments from the query; an unknown agent or team is a 422 naming it."""
    agent_id = team_id = None
    if args.get("agent"):
        agent = find_agent(args["agent"])
        if agent is None:
            raise ValidationError({"agent": [f"No agent {args['agent']!r}."]})
        agent_id = agent.id
    if args.get("team"):
        team_id = db.session.scalar(sa.select(Team.id).where(Team.name == args["team"]))
        if team_id is None:
            raise ValidationError({"team": [f"No team {args['team']!r}."]})
    last = args.get("date_to")
    first = args.get("date_from") or (last or local_today()).replace(day=1)
    if last is None:
        month = local_today().replace(day=1)
        last = (month + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    if first > last:
        raise ValidationError({"from": ["'from' is after 'to'."]})
    return {
        "viewer": user,
        "agent_id": agent_id,
        "team_id": team_id,
        "start": local_day_start(first),
        "end": local_day_start(last + timedelta(days=1)),
    }


@blp.route("/scores")
class Scores(StaffView):
    @blp.arguments(ScoreQuerySchema, location="query")
    @blp.response(200, ScorePageSchema)
    def get(self, args: dict):
        """Scores of the records you may see, newest first, with the report of all of them in `summary`.

        `from`/`to` are local days, both included (default: the current month). Agents see their own records only;
        supervisors their team's. The effective score is the newest grade, else the automatic score.
        """
        report = score_report(**report_filters(args, current_user()))
        rows = list(reversed(report["records"]))
        first = (args["page"] - 1) * args["per_page"]
        return {
            "items": rows[first : first + args["per_page"]],
            "total": len(rows),
            "page": args["page"],
            "per_page": args["per_page"],
            "summary": report_summary(report),
        }


@blp.route("/rubric")
class RubricView(StaffView):
    @blp.response(200, RubricOutSchema)
    def get(self):
        """The current rubric version: weights, scales, critical criteria and the timeliness limit."""
        return newest_rubric()

    @admins_only
    @blp.arguments(RubricChangeSchema)
    @blp.response(200, RubricOutSchema)
    def patch(self, data: dict):
        """Change the rubric (administrators): a new version with the changes and the note.

        `criteria` maps a criterion key to its new `weight` (0-100), `scale` (> 0), `critical` or `enabled`
        (false removes it). Existing scores keep their version until a rescore: `POST /jobs/rescore/requests`.
        """
        note = data.pop("note", None)
        rubric = update_rubric(data, note, by=current_user())
        db.session.commit()
        return rubric


@blp.route("/rubric/versions")
class RubricVersions(StaffView):
    @blp.response(200, RubricOutSchema(many=True))
    def get(self):
        """Every rubric version, newest first, with who made it and why."""
        return rubric_versions() or [newest_rubric()]


class TuningOutSchema(Schema):
    criterion = fields.String()
    mapping = fields.Dict(
        keys=fields.String(),
        values=fields.Float(),
        metadata={"description": "The check's points as a share of the scale → the tuned share."},
    )
    examples = fields.Integer(metadata={"description": "Labelled examples (grades) it was learnt from."})
    agreement_before = fields.Float(allow_none=True)
    agreement_after = fields.Float(allow_none=True)
    enabled = fields.Boolean()
    fitted_at = UtcTime()


class TuningPageSchema(Schema):
    items = fields.List(fields.Nested(TuningOutSchema))
    agreement = fields.Nested(ReportAgreementSchema)


class TuningSwitchSchema(Schema):
    enabled = fields.Boolean(required=True)


class AgreementQuerySchema(Schema):
    days = fields.Integer(load_default=90, validate=validate.Range(min=1, max=3660))


@blp.route("/rubric/tuning")
class TuningView(StaffView):
    @admins_only
    @blp.arguments(AgreementQuerySchema, location="query")
    @blp.response(200, TuningPageSchema)
    def get(self, args: dict):
        """The rubric owner's view: agreement of the automatic points with supervisors' grades over the last `days`
        (per criterion and team, flagged below SCORING_AGREEMENT_ALERT), and the tuning learnt from the grades."""
        since = utcnow() - timedelta(days=args["days"])
        return {"items": tunings(), "agreement": agreement_summary([Record.contacted_at >= since])}

    @admins_only
    @blp.response(200, TuningPageSchema)
    def post(self):
        """Learn the tuning again from every supervisor's grade so far (bounded, see scoring/tuning.py). Stored
        scores change at the next `consultkb scoring rescore`."""
        found = refit(newest_rubric().definition, by=current_user())
        db.session.commit()
        since = utcnow() - timedelta(days=90)
        return {"items": found, "agreement": agreement_summary([Record.contacted_at >= since])}


@blp.route("/rubric/tuning/<string:criterion>")
class TuningCriterionView(StaffView):
    @admins_only
    @blp.arguments(TuningSwitchSchema)
    @blp.response(200, TuningOutSchema)
    def patch(self, data: dict, criterion: str):
        """Switch a criterion's tuning on or off."""
        row = set_enabled(criterion, data["enabled"], by=current_user())
        db.session.commit()
        return row

    @admins_only
    @blp.response(204)
    def delete(self, criterion: str):
        """Remove a criterion's tuning: its automatic points are the check's own again (after a rescore)."""
        remove_tuning(criterion, by=current_user())
        db.session.commit()
