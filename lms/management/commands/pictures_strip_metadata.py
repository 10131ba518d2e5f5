import hashlib

from django.core.files.base import File
from django.core.files.storage import default_storage
from django.core.management.base import BaseCommand
from django.db import transaction

from lms.picture_metadata import PictureUnreadable, clean_picture
from lms.previews import KINDS

PICTURE_TYPES = {"image/jpeg", "image/png", "image/webp"}


class Command(BaseCommand):
    help = (
        "Remove GPS and other identifying metadata from pictures stored before ingest did it (run once after "
        "upgrading). Each original is rewritten in place and its size and SHA-256 updated; --dry-run counts them."
    )

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true")

    def handle(self, *args, dry_run=False, **options):
        cleaned = unreadable = 0
        for kind in KINDS.values():
            model = kind.model
            rows = model.objects.filter(content_type__in=PICTURE_TYPES).exclude(**{kind.original: ""})
            for row in rows.iterator():
                name = getattr(row, kind.original)
                try:
                    with default_storage.open(name, "rb") as source:
                        result = clean_picture(source, content_type=row.content_type)
                except (PictureUnreadable, OSError) as error:
                    unreadable += 1
                    self.stderr.write(f"{kind.label} {row.pk}: {name} cannot be cleaned ({error}); left as it is")
                    continue
                if result is None:
                    continue
                cleaned += 1
                if dry_run:
                    continue
                data = result.read()
                result.seek(0)
                with transaction.atomic():
                    default_storage.delete(name)
                    saved = default_storage.save(name, File(result, name=name.rsplit("/", 1)[-1]))
                    fields = {kind.original: saved}
                    if hasattr(row, "sha256"):
                        fields["sha256"] = hashlib.sha256(data).hexdigest()
                    if hasattr(row, "size"):
                        fields["size"] = len(data)
                    model.objects.filter(pk=row.pk).update(**fields)
        verb = "would clean" if dry_run else "cleaned"
        self.stdout.write(f"Pictures {verb}: {cleaned}; unreadable, left as they were: {unreadable}.")
