"""The help center's branding per installation: name, logo, primary colour, footer, contact details, default language.

Each value comes from the administrator's settings (/admin/help-center, one HelpCenterSettings row) where set, else
from the configuration (HELP_CENTER_* / CONSULTKB_HELP_CENTER_*), else the defaults (the translated "Help center",
no logo, the site's dark bar, Chinese). The rules for a valid colour, logo and language live here once, for the
page, the configuration check at start-up and the tests.
"""

from __future__ import annotations

import io
import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import current_app, g, has_app_context
from flask_babel import lazy_gettext as _l
from marshmallow import ValidationError
from PIL import Image, UnidentifiedImageError

from kb.models import HelpCenterSettings
from records import audit
from records.db import db
from records.models import User

log = logging.getLogger(__name__)

#: The values an administrator (or the configuration) may set; None means "not set here".
FIELDS = (
    "name",
    "logo_url",
    "primary_color",
    "footer_text",
    "contact_phone",
    "contact_email",
    "contact_hours",
    "default_language",
)
#: The configuration key of each field.
CONFIG_KEYS = {field: f"HELP_CENTER_{field.upper()}" for field in FIELDS}
#: Languages the help center speaks, as LANGUAGES names them.
LANGUAGES = ("zh_CN", "en")
HEX_COLOR = re.compile(r"^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$")
#: A logo is shown about 40 px high; 512 KB is generous for that and keeps the row small.
MAX_LOGO_BYTES = 512 * 1024
#: Raster formats only: an SVG can carry script, and browsers run it when the file is opened on its own.
LOGO_FORMATS = {"PNG": "image/png", "JPEG": "image/jpeg", "GIF": "image/gif", "WEBP": "image/webp"}
#: The colour of the help center's bar when none is chosen: Bootstrap's dark, as the staff pages.
DEFAULT_COLOR = "#212529"


@dataclass(frozen=True)
class Branding:
    name: str | None = None
    #: What an <img src> shows: /help/logo for an uploaded logo, else the configured URL.
    logo_src: str | None = None
    #: A logo at another origin, which the page's Content-Security-Policy must allow.
    logo_origin: str | None = None
    #: The chosen colour (None: the site's own, and Bootstrap's blue buttons).
    primary_color: str | None = None
    #: The bar's colour and the text on it: black or white, whichever reads better.
    bar_color: str = DEFAULT_COLOR
    on_primary: str = "#ffffff"
    footer_text: str | None = None
    contact_phone: str | None = None
    contact_email: str | None = None
    contact_hours: str | None = None
    default_language: str = "zh_CN"


# -- the rules --------------------------------------------------------------------------------------------------------


def normalise_color(value: str) -> str:
    """#abc or #aabbcc as lowercase #aabbcc; anything else is refused (the value is written into a style)."""
    text = value.strip()
    if not HEX_COLOR.match(text):
        raise ValidationError([_l("Give a colour as # and 6 hex digits, e.g. #1a73e8.")])
    if len(text) == 4:
        text = "#" + "".join(digit * 2 for digit in text[1:])
    return text.lower()


def text_on(color: str) -> str:
    """Black or white text for a background colour, by WCAG relative luminance."""

    def channel(hex_pair: str) -> float:
        value = int(hex_pair, 16) / 255
        return value / 12.92 if value <= 0.03928 else ((value + 0.055) / 1.055) ** 2.4

    red, green, blue = (channel(color[index : index + 2]) for index in (1, 3, 5))
    luminance = 0.2126 * red + 0.7152 * green + 0.0722 * blue
    # Contrast with white (1.05 / (L + 0.05)) against contrast with black ((L + 0.05) / 0.05).
    return "#ffffff" if 1.05 / (luminance + 0.05) >= (luminance + 0.05) / 0.05 else "#000000"


def check_logo_url(value: str) -> str:
    """An absolute http(s) URL without credentials, or a path on this site."""
    text = value.strip()
    if text.startswith("/") and not text.startswith("//"):
        return text
    parts = urlsplit(text)
    if parts.scheme not in ("https", "http") or not parts.hostname or parts.username or parts.password:
        raise ValidationError([_l("Give the logo's address as https://… or a path on this site.")])
    return text


