import pytest
from django.core.management import call_command

from courses.models import Cohort, Enrolment, LessonCompletion, Module
from lms.models import Community, User

pytestmark = pytest.mark.django_db


def test_seed_demo_builds_the_nanhai_cohort_and_running_twice_changes_nothing():
    call_command("seed_demo")
    counts = [m.objects.count() for m in (User, Cohort, Module, Enrolment, LessonCompletion)]
    call_command("seed_demo")
    assert [m.objects.count() for m in (User, Cohort, Module, Enrolment, LessonCompletion)] == counts

    cohort = Cohort.objects.get(year=2022, district__name="南海区")
    assert Community.objects.filter(name="河岗社区", town__name="西樵镇").exists()
    assert set(cohort.modules.values_list("phase", flat=True)) == {"centralized", "field", "model"}
    enrolments = cohort.enrolments.all()
    assert 25 <= enrolments.count() <= 35
    done = {e.completions.count() for e in enrolments}
    assert len(done) > 5  # varied progress
    assert User.objects.get(username="nanhai.staff").is_staff
