"""The audit hash chain: each entry's hash covers its content, its place and the previous entry's hash.

Writers serialise on the chain's tail (a PostgreSQL advisory lock held to the end of the writer's
transaction; SQLite's IMMEDIATE transactions already admit one writer at a time), so two concurrent
services never both append after the same entry. `chain_verify` walks the chain from its start (or
from the last archive's anchor) and names the first entry changed, removed or inserted out of order.
"""

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import connection

GENESIS = "0" * 64
# Any fixed 64-bit number: the one advisory lock every audit writer takes.
TAIL_LOCK_KEY = 0x6C6D5F6175646974  # "lm_audit"


def canonical_json(value) -> str:
    """One text per value: sorted keys, no spaces, UTF-8 as is (what the hash covers and the archive stores)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def json_normalised(data: dict) -> dict:
    """The data as the database will give it back (tuples become lists, keys strings)."""
    return json.loads(canonical_json(data or {}))


def stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def entry_content(
    *,
    sequence: int,
    created_at: datetime,
    actor_id: int | None,
    verb: str,
    target_type: str,
    target_id: str,
    data: dict,
    district_id: int | None,
    cohort_id: int | None,
    previous_hash: str,
) -> bytes:
    """The bytes an entry's hashes cover; `target_type` is the model label ("courses.enrolment"), not an id."""
    return canonical_json(
        {
            "sequence": sequence,
            "at": stamp(created_at),
            "actor": actor_id,
            "verb": verb,
            "type": target_type,
            "target": target_id,
            "data": data,
            "district": district_id,
            "cohort": cohort_id,
            "previous": previous_hash,
        }
    ).encode()


def sm3_enabled() -> bool:
    if not getattr(settings, "LMS_AUDIT_SM3", False):
        return False
    try:
        import gmssl  # noqa: F401
    except ImportError as error:  # asked for by setting but missing: say so rather than chain without it
        raise ImproperlyConfigured("LMS_AUDIT_SM3 is on but the gmssl package is not installed.") from error
    return True


def sm3_hex(content: bytes) -> str:
    from gmssl import func, sm3

    return sm3.sm3_hash(func.bytes_to_list(content))


def sha256_hex(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def lock_tail() -> None:
    """Serialise writers on the tail until the current transaction ends (PostgreSQL; SQLite serialises itself)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [TAIL_LOCK_KEY])


def tail() -> tuple[int, str]:
    """The last (place, hash) of the chain: the newest entry, else the last archive's anchor, else the start."""
    from lms.models import AuditArchive, AuditEntry

    last = AuditEntry.objects.order_by("-sequence").values_list("sequence", "entry_hash").first()
    if last is not None:
        return last
    anchor = AuditArchive.objects.order_by("-last_sequence").values_list("last_sequence", "last_hash").first()
    return anchor if anchor is not None else (0, GENESIS)


def seal(entries, *, type_labels: dict[int, str]) -> None:
    """Give unsaved entries their place, stamp and hashes after the tail; call with the tail locked."""
    from django.utils import timezone

    sequence, previous = tail()
    with_sm3 = sm3_enabled()
    now = timezone.now()
    for entry in entries:
        sequence += 1
        entry.sequence = sequence
        entry.created_at = now
        entry.data = json_normalised(entry.data)
        entry.previous_hash = previous
        content = content_of(entry, type_labels[entry.target_type_id])
        entry.entry_hash = sha256_hex(content)
        entry.entry_sm3 = sm3_hex(content) if with_sm3 else ""
        previous = entry.entry_hash


def content_of(entry, type_label: str) -> bytes:
    return entry_content(
        sequence=entry.sequence,
        created_at=entry.created_at,
        actor_id=entry.actor_id,
        verb=entry.verb,
        target_type=type_label,
        target_id=entry.target_id,
        data=entry.data,
        district_id=entry.district_id,
        cohort_id=entry.cohort_id,
        previous_hash=entry.previous_hash,
    )


# --- verification


@dataclass
class ChainReport:
    ok: bool
    checked: int
    head_sequence: int | None
    head_hash: str
    problem_sequence: int | None = None
    problem: str = ""


FIELDS = (
    "pk",
    "sequence",
    "created_at",
    "actor_id",
    "verb",
    "target_type_id",
    "target_id",
    "data",
    "district_id",
    "cohort_id",
    "previous_hash",
    "entry_hash",
    "entry_sm3",
)


class _Row:
    __slots__ = FIELDS

    def __init__(self, values):
        for name, value in zip(FIELDS, values, strict=True):
            setattr(self, name, value)


def type_labels_all() -> dict[int, str]:
    from django.contrib.contenttypes.models import ContentType

    return {pk: f"{app}.{model}" for pk, app, model in ContentType.objects.values_list("pk", "app_label", "model")}


def chain_verify(*, rows=None, start: tuple[int, str] | None = None, checkpoint: tuple[int, str] | None = None):
    """Walk the chain in place order; report the first entry whose hash, link or place is wrong.

    `start` is where the chain must begin ((0, GENESIS), or the last archive's anchor); `checkpoint`
    a (place, hash) an earlier run saw, which must still be there: removing entries from the end, or all
    of them, is found this way.
    """
    from lms.models import AuditArchive, AuditEntry

    labels = type_labels_all()
    if start is None:
        anchor = AuditArchive.objects.order_by("-last_sequence").values_list("last_sequence", "last_hash").first()
        start = anchor if anchor is not None else (0, GENESIS)
    if rows is None:
        rows = AuditEntry.objects.order_by("sequence").values_list(*FIELDS).iterator(chunk_size=2000)
    expected_sequence, previous = start
    checked = 0
    seen_checkpoint = checkpoint is None or checkpoint[0] <= start[0]
    for values in rows:
        row = _Row(values)
        expected_sequence += 1
        if row.sequence != expected_sequence:
            if row.sequence > expected_sequence:
                problem = (
                    f"entries {expected_sequence}–{row.sequence - 1} are missing (removed) before entry {row.sequence}"
                )
            else:
                problem = f"entry {row.sequence} is out of order"
            return ChainReport(False, checked, expected_sequence - 1, previous, expected_sequence, problem)
        if row.previous_hash != previous:
            return ChainReport(
                False,
                checked,
                row.sequence - 1,
                previous,
                row.sequence,
                f"entry {row.sequence} (id {row.pk}) does not follow entry {row.sequence - 1}: "
                "inserted out of order, or the entry before it was changed or removed",
            )
        content = content_of(row, labels.get(row.target_type_id, "?"))
        if sha256_hex(content) != row.entry_hash or (row.entry_sm3 and sm3_hex(content) != row.entry_sm3):
            return ChainReport(
                False,
                checked,
                row.sequence - 1,
                previous,
                row.sequence,
                f"entry {row.sequence} (id {row.pk}, {row.verb}) was changed after it was written",
            )
        if checkpoint is not None and row.sequence == checkpoint[0]:
            if row.entry_hash != checkpoint[1]:
                return ChainReport(
                    False,
                    checked,
                    row.sequence - 1,
                    previous,
                    row.sequence,
                    f"entry {row.sequence} differs from the one the last verification saw: the chain was rewritten",
                )
            seen_checkpoint = True
        previous = row.entry_hash
        checked += 1
    if not seen_checkpoint:
        return ChainReport(
            False,
            checked,
            expected_sequence,
            previous,
            expected_sequence + 1,
            f"entries after {expected_sequence} are missing: the last verification saw entry {checkpoint[0]}",
        )
    return ChainReport(True, checked, expected_sequence if checked else start[0], previous)
