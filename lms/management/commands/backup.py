from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from lms.backup import BackupRefused, backup_create


class Command(BaseCommand):
    help = "Back up the database and the private files into a new folder, with a manifest of checksums."

    def add_arguments(self, parser):
        parser.add_argument("directory", help="A folder that does not exist yet, or is empty.")

    def handle(self, *args, directory, **options):
        try:
            manifest = backup_create(Path(directory))
        except BackupRefused as refusal:
            raise CommandError(str(refusal)) from None
        files = len(manifest["files"]) - 1
        objects = len(manifest["objects"])
        self.stdout.write(
            f"Backed up the {manifest['vendor']} database and "
            + (f"{files} private files" if manifest["storage"] == "folder" else f"a listing of {objects} objects")
            + f" into {directory}. Keep DJANGO_SECRET_KEY (and any signing key) apart from it."
        )
