"""The audit's own upkeep: verifying the hash chain, and moving old entries to a signed archive.

Entries leave the database only through `audit_entries_archive`: they are written first to a JSON
lines file in the private storage (the entries as the chain hashed them, then a closing line with the
chain's last hash and an HMAC of the file keyed by the deployment's secret), read back and checked,
recorded as an AuditArchive, and only then deleted, within one transaction that the PostgreSQL trigger
admits because the archive row is there.
"""

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection, transaction
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac

from lms import audit_chain
from lms.models import AuditArchive, AuditEntry, AuditVerification
from lms.storage import sha256_of_stored

ARCHIVE_FOLDER = "audit-archives"
SIGNATURE_SALT = "lms.audit.archive"


def audit_verify() -> AuditVerification:
    """Walk the whole chain and record the result (the operators' page shows the latest)."""
    last_good = AuditVerification.objects.filter(ok=True).exclude(head_sequence=None).first()
    checkpoint = (last_good.head_sequence, last_good.head_hash) if last_good and last_good.head_hash else None
    report = audit_chain.chain_verify(checkpoint=checkpoint)
    return AuditVerification.objects.create(
        ok=report.ok,
        entries_checked=report.checked,
        head_sequence=report.head_sequence,
        head_hash=report.head_hash if report.ok else "",
        problem_sequence=report.problem_sequence,
        problem=report.problem,
    )


def audit_verification_latest() -> AuditVerification | None:
    return AuditVerification.objects.first()


class ArchiveRefused(Exception):
    """The archive cannot be made; the message says why (a broken chain is never archived)."""


@dataclass
class ArchivePlan:
    cutoff: object
    first_sequence: int | None
    last_sequence: int | None
    entries: int


def archive_signature(body: bytes) -> str:
    return salted_hmac(SIGNATURE_SALT, body, algorithm="sha256").hexdigest()


def archive_lines(entries: list[dict], *, labels: dict[int, str]) -> list[str]:
    lines = []
    for row in entries:
        lines.append(
            audit_chain.canonical_json(
                {
                    "sequence": row["sequence"],
                    "at": audit_chain.stamp(row["created_at"]),
                    "actor": row["actor_id"],
                    "verb": row["verb"],
                    "type": labels.get(row["target_type_id"], "?"),
                    "target": row["target_id"],
                    "data": row["data"],
                    "district": row["district_id"],
                    "cohort": row["cohort_id"],
                    "previous": row["previous_hash"],
                    "hash": row["entry_hash"],
                    "sm3": row["entry_sm3"],
                }
            )
        )
    return lines


def archive_plan(*, older_than_days: int | None = None) -> ArchivePlan:
    """Which entries an archive made now would take: the oldest ones, written before the cutoff."""
    days = settings.LMS_AUDIT_RETENTION_DAYS if older_than_days is None else older_than_days
    cutoff = timezone.now() - timedelta(days=days)
    # By place, not by time: an archive takes the chain's beginning, never a hole in its middle.
    first_newer = AuditEntry.objects.filter(created_at__gte=cutoff).order_by("sequence").values("sequence").first()
    rows = AuditEntry.objects.all()
    if first_newer is not None:
        rows = rows.filter(sequence__lt=first_newer["sequence"])
    bounds = rows.order_by("sequence").values_list("sequence", flat=True)
    count = bounds.count()
    return ArchivePlan(
        cutoff=cutoff,
        first_sequence=bounds.first() if count else None,
        last_sequence=bounds.last() if count else None,
        entries=count,
    )


@transaction.atomic
def audit_entries_archive(*, older_than_days: int | None = None) -> AuditArchive | None:
    """Archive the entries older than the retention period, then remove them; None when there are none.

    Refused when the chain does not verify. The file is read back and its hash checked before any delete.
    """
    audit_chain.lock_tail()  # no entry is appended (and no other archive runs) meanwhile
    plan = archive_plan(older_than_days=older_than_days)
    if not plan.entries:
        return None
    report = audit_chain.chain_verify()
    if not report.ok:
        raise ArchiveRefused(f"The audit chain does not verify, nothing archived: {report.problem}")
    fields = [name for name in audit_chain.FIELDS if name != "pk"]  # what the chain hashes, with its hashes
    entries = list(AuditEntry.objects.filter(sequence__lte=plan.last_sequence).order_by("sequence").values(*fields))
    labels = audit_chain.type_labels_all()
    lines = archive_lines(entries, labels=labels)
    last_hash = entries[-1]["entry_hash"]
    body = ("\n".join(lines) + "\n").encode()
    closing = audit_chain.canonical_json(
        {
            "archive": {
                "first": plan.first_sequence,
                "last": plan.last_sequence,
                "entries": len(entries),
                "previous": entries[0]["previous_hash"],
                "last_hash": last_hash,
                "made_at": audit_chain.stamp(timezone.now()),
                "hmac_sha256": archive_signature(body),
            }
        }
    )
    content = body + closing.encode() + b"\n"
    name = f"{ARCHIVE_FOLDER}/audit-{plan.first_sequence:012d}-{plan.last_sequence:012d}.jsonl"
    stored = default_storage.save(name, ContentFile(content))
    digest = hashlib.sha256(content).hexdigest()
    if sha256_of_stored(stored) != digest:
        raise ArchiveRefused("The archive file read back differs from what was written; nothing removed.")
    archive = AuditArchive.objects.create(
        first_sequence=plan.first_sequence,
        last_sequence=plan.last_sequence,
        last_hash=last_hash,
        entries=len(entries),
        file_name=stored,
        file_sha256=digest,
        signature=archive_signature(body),
    )
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:  # the trigger admits deletes of archived places in this transaction
            cursor.execute("SELECT set_config('lms.audit_archiving', 'on', true)")
    AuditEntry.objects.filter(sequence__lte=plan.last_sequence).delete()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config('lms.audit_archiving', 'off', true)")
    return archive


def archive_file_check(content: bytes) -> tuple[bool, str]:
    """Check an archive file on its own: the HMAC of its entries and the chain inside it."""
    *entry_lines, closing_line = content.decode().rstrip("\n").split("\n")
    try:
        closing = json.loads(closing_line)["archive"]
    except (ValueError, KeyError, TypeError):
        return False, "the closing line is missing"
    body = ("\n".join(entry_lines) + "\n").encode()
    if not constant_time_compare(archive_signature(body), closing["hmac_sha256"]):
        return False, "the signature does not match the entries"
    previous = closing["previous"]
    for line in entry_lines:
        row = json.loads(line)
        content_bytes = audit_chain.entry_content(
            sequence=row["sequence"],
            created_at=_parse_stamp(row["at"]),
            actor_id=row["actor"],
            verb=row["verb"],
            target_type=row["type"],
            target_id=row["target"],
            data=row["data"],
            district_id=row["district"],
            cohort_id=row["cohort"],
            previous_hash=row["previous"],
        )
        if row["previous"] != previous or audit_chain.sha256_hex(content_bytes) != row["hash"]:
            return False, f"entry {row['sequence']} does not verify"
        previous = row["hash"]
    if previous != closing["last_hash"]:
        return False, "the last hash differs from the closing line"
    return True, f"{len(entry_lines)} entries verify"


def _parse_stamp(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
