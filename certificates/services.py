"""Certificate state changes: one transactional function each.

The database is the state of record: certificate rows exist (pending) before any render task is
queued, tasks are queued only after commit and carry ids, and a periodic sweep re-queues rows left
pending, so a lost message or a dead worker delays a PDF but never loses it.
"""

import logging
from datetime import timedelta

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from certificates import rendering, seals, signing
from certificates.codes import code_generate
from certificates.eligibility import cohort_eligibility
from certificates.models import (
    Certificate,
    CertificateStatus,
    CompletionRule,
    IssuanceBatch,
    IssuerProfile,
    RevocationReason,
    SerialCounter,
)
from certificates.trial import TemplateRefused, sample_values, trial_render
from courses.models import Cohort, Enrolment
from lms.audit import audit_record
from lms.cohort_cache import cohort_changed
from lms.errors import Conflict, NotAllowed, StoredFileUnavailable, ValidationFailed
from lms.models import District, User
from lms.storage import sha256_of_stored
from lms.versions import check_version, field_changes
from notifications.models import Kind
from notifications.services import notify

logger = logging.getLogger(__name__)


class StorageFailed(OSError):
    """The rendered file could not be stored or read back whole; transient, so the task retries."""


class NotEligible(ValidationFailed):
    code = "not_eligible"


class AlreadyCertified(Conflict):
    code = "already_certified"


class NoSigningKey(Conflict):
    """The district has no usable signing key: nothing is queued that could only wait."""

    code = "no_signing_key"


def require_signing_key(district: District) -> None:
    """Refuse at once, saying what is missing and who makes it, where no certificate of the district could be signed."""
    if signing.usable_row(district.code) is None:
        raise NoSigningKey(signing.missing_key_message(district.code))


class SignatureNotVerified(signing.SigningKeyUnavailable):
    """The signed PDF does not verify against the published key: never marked issued (it stays pending)."""


def _require(actor: User, perm: str, obj, message) -> None:
    if not actor.has_perm(perm, obj):
        raise NotAllowed(message)


def queue_render(certificate_ids: list[int]) -> int:
    """Send render tasks for these certificates; a broker outage is logged, not raised (the sweep retries).

    Returns how many were sent.
    """
    from certificates.tasks import render_certificate

    sent = 0
    for certificate_id in certificate_ids:
        try:
            render_certificate.apply_async(
                args=[certificate_id],
                queue=settings.CERTIFICATES_QUEUE,
                retry=True,
                retry_policy={"max_retries": 1, "interval_start": 0, "interval_step": 0.2},
            )
            sent += 1
        except Exception:  # kombu raises OperationalError and friends when Redis is down
            logger.exception("Could not queue certificate %s; the sweep will re-queue it.", certificate_id)
            break
    return sent


def queue_render_soon(certificate_ids: list[int]) -> None:
    """Queue renders from a commit hook: a few directly; more through one task a worker fans out.

    Sending is ~0.5-1 ms a task: a cohort of 500 sent inside the request kept staff waiting ~0.5 s or
    more. Lost on the way, either way, the rows stay pending and the sweep re-queues them.
    """
    from certificates.tasks import queue_renders

    if len(certificate_ids) <= settings.CERTIFICATES_SENT_IN_REQUEST:
        queue_render(certificate_ids)
        return
    try:
        queue_renders.apply_async(
            args=[certificate_ids],
            queue=settings.CERTIFICATES_QUEUE,
            retry=True,
            retry_policy={"max_retries": 1, "interval_start": 0, "interval_step": 0.2},
        )
    except Exception:  # kombu raises OperationalError and friends when Redis is down
        logger.exception("Could not queue %d renders; the sweep will re-queue them.", len(certificate_ids))


def _serial_prefix(cohort: Cohort) -> str:
    return f"{cohort.district.code.upper()}-{cohort.year}"


