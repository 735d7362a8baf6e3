"""Every marked message has a Chinese translation: a message added or reworded without one would show in English."""

from __future__ import annotations

from pathlib import Path

from babel.messages.frontend import CommandLineInterface
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
CATALOG = ROOT / "web" / "translations" / "zh_Hans_CN" / "LC_MESSAGES" / "messages.po"


def test_every_extracted_message_has_a_chinese_translation(tmp_path):
    template = tmp_path / "messages.pot"
    CommandLineInterface().run(
        ["pybabel", "-q", "extract", "-F", str(ROOT / "babel.cfg"), "-o", str(template), "--no-location", str(ROOT)]
    )
    with template.open("rb") as source:
        # A message with a context (pgettext) is its own entry: "Records" in a report column is not the nav link.
        extracted = [(message.id, message.context) for message in read_po(source) if message.id]
    with CATALOG.open("rb") as source:
        catalog = read_po(source, locale="zh_CN")
    assert len(extracted) > 500  # the extraction found the code and templates

    def translated(msgid, context) -> bool:
        message = catalog.get(msgid, context)
        if message is None or message.fuzzy:
            return False
        strings = message.string if isinstance(message.string, tuple | list) else [message.string]
        return all(text.strip() for text in strings)

    assert [(msgid, context) for msgid, context in extracted if not translated(msgid, context)] == []
