"""What every API view shares: error translation from the service layer to HTTP."""

from __future__ import annotations

from typing import Any

from flask import request
from flask.views import MethodView
from flask_smorest import abort

from records.versioning import RowVersioned, etag, parse_if_match, require_version
from web.auth import STAFF, roles_required


def validation_abort(messages: Any) -> None:
    """422 in the shape flask-smorest gives schema errors, so clients parse one format."""
    abort(422, errors={"json": messages if isinstance(messages, dict) else {"_schema": messages}})


class StaffView(MethodView):
    decorators = [roles_required(*STAFF)]


def page_of(items: list, total: int, args: dict) -> dict[str, Any]:
    return {"items": items, "total": total, "page": args["page"], "per_page": args["per_page"]}


#: What a 412 means, for the API docs.
PRECONDITION_FAILED = "If-Match names an older version: the resource was changed meanwhile. Read it again and retry."


def check_if_match(instance: RowVersioned) -> None:
    """Honour the request's If-Match: 412 (records.versioning.StaleVersion) when it names an older version of the
    row, 400 when it is not a list of quoted entity tags; without the header the write goes ahead as always."""
    tags = parse_if_match(request.headers.get("If-Match"))
    if tags == []:
        abort(400, message='If-Match must be "*" or entity tags in double quotes, as the ETag header gives them.')
    require_version(instance, tags)


def etag_headers(instance: RowVersioned) -> dict[str, str]:
    """The ETag header of a row's current version (read it after the commit: the version may have risen)."""
    return {"ETag": etag(instance)}
