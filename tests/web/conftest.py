"""Fixtures of the page tests."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask.testing import FlaskClient

from records.models import User
from tests.conftest import PASSWORD

CATALOG = Path(__file__).resolve().parents[2] / "web" / "translations" / "zh_Hans_CN" / "LC_MESSAGES"


@pytest.fixture(scope="session", autouse=True)
def compiled_catalog() -> None:
    """`pybabel compile` (make) builds the .mo; compile it here too when it is missing or older than the .po."""
    po, mo = CATALOG / "messages.po", CATALOG / "messages.mo"
    if not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime:
        with po.open("rb") as source:
            catalog = read_po(source, locale="zh_CN")
        with mo.open("wb") as target:
            write_mo(target, catalog)


@pytest.fixture
def sign_in(client: FlaskClient) -> Callable[..., None]:
    """Sign the test client in as an existing user (login_as makes a new one), in `language` ("en", "zh_CN") when
    given, else in the language the client asks for."""

    def sign_in_as(user: User, *, language: str | None = None) -> None:
        response = client.post("/login", data={"username": user.username, "password": PASSWORD})
        assert response.status_code == 302, response.data
        if language:
            client.post("/language", data={"language": language})

    return sign_in_as
