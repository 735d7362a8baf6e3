"""The help center's branding for administrators (/admin/help-center): name, logo (uploaded or an address), colour,
footer, contact details and default language. A field left empty uses the configuration (HELP_CENTER_*)."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from marshmallow import ValidationError

from kb.branding import CONFIG_KEYS, FIELDS, LANGUAGES, MAX_LOGO_BYTES, current_branding, settings_row, update_branding
from kb.selfservice_schemas import HelpCenterSettingsSchema
from records.db import db
from records.enums import Role
from web.auth import roles_required
from web.pages.common import current_user_required
from web.pages.forms import PageForm, form_errors

bp = Blueprint("help_branding_pages", __name__)


@dataclass
class BrandingForm(PageForm):
    def labels(self) -> dict[str, str]:
        return {
            "name": _("Help center name"),
            "logo": _("Logo"),
            "logo_url": _("Logo address"),
            "primary_color": _("Primary colour"),
            "footer_text": _("Footer text"),
            "contact_phone": _("Phone"),
            "contact_email": _("Email"),
            "contact_hours": _("Opening hours"),
            "default_language": _("Default language"),
            "_schema": "",
        }


@bp.get("/admin/help-center")
@roles_required(Role.ADMIN)
def branding_page():
    row = settings_row()
    values = {field: (getattr(row, field) or "") if row else "" for field in FIELDS}
    return render_branding(BrandingForm(values=values))


@bp.post("/admin/help-center")
@roles_required(Role.ADMIN)
def save_branding():
    values = {field: request.form.get(field, "").strip() for field in FIELDS}
    form = BrandingForm(values=values)
    upload = request.files.get("logo")
    # One byte more than allowed is enough to know it is too large, without reading a huge file into memory.
    logo = None
    if upload is not None:
        try:
            logo = upload.stream.read(MAX_LOGO_BYTES + 1) if upload.filename else None
        finally:
            upload.close()  # a large upload is spooled to a temporary file
    try:
        data = HelpCenterSettingsSchema().load(values)
        update_branding(data, by=current_user_required(), logo=logo, remove_logo=bool(request.form.get("remove_logo")))
    except ValidationError as error:
        db.session.rollback()
        messages = error.messages
        if isinstance(messages, list):
            # The logo's own check names no field: it is the logo's.
            error = ValidationError({"logo": messages})
        form.errors = form_errors(error)
        return render_branding(form, status=422)
    db.session.commit()
    flash(_("The help center's branding was saved."), "success")
    return redirect(url_for("help_branding_pages.branding_page"))


def render_branding(form: BrandingForm, *, status: int = 200):
    config = current_app.config
    body = render_template(
        "admin/help_center.html",
        form=form,
        configured={field: config.get(key) or "" for field, key in CONFIG_KEYS.items()},
        languages=[(code, {"zh_CN": "中文", "en": "English"}[code]) for code in LANGUAGES],
        has_logo=bool((row := settings_row()) and row.logo),
        branding=current_branding(),
    )
    return body, status