def _next_serials(cohort: Cohort, count: int) -> list[tuple[int, str]]:
    """Reserve `count` consecutive serial numbers; the counter row lock serialises concurrent issuers."""
    SerialCounter.objects.get_or_create(cohort=cohort)
    counter = SerialCounter.objects.select_for_update().get(cohort=cohort)
    first = counter.last_number + 1
    counter.last_number += count
    counter.save(update_fields=["last_number"])
    prefix = _serial_prefix(cohort)
    return [(n, f"{prefix}-{n:04d}") for n in range(first, first + count)]


def issuer_name_of(district: District) -> str:
    """The issuing body a district's certificates name: its own profile's, else the district's name. 1 query."""
    profile = IssuerProfile.objects.filter(district_id=district.pk).only("name").first()
    return profile.name if profile and profile.name else district.name


def _new_certificate(
    *, enrolment: Enrolment, batch: IssuanceBatch, number: int, serial: str, now, issuing_body: str
) -> Certificate:
    """A pending certificate row, not yet saved (issuing saves a cohort's rows in one statement)."""
    cohort = enrolment.cohort
    return Certificate(
        cohort=cohort,
        enrolment=enrolment,
        batch=batch,
        serial=serial,
        serial_number=number,
        code=code_generate(),
        trainee_name=enrolment.trainee.full_name or enrolment.trainee.username,
        course_title=cohort.course.title,
        cohort_name=cohort.name,
        issuing_body=issuing_body,
        issued_on=timezone.localdate(now),
        queued_at=now,
    )


@transaction.atomic
def certificate_issue_batch(*, cohort: Cohort, actor: User, enrolment_ids: list[int] | None = None) -> IssuanceBatch:
    """Create pending certificates for the cohort's eligible trainees (all, or those picked).

    All or nothing: a picked trainee who is not eligible or already holds a valid certificate
    refuses the whole request. Render tasks are queued after commit.
    """
    _require(actor, "certificates.issue_certificates", cohort, _("You cannot issue certificates for this cohort."))
    require_signing_key(cohort.district)
    # One issuer per cohort at a time: the second waits here and then sees the first's certificates.
    SerialCounter.objects.get_or_create(cohort=cohort)
    SerialCounter.objects.select_for_update().get(cohort=cohort)
    cohort = Cohort.objects.select_related("course", "district").get(pk=cohort.pk)
    picked = enrolment_ids is not None
    if picked:
        enrolment_ids = sorted({int(i) for i in enrolment_ids})
        if not enrolment_ids:
            raise ValidationFailed(_("Pick at least one trainee."), fields={"enrolments": [_("Pick at least one.")]})
    rows = cohort_eligibility(cohort=cohort, enrolment_ids=enrolment_ids)
    if picked:
        found = {row.enrolment.pk for row in rows}
        if missing := [i for i in enrolment_ids if i not in found]:
            raise ValidationFailed(
                _("Some picked trainees are not active trainees of this cohort."),
                code="unknown_trainee",
                fields={"enrolments": [str(i) for i in missing]},
            )
        held = [row for row in rows if row.certificate is not None]
        if held:
            names = "、".join(row.enrolment.trainee.full_name for row in held)
            raise AlreadyCertified(
                _("Already holds a valid certificate for this cohort: %(names)s.") % {"names": names},
                fields={"enrolments": [str(row.enrolment.pk) for row in held]},
            )
        refused = [row for row in rows if not row.eligible]
        if refused:
            details = "; ".join(f"{row.enrolment.trainee.full_name}: {', '.join(row.reasons)}" for row in refused)
            raise NotEligible(
                _("Not eligible: %(details)s.") % {"details": details},
                fields={str(row.enrolment.pk): row.reasons for row in refused},
            )
    targets = [row.enrolment for row in rows if row.can_be_issued]
    if not targets:
        raise NotEligible(_("No trainee of this cohort is eligible for a new certificate."), code="nobody_eligible")
    batch = IssuanceBatch.objects.create(cohort=cohort, created_by=actor)
    now = timezone.now()
    issuing_body = issuer_name_of(cohort.district)
    certificates = []
    for enrolment, (number, serial) in zip(targets, _next_serials(cohort, len(targets)), strict=True):
        enrolment.cohort = cohort
        certificates.append(
            _new_certificate(
                enrolment=enrolment, batch=batch, number=number, serial=serial, now=now, issuing_body=issuing_body
            )
        )
    # One INSERT for the whole cohort: 500 rows were 500 round trips inside the request.
    certificates = Certificate.objects.bulk_create(certificates, batch_size=500)
    cohort_changed(cohort.pk)  # bulk_create sends no save signal: the cached staff figures must hear of it
    audit_record(actor=actor, verb="certificates.issued", target=batch, certificates=[c.pk for c in certificates])
    ids = [c.pk for c in certificates]
    transaction.on_commit(lambda: queue_render_soon(ids))
    return batch


