"""What clients send and get about grades, disputes, calibration sessions and review samples."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from marshmallow import EXCLUDE, ValidationError, fields, validate, validates_schema

from records.messages import Schema
from records.schemas import FILTER_DAYS, RecordSummarySchema
from scoring.models import DisputeStatus
from scoring.sampling import MAX_PER_AGENT

IDS = fields.Integer(validate=validate.Range(min=1, max=2**31 - 1))
COMMENT = validate.Length(max=5000)


POINTS_DESCRIPTION = (
    "Criterion key → points (0 to the criterion's scale), for every criterion of the current rubric that applies to "
    "the record and only those."
)


def points_field(description: str = POINTS_DESCRIPTION, **kwargs: Any) -> fields.Dict:
    return fields.Dict(
        keys=fields.String(validate=validate.Length(min=1, max=60)),
        values=fields.Float(allow_nan=False, allow_none=True),
        metadata={"description": description},
        **kwargs,
    )


# ----- input -------------------------------------------------------------------------------------------------------


class GradeInputSchema(Schema):
    points = points_field(required=True)
    comment = fields.String(allow_none=True, validate=COMMENT)


class CalibrationGradeInputSchema(GradeInputSchema):
    record = fields.String(
        required=True,
        validate=validate.Length(min=1, max=24),
        metadata={"description": "The record's id or number; one of the session's records."},
    )


class DisputeInputSchema(Schema):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=5000))


class ResolveInputSchema(Schema):
    outcome = fields.String(required=True, validate=validate.OneOf([DisputeStatus.UPHELD, DisputeStatus.CHANGED]))
    note = fields.String(required=True, validate=validate.Length(min=1, max=5000))
    points = points_field("The new points, as when grading; required when the outcome is `changed`.")


class DisputeQuerySchema(Schema):
    class Meta:
        unknown = EXCLUDE

    status = fields.String(validate=validate.OneOf(DisputeStatus.values()))


class CalibrationInputSchema(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    record_ids = fields.List(IDS, validate=validate.Length(min=1, max=1000))
    record_numbers = fields.List(
        fields.String(validate=validate.Length(min=1, max=24)), validate=validate.Length(min=1)
    )
    grader_ids = fields.List(IDS, validate=validate.Length(min=1, max=100))
    grader_usernames = fields.List(
        fields.String(validate=validate.Length(min=1, max=80)), validate=validate.Length(min=1)
    )

    @validates_schema
    def one_of_each(self, data: dict, **kwargs: Any) -> None:
        for ids, names in (("record_ids", "record_numbers"), ("grader_ids", "grader_usernames")):
            if (ids in data) == (names in data):
                raise ValidationError(f"Give either {ids} or {names}.", ids)


class ReviewSampleQuerySchema(Schema):
    class Meta:
        unknown = EXCLUDE

    agent = fields.String(metadata={"description": "One agent (username, agent code, e-mail or name)."})
    team = fields.String(metadata={"description": "A team's agents; without agent and team, your team's."})
    date_from = fields.Date(data_key="from", validate=FILTER_DAYS, metadata={"description": "Default: 30 days ago."})
    date_to = fields.Date(data_key="to", validate=FILTER_DAYS, metadata={"description": "Inclusive; default today."})
    per_agent = fields.Integer(load_default=5, validate=validate.Range(min=1, max=MAX_PER_AGENT))
    lowest = fields.Integer(load_default=2, validate=validate.Range(min=0, max=MAX_PER_AGENT))
    seed = fields.Integer(
        validate=validate.Range(min=0, max=2**31 - 1), metadata={"description": "Same seed, same sample."}
    )

    @validates_schema
    def range_in_order(self, data: dict, **kwargs: Any) -> None:
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            raise ValidationError([_l("The period starts after it ends.")], "from")


# ----- output ------------------------------------------------------------------------------------------------------


class PersonSchema(Schema):
    id = fields.Integer()
    username = fields.String()
    display_name = fields.String()


class EffectiveScoreSchema(Schema):
    auto = fields.Float(metadata={"description": "The automatic score, always kept."})
    grade = fields.Float(
        allow_none=True, metadata={"description": "The record's grade: the newest outside calibration."}
    )
    effective = fields.Float(metadata={"description": "The grade when there is one, else the automatic score."})
    grade_id = fields.Integer(allow_none=True)
    graded_by = fields.String(allow_none=True)
    locked = fields.Boolean(metadata={"description": "A dispute's final ruling locked the grade."})


class DisputeBriefSchema(Schema):
    id = fields.Integer()
    status = fields.String()


class GradeOutSchema(Schema):
    id = fields.Integer()
    record_id = fields.Integer()
    record_number = fields.String()
    grader = fields.Nested(PersonSchema)
    rubric_version = fields.Integer()
    points = fields.Dict(keys=fields.String(), values=fields.Float())
    score = fields.Float()
    critical_failed = fields.Boolean()
    comment = fields.String(allow_none=True)
    calibration_id = fields.Integer(allow_none=True)
    created_at = fields.String()
    dispute = fields.Nested(DisputeBriefSchema, allow_none=True)
    auto_points = fields.Dict(
        allow_none=True, metadata={"description": "The automatic points when the grade was given (criterion → points)."}
    )
    agreement = fields.Dict(
        allow_none=True,
        metadata={
            "description": "Criterion → agreement of the automatic with the grader's points, 0-100 (Zendesk QA)."
        },
    )
    locked_at = fields.String(
        allow_none=True,
        metadata={"description": "Set when a dispute's final ruling (or its closing) locked the grade."},
    )


class GradeCreatedSchema(GradeOutSchema):
    effective = fields.Nested(EffectiveScoreSchema)


class RecordGradesSchema(Schema):
    record_id = fields.Integer()
    record_number = fields.String()
    effective = fields.Nested(EffectiveScoreSchema)
    items = fields.List(fields.Nested(GradeOutSchema))


class DisputeOutSchema(Schema):
    id = fields.Integer()
    grade = fields.Nested(GradeOutSchema)
    agent = fields.Nested(PersonSchema)
    reason = fields.String()
    status = fields.String()
    resolution_note = fields.String(allow_none=True)
    resolved_by = fields.Nested(PersonSchema, allow_none=True)
    resolved_at = fields.String(allow_none=True)
    due_at = fields.String(
        allow_none=True, metadata={"description": "The dispute closes by then, with the grade standing if unanswered."}
    )
    created_at = fields.String()
    effective = fields.Nested(EffectiveScoreSchema)


class DisputeListSchema(Schema):
    items = fields.List(fields.Nested(DisputeOutSchema))


class AlphaSchema(Schema):
    alpha = fields.Float(allow_none=True, metadata={"description": "Krippendorff's alpha among the graders."})
    alpha_with_auto = fields.Float(allow_none=True, metadata={"description": "With the automatic score as a coder."})
    records = fields.Integer(metadata={"description": "Records graded by at least two graders."})


class CriterionAgreementSchema(AlphaSchema):
    key = fields.String()
    name = fields.Dict(keys=fields.String(), values=fields.String())


class GraderSummarySchema(Schema):
    grader_id = fields.Integer()
    username = fields.String()
    graded = fields.Integer()
    mean_score = fields.Float(allow_none=True)
    mean_abs_diff_from_auto = fields.Float(allow_none=True)


class DisagreementSchema(Schema):
    record_id = fields.Integer()
    record_number = fields.String()
    criterion = fields.String(allow_none=True, metadata={"description": "None: the overall score."})
    spread = fields.Float(metadata={"description": "Highest minus lowest grader value, as a share of the scale."})
    points = fields.Dict(keys=fields.String(), values=fields.Float(), metadata={"description": "grader id → value"})
    auto = fields.Float(allow_none=True)


class CalibrationReportSchema(Schema):
    records = fields.Integer()
    graders = fields.Integer()
    grades = fields.Integer()
    complete = fields.Boolean()
    hidden = fields.Boolean(
        metadata={"description": "True for a grader while others' scores are hidden (not every grade is in yet)."}
    )
    score = fields.Nested(AlphaSchema)
    criteria = fields.List(fields.Nested(CriterionAgreementSchema))
    per_grader = fields.List(fields.Nested(GraderSummarySchema))
    disagreements = fields.List(fields.Nested(DisagreementSchema))


class CalibrationOutSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    record_ids = fields.List(fields.Integer())
    records = fields.List(fields.Nested(RecordSummarySchema))
    graders = fields.List(fields.Nested(PersonSchema))
    created_by = fields.Nested(PersonSchema, allow_none=True)
    created_at = fields.String()
    closed_at = fields.String(allow_none=True)
    report = fields.Nested(CalibrationReportSchema)


class SampledRecordSchema(RecordSummarySchema):
    auto_score = fields.Float()


class AgentSampleSchema(Schema):
    agent = fields.Nested(PersonSchema)
    records = fields.List(fields.Nested(SampledRecordSchema))


class ReviewSampleSchema(Schema):
    start = fields.String(metadata={"description": "UTC, inclusive"})
    end = fields.String(metadata={"description": "UTC, exclusive"})
    items = fields.List(fields.Nested(AgentSampleSchema))
