"""Redis down: check-in, public verification and every page keep answering; counters go per process."""

import copy
import logging

import pytest

from certificates import services as certificate_services
from courses import checkin_codes
from courses.models import Attendance
from courses.services.attendance import MAX_FAILED_ATTEMPTS
from tests.certificates.conftest import certified_world  # noqa: F401
from tests.courses.conftest import clock, session  # noqa: F401
from tests.courses.factories import EnrolmentFactory
from tests.s3 import free_port

pytestmark = pytest.mark.django_db


@pytest.fixture
def cache_down(settings):
    """The cache points at a port where nothing listens, as when Redis has stopped."""
    caches = copy.deepcopy(settings.CACHES)
    caches["default"]["LOCATION"] = f"redis://127.0.0.1:{free_port()}/0"
    settings.CACHES = caches


def english(client, user):
    client.force_login(user)
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


def test_check_in_with_the_right_code_works_and_warns(client, world, session, clock, cache_down, caplog):  # noqa: F811
    english(client, world.trainee)
    with caplog.at_level(logging.WARNING, logger="lms.counters"):
        response = client.post(f"/check-in/{session.pk}/", {"code": checkin_codes.code_for(session.pk)})
    assert response.status_code == 200 and 'data-created="1"' in response.content.decode()
    assert Attendance.objects.filter(session=session, enrolment=world.enrolment).count() == 1
    assert any("counters are kept per process" in r.getMessage() for r in caplog.records)


def test_lock_out_closes_only_for_the_guessers_key(client, world, session, clock, cache_down):  # noqa: F811
    right = checkin_codes.code_for(session.pk)
    english(client, world.trainee)
    for _attempt in range(MAX_FAILED_ATTEMPTS):
        assert client.post(f"/check-in/{session.pk}/", {"code": wrong(right)}).status_code == 400
    locked = client.post(f"/check-in/{session.pk}/", {"code": right})
    assert 'data-code="too_many_attempts"' in locked.content.decode()
    assert not Attendance.objects.exists()
    classmate = EnrolmentFactory(cohort=world.cohort, community=world.community)
    english(client, classmate.trainee)
    response = client.post(f"/check-in/{session.pk}/", {"code": right})
    assert response.status_code == 200 and 'data-created="1"' in response.content.decode()
    assert list(Attendance.objects.values_list("enrolment_id", flat=True)) == [classmate.pk]


def test_verification_answers_and_limits_each_address_without_redis(client, certified_world, settings, cache_down):  # noqa: F811
    w = certified_world
    settings.CERTIFICATES_VERIFY_RATE = (3, 60)
    batch = certificate_services.certificate_issue_batch(cohort=w.cohort, actor=w.staff, enrolment_ids=[w.done.pk])
    certificate = batch.certificates.get()
    certificate_services.certificate_render(certificate_id=certificate.pk)
    url = f"/verify/{certificate.code}/"
    statuses = [client.get(url, REMOTE_ADDR="203.0.113.7").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    assert client.get(url, REMOTE_ADDR="203.0.113.8").status_code == 200


def test_every_page_answers_without_redis(client, certified_world, cache_down):  # noqa: F811
    w = certified_world
    batch = certificate_services.certificate_issue_batch(cohort=w.cohort, actor=w.staff, enrolment_ids=[w.done.pk])
    pages = {
        w.staff: [
            "/",
            "/certificates/",
            f"/cohorts/{w.cohort.pk}/certificates/",
            f"/certificates/batches/{batch.pk}/",
            f"/certificates/batches/{batch.pk}/progress/",
            f"/courses/{w.cohort.course_id}/certificate-template/",
        ],
        w.trainee: ["/", "/check-in/", "/certificates/"],
        None: ["/accounts/login/", "/verify/", "/verify/ABCD-EFGH/"],
    }
    for user, urls in pages.items():
        client.logout()
        if user:
            client.force_login(user)
        for url in urls:
            status = client.get(url).status_code
            assert status in (200, 302, 404), (user, url, status)
