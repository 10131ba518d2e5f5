"""Benchmark: per-cohort totals and case-library search at course scale (500 trainees, 100 teams, 20 activities each).

Usage: DATABASE_URL=postgres://postgres:postgres@127.0.0.1:5432/lms_bench .venv/bin/python bench/projects_totals.py
Migrates the given database, builds the data set inside a transaction, measures, and rolls everything back.
Prints each figure beside its target and exits non-zero when a target is missed.
"""

import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lms.settings")

import django

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

TARGETS = {
    "cohort_totals queries": 3,
    "cohort_totals median ms": 150,
    "library_search queries": 4,
    "library_search median ms": 150,
    "totals page queries": 12,
    "totals page median ms": 400,
    "library page median ms": 400,
}


class Rollback(Exception):
    pass


def timed(fn, runs=15):
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main() -> int:
    call_command("migrate", verbosity=0)
    from fieldwork.projects import selectors
    from tests.conftest import World
    from tests.projects.factories import build_scale

    figures = {}
    try:
        with transaction.atomic():
            world = World()
            start = time.perf_counter()
            build_scale(world, teams=100, members=5, activities=20)
            seconds = time.perf_counter() - start
            print(f"built 500 trainees, 100 teams, 2000 activities, 100 approved cases in {seconds:.1f} s")
            with CaptureQueriesContext(connection) as queries:
                selectors.cohort_totals(cohort=world.cohort)
            figures["cohort_totals queries"] = len(queries)
            figures["cohort_totals median ms"] = timed(lambda: selectors.cohort_totals(cohort=world.cohort))
            filters = selectors.clean_library_filters(query="农耕", year=str(world.cohort.year))
            with CaptureQueriesContext(connection) as queries:
                selectors.library_search(filters=filters)
            figures["library_search queries"] = len(queries)
            filters = selectors.clean_library_filters(query="治理模式")
            figures["library_search median ms"] = timed(lambda: selectors.library_search(filters=filters))
            client = Client()
            client.force_login(world.staff)
            url = f"/projects/cohorts/{world.cohort.pk}/totals/"
            client.get(url)
            with CaptureQueriesContext(connection) as queries:
                assert client.get(url).status_code == 200
            figures["totals page queries"] = len(queries)
            figures["totals page median ms"] = timed(lambda: client.get(url), runs=7)
            figures["library page median ms"] = timed(lambda: client.get("/projects/library/", {"q": "治理"}), runs=7)
            raise Rollback
    except Rollback:
        pass
    missed = 0
    for name, target in TARGETS.items():
        value = figures[name]
        ok = value <= target
        missed += not ok
        shown = f"{value:.1f}" if isinstance(value, float) else str(value)
        print(f"{name:28} {shown:>8}   target <= {target:<6} {'ok' if ok else 'MISSED'}")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