def issuer_profile_of(district_id: int) -> IssuerProfile | None:
    return IssuerProfile.objects.filter(district_id=district_id).first()


def _storage_name(certificate: Certificate) -> str:
    return f"certificates/{certificate.cohort_id}/{certificate.serial}-{certificate.pk}.pdf"


def certificate_render(*, certificate_id: int) -> Certificate | None:
    """Render and store a pending certificate's PDF. Idempotent: a second delivery changes nothing.

    The row stays locked while rendering, so two deliveries at once serialise; the file name is
    fixed per certificate and overwritten, so a render cut short by a dead worker leaves no
    stray copy. Raises RenderError for a template that cannot render (permanent), other
    exceptions for transient trouble (database, storage).
    """
    with transaction.atomic():
        certificate = (
            Certificate.objects.select_for_update(of=("self",))
            .select_related("cohort__district")
            .filter(pk=certificate_id)
            .first()
        )
        if certificate is None or certificate.status != CertificateStatus.PENDING:
            return certificate
        certificate.attempts += 1
        # Rendered as PDF/A-3a with its credential embedded, then signed by the district: never unsigned.
        row = signing.usable_row(certificate.cohort.district.code)
        if row is None:
            raise signing.SigningKeyUnavailable(signing.missing_key_message(certificate.cohort.district.code))
        key = signing.district_key_of(row)
        profile = issuer_profile_of(certificate.cohort.district_id)
        pdf = signing.certificate_pdf(certificate=certificate, profile=profile, key=key)
        # Whatever happened on the way (a key that is not the published one, a signer gone wrong), a PDF that
        # does not verify against the key this site publishes for it is never marked issued.
        check = signing.check_pdf(pdf, keys=[signing.public_key_of(row)])
        if not check.valid:
            raise SignatureNotVerified(
                f"Certificate {certificate.serial}: the signed PDF does not verify against the published key {row}"
            )
        name = _storage_name(certificate)
        sha256 = rendering.sha256_of(pdf)
        try:
            default_storage.delete(name)  # the name is fixed per certificate: a cut-short render is replaced
            stored = default_storage.save(name, ContentFile(pdf))
            # Another host serves the download: "issued" only once the file reads back whole through the storage.
            read_back = sha256_of_stored(stored)
        except Exception as error:  # the storage's own errors (botocore's, OSError) are all transient here
            cause = error.__cause__ if isinstance(error, StoredFileUnavailable) else error
            raise StorageFailed(f"{name}: {type(cause).__name__}: {cause}") from error
        if read_back != sha256:
            raise StorageFailed(f"{stored} reads back with another checksum")
        certificate.pdf.name = stored
        certificate.signing_key_id = row.pk  # the key that signed it: verification names this one, never "the current"
        certificate.sha256 = sha256
        certificate.status = CertificateStatus.ISSUED
        certificate.rendered_at = timezone.now()
        certificate.error = ""
        certificate.save(
            update_fields=[
                *("pdf", "sha256", "signing_key", "status", "rendered_at", "error", "attempts", "updated_at"),
            ]
        )
        notify(kind=Kind.CERTIFICATE_ISSUED, target=certificate)
        transaction.on_commit(lambda: queue_image(certificate.pk))
    return certificate


