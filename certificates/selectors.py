"""Reads for certificate pages and API, each with a fixed number of queries."""

from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db.models import Count, Max, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from certificates.models import Certificate, CertificateStatus, IssuanceBatch
from courses.models import Cohort
from lms.access import access, not_found
from lms.models import District
from lms.predicates import certificate_visible_q, district_scope_q
from lms.workers import worker_reachable


def access_managed_cohort(*, user, cohort_id) -> Cohort:
    """The cohort if the user may issue its certificates; "not found" otherwise."""
    cohorts = Cohort.objects.select_related("course", "district")
    return access(cohorts, cohort_id, user=user, perm="certificates.issue_certificates")


def access_certificate(*, user, certificate_id, perm: str = "certificates.manage_certificate") -> Certificate:
    certificates = Certificate.objects.select_related(
        "cohort__course", "cohort__district", "enrolment__trainee", "reissue_of"
    )
    return access(certificates, certificate_id, user=user, perm=perm)


def access_certificate_pdf(*, user, certificate_id) -> Certificate:
    """The certificate whose PDF (and embedded credential) the user may download: its holder only while it is
    downloadable (Certificate.is_downloadable: issued, with its file - not once revoked), staff of its
    district any that has a file (a revoked one for the record). "Not found" otherwise, like every access."""
    certificate = access_certificate(user=user, certificate_id=certificate_id, perm="certificates.download_certificate")
    if certificate.is_pending or not certificate.pdf:
        raise not_found()
    if not certificate.is_downloadable and not user.has_perm("certificates.manage_certificate", certificate):
        raise not_found()
    return certificate


def access_batch(*, user, batch_id) -> IssuanceBatch:
    batches = IssuanceBatch.objects.select_related("cohort__course", "cohort__district", "created_by")
    return access(batches, batch_id, user=user, perm="certificates.issue_certificates", on=lambda batch: batch.cohort)


def access_issuer_district(*, user, district_id) -> District:
    """The district if the user may edit its issuer, seal and wording (its staff); "not found" otherwise."""
    return access(District.objects.all(), district_id, user=user, perm="certificates.edit_template")


def editable_districts(*, user) -> list[District]:
    """Districts whose certificate (issuer, seal, wording) the user may edit."""
    return list(District.objects.filter(district_scope_q(user, District)).order_by("name"))


@dataclass
class BatchProgress:
    total: int
    issued: int
    failed: int
    waiting: int
    revoked: int
    last_change: datetime | None = None

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
        last_change=Max("updated_at"),
    )
    return BatchProgress(**counts)


def batch_state(*, batch: IssuanceBatch, progress: BatchProgress) -> tuple[str, str]:
    """What staff should know about a batch that is not done: (code, message). Reads the broker once.

    "no_worker": no worker has beaten in the last minute (none running, or the broker is unreachable);
    "stalled": workers are there but none of the batch's certificates changed for a minute;
    "rendering": moving.
    """
    if progress.done:
        return "done", _("Done.")
    from certificates import signing

    if signing.usable_row(batch.cohort.district.code) is None:
        return "no_key", signing.missing_key_message(batch.cohort.district.code)
    if not worker_reachable(within=60, queue=settings.CERTIFICATES_QUEUE):
        return "no_worker", _(
            "Queued; no worker reachable yet. Rendering starts as soon as one is; this page updates itself."
        )
    moved = max(filter(None, [progress.last_change, batch.created_at]))
    if (timezone.now() - moved).total_seconds() > settings.CERTIFICATES_STALLED_AFTER_SECONDS:
        return "stalled", _("Waiting for a worker: nothing has moved for a minute. Pending certificates are re-queued.")
    return "rendering", _("Rendering… this page updates itself.")


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


def publicly_verifiable():
    """Certificates anyone may verify: issued or revoked. Pending or failed ones answer "not found"."""
    return Certificate.objects.publicly_verifiable()  # the one home: certificates.models.PUBLIC_STATES


def certificate_by_code(*, code: str) -> Certificate | None:
    return (
        publicly_verifiable()
        .select_related("cohort__district", "cohort__course", "signing_key", "reissued_as")
        .filter(code=code)
        .first()
    )


def issued_certificate_of(*, enrolment) -> Certificate | None:
    """The enrolment's valid, rendered certificate, for the trainee's home page. 1 query."""
    return Certificate.objects.filter(enrolment=enrolment, status=CertificateStatus.ISSUED).first()


def district_key_state(*, district) -> dict:
    """What the district's page says about its signing keys: the one that signs now (or what is missing and
    who makes it), every key with its state and fingerprint, and the certificates to reissue."""
    from certificates import signing

    row = signing.usable_row(district.code)
    return {
        "signing_key": signing.public_key_of(row) if row else None,
        "key_problem": "" if row else signing.missing_key_message(district.code),
        "signing_keys": signing.district_published_keys(district),
        "to_reissue": list(
            Certificate.objects.signed_after_compromise()
            .filter(cohort__district=district, status=CertificateStatus.ISSUED)
            .select_related("signing_key")
            .order_by("serial")
        ),
    }


def signing_key_problem(*, district) -> str:
    """What is missing for the district's certificates to be signed ("" when a usable key is there)."""
    from certificates import signing

    return "" if signing.usable_row(district.code) else signing.missing_key_message(district.code)
