"""The audit proves itself: a hash chain, an append-only trigger, a verify command and a signed archive."""

import itertools
import threading
from datetime import timedelta

import pytest
from django.conf import settings as django_settings
from django.core.files.storage import default_storage
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, connections, transaction
from django.utils import timezone

from lms import audit_chain
from lms.audit import audit_record, audit_record_many
from lms.models import AuditArchive, AuditEntry, AuditVerification
from lms.services.audit_integrity import archive_file_check, audit_verify
from tests.lms.factories import DistrictFactory, UserFactory

pytestmark = pytest.mark.django_db
postgres_only = pytest.mark.skipif(
    django_settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql", reason="PostgreSQL trigger"
)


def write(n, *, actor=None, verb="town.created"):
    district = DistrictFactory()
    return [
        audit_record(actor=actor, verb=verb, target=district, note=f"n{i}", tuple_becomes_list=(1, 2)) for i in range(n)
    ]


def as_attacker(sql, params=()):
    """What someone with database rights does: switch the triggers off for the session, change rows, switch back."""
    with connection.cursor() as cursor:
        cursor.execute("SET session_replication_role = replica")
        cursor.execute(sql, params)
        cursor.execute("SET session_replication_role = DEFAULT")


def verify_fails_naming(fragment):
    with pytest.raises(CommandError) as failure:
        call_command("audit_verify")
    assert fragment in str(failure.value)
    latest = AuditVerification.objects.first()
    assert latest.ok is False and fragment in latest.problem
    return str(failure.value)


def test_each_entry_is_chained_to_the_one_before():
    entries = write(3)
    entries += audit_record_many(actor=None, verb="user.created", targets=UserFactory.create_batch(2))
    rows = list(AuditEntry.objects.order_by("sequence"))
    assert [r.sequence for r in rows] == list(range(1, 6))
    assert rows[0].previous_hash == audit_chain.GENESIS
    for before, after in itertools.pairwise(rows):
        assert after.previous_hash == before.entry_hash
    assert all(len(r.entry_hash) == 64 for r in rows)
    assert rows[0].data == {"note": "n0", "tuple_becomes_list": [1, 2]}
    report = audit_chain.chain_verify()
    assert report.ok and report.checked == 5 and report.head_hash == rows[-1].entry_hash


def test_verify_command_passes_on_an_intact_chain(capsys):
    write(3)
    call_command("audit_verify")
    assert "Audit chain intact: 3 entries checked" in capsys.readouterr().out
    assert AuditVerification.objects.first().ok


@postgres_only
@pytest.mark.parametrize(
    "sql", ["UPDATE lms_auditentry SET verb = 'x' WHERE sequence = 2", "DELETE FROM lms_auditentry WHERE sequence = 2"]
)
def test_the_database_refuses_update_and_delete_of_audit_rows(sql):
    write(3)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql)
    assert AuditEntry.objects.filter(sequence=2).exclude(verb="x").exists()


@postgres_only
def test_the_orm_cannot_change_an_audit_row_either():
    entry = write(1)[0]
    entry.verb = "user.created"
    with pytest.raises(DatabaseError), transaction.atomic():
        entry.save()
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEntry.objects.all().delete()
    assert AuditEntry.objects.get().verb == "town.created"


@postgres_only
def test_an_update_made_with_the_trigger_off_is_named_by_audit_verify():
    write(5)
    as_attacker('UPDATE lms_auditentry SET data = \'{"note": "forged"}\' WHERE sequence = 3')
    message = verify_fails_naming("entry 3")
    assert "changed after it was written" in message


@postgres_only
def test_a_removed_entry_is_named():
    write(5)
    as_attacker("DELETE FROM lms_auditentry WHERE sequence = 2")
    verify_fails_naming("entries 2–2 are missing")


@postgres_only
def test_an_entry_inserted_out_of_order_is_named():
    entries = write(4)
    # The attacker renumbers the tail and slips a forged entry in at place 3, hashed correctly for its content.
    as_attacker("UPDATE lms_auditentry SET sequence = sequence + 10 WHERE sequence >= 3")
    forged = AuditEntry(
        verb="user.created",
        target_type=entries[0].target_type,
        target_id="1",
        data={},
        sequence=3,
        previous_hash="f" * 64,
        created_at=timezone.now(),
    )
    forged.entry_hash = audit_chain.sha256_hex(audit_chain.content_of(forged, "lms.district"))
    forged.save()
    verify_fails_naming("entry 3")


def test_removing_the_newest_entries_is_found_against_the_last_verification():
    write(4)
    assert audit_verify().ok
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET session_replication_role = replica")
        cursor.execute("DELETE FROM lms_auditentry WHERE sequence >= 3")
        if connection.vendor == "postgresql":
            cursor.execute("SET session_replication_role = DEFAULT")
    verify_fails_naming("the last verification saw entry 4")