def queue_image(certificate_id: int) -> None:
    """Have a worker make the certificate's picture for the trainee's page; lost, the page makes it itself.

    In the previews' queue, not the renders': the sweep reads the render queue's length as "renders still
    waiting", and pictures counted there kept it from re-sending renders a dead worker had taken."""
    from certificates.tasks import make_image

    try:
        make_image.apply_async(args=[certificate_id], queue=settings.PREVIEWS_QUEUE)
    except Exception:  # kombu's errors when Redis is down: the page falls back to making it
        logger.warning("Could not queue the image of certificate %s", certificate_id)


def _image_name(certificate: Certificate) -> str:
    return f"certificates/{certificate.cohort_id}/{certificate.serial}-{certificate.pk}.png"


def certificate_image(*, certificate: Certificate) -> bytes:
    """The issued certificate's first page as a PNG, made from the stored PDF once and kept beside it.

    Made by a worker after the PDF is issued; a request that finds none yet makes it (idempotent: the name is
    fixed per certificate)."""
    name = _image_name(certificate)
    if default_storage.exists(name):
        with default_storage.open(name, "rb") as handle:
            return handle.read()
    with default_storage.open(certificate.pdf.name, "rb") as handle:
        png = rendering.first_page_png(handle.read())
    default_storage.delete(name)
    default_storage.save(name, ContentFile(png))
    return png


@transaction.atomic
def certificate_mark_failed(*, certificate_id: int, error: str, attempts: int = 1) -> None:
    """Record that rendering gave up; staff see the error and a retry button."""
    certificate = Certificate.objects.select_for_update().filter(pk=certificate_id).first()
    if certificate is None or certificate.status != CertificateStatus.PENDING:
        return
    certificate.status = CertificateStatus.FAILED
    certificate.error = error[:4000]
    certificate.attempts += attempts
    certificate.save(update_fields=["status", "error", "attempts", "updated_at"])


@transaction.atomic
def certificate_retry(*, certificate: Certificate, actor: User) -> Certificate:
    """Put a failed certificate back in the queue."""
    certificate = Certificate.objects.select_for_update().select_related("cohort").get(pk=certificate.pk)
    _require(actor, "certificates.manage_certificate", certificate, _("You cannot manage this certificate."))
    if certificate.status != CertificateStatus.FAILED:
        raise Conflict(_("Only a failed certificate can be retried."), code="not_failed")
    require_signing_key(certificate.cohort.district)
    certificate.status = CertificateStatus.PENDING
    certificate.error = ""
    certificate.queued_at = timezone.now()
    certificate.save(update_fields=["status", "error", "queued_at", "updated_at"])
    audit_record(actor=actor, verb="certificate.retried", target=certificate)
    transaction.on_commit(lambda: queue_render([certificate.pk]))
    return certificate


@transaction.atomic
def certificate_revoke(*, certificate: Certificate, reason: str, note: str = "", actor: User) -> Certificate:
    """Revoke a certificate with a reason category (and a note); the verification page then says so."""
    certificate = Certificate.objects.select_for_update().select_related("cohort").get(pk=certificate.pk)
    _require(actor, "certificates.manage_certificate", certificate, _("You cannot manage this certificate."))
    if reason not in RevocationReason.values:
        raise ValidationFailed(
            _("Choose a reason for the revocation."),
            code="reason_required",
            fields={"reason": [_("This field is required.")]},
        )
    if certificate.status == CertificateStatus.REVOKED:
        raise Conflict(_("This certificate is already revoked."), code="already_revoked")
    certificate.status = CertificateStatus.REVOKED
    certificate.revoked_at = timezone.now()
    certificate.revocation_reason = reason
    certificate.revocation_note = (note or "").strip()[:2000]
    certificate.revoked_by = actor
    certificate.save(
        update_fields=["status", "revoked_at", "revocation_reason", "revocation_note", "revoked_by", "updated_at"]
    )
    audit_record(actor=actor, verb="certificate.revoked", target=certificate, reason=reason)
    notify(kind=Kind.CERTIFICATE_REVOKED, target=certificate)
    return certificate


