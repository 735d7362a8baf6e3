"""The customer's side of a record: a signed link, no account needed, to a status page.

A link shows the record's number, status and public resolution; through it the customer adds information (kept as
a note beside the record, never an edit of it) and, once the record is closed, rates it 1–5 with the three
sub-scores of the record template (服务效率 / 问题解决能力 / 态度友好度), which fill the record's satisfaction fields.

The token is signed with the secret key (itsdangerous) and carries the record id, the purpose and the expiry; its
random nonce names a `customer_links` row, so staff can revoke a link before it expires. A token that is tampered
with, expired, revoked, of another purpose or for a deleted record opens nothing, and says nothing about why:
`open_link` raises the same NotFound for all of them.

Like the other operations these flush and never commit; the caller commits (and sends mail only after it did, so
the customer never gets a link the database does not know).
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Any

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale, gettext
from flask_babel import lazy_gettext as _l
from itsdangerous import BadData, URLSafeSerializer
from marshmallow import ValidationError

from records import audit
from records.access import NotFound, PermissionDenied, can_edit_record, require
from records.db import db
from records.enums import Language, Status
from records.identifiers import scrub_identifiers
from records.mail import mail_configured, send, sender
from records.masking import mask_email, mask_text
from records.models import AuditLog, CustomerLink, Record, RecordNote, User
from records.operations import require_not_archived
from records.timeutil import format_local, utcnow

log = logging.getLogger(__name__)

#: What the token is for; a token signed for another purpose (or by another feature with the same key) opens nothing.
PURPOSE = "customer-status"
SALT = "consultkb.customer-link"
#: The audit log's actor, and the author of notes, for what the customer does through a link.
CUSTOMER = "customer"
#: Days a link works unless CUSTOMER_LINK_DAYS says otherwise: long enough for a pending record's follow-up (the
#: guides' longest deadlines are a few days) and the rating after it, short enough that an old mail opens nothing.
DEFAULT_LINK_DAYS = 30
#: The longest a link may be made to last, whatever is asked.
MAX_LINK_DAYS = 365
#: What a customer may add in one note: a few paragraphs, as the contact form's question allows.
NOTE_CHARS = 5000
#: States in which the record is done and may be rated.
CLOSED_STATUSES = (Status.RESOLVED, Status.UNRESOLVABLE)
#: The rating's fields: the overall rating and the three sub-scores, each 1-5 as the record's satisfaction fields.
RATING_FIELDS = ("satisfaction", "satisfaction_efficiency", "satisfaction_resolution", "satisfaction_attitude")


class LinkNotFound(NotFound):
    """No usable link: unknown, tampered with, expired or revoked (deliberately not told apart)."""


# -- links ----------------------------------------------------------------------------------------------------------


def link_days() -> int:
    """CUSTOMER_LINK_DAYS, within 1..MAX_LINK_DAYS."""
    configured = current_app.config.get("CUSTOMER_LINK_DAYS") or DEFAULT_LINK_DAYS
    return max(1, min(int(configured), MAX_LINK_DAYS))


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def _timestamp(moment: datetime) -> int:
    return int(moment.replace(tzinfo=UTC).timestamp())


def token_for(link: CustomerLink) -> str:
    """The link's token. Deterministic, so staff can copy an active link again from the record page."""
    payload = {"r": link.record_id, "p": PURPOSE, "n": link.nonce, "e": _timestamp(link.expires_at)}
    return _serializer().dumps(payload)


def may_send_links(user: User, record: Record) -> bool:
    """Who may give the customer a link (and revoke one): whoever may change the record, while it is live."""
    return can_edit_record(user, record) and record.archived_at is None


def create_link(record: Record, *, by: User | str, days: int | None = None) -> CustomerLink:
    """A new link to the record's status page, valid for `days` (default CUSTOMER_LINK_DAYS). Audit-logged."""
    if isinstance(by, User):
        require(can_edit_record(by, record), "You may not give the customer of this record a link.")
    require_not_archived(record)
    if days is not None and not 1 <= days <= MAX_LINK_DAYS:
        raise ValidationError({"days": [_l("A link lasts 1 to %(max)d days.", max=MAX_LINK_DAYS)]})
    now = utcnow()
    link = CustomerLink(
        record_id=record.id,
        nonce=secrets.token_hex(16),
        created_at=now,
        expires_at=now.replace(microsecond=0) + timedelta(days=days or link_days()),
        created_by_id=by.id if isinstance(by, User) else None,
    )
    db.session.add(link)
    db.session.flush()
    audit.log(by, "customer_link.create", record, link=link.id, expires_at=link.expires_at.isoformat() + "Z")
    return link