def logo_content_type(data: bytes) -> str:
    """The MIME type of an uploaded logo; refused unless it is a PNG, JPEG, GIF or WebP image within the size."""
    if len(data) > MAX_LOGO_BYTES:
        raise ValidationError([_l("The logo is larger than 512 KB.")])
    try:
        with Image.open(io.BytesIO(data)) as image:
            kind = image.format
            image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        kind = None
    if kind not in LOGO_FORMATS:
        raise ValidationError([_l("The logo must be a PNG, JPEG, GIF or WebP image.")])
    return LOGO_FORMATS[kind]


def check_config(config: Mapping[str, Any]) -> None:
    """Refuse at start-up what would otherwise break the help center's pages later; the message names the setting."""
    checks = {"primary_color": normalise_color, "logo_url": check_logo_url, "default_language": _check_language}
    for field, check in checks.items():
        value = config.get(CONFIG_KEYS[field])
        if value:
            try:
                check(str(value))
            except ValidationError as error:
                raise ValueError(f"{CONFIG_KEYS[field]}={value!r}: {' '.join(map(str, error.messages))}") from None


def _check_language(value: str) -> str:
    if value not in LANGUAGES:
        raise ValidationError([_l("Choose a language.")])
    return value


# -- reading and changing ---------------------------------------------------------------------------------------------


def settings_row() -> HelpCenterSettings | None:
    return db.session.scalar(sa.select(HelpCenterSettings).order_by(HelpCenterSettings.id).limit(1))


def current_branding() -> Branding:
    """The branding of this request, read once per request (web/__init__ clears it before each)."""
    cached = g.get("help_branding") if has_app_context() else None
    if cached is None:
        cached = _load_branding()
        if has_app_context():
            g.help_branding = cached
    return cached


def forget_branding() -> None:
    g.pop("help_branding", None)


def _load_branding() -> Branding:
    config = current_app.config if has_app_context() else {}
    values: dict[str, Any] = {field: config.get(key) or None for field, key in CONFIG_KEYS.items()}
    logo_version = None
    try:
        row = settings_row()
    except sa.exc.SQLAlchemyError:
        # An error page after the database failed must still render, with the configured branding.
        log.warning("Help-center settings could not be read; using the configuration.", exc_info=True)
        db.session.rollback()
        row = None
    if row is not None:
        values.update({field: getattr(row, field) for field in FIELDS if getattr(row, field)})
        if row.logo:
            logo_version = int(row.updated_at.timestamp())
    color = None
    if values["primary_color"]:
        try:
            color = normalise_color(values["primary_color"])
        except ValidationError:
            log.warning("Ignoring the help center's colour %r: not a hex colour.", values["primary_color"])
    logo_src, logo_origin = None, None
    if logo_version is not None:
        logo_src = f"/help/logo?v={logo_version}"
    elif values["logo_url"]:
        logo_src = values["logo_url"]
        parts = urlsplit(logo_src)
        if parts.scheme in ("http", "https") and parts.netloc:
            logo_origin = f"{parts.scheme}://{parts.netloc}"
    language = values["default_language"] if values["default_language"] in LANGUAGES else LANGUAGES[0]
    return Branding(
        name=values["name"],
        logo_src=logo_src,
        logo_origin=logo_origin,
        primary_color=color,
        bar_color=color or DEFAULT_COLOR,
        on_primary=text_on(color or DEFAULT_COLOR),
        footer_text=values["footer_text"],
        contact_phone=values["contact_phone"],
        contact_email=values["contact_email"],
        contact_hours=values["contact_hours"],
        default_language=language,
    )


def update_branding(
    data: Mapping[str, Any], *, by: User, logo: bytes | None = None, remove_logo: bool = False
) -> HelpCenterSettings:
    """Set the administrator's branding from data loaded by HelpCenterSettingsSchema; a field left out goes back to
    the configuration's value. `logo` (checked here) replaces the uploaded logo; `remove_logo` drops it."""
    row = settings_row()
    if row is None:
        row = HelpCenterSettings()
        db.session.add(row)
    logo_type = logo_content_type(logo) if logo else None
    for field in FIELDS:
        setattr(row, field, data.get(field) or None)
    if logo:
        row.logo, row.logo_type = logo, logo_type
    elif remove_logo:
        row.logo, row.logo_type = None, None
    row.updated_by_id = by.id
    audit.log(by, "help_center.branding", "help_center", fields=[field for field in FIELDS if data.get(field)])
    db.session.flush()
    if has_app_context():
        forget_branding()
    return row


def uploaded_logo() -> tuple[bytes, str] | None:
    row = settings_row()
    if row is None or not row.logo:
        return None
    return row.logo, row.logo_type or "application/octet-stream"
