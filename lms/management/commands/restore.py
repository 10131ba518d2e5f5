from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from lms.backup import BackupRefused, backup_restore


class Command(BaseCommand):
    help = "Restore a backup made by `manage.py backup` into an empty database and empty private storage."

    def add_arguments(self, parser):
        parser.add_argument("directory")

    def handle(self, *args, directory, **options):
        try:
            result = backup_restore(Path(directory))
        except BackupRefused as refusal:
            raise CommandError(str(refusal)) from None
        self.stdout.write(f"Restored the database and {result['restored_files']} private files from {directory}.")
        if result["missing_objects"]:
            raise CommandError(
                f"{len(result['missing_objects'])} objects of the listing are not in the bucket, e.g. "
                + ", ".join(result["missing_objects"][:5])
            )
