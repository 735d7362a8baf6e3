"""The SLA worklist and its bulk actions, deadline notifications, assignment rules and a record's assignments."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_smorest import Blueprint, abort

from records.access import require
from records.assignment import (
    assignment_history,
    create_rule,
    delete_rule,
    get_rule,
    list_rules,
    require_admin,
    rule_to_dict,
    update_rule,
)
from records.db import db
from records.enums import Role
from records.notifications import list_notifications, mark_all_read, mark_read, notifications_to_dicts, unread_count
from records.operations import get_record_for
from records.timeutil import utcnow
from records.worklist import WorklistFilters, bulk_apply, worklist
from records.worklist_schemas import (
    AssignmentChangeSchema,
    AssignmentRuleInputSchema,
    AssignmentRuleOutSchema,
    AssignmentRuleUpdateSchema,
    BulkInputSchema,
    BulkOutcomeSchema,
    MarkedSchema,
    NotificationOutSchema,
    NotificationPageSchema,
    NotificationQuerySchema,
    WorklistPageSchema,
    WorklistQuerySchema,
)
from web.api.common import StaffView
from web.auth import signed_in_user

blp = Blueprint(
    "worklist",
    __name__,
    url_prefix="/api/v1",
    description="The SLA worklist and bulk actions, deadline notifications, assignment rules.",
)


def filters_from(args: dict) -> WorklistFilters:
    return WorklistFilters(**{key: args[key] for key in WorklistFilters.__dataclass_fields__ if key in args})


@blp.route("/worklist")
class Worklist(StaffView):
    @blp.arguments(WorklistQuerySchema, location="query")
    @blp.response(200, WorklistPageSchema)
    def get(self, args: dict):
        """Open SLA breaches and overdue follow-ups of the records you may act on, most overdue first.

        Filters: `team`, `agent` (who handles the record), `priority`, `kind` (respond, resolve, follow_up), `overdue`
        (at least this many hours late); `sort` overdue, due, priority, record or team. `team_counts` counts the rows
        per team over every filter but the team. Agents, supervisors and administrators.
        """
        listed = worklist(signed_in_user(), filters_from(args), now=utcnow())
        start = (args["page"] - 1) * args["per_page"]
        return {
            "items": [item.as_dict() for item in listed.items[start : start + args["per_page"]]],
            "total": len(listed.items),
            "page": args["page"],
            "per_page": args["per_page"],
            "team_counts": [{"team": team, "count": count} for team, count in listed.team_counts.items()],
        }


@blp.route("/worklist/bulk")
class WorklistBulk(StaffView):
    @blp.arguments(BulkInputSchema)
    @blp.response(200, BulkOutcomeSchema)
    def post(self, data: dict):
        """One action on several records: `reassign` (`assignee`: username, or null for the agent; supervisors and
        administrators), `priority` (`priority`) or `follow_up` (`follow_up`: action, owner or owner_user, due).

        Each record is checked on its own: those you may not change are listed under `refused` with the reason, the
        others are changed. Audit-logged per record."""
        params = {
            "reassign": {"assignee": data.get("assignee")},
            "priority": {"priority": data.get("priority")},
            "follow_up": data.get("follow_up") or {},
        }[data["action"]]
        outcome = bulk_apply(signed_in_user(), data["records"], data["action"], params)
        db.session.commit()
        return outcome.as_dict()


@blp.route("/records/<string:ref>/assignments")
class RecordAssignments(StaffView):
    @blp.response(200, AssignmentChangeSchema(many=True))
    def get(self, ref: str):
        """Who the record was assigned to, when and by whom (or by which rule), oldest first."""
        record = get_record_for(signed_in_user(), ref)
        return [
            {
                "at": change.at.isoformat(timespec="seconds") + "Z",
                "by": change.by.username if change.by else None,
                "rule": change.rule_name,
                "from_user": change.from_user.username if change.from_user else None,
                "to_user": change.to_user.username if change.to_user else None,
            }
            for change in assignment_history(record)
        ]


@blp.route("/notifications")
class Notifications(StaffView):
    @blp.arguments(NotificationQuerySchema, location="query")
    @blp.response(200, NotificationPageSchema)
    def get(self, args: dict):
        """Your deadline reminders, newest first (`unread=true`: only unread); `unread` counts the unread ones."""
        user = signed_in_user()
        items, total = list_notifications(
            user, db.session, unread=args["unread"], page=args["page"], per_page=args["per_page"]
        )
        return {
            "items": notifications_to_dicts(items, user, db.session),
            "total": total,
            "page": args["page"],
            "per_page": args["per_page"],
            "unread": unread_count(user, db.session),
        }


@blp.route("/notifications/<int:notification_id>/read")
class NotificationRead(StaffView):
    @blp.response(200, NotificationOutSchema)
    def post(self, notification_id: int):
        """Mark one of your notifications read."""
        user = signed_in_user()
        notification = mark_read(user, db.session, notification_id)
        db.session.commit()
        return notifications_to_dicts([notification], user, db.session)[0]


@blp.route("/notifications/read-all")
class NotificationsReadAll(StaffView):
    @blp.response(200, MarkedSchema)
    def post(self):
        """Mark all your notifications read; `marked` says how many were unread."""
        marked = mark_all_read(signed_in_user(), db.session)
        db.session.commit()
        return {"marked": marked}


@blp.route("/assignment-rules")
class AssignmentRules(StaffView):
    @blp.response(200, AssignmentRuleOutSchema(many=True))
    def get(self):
        """The assignment rules in the order they are tried (administrators and supervisors read them)."""
        require(
            signed_in_user().role in (Role.ADMIN, Role.SUPERVISOR), _l("Administrators and supervisors read the rules.")
        )
        return [rule_to_dict(rule) for rule in list_rules()]

    @blp.arguments(AssignmentRuleInputSchema)
    @blp.response(201, AssignmentRuleOutSchema)
    def post(self, data: dict):
        """Add a rule (last in the order). Conditions left out match anything; `candidates` get the records, in turn
        (`round_robin`) or the one with the fewest open records (`fewest_open`). Administrators."""
        rule = create_rule(data, by=signed_in_user())
        db.session.commit()
        return rule_to_dict(rule)


def rule_or_404(rule_id: int, *, reading: bool = False):
    user = signed_in_user()
    if reading:
        require(user.role in (Role.ADMIN, Role.SUPERVISOR), _l("Administrators and supervisors read the rules."))
    else:
        require_admin(user)
    rule = get_rule(rule_id)
    if rule is None:
        abort(404, message=f"No assignment rule {rule_id}.")
    return rule


@blp.route("/assignment-rules/<int:rule_id>")
class AssignmentRuleItem(StaffView):
    @blp.response(200, AssignmentRuleOutSchema)
    def get(self, rule_id: int):
        """One rule (administrators and supervisors)."""
        return rule_to_dict(rule_or_404(rule_id, reading=True))

    @blp.arguments(AssignmentRuleUpdateSchema)
    @blp.response(200, AssignmentRuleOutSchema)
    def patch(self, data: dict, rule_id: int):
        """Change some of a rule's fields. Administrators."""
        rule = update_rule(rule_or_404(rule_id), data, by=signed_in_user())
        db.session.commit()
        return rule_to_dict(rule)

    @blp.response(204)
    def delete(self, rule_id: int):
        delete_rule(rule_or_404(rule_id), by=signed_in_user())
        db.session.commit()
