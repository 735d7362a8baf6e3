"""Proposal status notes: stored as a code and figures, worded in the reader's language on the pages and the API."""

from __future__ import annotations

import json

import pytest

from kb.models import Proposal, ProposalKind, ProposalStatus
from kb.proposal_notes import DRAFT_ERASED, DRAFT_TRIMMED, OBSOLETE, REGROWN, status_note, status_note_text
from records.enums import Role
from records.i18n import in_language

REGROWN_NOTE = status_note(REGROWN, before=6, after=12, factor=2.0)


def test_a_note_is_stored_as_its_code_and_figures():
    assert json.loads(REGROWN_NOTE) == {"code": "regrown", "before": 6, "after": 12, "factor": 2.0}
    with pytest.raises(ValueError, match="Unknown proposal status note 'grown'"):
        status_note("grown")


@pytest.mark.parametrize(
    ("note", "english", "chinese"),
    [
        (
            REGROWN_NOTE,
            "Proposed again: grew from 6 to 12 records since it was rejected.",
            "再次提出：被拒绝后，记录数从 6 条增长到 12 条。",
        ),
        (
            status_note(OBSOLETE),
            "Its records no longer form a group of their own, or an article now covers them.",
            "其记录已不再单独成组，或已有文章涵盖这些问题。",
        ),
        (status_note(DRAFT_TRIMMED), "Text taken from records deleted under the retention policy", "按保留策略删除"),
        (status_note(DRAFT_ERASED), "Text taken from records that were deleted or erased on request", "应要求清除"),
    ],
)
def test_notes_are_worded_in_the_readers_language(db, note, english, chinese):
    with in_language("en"):
        assert status_note_text(note).startswith(english)
    with in_language("zh"):
        assert chinese in status_note_text(note)


def test_notes_stored_before_codes_are_shown_as_they_are(db):
    old = "Proposed again: grew from 6 to 12 records (factor 2) since it was rejected."
    with in_language("zh"):
        assert status_note_text(old) == old
        assert status_note_text('{"code": "someday"}') == '{"code": "someday"}'
        assert status_note_text("[1, 2]") == "[1, 2]"
        assert status_note_text(None) == status_note_text("") == ""


@pytest.fixture
def reopened(db) -> Proposal:
    proposal = Proposal(
        kind=ProposalKind.NEW,
        status=ProposalStatus.OPEN,
        title="包裹丢失怎么办",
        record_count=2,
        recent_count=2,
        previous_count=0,
        impact=2.0,
        rejected_size=1,
        status_note=REGROWN_NOTE,
    )
    db.session.add(proposal)
    db.session.commit()
    return proposal


def test_the_api_and_the_proposal_page_word_the_note(client, make_user, login_as, token_for, reopened):
    # The API first: a client signed in by cookie would need a CSRF token to ask for an API token.
    headers = token_for(make_user(Role.TRAINER))
    english = client.get(f"/api/v1/proposals/{reopened.id}", headers=headers).get_json()
    assert english["status_note"] == "Proposed again: grew from 6 to 12 records since it was rejected."
    chinese = client.get(f"/api/v1/proposals/{reopened.id}", headers={**headers, "Accept-Language": "zh-CN"})
    assert chinese.get_json()["status_note"] == "再次提出：被拒绝后，记录数从 6 条增长到 12 条。"
    login_as(Role.TRAINER)
    client.post("/language", data={"language": "zh_CN"})
    page = client.get(f"/kb/proposals/{reopened.id}").get_data(as_text=True)
    assert "再次提出：被拒绝后，记录数从 6 条增长到 12 条。" in page and "regrown" not in page
