from datetime import timedelta

from django.core.management.base import BaseCommand

from certificates import services


class Command(BaseCommand):
    help = "Re-queue certificates left pending too long (what Celery beat runs every 5 minutes)."

    def add_arguments(self, parser):
        parser.add_argument("--older-than", type=int, default=None, help="Seconds pending (default: the setting).")

    def handle(self, *args, older_than, **options):
        count = services.certificates_sweep(
            older_than=timedelta(seconds=older_than) if older_than is not None else None
        )
        self.stdout.write(f"Re-queued {count} pending certificates.")
