from pathlib import Path

from django.core.files.storage import default_storage
from django.core.management.base import BaseCommand, CommandError

from lms.services.audit_integrity import ArchiveRefused, archive_file_check, archive_plan, audit_entries_archive


class Command(BaseCommand):
    help = (
        "Move audit entries older than LMS_AUDIT_RETENTION_DAYS (or --older-than-days) to a signed archive in the "
        "private storage, then remove them. The only way entries leave the database. --dry-run says what it "
        "would take; --check FILE verifies an archive file (stored name, or a local path)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--older-than-days", type=int, default=None)
        parser.add_argument("--dry-run", action="store_true")
        parser.add_argument("--check", metavar="FILE")

    def handle(self, *args, older_than_days=None, dry_run=False, check=None, **options):
        if older_than_days is not None and older_than_days < 184:
            # The Cybersecurity Law asks for at least six months of logs (six calendar months can be 184 days).
            raise CommandError("Audit entries are kept at least 184 days (six months); choose 184 or more.")
        if check:
            path = Path(check)
            content = path.read_bytes() if path.exists() else default_storage.open(check, "rb").read()
            ok, message = archive_file_check(content)
            if not ok:
                raise CommandError(f"Archive does not verify: {message}")
            self.stdout.write(f"Archive verifies: {message}.")
            return
        plan = archive_plan(older_than_days=older_than_days)
        if dry_run:
            self.stdout.write(
                f"Would archive {plan.entries} entries written before {plan.cutoff:%Y-%m-%d %H:%M} "
                f"(places {plan.first_sequence}–{plan.last_sequence})."
            )
            return
        try:
            archive = audit_entries_archive(older_than_days=older_than_days)
        except ArchiveRefused as refusal:
            raise CommandError(str(refusal)) from None
        if archive is None:
            self.stdout.write("Nothing to archive.")
            return
        self.stdout.write(
            f"Archived {archive.entries} entries (places {archive.first_sequence}–{archive.last_sequence}) to "
            f"{archive.file_name}, SHA-256 {archive.file_sha256}; they are removed from the database."
        )