def links_of(record: Record) -> list[CustomerLink]:
    """The record's links, newest first."""
    return list(
        db.session.scalars(
            sa.select(CustomerLink).where(CustomerLink.record_id == record.id).order_by(CustomerLink.id.desc())
        )
    )


def get_link(record: Record, link_id: int) -> CustomerLink:
    link = db.session.get(CustomerLink, link_id) if 0 < link_id < 2**31 else None
    if link is None or link.record_id != record.id:
        raise NotFound(f"Record {record.number} has no link {link_id}.")
    return link


def is_active(link: CustomerLink, now: datetime | None = None) -> bool:
    return link.revoked_at is None and link.expires_at > (now or utcnow())


def revoke_link(link: CustomerLink, *, by: User) -> CustomerLink:
    """The link stops working at once; revoking a revoked link changes nothing. Audit-logged."""
    require(can_edit_record(by, link.record), "You may not revoke the links of this record.")
    if link.revoked_at is None:
        link.revoked_at = utcnow()
        link.revoked_by_id = by.id
        audit.log(by, "customer_link.revoke", link.record, link=link.id)
        db.session.flush()
    return link


def open_link(token: str) -> tuple[CustomerLink, Record]:
    """The link and record a token opens; LinkNotFound, the same for every reason, when it opens nothing."""
    try:
        payload = _serializer().loads(token)
    except (BadData, UnicodeError, ValueError):
        raise LinkNotFound("No such link.") from None
    if not isinstance(payload, dict) or payload.get("p") != PURPOSE:
        raise LinkNotFound("No such link.")
    record_id, nonce, expires = payload.get("r"), payload.get("n"), payload.get("e")
    now = utcnow()
    if not (isinstance(record_id, int) and isinstance(nonce, str) and isinstance(expires, int)):
        raise LinkNotFound("No such link.")
    if expires <= _timestamp(now):
        raise LinkNotFound("No such link.")
    link = db.session.scalar(sa.select(CustomerLink).where(CustomerLink.nonce == nonce))
    if link is None or link.record_id != record_id or not is_active(link, now):
        raise LinkNotFound("No such link.")
    link.last_used_at = now
    db.session.flush()
    return link, link.record


def record_locale(record: Record) -> str:
    """The language the customer wrote in, as the pages name it."""
    return "en" if record.language == Language.EN else "zh_CN"


# -- mail -----------------------------------------------------------------------------------------------------------


def link_message(record: Record, link: CustomerLink, url: str) -> EmailMessage:
    """The mail giving the customer their link, in the record's language."""
    message = EmailMessage()
    with force_locale(record_locale(record)):
        message["Subject"] = gettext("Your request %(number)s", number=record.number)
        body = "\n\n".join(
            [
                gettext("Thank you for contacting us. Your ticket number is %(number)s.", number=record.number),
                gettext(
                    "Follow your request, add information or tell us how we did here (no account needed):\n%(url)s",
                    url=url,
                ),
                gettext(
                    "The link works until %(date)s. Do not forward it: whoever has it can see the status of your "
                    "request.",
                    date=format_local(link.expires_at),
                ),
            ]
        )
    message["From"] = sender()
    message["To"] = record.customer.email
    message["Date"] = formatdate(localtime=True)
    message["Message-ID"] = make_msgid(domain="consultkb")
    message.set_content(body)
    return message


def can_email(record: Record) -> bool:
    return mail_configured() and bool(record.customer.email)


def email_link(record: Record, link: CustomerLink, url: str, *, by: User | str) -> bool:
    """Mail the link to the customer's e-mail when mail is configured; False when it was not sent (no mail server,
    no address, or the server failed: logged), and the caller shows the link to copy instead. Call it after the
    link is committed; mark what it flushes committed too."""
    if not can_email(record):
        return False
    try:
        send(link_message(record, link, url))
    except OSError as error:
        log.warning("The status link of record %s could not be mailed: %s", record.number, error)
        return False
    link.emailed_at = utcnow()
    audit.log(by, "customer_link.email", record, link=link.id, to=mask_email(record.customer.email))
    db.session.flush()
    return True


