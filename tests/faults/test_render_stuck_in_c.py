"""Fault script: a render stuck inside C code, where our own alarm (a Python signal handler) cannot run.

The worker is started with a `sitecustomize` that makes WeasyPrint spin in an uninterruptible C loop
(PBKDF2 with a billion rounds) for one trainee's certificate only. Celery's hard time limit must kill the
pool process, the certificate must end failed with the "took too long" message (so the sweep does not send
it again for ever), and the worker must go on to issue the others.
"""

import textwrap
from datetime import timedelta

import pytest

from certificates import services
from certificates.models import Certificate, CertificateStatus, CompletionRule
from tests.certificates.factories import complete_all_lessons
from tests.certificates.workers import Worker, wait_for
from tests.courses.factories import EnrolmentFactory, LessonFactory, ModuleFactory
from tests.lms.factories import DistrictStaffFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

STUCK_NAME = "卡住的学员"
SITECUSTOMIZE = f"""
import hashlib

import weasyprint

_init, _render = weasyprint.HTML.__init__, weasyprint.HTML.render


def __init__(self, *args, **kwargs):
    self._fault_source = kwargs.get("string") or ""
    _init(self, *args, **kwargs)


def render(self, *args, **kwargs):
    if {STUCK_NAME!r} in self._fault_source:
        hashlib.pbkdf2_hmac("sha256", b"stuck", b"in C", 10**9)  # no Python signal handler runs in here
    return _render(self, *args, **kwargs)


weasyprint.HTML.__init__, weasyprint.HTML.render = __init__, render
"""


def test_a_render_stuck_in_c_is_stopped_by_the_hard_limit_and_marked_failed(
    render_queue, media_root, tmp_path, monkeypatch
):
    from certificates.tasks import render_certificate

    # The limits travel in the task message, from the settings of the process that sends it (here, this one).
    monkeypatch.setattr(render_certificate, "time_limit", 6.0)
    fault = tmp_path / "fault"
    fault.mkdir()
    (fault / "sitecustomize.py").write_text(textwrap.dedent(SITECUSTOMIZE))
    module = ModuleFactory()
    cohort = module.cohort
    LessonFactory(module=module)
    CompletionRule.objects.create(cohort=cohort, min_lesson_percent=100)
    staff = DistrictStaffFactory(district=cohort.district).user
    stuck = EnrolmentFactory(cohort=cohort, trainee=UserFactory(full_name=STUCK_NAME))
    fine = [EnrolmentFactory(cohort=cohort, trainee=UserFactory(full_name=f"学员{n}号")) for n in range(2)]
    for enrolment in (stuck, *fine):
        complete_all_lessons(enrolment)
    worker = Worker(
        render_queue,
        media_root,
        extra_env={
            "PYTHONPATH": str(fault),
            "CERTIFICATES_RENDER_SOFT_SECONDS": "3",  # reached only if the render is slow before C
            "CERTIFICATES_RENDER_HARD_SECONDS": "6",
        },
    )
    try:
        worker.wait_ready()
        batch = services.certificate_issue_batch(cohort=cohort, actor=staff, enrolment_ids=[stuck.pk])
        stuck_certificate = batch.certificates.get()
        wait_for(
            lambda: Certificate.objects.get(pk=stuck_certificate.pk).status == CertificateStatus.FAILED,
            timeout=120,  # 6 s, or the default 45 s where the message carries the sender's unpatched limit
            workers=[worker],
        )
        assert services.certificates_sweep(older_than=timedelta(0)) == 0  # failed, so not sent again
        others = services.certificate_issue_batch(cohort=cohort, actor=staff, enrolment_ids=[e.pk for e in fine])
        ids = list(others.certificates.values_list("pk", flat=True))
        wait_for(
            lambda: Certificate.objects.filter(pk__in=ids, status=CertificateStatus.ISSUED).count() == 2,
            timeout=90,
            workers=[worker],
        )
    finally:
        worker.stop()
    stuck_certificate.refresh_from_db()
    assert "longer than 3 s" in stuck_certificate.error
    log = worker.log_path.read_text(errors="replace")
    assert "Hard time limit (" in log and "exceeded for certificates.render_certificate" in log
