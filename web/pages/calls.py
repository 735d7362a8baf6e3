"""The incoming-call page (screen pop): the URL a telephony system opens when a call rings, ?phone=the caller.

The agent sees who is calling before asking: profile, open records, last contacts and tags, and a new record for
the caller already filled in (channel phone, the time of the call). An unknown number offers a new customer.
"""

from __future__ import annotations

from flask import Blueprint, render_template, request
from marshmallow import ValidationError

from records.enums import Channel
from records.importing import flatten_messages
from records.lookup import Caller, callers
from records.masking import mask_phone
from records.models import User
from records.presenting import customer_to_dict
from records.timeutil import format_local, utcnow
from web.auth import RECORD_KEEPERS, roles_required
from web.pages.common import current_user_required, history_row

bp = Blueprint("call_pages", __name__)

#: Longest ?phone= read; anything longer is no phone number and is refused by records.lookup.
MAX_PHONE_CHARS = 60


@bp.get("/calls/incoming")
@roles_required(*RECORD_KEEPERS)
def incoming_call():
    user = current_user_required()
    phone = request.args.get("phone", "")[:MAX_PHONE_CHARS].strip()
    # The call's time, so a record written after the call still says when the customer called.
    call_time = format_local(utcnow()).replace(" ", "T")
    try:
        found = callers(user, phone)
    except ValidationError as exc:
        errors = [message for _key, message in flatten_messages(exc.messages)]
        return render_template("calls/incoming.html", phone=phone, errors=errors, shown_phone=None), 400
    return render_template(
        "calls/incoming.html",
        phone=phone,
        errors=[],
        shown_phone=mask_phone(phone),
        callers=[caller_view(caller, user) for caller in found],
        new_customer_args={"customer_phone": phone, "channel": Channel.PHONE.value, "contacted_at": call_time},
        call_time=call_time,
    )


def caller_view(caller: Caller, user: User) -> dict:
    return {
        "customer": customer_to_dict(caller.customer, masked=True, viewer=user),
        "open_records": [history_row(record, user) for record in caller.open_records],
        "last_contacts": [history_row(record, user) for record in caller.last_contacts],
        "tags": caller.tags,
    }