@transaction.atomic
def certificate_reissue(*, certificate: Certificate, actor: User) -> Certificate:
    """Issue a new certificate (new serial, new code, today's name) in place of a revoked one."""
    old = Certificate.objects.select_for_update().select_related("cohort").get(pk=certificate.pk)
    _require(actor, "certificates.manage_certificate", old, _("You cannot manage this certificate."))
    if old.status != CertificateStatus.REVOKED:
        raise Conflict(_("Only a revoked certificate can be reissued."), code="not_revoked")
    require_signing_key(old.cohort.district)
    if Certificate.objects.filter(reissue_of=old).exists():
        raise Conflict(_("This certificate has already been reissued."), code="already_reissued")
    enrolment = Enrolment.objects.select_related("trainee", "cohort__course", "cohort__district").get(
        pk=old.enrolment_id
    )
    if Certificate.objects.filter(enrolment=enrolment).exclude(status=CertificateStatus.REVOKED).exists():
        raise AlreadyCertified(_("This trainee already holds a valid certificate for this cohort."))
    batch = IssuanceBatch.objects.create(cohort=enrolment.cohort, created_by=actor)
    [(number, serial)] = _next_serials(enrolment.cohort, 1)
    try:
        with transaction.atomic():
            new = _new_certificate(
                enrolment=enrolment,
                batch=batch,
                number=number,
                serial=serial,
                now=timezone.now(),
                issuing_body=issuer_name_of(enrolment.cohort.district),
            )
            new.reissue_of = old
            new.save()
    except IntegrityError:
        raise AlreadyCertified(_("This trainee already holds a valid certificate for this cohort.")) from None
    audit_record(actor=actor, verb="certificate.reissued", target=new, previous=old.pk)
    transaction.on_commit(lambda: queue_render([new.pk]))
    return new


def certificates_sweep(*, older_than: timedelta | None = None) -> int:
    """Re-queue certificates left pending longer than `older_than`. Safe to run any time (renders are idempotent).

    When the render queue still holds at least as many messages as there are pending certificates,
    nothing was lost (they are only waiting their turn), so nothing is sent twice.
    """
    from lms.workers import sweep_stale

    if older_than is None:
        older_than = timedelta(seconds=settings.CERTIFICATES_SWEEP_AFTER_SECONDS)
    return sweep_stale(
        Certificate.objects.filter(status=CertificateStatus.PENDING),
        stamp_field="queued_at",
        older_than=older_than,
        queue=settings.CERTIFICATES_QUEUE,
        send=queue_render,
    )


