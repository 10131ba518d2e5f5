#!/usr/bin/env python3
"""Issuing a cohort's certificates: what the staff member's request waits for, at 50 and 500 trainees.

The request does two things: the issue service (eligibility, one row per certificate, the audit row)
and, after commit, one render task sent per certificate. This times both on PostgreSQL and Redis
(the rows are rolled back, the tasks go to a throw-away queue that is deleted), prints them beside the
target (the whole request under 1 s at 500) and exits non-zero on a miss. Report the load beside them.

    .venv/bin/python bench/issue_batch.py [--sizes 50,500] [--database-url URL]
"""

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
from benchlib import recreate_database  # noqa: E402 - beside this script

TARGET_MS = 1000.0




class Rollback(Exception):
    pass


def measure(size: int) -> tuple[int, float, float]:
    import redis
    from django.conf import settings
    from django.db import transaction

    from certificates import services
    from certificates.models import CompletionRule
    from courses.models import Enrolment
    from lms.models import User
    from tests.conftest import World

    ids: list[int] = []
    try:
        with transaction.atomic():
            world = World()
            unusable = "!"  # bench trainees never log in
            users = User.objects.bulk_create(
                [User(username=f"issue{size}-{i}", full_name=f"学员{i}", password=unusable) for i in range(size)]
            )
            Enrolment.objects.bulk_create(
                [Enrolment(cohort=world.cohort, trainee=u, community=world.community) for u in users]
            )
            CompletionRule.objects.create(cohort=world.cohort, min_lesson_percent=0)
            start = time.perf_counter()
            batch = services.certificate_issue_batch(cohort=world.cohort, actor=world.staff)
            service_ms = (time.perf_counter() - start) * 1000
            ids = list(batch.certificates.values_list("pk", flat=True))
            raise Rollback
    except Rollback:
        pass
    settings.CERTIFICATES_QUEUE = f"bench-issue-{os.getpid()}"
    start = time.perf_counter()
    services.queue_render(ids)
    send_ms = (time.perf_counter() - start) * 1000
    redis.Redis.from_url(settings.CELERY_BROKER_URL).delete(settings.CERTIFICATES_QUEUE)
    return len(ids), service_ms, send_ms


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="50,500")
    parser.add_argument(
        "--database-url",
        default=os.environ.get("BENCH_DATABASE_URL", "postgres://postgres:postgres@127.0.0.1:5432/lms_bench_issue"),
    )
    args = parser.parse_args()
    os.environ["DATABASE_URL"] = args.database_url
    os.environ["DJANGO_SETTINGS_MODULE"] = "lms.settings"
    sys.path.insert(0, str(ROOT))
    recreate_database(args.database_url)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    missed = 0
    print(f"load average: {' / '.join(f'{x:.2f}' for x in os.getloadavg())}")
    header = f"{'trainees':>8} {'issue service ms':>17} {'send tasks ms':>14} {'request ms':>11}"
    print(f"{header}   target < {TARGET_MS:.0f} ms")
    for size in [int(s) for s in args.sizes.split(",")]:
        count, service_ms, send_ms = measure(size)
        total = service_ms + send_ms
        ok = total < TARGET_MS
        missed += not ok
        print(f"{count:>8} {service_ms:>17.0f} {send_ms:>14.0f} {total:>11.0f}   {'ok' if ok else 'MISSED'}")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