def test_sm3_is_chained_beside_sha256_when_the_setting_is_on(settings):
    pytest.importorskip("gmssl")
    settings.LMS_AUDIT_SM3 = True
    entry = write(1)[0]
    content = audit_chain.content_of(AuditEntry.objects.get(pk=entry.pk), "lms.district")
    assert entry.entry_sm3 == audit_chain.sm3_hex(content) and len(entry.entry_sm3) == 64
    assert audit_chain.chain_verify().ok


def test_without_the_setting_no_sm3_is_stored():
    assert write(1)[0].entry_sm3 == ""


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_never_fork_the_chain():
    district = DistrictFactory()
    errors = []
    start = threading.Barrier(6)

    def writer():
        try:
            start.wait()
            for _ in range(8):
                with transaction.atomic():
                    audit_record(actor=None, verb="town.created", target=district)
        except Exception as error:
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=writer) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert list(AuditEntry.objects.order_by("sequence").values_list("sequence", flat=True)) == list(range(1, 49))
    assert audit_chain.chain_verify().ok


def test_operators_page_shows_the_last_verification(client):
    operator = UserFactory(is_superuser=True, is_staff=True)
    client.force_login(operator)
    assert "manage.py audit_verify" in client.get("/operations/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    write(2)
    audit_verify()
    page = client.get("/operations/").content.decode()
    assert 'data-testid="audit-verification"' in page and 'data-ok="yes"' in page


def test_beat_walks_the_chain_every_day():
    entry = django_settings.CELERY_BEAT_SCHEDULE["lms-audit-verify"]
    assert entry["task"] == "lms.audit_verify"
    assert entry["schedule"].hour == {3}


# --- retention


def _written_days_ago(days, n, monkeypatch):
    moment = timezone.now() - timedelta(days=days)
    with monkeypatch.context() as patched:
        patched.setattr(timezone, "now", lambda: moment)
        return write(n)


def test_old_entries_go_to_a_signed_archive_and_the_chain_continues(monkeypatch, capsys):
    _written_days_ago(200, 3, monkeypatch)
    write(2)
    call_command("audit_archive", "--dry-run")
    assert "Would archive 3 entries" in capsys.readouterr().out
    call_command("audit_archive")
    archive = AuditArchive.objects.get()
    assert (archive.first_sequence, archive.last_sequence, archive.entries) == (1, 3, 3)
    assert list(AuditEntry.objects.values_list("sequence", flat=True).order_by("sequence")) == [4, 5]
    content = default_storage.open(archive.file_name, "rb").read()
    assert archive_file_check(content) == (True, "3 entries verify")
    assert content.count(b"\n") == 4  # three entries and the closing line
    assert audit_chain.chain_verify().ok
    write(1)  # appended after the remaining tail
    assert audit_chain.chain_verify().ok
    call_command("audit_archive", "--check", archive.file_name)
    assert "Archive verifies" in capsys.readouterr().out


def test_an_archive_file_changed_afterwards_does_not_verify(monkeypatch):
    _written_days_ago(200, 2, monkeypatch)
    call_command("audit_archive")
    archive = AuditArchive.objects.get()
    content = default_storage.open(archive.file_name, "rb").read().replace(b"n1", b"n9")
    ok, message = archive_file_check(content)
    assert not ok and "signature" in message


def test_when_every_entry_was_archived_the_next_continues_from_the_archive(monkeypatch):
    _written_days_ago(200, 2, monkeypatch)
    call_command("audit_archive")
    assert not AuditEntry.objects.exists()
    entry = write(1)[0]
    assert entry.sequence == 3 and entry.previous_hash == AuditArchive.objects.get().last_hash
    assert audit_chain.chain_verify().ok


def test_nothing_younger_than_six_months_can_be_archived(monkeypatch):
    _written_days_ago(100, 2, monkeypatch)
    with pytest.raises(CommandError, match="at least 184 days"):
        call_command("audit_archive", "--older-than-days", "90")
    call_command("audit_archive")
    assert AuditEntry.objects.count() == 2 and not AuditArchive.objects.exists()


@postgres_only
def test_a_broken_chain_is_not_archived(monkeypatch):
    _written_days_ago(200, 3, monkeypatch)
    as_attacker("UPDATE lms_auditentry SET verb = 'x' WHERE sequence = 2")
    with pytest.raises(CommandError, match="does not verify"):
        call_command("audit_archive")
    assert AuditEntry.objects.count() == 3 and not AuditArchive.objects.exists()
