"""Ids read from URLs, query strings and bodies: ASCII digits only, never a 500."""

import re

from lms.errors import NotFound

_ID = re.compile(r"[0-9]{1,18}")  # within a bigint; str.isdigit() would let "²" or "١" through to int()


def id_or_none(value) -> int | None:
    """The id `value` spells, or None for anything else (letters, signs, other scripts' digits, huge)."""
    if isinstance(value, bool) or not isinstance(value, str | int):
        return None
    text = str(value)
    return int(text) if _ID.fullmatch(text) else None


def parse_id(value) -> int:
    """The id `value` spells; anything else answers "not found", as a missing row does."""
    parsed = id_or_none(value)
    if parsed is None:
        raise NotFound()
    return parsed


def id_or_zero(value) -> int:
    """For list filters: a malformed id matches nothing rather than failing."""
    return id_or_none(value) or 0
