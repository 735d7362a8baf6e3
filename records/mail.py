"""Sending e-mail over the configured SMTP server (MAIL_* settings), for reports and for customers' status links."""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage

from flask import current_app

#: Seconds to wait for the SMTP server before sending fails.
SMTP_TIMEOUT = 30


def mail_configured() -> bool:
    return bool(current_app.config.get("MAIL_SERVER"))


def sender() -> str:
    return current_app.config.get("MAIL_SENDER") or "consultkb@localhost"


def send(message: EmailMessage) -> None:
    """Send through MAIL_SERVER (STARTTLS with MAIL_USE_TLS, TLS from the start with MAIL_USE_SSL); raises OSError
    (smtplib's errors are OSErrors) when the server cannot be reached or refuses the message."""
    config = current_app.config
    host, port = config["MAIL_SERVER"], int(config.get("MAIL_PORT") or 25)
    timeout = float(config.get("MAIL_TIMEOUT") or SMTP_TIMEOUT)
    if config.get("MAIL_USE_SSL"):
        client = smtplib.SMTP_SSL(host, port, timeout=timeout, context=ssl.create_default_context())
    else:
        client = smtplib.SMTP(host, port, timeout=timeout)
    with client:
        if config.get("MAIL_USE_TLS") and not config.get("MAIL_USE_SSL"):
            client.starttls(context=ssl.create_default_context())
        if config.get("MAIL_USERNAME"):
            client.login(config["MAIL_USERNAME"], config.get("MAIL_PASSWORD") or "")
        client.send_message(message)
