"""The case library: training cases (/cases) and training packs (/collections).

Trainers and administrators make cases from records (anonymised snapshots), curate packs, publish and export them;
supervisors read the library, assign published packs to their team and see who read them; agents read the published
packs meant for them and mark them read. scoring.cases does the work.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import quote

import sqlalchemy as sa
from flask import Response
from flask_smorest import Blueprint
from marshmallow import ValidationError

from records import audit
from records.access import NotFound
from records.db import db
from records.models import Team, User
from records.operations import get_record_for
from records.people import find_agent
from scoring.cases import packs, training
from scoring.cases.dimensions import dimensions, known_criteria
from scoring.cases.exporting import MEDIA_TYPES, export_filename, export_pack, pack_export_data
from scoring.cases.models import CaseCollection
from scoring.cases.operations import (
    CaseFilters,
    case_for,
    count_by_kind,
    create_case,
    delete_case,
    get_case,
    list_cases,
    require_curator,
    require_library_reader,
    update_case,
)
from scoring.cases.presenting import case_dict, collection_dict
from scoring.cases.schemas import (
    CaseDimensionListSchema,
    CaseInputSchema,
    CaseOutSchema,
    CasePageSchema,
    CaseQuerySchema,
    CaseSuggestionListSchema,
    CaseSuggestionQuerySchema,
    CaseUpdateSchema,
    PackAssignSchema,
    PackExportQuerySchema,
    PackInputSchema,
    PackOutSchema,
    PackPageSchema,
    PackProgressSchema,
    PackQuerySchema,
    PackRecommendationListSchema,
    PackRecommendationQuerySchema,
    PackUpdateSchema,
)
from scoring.cases.suggestions import period_of_days, record_suggestions, weak_agents
from web.api.articles import current_user
from web.api.common import StaffView

blp = Blueprint(
    "cases",
    __name__,
    url_prefix="/api/v1",
    description="Training cases: anonymised snapshots of records with kind, dimensions, commentary and scores.",
)
collections_blp = Blueprint(
    "collections",
    __name__,
    url_prefix="/api/v1",
    description="Training packs: ordered cases with an introduction; publishing, export, assignments, reading.",
)


def role_check(check: Callable[[User], None]) -> Callable:
    """A view decorator running `check` on the user before the body is read, so others learn nothing from 422s."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            check(current_user())
            return view(*args, **kwargs)

        return wrapper

    return decorator


curators_only = role_check(require_curator)
library_readers_only = role_check(require_library_reader)
assigners_only = role_check(training.require_assigner)


# ----- cases -------------------------------------------------------------------------------------------------------


@blp.route("/cases")
class Cases(StaffView):
    @library_readers_only
    @blp.arguments(CaseQuerySchema, location="query")
    @blp.response(200, CasePageSchema)
    def get(self, args: dict):
        """Search the library (supervisors, trainers, administrators), newest first."""
        user = current_user()
        filters = CaseFilters(q=args.get("q"), kind=args.get("kind"), dimension=args.get("dimension"))
        items, total = list_cases(filters, page=args["page"], per_page=args["per_page"])
        return {
            "items": [case_dict(case, viewer=user) for case in items],
            "total": total,
            "page": args["page"],
            "per_page": args["per_page"],
            "kind_counts": count_by_kind(),
        }

    @curators_only
    @blp.arguments(CaseInputSchema)
    @blp.response(201, CaseOutSchema)
    def post(self, data: dict):
        """Make a case from a record (trainers, administrators): its texts are scrubbed of personal data, the
        customer becomes 客户A / Customer A, and its scores are kept as they are now."""
        user = current_user()
        record = get_record_for(user, data.pop("record"))
        case = create_case(record, data, by=user)
        db.session.commit()
        return case_dict(case, viewer=user)


@blp.route("/cases/dimensions")
class Dimensions(StaffView):
    @blp.response(200, CaseDimensionListSchema)
    def get(self):
        """The configured dimensions with the criteria each teaches, and every criterion a pack may name."""
        return {
            "dimensions": [dimension.as_dict() for dimension in dimensions()],
            "criteria": [{"key": key, "name": name} for key, name in known_criteria().items()],
        }


