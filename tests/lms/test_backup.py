"""Backup and restore drill: a restored certificate downloads byte-identical; refusals change nothing."""

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import psycopg
import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from certificates import services as certificate_services
from certificates.models import Certificate
from tests.certificates.conftest import certified_world  # noqa: F401

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.django_db(transaction=True)


def server_url(name: str) -> str:
    s = connection.settings_dict
    return f"postgres://{s['USER']}:{s['PASSWORD']}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{name}"


@pytest.fixture
def empty_database():
    """A new, empty PostgreSQL database on the same server, dropped afterwards."""
    name = f"{connection.settings_dict['NAME']}_restore_{uuid.uuid4().hex[:6]}"
    with psycopg.connect(server_url("postgres"), autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    yield server_url(name)
    with psycopg.connect(server_url("postgres"), autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def issued_certificate(certified_world):  # noqa: F811
    w = certified_world
    batch = certificate_services.certificate_issue_batch(cohort=w.cohort, actor=w.staff, enrolment_ids=[w.done.pk])
    certificate = batch.certificates.get()
    certificate_services.certificate_render(certificate_id=certificate.pk)
    certificate.refresh_from_db()
    return certificate


def manage(*args, **env):
    full = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "AWS_"))} | env
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=full, capture_output=True, text=True, timeout=180
    )


DOWNLOAD = """
import hashlib
from django.test import Client
from certificates.models import Certificate
certificate = Certificate.objects.select_related("cohort").get(pk={pk})
client = Client()
client.force_login(certificate.batch.created_by)
response = client.get(f"/certificates/{pk}/download/")
print(response.status_code, hashlib.sha256(b"".join(response.streaming_content)).hexdigest())
"""


def test_backup_then_restore_into_an_empty_database_gives_back_the_certificate_byte_identical(
    tmp_path, issued_certificate, empty_database
):
    certificate = issued_certificate
    backup = tmp_path / "backup"
    call_command("backup", str(backup))
    manifest = json.loads((backup / "manifest.json").read_text())
    assert manifest["vendor"] == "postgresql" and manifest["storage"] == "folder"
    assert manifest["files"][f"files/{certificate.pdf.name}"] == certificate.sha256
    restored_files = tmp_path / "restored-private"
    restored_files.mkdir()
    env = {"DATABASE_URL": empty_database, "DJANGO_PRIVATE_ROOT": str(restored_files)}
    restored = manage("restore", str(backup), **env)
    assert restored.returncode == 0, restored.stderr
    assert "Restored the database and 1 private files" in restored.stdout
    download = manage("shell", "-c", DOWNLOAD.format(pk=certificate.pk), **env)
    assert download.stdout.split()[-2:] == ["200", certificate.sha256], download.stderr
    again = manage("restore", str(backup), **env)  # now the database is not empty any more
    assert again.returncode != 0 and "The database is not empty" in again.stderr


def test_backup_refuses_a_folder_that_is_not_empty(tmp_path, issued_certificate):
    backup = tmp_path / "backup"
    backup.mkdir()
    (backup / "old.txt").write_text("keep me")
    with pytest.raises(CommandError, match="is not empty; back up into a new folder"):
        call_command("backup", str(backup))
    assert [p.name for p in backup.iterdir()] == ["old.txt"]


def test_restore_refuses_a_database_that_is_not_empty_and_changes_nothing(tmp_path, issued_certificate):
    backup = tmp_path / "backup"
    call_command("backup", str(backup))
    Certificate.objects.filter(pk=issued_certificate.pk).update(trainee_name="改过的名字")
    with pytest.raises(CommandError, match="The database is not empty"):
        call_command("restore", str(backup))
    assert Certificate.objects.get(pk=issued_certificate.pk).trainee_name == "改过的名字"


def test_restore_refuses_a_backup_whose_files_do_not_match_the_manifest(tmp_path, issued_certificate, empty_database):
    backup = tmp_path / "backup"
    call_command("backup", str(backup))
    pdf = backup / "files" / issued_certificate.pdf.name
    pdf.write_bytes(pdf.read_bytes()[:-10])
    restored = manage("restore", str(backup), DATABASE_URL=empty_database, DJANGO_PRIVATE_ROOT=str(tmp_path / "r"))
    assert restored.returncode != 0 and "does not match its checksum; nothing was restored" in restored.stderr
    with psycopg.connect(empty_database) as target:
        tables = target.execute("SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'")
        assert tables.fetchone()[0] == 0


DERIVE = """
from lms import previews
from fieldwork.projects.models import ProjectPhoto
print(previews.previews_derive_pending(), ProjectPhoto.objects.get(pk={pk}).preview_state)
"""


def test_a_photo_still_waiting_for_its_sizes_is_restored_and_finished_after(
    tmp_path, issued_certificate, empty_database
):
    """Backed up between the hand-in and the worker: the original travels, the sizes are made after the restore."""
    from fieldwork.projects.models import ProjectPhoto
    from fieldwork.projects.photos import store_photo
    from lms.models import PreviewState
    from tests.courses.factories import TeamFactory
    from tests.projects.factories import FieldProjectFactory, photo_upload

    enrolment = issued_certificate.enrolment
    project = FieldProjectFactory(team=TeamFactory(cohort=enrolment.cohort, community=enrolment.community))
    stored = store_photo(photo_upload("议事会.jpg"), folder=f"projects/{project.pk}")
    photo = ProjectPhoto.objects.create(
        project=project,
        original_name=stored.original_name,
        path=stored.path,
        content_type=stored.content_type,
        size=stored.size,
        sha256=stored.sha256,
        uploaded_by=issued_certificate.batch.created_by,
    )
    assert photo.preview_state == PreviewState.PENDING and not photo.thumbnail_path
    backup = tmp_path / "backup"
    call_command("backup", str(backup))
    restored_files = tmp_path / "restored-private"
    restored_files.mkdir()
    env = {"DATABASE_URL": empty_database, "DJANGO_PRIVATE_ROOT": str(restored_files)}
    assert manage("restore", str(backup), **env).returncode == 0
    derived = manage("shell", "-c", DERIVE.format(pk=photo.pk), **env)
    assert derived.stdout.split()[-2:] == ["1", PreviewState.READY], derived.stderr
    assert [p.name for p in restored_files.rglob("*.thumb.jpg")]  # made from the restored original
