import pytest
from django.core.files.storage import default_storage
from django.db import IntegrityError
from django.utils import translation

from certificates import services
from certificates.codes import ALPHABET, code_normalise
from certificates.models import Certificate, CertificateStatus, IssuanceBatch, RevocationReason
from lms.errors import Conflict, NotAllowed, ValidationFailed
from lms.models import AuditEntry

pytestmark = pytest.mark.django_db


def issue(world, picked=None, actor=None):
    return services.certificate_issue_batch(cohort=world.cohort, actor=actor or world.staff, enrolment_ids=picked)


def test_issue_creates_pending_rows_for_eligible_trainees_only(certified_world):
    w = certified_world
    batch = issue(w)
    certificates = list(batch.certificates.order_by("serial_number"))
    assert {c.enrolment_id for c in certificates} == {w.enrolment.pk, w.done.pk}
    assert all(c.status == CertificateStatus.PENDING for c in certificates)
    prefix = f"{w.cohort.district.code.upper()}-{w.cohort.year}"
    assert [c.serial for c in certificates] == [f"{prefix}-0001", f"{prefix}-0002"]
    assert AuditEntry.objects.filter(verb="certificates.issued").count() == 1


def test_issue_snapshots_name_course_cohort_and_date(certified_world):
    w = certified_world
    issue(w, picked=[w.done.pk])
    certificate = Certificate.objects.get(enrolment=w.done)
    w.done.trainee.full_name = "改名了"
    w.done.trainee.save()
    w.cohort.course.title = "新课程名"
    w.cohort.course.save()
    certificate.refresh_from_db()
    assert (certificate.trainee_name, certificate.course_title, certificate.cohort_name) == (
        "刘䶮",
        "社区规划师培育课程",
        w.cohort.name,
    )


def test_verification_code_has_80_bits_grouped_and_is_not_the_serial(certified_world):
    batch = issue(certified_world)
    codes = [c.code for c in batch.certificates.all()]
    for code in codes:
        groups = code.split("-")
        assert [len(g) for g in groups] == [4, 4, 4, 4]
        assert all(ch in ALPHABET for ch in "".join(groups))  # 16 x 5 bits = 80 bits
        assert code_normalise(code.lower().replace("-", " ")) == code
    assert len(set(codes)) == len(codes)


def test_code_normalise_forgives_case_and_confusables_and_refuses_garbage():
    assert code_normalise("7k3m-q9tx-2hdw-8rvb") == "7K3M-Q9TX-2HDW-8RVB"
    assert code_normalise("OOOO IIII LLLL 0000") == "0000-1111-1111-0000"
    for bad in ("", "NH-2022-0001", "7K3M-Q9TX-2HDW-8RV", "7K3M-Q9TX-2HDW-8RVU", "<script>", "x" * 500):
        assert code_normalise(bad) is None


def test_issuing_to_a_trainee_who_is_not_eligible_is_refused_with_the_reasons(certified_world):
    w = certified_world
    with translation.override("en"), pytest.raises(ValidationFailed) as error:
        issue(w, picked=[w.done.pk, w.lagging.pk])
    assert error.value.code == "not_eligible"
    assert "陈落后" in str(error.value.message) and "lessons done 0% < 100%" in str(error.value.message)
    assert not Certificate.objects.exists() and not IssuanceBatch.objects.exists()


def test_issuing_to_a_trainee_who_already_holds_a_valid_certificate_is_refused(certified_world):
    w = certified_world
    issue(w, picked=[w.done.pk])
    with pytest.raises(Conflict) as error:
        issue(w, picked=[w.done.pk])
    assert error.value.code == "already_certified"
    assert Certificate.objects.count() == 1 and IssuanceBatch.objects.count() == 1


def test_issuing_all_again_skips_holders_and_says_nobody_is_left(certified_world):
    w = certified_world
    issue(w)
    with pytest.raises(ValidationFailed) as error:
        issue(w)
    assert error.value.code == "nobody_eligible"
    assert Certificate.objects.count() == 2


def test_issuing_in_another_districts_cohort_is_refused(certified_world):
    w = certified_world
    with pytest.raises(NotAllowed) as caught:
        issue(w, actor=w.other_staff)
    assert caught.value.code == "not_allowed"
    for user in (w.trainee, w.instructor, w.stranger):
        with pytest.raises(NotAllowed) as caught:
            issue(w, actor=user)
        assert caught.value.code == "not_allowed"
    assert not Certificate.objects.exists()


def test_picking_a_trainee_of_another_cohort_is_refused(certified_world):
    w = certified_world
    with pytest.raises(ValidationFailed) as error:
        issue(w, picked=[w.other_enrolment.pk])
    assert error.value.code == "unknown_trainee"
    assert not Certificate.objects.exists()