# -- what the customer sees and does --------------------------------------------------------------------------------


def is_closed(record: Record) -> bool:
    return record.status in CLOSED_STATUSES


def staff_names() -> list[str]:
    """Every name staff go by, to keep them out of what customers read."""
    rows = db.session.execute(sa.select(User.display_name, User.username, User.agent_code)).all()
    return [name for row in rows for name in row if name and len(name) >= 2]


def public_resolution(record: Record) -> str | None:
    """The solution given to the customer as the public may read it: personal data masked, staff and personal
    names and addresses replaced (records.identifiers); only once the record is closed."""
    if not is_closed(record) or not record.resolution:
        return None
    return scrub_identifiers(record.resolution, staff_names())


def customer_notes(record: Record) -> list[RecordNote]:
    return list(
        db.session.scalars(sa.select(RecordNote).where(RecordNote.record_id == record.id).order_by(RecordNote.id))
    )


def customer_rated(record: Record) -> bool:
    """Whether the customer has rated the record through a link (the rating's audit entry says so)."""
    query = sa.select(AuditLog.id).where(
        AuditLog.object_type == "record",
        AuditLog.object_id == record.number,
        AuditLog.action == "record.customer_rating",
    )
    return db.session.scalar(sa.select(sa.exists(query))) is True


def add_note(link: CustomerLink, record: Record, text: str) -> RecordNote:
    """What the customer adds, kept as a note beside the record; the record itself is not changed. Audit-logged
    (without the text, which is personal and shown to staff masked)."""
    text = (text or "").strip()
    if not text:
        raise ValidationError({"text": [_l("Write what you would like to add.")]})
    if len(text) > NOTE_CHARS:
        raise ValidationError({"text": [_l("At most %(limit)d characters.", limit=NOTE_CHARS)]})
    _require_live(record)
    note = RecordNote(record_id=record.id, author=CUSTOMER, text=text, created_at=utcnow(), link_id=link.id)
    db.session.add(note)
    db.session.flush()
    audit.log(CUSTOMER, "record.customer_note", record, link=link.id, note=note.id, characters=len(text))
    return note


def rate(link: CustomerLink, record: Record, rating: Mapping[str, Any]) -> Record:
    """The customer's 1-5 rating and sub-scores fill the record's satisfaction fields, once the record is closed.
    Rating again replaces the earlier rating; each rating is audit-logged with the values before and after."""
    if not is_closed(record):
        raise ValidationError({"satisfaction": [_l("You can rate your request once it is resolved.")]})
    _require_live(record)
    values = {field: rating.get(field) for field in RATING_FIELDS}
    for field, value in values.items():
        if value is not None and (not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= 5):
            raise ValidationError({field: [_l("Choose 1 to 5 stars.")]})
    if values["satisfaction"] is None:
        raise ValidationError({"satisfaction": [_l("Choose 1 to 5 stars.")]})
    before = {field: getattr(record, field) for field in RATING_FIELDS}
    again = customer_rated(record)
    for field, value in values.items():
        setattr(record, field, value)
    audit.log(CUSTOMER, "record.customer_rating", record, link=link.id, before=before, after=values, again=again)
    db.session.flush()
    return record


def _require_live(record: Record) -> None:
    try:
        require_not_archived(record)
    except PermissionDenied:
        raise ValidationError(
            {"_schema": [_l("This request is closed for changes. Please contact us if you need more help.")]}
        ) from None


def public_status(record: Record, link: CustomerLink) -> dict[str, Any]:
    """What the status page shows: nothing naming staff, other customers or internal work."""
    return {
        "number": record.number,
        "status": record.status,
        "closed": is_closed(record),
        "archived": record.archived_at is not None,
        "contacted_at": record.contacted_at,
        "resolved_at": record.resolved_at,
        "resolution": public_resolution(record),
        # The customer's own words, masked like everything read through a link that may have been forwarded.
        "notes": [{"at": note.created_at, "text": mask_text(note.text)} for note in customer_notes(record)],
        "rating": {field: getattr(record, field) for field in RATING_FIELDS},
        "rated": customer_rated(record),
        "expires_at": link.expires_at,
    }
