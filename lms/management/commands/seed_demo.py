from django.core.management.base import BaseCommand
from django.db import transaction

from courses import demo as courses_demo


class Command(BaseCommand):
    help = "Build the demo: Nanhai district's 2022 cohort, with Hegang community's story. Safe to run again."

    def handle(self, *args, **options):
        with transaction.atomic():
            summary = courses_demo.seed()
        self.stdout.write(self.style.SUCCESS(f"Demo ready: {summary}"))