@blp.route("/cases/suggestions")
class Suggestions(StaffView):
    @curators_only
    @blp.arguments(CaseSuggestionQuerySchema, location="query")
    @blp.response(200, CaseSuggestionListSchema)
    def get(self, args: dict):
        """Records worth a case (trainers, administrators) that have none yet: `top` and `bottom` scores (by a
        dimension's criteria first when `dimension` is given), `angry_resolved` upset customers resolved with 满意 or
        better, `transfers` records handed to several departments. Over `from`..`to`, the last 90 days by default."""
        start, end = period_of_days(args.get("date_from"), args.get("date_to"))
        items = record_suggestions(
            viewer=current_user(),
            kind=args["kind"],
            dimension=args.get("dimension"),
            start=start,
            end=end,
            limit=args["limit"],
        )
        return {"kind": args["kind"], "dimension": args.get("dimension"), "items": items}


@blp.route("/cases/<int:case_id>")
class CaseItem(StaffView):
    @blp.response(200, CaseOutSchema)
    def get(self, case_id: int):
        user = current_user()
        return case_dict(case_for(user, case_id), viewer=user)

    @curators_only
    @blp.arguments(CaseUpdateSchema)
    @blp.response(200, CaseOutSchema)
    def patch(self, changes: dict, case_id: int):
        """Edit title, kind, dimensions, commentary, or a snapshot text (to take out what the scrubber missed)."""
        user = current_user()
        case = get_case(case_id)
        update_case(case, changes, by=user)
        db.session.commit()
        return case_dict(case, viewer=user)

    @curators_only
    @blp.response(204)
    def delete(self, case_id: int):
        """Delete a case that is in no published pack."""
        delete_case(get_case(case_id), by=current_user())
        db.session.commit()


# ----- packs -------------------------------------------------------------------------------------------------------


def shown_pack(collection: CaseCollection, *, cases: bool = True) -> dict[str, Any]:
    user = current_user()
    return collection_dict(
        collection,
        viewer=user,
        cases=cases,
        assignment=training.assignment_of(collection, user),
        reading=training.reading_of(collection, user),
    )


@collections_blp.route("/collections")
class Collections(StaffView):
    @collections_blp.arguments(PackQuerySchema, location="query")
    @collections_blp.response(200, PackPageSchema)
    def get(self, args: dict):
        """The packs you may open: trainers and administrators all; supervisors the published ones; agents the
        published packs for everyone and those assigned to them (with your assignment and reading)."""
        user = current_user()
        filters = packs.PackFilters(q=args.get("q"), status=args.get("status"))
        items, total = packs.list_collections(user, filters, page=args["page"], per_page=args["per_page"])
        return {
            "items": [shown_pack(item, cases=False) for item in items],
            "total": total,
            "page": args["page"],
            "per_page": args["per_page"],
        }

    @curators_only
    @collections_blp.arguments(PackInputSchema)
    @collections_blp.response(201, PackOutSchema)
    def post(self, data: dict):
        """A draft pack (trainers, administrators)."""
        collection = packs.create_collection(data, by=current_user())
        db.session.commit()
        return shown_pack(collection)


@collections_blp.route("/collections/recommendations")
class Recommendations(StaffView):
    @assigners_only
    @collections_blp.arguments(PackRecommendationQuerySchema, location="query")
    @collections_blp.response(200, PackRecommendationListSchema)
    def get(self, args: dict):
        """Agents weak on a criterion (mean well below their team's over `from`..`to`, the last 90 days by
        default) with the published pack that teaches it; supervisors see their team, trainers and administrators
        any `team` or all."""
        team_id = None
        if args.get("team"):
            team_id = db.session.scalar(sa.select(Team.id).where(Team.name == args["team"]))
            if team_id is None:
                raise ValidationError({"team": [f"No team {args['team']!r}."]})
        start, end = period_of_days(args.get("date_from"), args.get("date_to"))
        items = weak_agents(viewer=current_user(), start=start, end=end, team_id=team_id)
        return {"start": start, "end": end, "items": items}


@collections_blp.route("/collections/<int:collection_id>")
class CollectionItem(StaffView):
    @collections_blp.response(200, PackOutSchema)
    def get(self, collection_id: int):
        """A pack with its cases in reading order. An agent opening a published pack is recorded as having opened
        it (the first time)."""
        user = current_user()
        collection = packs.collection_for(user, collection_id)
        if training.open_collection(collection, user) is not None:
            db.session.commit()
        return shown_pack(collection)

    @curators_only
    @collections_blp.arguments(PackUpdateSchema)
    @collections_blp.response(200, PackOutSchema)
    def patch(self, changes: dict, collection_id: int):
        """Edit a pack; `case_ids` replaces its cases and their order."""
        collection = packs.get_collection(collection_id)
        packs.update_collection(collection, changes, by=current_user())
        db.session.commit()
        return shown_pack(collection)

    @curators_only
    @collections_blp.response(204)
    def delete(self, collection_id: int):
        """Delete a draft pack (a published one is archived instead, keeping who read it)."""
        packs.delete_collection(packs.get_collection(collection_id), by=current_user())
        db.session.commit()