@transaction.atomic
def certificate_retry_failed(*, batch: IssuanceBatch, actor: User) -> int:
    """Put every failed certificate of the batch back in the queue; how many."""
    _require(actor, "certificates.issue_certificates", batch.cohort, _("You cannot manage these certificates."))
    require_signing_key(batch.cohort.district)
    failed = list(
        Certificate.objects.select_for_update()
        .filter(batch=batch, status=CertificateStatus.FAILED)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    if not failed:
        raise Conflict(_("No certificate of this issuance has failed."), code="none_failed")
    Certificate.objects.filter(pk__in=failed).update(
        status=CertificateStatus.PENDING, error="", queued_at=timezone.now(), updated_at=timezone.now()
    )
    cohort_changed(batch.cohort_id)
    audit_record(actor=actor, verb="certificates.retried", target=batch, certificates=failed)
    transaction.on_commit(lambda: queue_render_soon(failed))
    return len(failed)


@transaction.atomic
def completion_rule_save(*, cohort: Cohort, actor: User, version: str | None = None, **values) -> CompletionRule:
    """Create or change the cohort's completion rule. With `version` (the form's), a save over a rule someone
    changed since is refused with what changed (StaleVersion, 409); the audit keeps before and after."""
    _require(actor, "certificates.issue_certificates", cohort, _("You cannot set the rules of this cohort."))
    required_lessons = values.pop("required_lessons", None)
    for name in ("min_lesson_percent", "min_attendance_percent"):
        value = values.get(name)
        if value is not None and not 0 <= int(value) <= 100:
            raise ValidationFailed(_("A share must be between 0 and 100."), fields={name: [_("0 to 100.")]})
    if required_lessons is not None and any(lesson.module.cohort_id != cohort.pk for lesson in required_lessons):
        raise ValidationFailed(_("Required lessons must belong to this cohort."), code="foreign_lesson")
    rule, created = CompletionRule.objects.select_for_update().get_or_create(cohort=cohort)
    if not created:
        check_version(rule, version)
    changes = field_changes(rule, values)
    if required_lessons is not None:
        before = sorted(rule.required_lessons.values_list("title", flat=True)) if not created else []
        after = sorted(lesson.title for lesson in required_lessons)
        if before != after:
            changes["required_lessons"] = ["、".join(before) or "—", "、".join(after) or "—"]
    for name, value in values.items():
        setattr(rule, name, value)
    rule.updated_by = actor
    rule.save()
    if required_lessons is not None:
        rule.required_lessons.set(required_lessons)
    audit_record(actor=actor, verb="completion_rule.saved", target=rule, target_name=cohort.name, changes=changes)
    return rule


def issuer_profile_save(
    *,
    district: District,
    actor: User,
    name: str,
    short_name: str = "",
    html: str = "",
    css: str = "",
    seal: bytes | None = None,
    remove_seal: bool = False,
) -> IssuerProfile:
    """Create or change the district's issuing body, seal and certificate wording, once the result renders.

    The template (the built-in one when empty) is test-rendered with sample data and the seal, in a child
    process with a time limit: one that fails, runs over or gives more than one page is refused with the
    reason, and nothing is stored.
    """
    _require(actor, "certificates.edit_template", district, _("You cannot edit this district's certificate."))
    name, short_name = (name or "").strip(), (short_name or "").strip()
    if not name:
        raise ValidationFailed(_("Name the issuing body."), code="name_required", fields={"name": [_("Required.")]})
    if len(name) > 128 or len(short_name) > 32:
        raise ValidationFailed(_("The issuing body's name is too long."), code="too_long")
    html, css = html or "", css or ""
    if len(html) > 200_000 or len(css) > 200_000:
        raise ValidationFailed(_("The template is too long."), code="too_long")
    seal_type = seals.seal_check(seal) if seal else ""
    current = IssuerProfile.objects.filter(district=district).first()
    if seal:
        seal_bytes = seal
    elif remove_seal or current is None:
        seal_bytes, seal_type = b"", ""
    else:
        seal_bytes, seal_type = bytes(current.seal), current.seal_type
    try:
        trial_render(
            template_html=html if html.strip() else rendering.DEFAULT_HTML,
            css=css if html.strip() else rendering.DEFAULT_CSS,
            values=sample_values(issuer_name=name, short_name=short_name, seal=seals.seal_html(seal_bytes, seal_type)),
        )
    except TemplateRefused as refusal:
        raise ValidationFailed(str(refusal), code="template_refused", fields={"html": [str(refusal)]}) from None
    return _profile_store(
        district=district,
        actor=actor,
        values={
            "name": name,
            "short_name": short_name,
            "html": html if html.strip() else "",
            "css": css if html.strip() else "",
            "seal": seal_bytes,
            "seal_type": seal_type,
        },
    )


@transaction.atomic
def _profile_store(*, district: District, actor: User, values: dict) -> IssuerProfile:
    profile, _created = IssuerProfile.objects.select_for_update().get_or_create(
        district=district, defaults={**values, "updated_by": actor}
    )
    for field, value in values.items():
        setattr(profile, field, value)
    profile.updated_by = actor
    profile.save()
    audit_record(actor=actor, verb="certificate_template.saved", target=profile)
    return profile
