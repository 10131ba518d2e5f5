import pytest

from certificates import services
from certificates.models import Certificate
from lms.predicates import certificate_visible_q

pytestmark = pytest.mark.django_db


def test_download_predicate_and_its_queryset_twin_agree_for_every_role(certified_world):
    w = certified_world
    services.certificate_issue_batch(cohort=w.cohort, actor=w.staff)
    certificates = list(Certificate.objects.all())
    assert certificates
    for name, user in {**w.roles(), "holder": w.done.trainee}.items():
        by_rule = {c.pk for c in certificates if user.has_perm("certificates.download_certificate", c)}
        by_query = set(Certificate.objects.filter(certificate_visible_q(user)).values_list("pk", flat=True))
        assert by_rule == by_query, name
    assert {c.pk for c in certificates if w.trainee.has_perm("certificates.download_certificate", c)} == {
        Certificate.objects.get(enrolment=w.enrolment).pk
    }


@pytest.mark.parametrize(
    ("role", "allowed"),
    [
        ("staff", True),
        ("other_staff", False),
        ("instructor", False),
        ("trainee", False),
        ("other_trainee", False),
        ("stranger", False),
    ],
)
def test_who_may_issue_and_manage_certificates(certified_world, role, allowed):
    w = certified_world
    user = w.roles()[role]
    certificate = services.certificate_issue_batch(
        cohort=w.cohort, actor=w.staff, enrolment_ids=[w.done.pk]
    ).certificates.get()
    assert user.has_perm("certificates.issue_certificates", w.cohort) is allowed
    assert user.has_perm("certificates.manage_certificate", certificate) is allowed
    assert user.has_perm("certificates.edit_template", w.district) is allowed
