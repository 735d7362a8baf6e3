"""Messages rendered in a language the caller chooses."""

from __future__ import annotations

import pytest
from flask_babel import gettext, pgettext

from records.i18n import in_language


def test_messages_in_the_language_asked_for(db):
    for language, records in (("zh", "记录数"), ("zh_CN", "记录数"), ("en", "Records"), ("", "Records")):
        with in_language(language):
            assert pgettext("score report", "Records") == records
    with in_language("zh"):
        assert gettext("Records") == "交流记录"  # the same English without the context reads as on the pages


def test_no_app_context_is_refused_rather_than_english():
    with pytest.raises(RuntimeError, match="app context"), in_language("zh"):
        pass
