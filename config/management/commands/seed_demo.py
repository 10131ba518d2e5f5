from importlib import import_module

from django.core.management.base import BaseCommand
from django.db import transaction

# Each module has a seed() -> str that is safe to run again; later ones build on earlier ones.
DEMO_MODULES = [
    "courses.demo",
    "courses.demo_attendance",
    "fieldwork.demo",
    "fieldwork.projects.demo",
    "certificates.demo",
    # After the certificate template: a second district running the course makes the template shared.
    "courses.demo_current",
    "fieldwork.demo_current",
    # Every demo district's issuing body and seal (Shunde exists from the current cohorts on).
    "certificates.demo_districts",
]


class Command(BaseCommand):
    help = (
        "Build the demo: Nanhai district's 2022 cohort with Hegang community's story, a current Nanhai cohort, "
        "and Shunde district. Safe to run again."
    )

    def handle(self, *args, **options):
        with transaction.atomic():
            for module in DEMO_MODULES:
                summary = import_module(module).seed()
                self.stdout.write(self.style.SUCCESS(f"{module}: {summary}"))
            # The demo's photos get their previews here, so the pages show them before any worker runs.
            from lms.previews import previews_derive_pending

            made = previews_derive_pending()
            self.stdout.write(self.style.SUCCESS(f"previews: {made} pictures"))
