"""What every API view shares: error translation from the service layer to HTTP."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import abort

from web.auth import STAFF, roles_required


def validation_abort(messages: Any) -> None:
    """422 in the shape flask-smorest gives schema errors, so clients parse one format."""
    abort(422, errors={"json": messages if isinstance(messages, dict) else {"_schema": messages}})


class StaffView(MethodView):
    decorators = [roles_required(*STAFF)]


def page_of(items: list, total: int, args: dict) -> dict[str, Any]:
    return {"items": items, "total": total, "page": args["page"], "per_page": args["per_page"]}
