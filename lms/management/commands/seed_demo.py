from importlib import import_module
from importlib.util import find_spec

from django.core.management.base import BaseCommand
from django.db import transaction

# Each app that has demo data keeps it in <app>/demo.py with a seed() -> str; order matters.
DEMO_APPS = ["courses", "fieldwork", "certificates"]
# Further demo modules (a dotted path with seed() -> str), each run right after its app's demo.
DEMO_EXTRA = {"courses": ["courses.demo_delivery"]}


class Command(BaseCommand):
    help = "Build the demo: Nanhai district's 2022 cohort, with Hegang community's story. Safe to run again."

    def handle(self, *args, **options):
        with transaction.atomic():
            for app in DEMO_APPS:
                if find_spec(f"{app}.demo"):
                    summary = import_module(f"{app}.demo").seed()
                    self.stdout.write(self.style.SUCCESS(f"{app}: {summary}"))
                for module in DEMO_EXTRA.get(app, []):
                    if find_spec(module):
                        self.stdout.write(self.style.SUCCESS(f"{module}: {import_module(module).seed()}"))
