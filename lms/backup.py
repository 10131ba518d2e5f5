"""Backup and restore: the database (PostgreSQL's own tools, or SQLite's online backup) and the private files.

A backup is a folder: `database.dump` (pg_dump's custom format) or `database.sqlite3`, `files/` (the
private folder's files, read through the storage) or, for a bucket, a listing of its objects (the
bucket keeps its own copies: versioning, replication), and `manifest.json` with a SHA-256 for every
file. Restore checks every checksum first, and goes only into an empty database and empty storage.
The secret key and any signing key are not in the backup: keep them apart.
"""

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

from django.conf import settings
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import connection
from django.utils import timezone

from lms.storage import CHUNK, is_bucket, open_stream

MANIFEST = "manifest.json"


class BackupRefused(Exception):
    """The backup or restore cannot go ahead; the message says why."""


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as source:
        while chunk := source.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise BackupRefused(f"{name} is not installed (Debian: postgresql-client).")
    return path


def _pg_env() -> dict:
    db = connection.settings_dict
    return {
        **os.environ,
        "PGHOST": db.get("HOST") or "127.0.0.1",
        "PGPORT": str(db.get("PORT") or 5432),
        "PGUSER": db.get("USER") or "",
        "PGPASSWORD": db.get("PASSWORD") or "",
        "PGDATABASE": db["NAME"],
    }


def _stored_names(storage, folder: str = "") -> list[str]:
    directories, files = storage.listdir(folder)
    names = [f"{folder}/{name}" if folder else name for name in files]
    for directory in directories:
        names += _stored_names(storage, f"{folder}/{directory}" if folder else directory)
    return sorted(names)


def backup_create(directory: Path) -> dict:
    """Write a backup into `directory`, which must not exist or be empty. Returns the manifest."""
    directory = Path(directory)
    if directory.exists() and any(directory.iterdir()):
        raise BackupRefused(f"{directory} is not empty; back up into a new folder.")
    directory.mkdir(parents=True, exist_ok=True)
    manifest = {"created_at": timezone.now().isoformat(), "vendor": connection.vendor, "files": {}, "objects": []}
    if connection.vendor == "postgresql":
        target = directory / "database.dump"
        subprocess.run(  # noqa: S603 -- fixed arguments; the connection goes through PG* variables
            [_tool("pg_dump"), "--format=custom", "--no-owner", "--no-privileges", "--file", str(target)],
            env=_pg_env(),
            check=True,
            capture_output=True,
        )
    elif connection.vendor == "sqlite":
        target = directory / "database.sqlite3"
        connection.ensure_connection()
        with sqlite3.connect(target) as copy:
            connection.connection.backup(copy)
        copy.close()
    else:
        raise BackupRefused(f"No backup method for {connection.vendor}.")
    manifest["database"] = target.name
    manifest["files"][target.name] = _sha256_file(target)
    storage = default_storage
    if is_bucket(storage):
        manifest["storage"] = "bucket"
        manifest["bucket"] = storage.bucket_name
        for item in storage.bucket.objects.filter(Prefix=storage.location or ""):
            manifest["objects"].append({"key": item.key, "size": item.size, "etag": item.e_tag.strip('"')})
    else:
        manifest["storage"] = "folder"
        for name in _stored_names(storage):
            path = directory / "files" / name
            path.parent.mkdir(parents=True, exist_ok=True)
            with open_stream(name) as source, path.open("wb") as target_file:
                shutil.copyfileobj(source, target_file, CHUNK)
            manifest["files"][f"files/{name}"] = _sha256_file(path)
    (directory / MANIFEST).write_text(json.dumps(manifest, indent=1, ensure_ascii=False))
    return manifest


def _database_is_empty() -> bool:
    return not connection.introspection.table_names()


def backup_restore(directory: Path) -> dict:
    """Restore the backup in `directory` into this (empty) database and (empty) storage."""
    directory = Path(directory)
    try:
        manifest = json.loads((directory / MANIFEST).read_text())
    except (OSError, ValueError) as error:
        raise BackupRefused(f"{directory} holds no readable {MANIFEST}: {error}") from None
    for name, expected in manifest["files"].items():
        path = directory / name
        if not path.is_file() or _sha256_file(path) != expected:
            raise BackupRefused(f"{name} is missing or does not match its checksum; nothing was restored.")
    if manifest["vendor"] != connection.vendor:
        raise BackupRefused(f"The backup is of {manifest['vendor']}; this database is {connection.vendor}.")
    if not _database_is_empty():
        raise BackupRefused("The database is not empty; restore only into a new, empty database.")
    storage = default_storage
    if manifest["storage"] == "folder" and (is_bucket(storage) or _stored_names(storage)):
        raise BackupRefused("The private storage is not an empty folder; restore files only into an empty one.")
    source = directory / manifest["database"]
    if connection.vendor == "postgresql":
        restore = [_tool("pg_restore"), "--no-owner", "--no-privileges", "--exit-on-error"]
        result = subprocess.run(  # noqa: S603 -- fixed arguments; the connection goes through PG* variables
            [*restore, "--dbname", connection.settings_dict["NAME"], str(source)],
            env=_pg_env(),
            capture_output=True,
            text=True,
        )
        if result.returncode:
            raise BackupRefused(f"pg_restore failed: {result.stderr.strip()[:2000]}")
    else:
        connection.close()
        with sqlite3.connect(source) as backup, sqlite3.connect(settings.DATABASES["default"]["NAME"]) as live:
            backup.backup(live)
    missing = []
    if manifest["storage"] == "folder":
        for name in manifest["files"]:
            if name.startswith("files/"):
                with (directory / name).open("rb") as content:
                    storage.save(name.removeprefix("files/"), File(content))
    else:
        missing = [item["key"] for item in manifest["objects"] if not storage.exists(item["key"])]
    return {"restored_files": sum(1 for n in manifest["files"] if n.startswith("files/")), "missing_objects": missing}
