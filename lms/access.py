"""Fetch and authorise together: the one rule behind every `access_*` selector.

Missing, malformed and forbidden ids all answer "not found" with the same message, so ids cannot
be probed, and an id that is not a plain positive integer never reaches the database.
"""

from django.utils.translation import gettext

from lms.errors import NotFound

MAX_ID = 2**63 - 1  # BigAutoField


def parse_id(value) -> int | None:
    """A row id from a URL or a body: a positive integer or its plain ASCII digits; None otherwise."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        number = value
    elif isinstance(value, str) and value.isascii() and value.isdigit():
        number = int(value)
    else:
        return None
    return number if 0 < number <= MAX_ID else None


def id_or_zero(value) -> int:
    """For list filters: a malformed id matches nothing (0) rather than failing."""
    return parse_id(value) or 0


def not_found() -> NotFound:
    return NotFound(gettext("This page does not exist, or you do not have access to it."))


def access(queryset, pk, *, user, perm, on=None):
    """The row of `queryset` with id `pk` if `user` holds `perm` (a name, or a tuple: any of them)
    on it, or on `on(row)`; NotFound otherwise. 1 query."""
    row_id = parse_id(pk)
    row = queryset.filter(pk=row_id).first() if row_id is not None else None
    if row is None:
        raise not_found()
    target = on(row) if on else row
    if not any(user.has_perm(name, target) for name in ((perm,) if isinstance(perm, str) else perm)):
        refusal = not_found()
        # The same answer as a missing row; the audit (lms.audit_events) records which row was refused.
        refusal.refused_row, refusal.refused_perm = target, perm
        raise refusal
    return row
