#!/usr/bin/env python3
"""Staff pages at a district's full scale, under gunicorn and PostgreSQL.

For each size (50, 500 and 2,000 trainees by default; 5 to a team, 10 sessions with every trainee's
attendance, 2 assignments with every trainee's released grade, 20 activities a team) this sets up
its own database, starts gunicorn, and asks every page a person of each role opens: cohort page,
gradebook, eligibility, attendance sheet, participation totals, district overview, dashboard, and
the homes of staff, instructor and trainee. It prints for each page the query count (measured in
process), the median and p95 (nearest rank) time to first byte of 20 requests, and the gzip-compressed
size, beside the targets. Each page is first asked twice per gunicorn worker, so that every worker has
compiled its templates and opened its database connection: the figures are a running server's, not a
cold start's (and the staff home and dashboard answer from their per-cohort cache, as they do for every
request after the first one since the last change). Tables are ANALYZEd after the bulk load, as autovacuum
leaves a running database. Across sizes it checks that the query count is the same and that no page's time
grows faster than its trainees do. The time targets apply up to TARGET_SIZE trainees; larger sizes are printed
so that growth is visible. Each row carries the 1-minute load average when it was measured: the machine is
shared, so a figure means little without it. Exits non-zero on any miss.

    .venv/bin/python bench/staff_pages.py [--sizes 50,500,2000] [--runs 20] [--workers 2]
"""

import argparse
import gzip
import http.client
import math
import os
import secrets
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
from benchlib import free_port, recreate_database, session_key, start_gunicorn  # noqa: E402 - beside this script

VENV_PYTHON = ROOT / ".venv" / "bin" / "python"
if Path(sys.prefix).resolve() != (ROOT / ".venv").resolve() and VENV_PYTHON.exists():
    os.execv(VENV_PYTHON, [str(VENV_PYTHON), __file__, *sys.argv[1:]])  # noqa: S606 - the project's own interpreter

TARGET_MEDIAN_MS = 100.0
TARGET_P95_MS = 200.0
TARGET_KB = 150.0
# The district's full scale: the time targets hold up to here; beyond it the figures show growth only.
TARGET_SIZE = 500


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="50,500,2000")
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--database-url",
        default=os.environ.get("BENCH_DATABASE_URL", "postgres://postgres:postgres@127.0.0.1:5432/lms_bench_pages"),
    )
    return parser.parse_args()


