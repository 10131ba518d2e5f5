"""Reads for certificate pages and API, each with a fixed number of queries."""

from dataclasses import dataclass

from django.db.models import Count, Q
from django.utils.translation import gettext as _

from certificates.models import Certificate, CertificateStatus, IssuanceBatch
from courses.models import Cohort, Course
from lms.errors import NotFound
from lms.predicates import certificate_visible_q, district_scope_q


def _not_found():
    return NotFound(_("This page does not exist, or you do not have access to it."))


def access_managed_cohort(*, user, cohort_id: int) -> Cohort:
    """The cohort if the user may issue its certificates; "not found" otherwise."""
    cohort = Cohort.objects.select_related("course", "district").filter(pk=cohort_id).first()
    if cohort is None or not user.has_perm("certificates.issue_certificates", cohort):
        raise _not_found()
    return cohort


def access_certificate(*, user, certificate_id: int, perm: str = "certificates.manage_certificate") -> Certificate:
    certificate = (
        Certificate.objects.select_related("cohort__course", "cohort__district", "enrolment__trainee", "reissue_of")
        .filter(pk=certificate_id)
        .first()
    )
    if certificate is None or not user.has_perm(perm, certificate):
        raise _not_found()
    return certificate


def access_batch(*, user, batch_id: int) -> IssuanceBatch:
    batch = IssuanceBatch.objects.select_related("cohort__course", "created_by").filter(pk=batch_id).first()
    if batch is None or not user.has_perm("certificates.issue_certificates", batch.cohort):
        raise _not_found()
    return batch


def access_template_course(*, user, course_id: int) -> Course:
    course = Course.objects.filter(pk=course_id).first()
    if course is None or not user.has_perm("certificates.edit_template", course):
        raise _not_found()
    return course


@dataclass
class BatchProgress:
    total: int
    issued: int
    failed: int
    waiting: int
    revoked: int

    @property
    def done(self) -> bool:
        return self.waiting == 0

    @property
    def percent(self) -> int:
        finished = self.issued + self.failed + self.revoked
        return round(100 * finished / self.total) if self.total else 100

    def as_dict(self) -> dict:
        return {
            "total": self.total,
            "issued": self.issued,
            "failed": self.failed,
            "waiting": self.waiting,
            "revoked": self.revoked,
            "percent": self.percent,
            "done": self.done,
        }


def batch_progress(*, batch: IssuanceBatch) -> BatchProgress:
    """Counts by state, derived from the certificates. 1 query."""
    counts = Certificate.objects.filter(batch=batch).aggregate(
        total=Count("pk"),
        issued=Count("pk", filter=Q(status=CertificateStatus.ISSUED)),
        failed=Count("pk", filter=Q(status=CertificateStatus.FAILED)),
        waiting=Count("pk", filter=Q(status=CertificateStatus.PENDING)),
        revoked=Count("pk", filter=Q(status=CertificateStatus.REVOKED)),
    )
    return BatchProgress(**counts)


def batch_certificates(*, batch: IssuanceBatch) -> list[Certificate]:
    return list(batch.certificates.order_by("serial_number"))


def cohort_certificates(*, cohort: Cohort) -> list[Certificate]:
    """Every certificate of the cohort, newest serial last. 1 query."""
    return list(Certificate.objects.filter(cohort=cohort).select_related("reissue_of").order_by("serial_number"))


def cohort_batches(*, cohort: Cohort) -> list[IssuanceBatch]:
    return list(
        IssuanceBatch.objects.filter(cohort=cohort)
        .select_related("created_by")
        .annotate(
            total=Count("certificates"),
            issued=Count("certificates", filter=Q(certificates__status=CertificateStatus.ISSUED)),
            failed=Count("certificates", filter=Q(certificates__status=CertificateStatus.FAILED)),
        )
        .order_by("-created_at")
    )


def issued_certificates_for_archive(*, cohort: Cohort):
    return Certificate.objects.filter(cohort=cohort, status=CertificateStatus.ISSUED).order_by("serial_number")


def visible_certificates(*, user):
    """Certificates the user may see: its district's (staff) and its own (trainee)."""
    return (
        Certificate.objects.filter(certificate_visible_q(user))
        .select_related("cohort__course", "cohort__district")
        .order_by("-created_at")
    )


def own_certificates(*, user) -> list[Certificate]:
    return list(
        Certificate.objects.filter(enrolment__trainee=user).select_related("cohort").order_by("-issued_on", "-pk")
    )


def managed_cohorts(*, user) -> list[Cohort]:
    return list(
        Cohort.objects.filter(district_scope_q(user, Cohort)).select_related("course", "district").order_by("-year")
    )


def certificate_by_code(*, code: str) -> Certificate | None:
    return Certificate.objects.select_related("cohort__district").filter(code=code).first()


def issued_certificate_of(*, enrolment) -> Certificate | None:
    """The enrolment's valid, rendered certificate, for the trainee's home page. 1 query."""
    return Certificate.objects.filter(enrolment=enrolment, status=CertificateStatus.ISSUED).first()