def pack_action(collection_id: int, action) -> dict[str, Any]:
    collection = packs.get_collection(collection_id)
    action(collection, by=current_user())
    db.session.commit()
    return shown_pack(collection)


@collections_blp.route("/collections/<int:collection_id>/publish")
class Publish(StaffView):
    @curators_only
    @collections_blp.response(200, PackOutSchema)
    def post(self, collection_id: int):
        """Publish: agents read it (everyone, or those it is assigned to, by its audience)."""
        return pack_action(collection_id, packs.publish_collection)


@collections_blp.route("/collections/<int:collection_id>/archive")
class Archive(StaffView):
    @curators_only
    @collections_blp.response(200, PackOutSchema)
    def post(self, collection_id: int):
        """Archive a published pack: agents no longer see it; assignments and readings are kept."""
        return pack_action(collection_id, packs.archive_collection)


@collections_blp.route("/collections/<int:collection_id>/complete")
class Complete(StaffView):
    @collections_blp.response(200, PackOutSchema)
    def post(self, collection_id: int):
        """Mark a pack you read as read (agents)."""
        user = current_user()
        collection = packs.collection_for(user, collection_id)
        training.complete_collection(collection, user)
        db.session.commit()
        return shown_pack(collection)


@collections_blp.route("/collections/<int:collection_id>/export")
class Export(StaffView):
    @collections_blp.arguments(PackExportQuerySchema, location="query")
    @collections_blp.response(200, description="The pack as Markdown or PDF.")
    @collections_blp.alt_response(200, content_type="application/pdf", description="format=pdf")
    def get(self, args: dict, collection_id: int):
        """The pack as a file: `format=markdown` (default) or `pdf`, in `language` zh (default) or en. Everything
        in it is scrubbed; the export is audit-logged."""
        user = current_user()
        collection = packs.collection_for(user, collection_id)
        data = pack_export_data(collection, args["language"])
        filename = export_filename(collection, args["format"])
        audit.log(user, "collection.export", collection, format=args["format"], language=args["language"])
        # The transaction ends before the (slow) PDF layout: on SQLite an open one holds the write lock.
        db.session.commit()
        content = export_pack(data, args["format"])
        return Response(
            content,
            mimetype=MEDIA_TYPES[args["format"]],
            headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(filename, safe='')}"},
        )


def agents_named(references: list[str]) -> list[User]:
    found, unknown = [], []
    for reference in references:
        agent = find_agent(reference)
        (found if agent is not None else unknown).append(agent or reference)
    if unknown:
        raise ValidationError({"agents": [f"No user {unknown[0]!r}."]})
    return list({agent.id: agent for agent in found}.values())


@collections_blp.route("/collections/<int:collection_id>/assignments")
class Assignments(StaffView):
    @collections_blp.response(200, PackProgressSchema)
    def get(self, collection_id: int):
        """Who was assigned the pack (by whom, when, due, why) and who opened and finished it; supervisors see
        their team."""
        user = current_user()
        collection = packs.collection_for(user, collection_id)
        return {"collection_id": collection.id, "items": training.progress(collection, user)}

    @assigners_only
    @collections_blp.arguments(PackAssignSchema)
    @collections_blp.response(200, PackProgressSchema)
    def post(self, data: dict, collection_id: int):
        """Assign a published pack to agents (supervisors: of their team). Assigning again updates due date,
        note and criterion."""
        user = current_user()
        collection = packs.collection_for(user, collection_id)
        training.assign_collection(
            collection,
            agents_named(data["agents"]),
            by=user,
            due=data.get("due"),
            note=data.get("note"),
            criterion=data.get("criterion"),
        )
        db.session.commit()
        return {"collection_id": collection.id, "items": training.progress(collection, user)}


@collections_blp.route("/collections/<int:collection_id>/assignments/<int:agent_id>")
class Assignment(StaffView):
    @assigners_only
    @collections_blp.response(204)
    def delete(self, collection_id: int, agent_id: int):
        """Take the pack back from an agent (their reading, if any, is kept)."""
        user = current_user()
        collection = packs.collection_for(user, collection_id)
        agent = db.session.get(User, agent_id) if 0 < agent_id < 2**31 else None
        if agent is None:
            raise NotFound(f"No user {agent_id}.")
        training.unassign_collection(collection, agent, by=user)
        db.session.commit()