def build(trainees: int) -> dict:
    """The data set, built with bulk_create; returns the ids the pages need and a session key per role."""
    from datetime import timedelta
    from decimal import Decimal

    from django.utils import timezone

    from certificates.models import CompletionRule
    from courses.models import Attendance, AttendanceSource, AttendanceStatus, Enrolment, Lesson, LessonKind, Session
    from fieldwork.models import Submission, SubmissionState
    from tests.conftest import World
    from tests.fieldwork.factories import AssignmentFactory
    from tests.projects.factories import build_scale

    world = World()
    build_scale(world, teams=max(trainees // 5, 1), members=5, activities=20)
    cohort = world.cohort
    enrolments = list(Enrolment.objects.filter(cohort=cohort))
    lecture = Lesson.objects.create(module=world.basics, position=9, kind=LessonKind.LECTURE, title="专业技能授课")
    start = timezone.now() - timedelta(days=30)
    sessions = Session.objects.bulk_create(
        [
            Session(
                cohort=cohort,
                lesson=lecture,
                starts_at=start + timedelta(days=3 * i),
                ends_at=start + timedelta(days=3 * i, hours=2),
                place="南海区社区治理学院",
                check_in_opens_at=start + timedelta(days=3 * i, minutes=-30),
                check_in_closes_at=start + timedelta(days=3 * i, minutes=30),
            )
            for i in range(10)
        ]
    )
    statuses = [AttendanceStatus.PRESENT] * 7
    statuses += [AttendanceStatus.LATE, AttendanceStatus.EXCUSED, AttendanceStatus.ABSENT]
    Attendance.objects.bulk_create(
        [
            Attendance(
                session=session,
                enrolment=enrolment,
                status=statuses[(i + j) % len(statuses)],
                source=AttendanceSource.INSTRUCTOR,
                recorded_by=world.instructor,
            )
            for i, session in enumerate(sessions)
            for j, enrolment in enumerate(enrolments)
        ],
        batch_size=2000,
    )
    now = timezone.now()
    for title in ("社区资产地图", "参与式设计方案"):
        assignment = AssignmentFactory(module=world.basics, title=title)
        Submission.objects.bulk_create(
            [
                Submission(
                    assignment=assignment,
                    enrolment=enrolment,
                    state=SubmissionState.RELEASED,
                    score=Decimal(10 + j % 10),
                    submitted_at=now,
                    released_at=now,
                )
                for j, enrolment in enumerate(enrolments)
            ],
            batch_size=2000,
        )
    CompletionRule.objects.create(cohort=cohort, min_lesson_percent=50, min_attendance_percent=60)
    from django.db import connection

    with connection.cursor() as cursor:  # planner statistics, as autovacuum keeps them on a running database
        cursor.execute("ANALYZE")

    keys = {
        role: session_key(user)
        for role, user in (("staff", world.staff), ("instructor", world.instructor), ("trainee", world.trainee))
    }
    c, s = cohort.pk, sessions[-1].pk
    pages = [
        ("cohort page", "staff", f"/cohorts/{c}/"),
        ("gradebook", "staff", f"/cohorts/{c}/gradebook/"),
        ("eligibility", "staff", f"/cohorts/{c}/certificates/"),
        ("attendance sheet", "instructor", f"/sessions/{s}/"),
        ("totals", "staff", f"/projects/cohorts/{c}/totals/"),
        ("district overview", "staff", "/district/cohorts/"),
        ("dashboard", "staff", f"/cohorts/{c}/dashboard/"),
        ("staff home", "staff", "/todo/staff/"),
        ("instructor home", "instructor", "/todo/instructor/"),
        ("trainee home", "trainee", "/todo/trainee/"),
    ]
    users = {"staff": world.staff, "instructor": world.instructor, "trainee": world.trainee}
    return {"pages": pages, "keys": keys, "users": users}


def count_queries(pages, users) -> dict:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    counts = {}
    for name, role, url in pages:
        client = Client()
        client.force_login(users[role])
        client.get(url)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        counts[name] = (len(queries), response.status_code)
    return counts


def fetch(port: int, url: str, session_key: str) -> tuple[float, int, int]:
    """(seconds to the first byte of the answer, status, bytes on the wire) for one GET asking for gzip."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    started = time.perf_counter()
    conn.request("GET", url, headers={"Cookie": f"sessionid={session_key}", "Accept-Encoding": "gzip"})
    response = conn.getresponse()
    first_byte = time.perf_counter() - started
    body = response.read()
    conn.close()
    wire = len(body) if response.getheader("Content-Encoding") == "gzip" else len(gzip.compress(body))
    # Where the app does not compress, the figure is what a compressing proxy would send; the table says which.
    return first_byte, response.status, wire if response.getheader("Content-Encoding") == "gzip" else -wire


def measure(size: int, args) -> list[dict]:
    env = {
        **os.environ,
        "DATABASE_URL": args.database_url,
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": os.environ.get("DJANGO_SECRET_KEY", secrets.token_urlsafe(50)),
        "CACHE_KEY_PREFIX": f"bench-staff-pages-{size}",
        "DATABASE_CONN_MAX_AGE": "60",
        "LOG_LEVEL": "ERROR",
    }
    os.environ.update(env)
    recreate_database(args.database_url)
    subprocess.run([str(VENV_PYTHON), "manage.py", "migrate", "--verbosity", "0"], cwd=ROOT, env=env, check=True)
    import django
    from django.db import connections

    django.setup()
    started = time.perf_counter()
    data = build(size)
    print(f"  built {size} trainees in {time.perf_counter() - started:.1f} s", flush=True)
    counts = count_queries(data["pages"], data["users"])
    connections.close_all()
    port = free_port()
    server = start_gunicorn(port, args.workers, env, log_name="bench-staff-pages.log")
    rows = []
    try:
        for name, role, url in data["pages"]:
            for _ in range(2 * args.workers):  # warm every worker (which one answers is the kernel's choice)
                fetch(port, url, data["keys"][role])
            times, wire, status = [], 0, 0
            for _ in range(args.runs):
                seconds, status, wire = fetch(port, url, data["keys"][role])
                times.append(seconds * 1000)
            ordered = sorted(times)
            rows.append(
                {
                    "size": size,
                    "page": name,
                    "status": status,
                    "queries": counts[name][0],
                    "median": statistics.median(times),
                    "p95": ordered[math.ceil(0.95 * len(ordered)) - 1],
                    "kb": abs(wire) / 1024,
                    "app_gzip": wire > 0,
                    "load": os.getloadavg()[0],
                }
            )
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=10)
    return rows


def main() -> int:
    args = parse_args()
    os.environ["DJANGO_SETTINGS_MODULE"] = "lms.settings"
    sys.path.insert(0, str(ROOT))
    (ROOT / "var").mkdir(exist_ok=True)
    rows = []
    for size in [int(s) for s in args.sizes.split(",")]:
        print(f"size {size}:", flush=True)
        rows += measure(size, args)
    print(f"load average: {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} {os.getloadavg()[2]:.2f}")
    print(
        f"{'trainees':>8} {'page':18} {'status':>6} {'queries':>7} {'median ms':>10} {'p95 ms':>8} {'gzip KB':>8}"
        f" {'load':>5}   targets (up to {TARGET_SIZE} trainees): median < {TARGET_MEDIAN_MS:.0f} ms,"
        f" p95 < {TARGET_P95_MS:.0f} ms, < {TARGET_KB:.0f} KB"
    )
    missed = 0
    for row in rows:
        timed = row["size"] <= TARGET_SIZE
        ok = (
            row["status"] == 200
            and (not timed or (row["median"] < TARGET_MEDIAN_MS and row["p95"] < TARGET_P95_MS))
            and row["kb"] < TARGET_KB
            and row["app_gzip"]
        )
        missed += not ok
        note = "" if row["app_gzip"] else " (not compressed by the app)"
        note += "" if timed else " (growth only)"
        print(
            f"{row['size']:>8} {row['page']:18} {row['status']:>6} {row['queries']:>7} {row['median']:>10.1f}"
            f" {row['p95']:>8.1f} {row['kb']:>8.1f} {row['load']:>5.2f}   {'ok' if ok else 'MISSED'}{note}"
        )
    missed += check_growth(rows)
    return 1 if missed else 0


def check_growth(rows) -> int:
    """Between the smallest and largest size: the same query count, and time growing no faster than trainees."""
    sizes = sorted({row["size"] for row in rows})
    if len(sizes) < 2:
        return 0
    small, large = sizes[0], sizes[-1]
    by_key = {(row["size"], row["page"]): row for row in rows}
    print(f"growth {small} -> {large} trainees ({large / small:.0f}x): queries must not change, time must grow less")
    missed = 0
    for page in [row["page"] for row in rows if row["size"] == small]:
        a, b = by_key[(small, page)], by_key[(large, page)]
        growth = b["median"] / a["median"]
        ok = a["queries"] == b["queries"] and growth < large / small
        missed += not ok
        print(
            f"  {page:18} queries {a['queries']:>3} -> {b['queries']:<3} time x{growth:5.2f}"
            f"   {'ok' if ok else 'MISSED'}"
        )
    return missed


if __name__ == "__main__":
    sys.exit(main())
