"""Marked messages rendered in a language chosen by the caller (a file export), not by the request."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from flask import has_app_context
from flask_babel import force_locale


def is_chinese(language: str | None) -> bool:
    """ "zh", "zh_CN", "zh-Hans" … are Chinese; anything else is English."""
    return (language or "").lower().startswith("zh")


@contextmanager
def in_language(language: str | None) -> Iterator[None]:
    """gettext and lazy strings inside speak `language` ("zh…" Chinese, anything else English).

    Exports run in a request, in the CLI and in jobs. Flask-Babel keeps the forced locale on the app context and,
    without one, silently leaves every message in English: refuse that instead of writing an English file.
    """
    if not has_app_context():
        raise RuntimeError("Rendering messages in a language needs an app context (app.app_context()).")
    # "zh_CN", not "zh": Babel parses it as zh_Hans_CN, the catalog's directory.
    with force_locale("zh_CN" if is_chinese(language) else "en"):
        yield
