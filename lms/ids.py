"""Ids read from URLs, query strings and bodies, never a 500. The rule itself is `lms.access.parse_id`."""

from lms.access import not_found
from lms.access import parse_id as id_or_none


def parse_id(value) -> int:
    """The id `value` spells; anything else answers "not found", as a missing row does."""
    parsed = id_or_none(value)
    if parsed is None:
        raise not_found()
    return parsed


def id_or_zero(value) -> int:
    """For list filters: a malformed id matches nothing rather than failing."""
    return id_or_none(value) or 0


__all__ = ["id_or_none", "id_or_zero", "parse_id"]
