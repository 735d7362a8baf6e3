"""Fixtures of the page tests."""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

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
