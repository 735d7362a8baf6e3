"""A proposal's status note: why the refresh or the retention job changed it.

The note is stored as a code and its figures (JSON text in Proposal.status_note, e.g. `{"code": "regrown",
"before": 6, "after": 12, "factor": 2.0}`) and worded when it is shown, in the reader's language: the pages and the
API call `status_note_text`. Notes stored before they had codes are English sentences, shown as they are.
"""

from __future__ import annotations

import json
from typing import Any

from flask_babel import lazy_gettext as _l

#: The refresh reopened a rejected proposal that grew by the regrowth factor (before, after, factor).
REGROWN = "regrown"
#: The refresh found the open proposal's records no longer a group of their own, or covered by an article.
OBSOLETE = "obsolete"
#: The retention job removed the text of deleted records from the proposal's draft.
DRAFT_TRIMMED = "draft_trimmed"
#: An administrator deleted records, or erased a customer, whose text the draft held: it was removed.
DRAFT_ERASED = "draft_erased"

_WORDING = {
    REGROWN: _l("Proposed again: grew from %(before)s to %(after)s records since it was rejected."),
    OBSOLETE: _l("Its records no longer form a group of their own, or an article now covers them."),
    DRAFT_TRIMMED: _l(
        "Text taken from records deleted under the retention policy was removed from this draft; "
        "the next refresh (hourly, or \u201cRefresh proposals now\u201d on the proposals page) drafts it again."
    ),
    DRAFT_ERASED: _l(
        "Text taken from records that were deleted or erased on request was removed from this draft; "
        "the next refresh (consultkb kb propose) drafts it again."
    ),
}


def status_note(code: str, **figures: Any) -> str:
    """The note to store: one of the codes above and the figures its wording needs."""
    if code not in _WORDING:
        raise ValueError(f"Unknown proposal status note {code!r}.")
    return json.dumps({"code": code, **figures})


def status_note_text(stored: str | None) -> str:
    """The stored note in words, in the language of the current request (English outside one)."""
    if not stored:
        return ""
    try:
        note = json.loads(stored)
    except ValueError:
        return stored  # an English sentence stored before notes had codes
    if not isinstance(note, dict) or note.get("code") not in _WORDING:
        return stored
    figures = {key: value for key, value in note.items() if key != "code"}
    # A lazy string formats with % like a str; the figures the wording does not use are ignored.
    return str(_WORDING[note["code"]]) % figures if figures else str(_WORDING[note["code"]])
