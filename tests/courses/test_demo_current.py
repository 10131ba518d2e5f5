"""The demo's current cohort (daily work possible today) and its second district (scoping visible)."""

import datetime as dt

import pytest
from django.core.management import call_command
from django.utils import timezone

from courses.models import Cohort, Session
from fieldwork.models import Assignment
from lms.models import User

pytestmark = pytest.mark.django_db


def test_demo_can_be_seeded_twice_on_one_day():
    call_command("seed_demo")
    call_command("seed_demo")
    assert Cohort.objects.running_on(timezone.localdate()).filter(district__code="nh").exclude(year=2022).count() == 1


def test_demo_has_a_current_nanhai_cohort_and_a_scoped_shunde_district(client):
    call_command("seed_demo")
    today = timezone.localdate()
    current = Cohort.objects.running_on(today).exclude(year=2022).get(district__code="nh")
    assert current.is_running_on(today) and not current.is_running_on(current.ends_on + dt.timedelta(days=1))
    assert current.enrolments.count() >= 5 and current.teachings.filter(instructor__username="mentor.chen").exists()
    days = {timezone.localtime(s.starts_at).date() for s in Session.objects.filter(cohort=current)}
    assert today in days and all(abs((day - today).days) <= 6 for day in days)
    now = timezone.now()
    assert Session.objects.filter(cohort=current, check_in_opens_at__lte=now, check_in_closes_at__gte=now).exists()
    assert today + dt.timedelta(days=1) in days
    open_now = Assignment.objects.filter(
        module__cohort=current, opens_at__lte=timezone.now(), due_at__gt=timezone.now()
    )
    assert open_now.count() == 2

    shunde = Cohort.objects.get(district__name="顺德区")
    assert shunde.enrolments.count() >= 3 and shunde.teachings.exists()
    shunde_staff = User.objects.get(username="shunde.staff")
    assert shunde_staff.check_password("demo-pass-2022")
    client.force_login(shunde_staff)
    people = client.get("/people/").content.decode()
    assert "林晓东" in people and "何家明" not in people and "陈嘉怡" not in people
    assert client.get(f"/cohorts/{current.pk}/").status_code == 404
    assert client.get(f"/cohorts/{shunde.pk}/enrol-sheet/").status_code == 200

    client.force_login(User.objects.get(username="yanbu01"))
    assert client.get(f"/cohorts/{current.pk}/learn/").status_code == 200
    assert Session.objects.filter(cohort=current, starts_at__date__gte=today - dt.timedelta(days=3)).exists()