def test_database_allows_one_valid_certificate_per_enrolment(certified_world):
    w = certified_world
    first = issue(w, picked=[w.done.pk]).certificates.get()
    with pytest.raises(IntegrityError):
        Certificate.objects.create(
            cohort=w.cohort,
            enrolment=w.done,
            batch=first.batch,
            serial="X",
            serial_number=99,
            code="X",
            trainee_name="x",
            course_title="x",
            cohort_name="x",
            issued_on=first.issued_on,
        )


def test_render_stores_the_pdf_with_its_sha256_and_is_idempotent(certified_world):
    w = certified_world
    certificate = issue(w, picked=[w.done.pk]).certificates.get()
    services.certificate_render(certificate_id=certificate.pk)
    certificate.refresh_from_db()
    assert certificate.status == CertificateStatus.ISSUED and certificate.attempts == 1
    data = default_storage.open(certificate.pdf.name).read()
    assert data.startswith(b"%PDF")
    import hashlib

    assert hashlib.sha256(data).hexdigest() == certificate.sha256
    files_before = default_storage.listdir(f"certificates/{w.cohort.pk}")[1]
    services.certificate_render(certificate_id=certificate.pk)  # the same task delivered again
    certificate.refresh_from_db()
    assert certificate.attempts == 1
    assert (
        default_storage.listdir(f"certificates/{w.cohort.pk}")[1]
        == files_before
        == [certificate.pdf.name.split("/")[-1]]
    )
    assert Certificate.objects.count() == 1


def test_revoke_needs_a_reason_and_refuses_twice(certified_world):
    w = certified_world
    certificate = issue(w, picked=[w.done.pk]).certificates.get()
    with pytest.raises(ValidationFailed) as error:
        services.certificate_revoke(certificate=certificate, reason="", actor=w.staff)
    assert error.value.code == "reason_required"
    certificate.refresh_from_db()
    assert certificate.status == CertificateStatus.PENDING
    services.certificate_revoke(certificate=certificate, reason=RevocationReason.ERROR, note="typo", actor=w.staff)
    certificate.refresh_from_db()
    assert certificate.status == CertificateStatus.REVOKED and certificate.revoked_at
    revoked_at = certificate.revoked_at
    with pytest.raises(Conflict) as error:
        services.certificate_revoke(certificate=certificate, reason=RevocationReason.OTHER, actor=w.staff)
    assert error.value.code == "already_revoked"
    certificate.refresh_from_db()
    assert certificate.revoked_at == revoked_at and certificate.revocation_reason == RevocationReason.ERROR


def test_other_district_staff_cannot_revoke(certified_world):
    w = certified_world
    certificate = issue(w, picked=[w.done.pk]).certificates.get()
    with pytest.raises(NotAllowed) as caught:
        services.certificate_revoke(certificate=certificate, reason=RevocationReason.ERROR, actor=w.other_staff)
    assert caught.value.code == "not_allowed"
    certificate.refresh_from_db()
    assert certificate.status == CertificateStatus.PENDING


def test_reissue_only_revoked_gives_a_new_code_and_keeps_the_old_revoked(certified_world):
    w = certified_world
    old = issue(w, picked=[w.done.pk]).certificates.get()
    with pytest.raises(Conflict) as error:
        services.certificate_reissue(certificate=old, actor=w.staff)
    assert error.value.code == "not_revoked"
    assert Certificate.objects.count() == 1
    services.certificate_revoke(certificate=old, reason=RevocationReason.DATA_CORRECTION, actor=w.staff)
    w.done.trainee.full_name = "刘䶮新"
    w.done.trainee.save()
    new = services.certificate_reissue(certificate=old, actor=w.staff)
    old.refresh_from_db()
    assert old.status == CertificateStatus.REVOKED
    assert new.reissue_of == old and new.code != old.code and new.serial != old.serial
    assert new.trainee_name == "刘䶮新"  # a reissue takes today's name
    with pytest.raises(Conflict) as caught:
        services.certificate_reissue(certificate=old, actor=w.staff)
    assert caught.value.code == "already_reissued"
    assert Certificate.objects.count() == 2


def test_failed_certificate_can_be_retried_once_failed_only(certified_world):
    w = certified_world
    certificate = issue(w, picked=[w.done.pk]).certificates.get()
    with pytest.raises(Conflict) as caught:
        services.certificate_retry(certificate=certificate, actor=w.staff)
    assert caught.value.code == "not_failed"
    services.certificate_mark_failed(certificate_id=certificate.pk, error="boom")
    certificate.refresh_from_db()
    assert certificate.status == CertificateStatus.FAILED and certificate.error == "boom"
    services.certificate_retry(certificate=certificate, actor=w.staff)
    certificate.refresh_from_db()
    assert certificate.status == CertificateStatus.PENDING and certificate.error == ""
