"""What a password must be: long enough and not one of the passwords people pick first (NIST SP 800-63B, 5.1.1)."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

from flask_babel import lazy_gettext as _l

#: NIST SP 800-63B asks for at least 8; the red-team of issue 18 asked for 10, still short enough to type each day.
MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 200
COMMON_PASSWORDS_FILE = Path(__file__).with_name("common_passwords.txt")
# Digits and symbols around a word ("Password2024!"): the word is what a guesser tries first.
_AFFIXES = re.compile(r"^[\W\d_]+|[\W\d_]+$")


@cache
def common_passwords() -> frozenset[str]:
    lines = COMMON_PASSWORDS_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip().lower() for line in lines if line.strip() and not line.startswith("#"))


def password_problems(password: str, *, username: str = "") -> list[str]:
    """Why the password is refused, as messages for the user; empty when it is fine."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return [_l("A password has at least %(count)s characters.", count=MIN_PASSWORD_LENGTH)]
    if len(password) > MAX_PASSWORD_LENGTH:
        return [_l("A password has at most %(count)s characters.", count=MAX_PASSWORD_LENGTH)]
    lowered = password.lower()
    core = _AFFIXES.sub("", lowered)
    # The username with digits or symbols around it ("wangfang2024") is the first guess after the common ones.
    guesses = common_passwords() | {username.lower()}
    if lowered in guesses or core in guesses or len(set(lowered)) == 1:
        return [_l("This password is too easy to guess (a common password or the username); choose another.")]
    return []
