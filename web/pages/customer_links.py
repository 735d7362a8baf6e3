"""Staff give a record's customer a status link (records/customer_links.py): mailed when mail is configured and the
customer has an e-mail, otherwise shown on the record page to copy; and revoke one."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, url_for
from flask_babel import gettext as _

from kb.selfservice import ACTOR as SELF_SERVICE_ACTOR
from records.customer_links import (
    can_email,
    create_link,
    email_link,
    get_link,
    is_active,
    links_of,
    may_send_links,
    revoke_link,
    token_for,
)
from records.db import db
from records.mail import mail_configured
from records.models import CustomerLink, Record, User
from records.operations import get_record_for
from web.auth import RECORD_KEEPERS, roles_required
from web.pages.common import current_user_required

bp = Blueprint("customer_link_pages", __name__)


def status_url(link: CustomerLink) -> str:
    return url_for("customer_status.status", token=token_for(link), _external=True)


def send_new_link(record: Record, *, by: User | str, days: int | None = None) -> tuple[CustomerLink, str, bool]:
    """Make a link, commit it, then mail it where possible: (link, its address, whether it was mailed)."""
    link = create_link(record, by=by, days=days)
    db.session.commit()
    url = status_url(link)
    mailed = email_link(record, link, url, by=by)
    db.session.commit()
    return link, url, mailed


def deliver_request_link(record: Record) -> dict[str, Any]:
    """A help-center contact request's status link (made with the record, kb.selfservice), mailed to the visitor's
    e-mail when mail is set up: {"url", "mailed"}, for the confirmation page and the API's answer."""
    link = links_of(record)[0]
    url = status_url(link)
    mailed = email_link(record, link, url, by=SELF_SERVICE_ACTOR)
    db.session.commit()
    return {"url": url, "mailed": mailed}


@bp.post("/records/<ref>/customer-links")
@roles_required(*RECORD_KEEPERS)
def send_link(ref: str):
    user = current_user_required()
    record = get_record_for(user, ref)
    _link, _url, mailed = send_new_link(record, by=user)
    if mailed:
        flash(_("The link was e-mailed to the customer."), "success")
    elif can_email(record):
        flash(_("The link could not be e-mailed (the mail server did not take it); copy it below instead."), "warning")
    elif mail_configured():
        flash(_("The customer has no e-mail address: copy the link below and send it to them."), "info")
    else:
        flash(_("Mail is not set up: copy the link below and send it to the customer."), "info")
    return redirect(url_for("record_pages.record_detail", ref=record.number, _anchor="customer-links"))


@bp.post("/records/<ref>/customer-links/<int:link_id>/revoke")
@roles_required(*RECORD_KEEPERS)
def revoke(ref: str, link_id: int):
    user = current_user_required()
    record = get_record_for(user, ref)
    revoke_link(get_link(record, link_id), by=user)
    db.session.commit()
    flash(_("The link was revoked: it no longer opens anything."), "success")
    return redirect(url_for("record_pages.record_detail", ref=record.number, _anchor="customer-links"))


def link_to_dict(link: CustomerLink) -> dict[str, Any]:
    """A link as staff see it; the address only while it works."""
    active = is_active(link)
    return {
        "id": link.id,
        "active": active,
        "url": status_url(link) if active else None,
        "created_at": link.created_at,
        "created_by": link.created_by.username if link.created_by else None,
        "expires_at": link.expires_at,
        "emailed_at": link.emailed_at,
        "revoked_at": link.revoked_at,
        "last_used_at": link.last_used_at,
    }


def links_for_page(record: Record, user: User) -> dict[str, Any] | None:
    """The record page's "customer link" panel, for those who may send links; None for everyone else."""
    if not may_send_links(user, record):
        return None
    return {"links": [link_to_dict(link) for link in links_of(record)], "can_email": can_email(record)}
