import pytest
from django.core.management import call_command
from django.utils import translation

from certificates.eligibility import cohort_eligibility
from certificates.models import CompletionRule, IssuerProfile, SigningKey
from courses.models import Cohort
from lms.models import AuditEntry

pytestmark = pytest.mark.django_db


def test_demo_sets_rules_and_template_and_running_twice_changes_nothing():
    call_command("seed_demo")
    counts = [m.objects.count() for m in (CompletionRule, IssuerProfile, SigningKey, AuditEntry)]
    call_command("seed_demo")
    assert [m.objects.count() for m in (CompletionRule, IssuerProfile, SigningKey, AuditEntry)] == counts
    # Every demo district issues in its own name with its own key, from the first run.
    assert set(SigningKey.objects.usable().values_list("owner", flat=True)) >= {"nh", "sd"}
    assert dict(IssuerProfile.objects.values_list("district__code", "name")) == {
        "nh": "佛山市南海区民政局",
        "sd": "佛山市顺德区民政局",
    }
    cohort = Cohort.objects.get(year=2022, district__code="nh")
    with translation.override("en"):
        rows = {row.enrolment.trainee.username: row for row in cohort_eligibility(cohort=cohort)}
    assert not rows["hegang01"].eligible and "lessons done 39% < 80%" in rows["hegang01"].reasons
    reasons = [reason for row in rows.values() for reason in row.reasons]
    assert any(reason.startswith("attendance ") for reason in reasons)  # e.g. "attendance 78% < 80%"
    assert 2 <= sum(row.eligible for row in rows.values()) < len(rows)
