"""Public verification: the rate limit that keeps anyone from enumerating codes, and uploaded files checked."""

from dataclasses import dataclass, field

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from lms.clients import client_address
from lms.counters import counter_hit


def verification_allowed(request) -> bool:
    """Count one lookup for the caller's address; False once it passed the limit for this window."""
    limit, window = settings.CERTIFICATES_VERIFY_RATE
    return counter_hit(f"certificates:verify:{client_address(request) or 'unknown'}", window) <= limit


MAX_UPLOAD_BYTES = 5 * 1024 * 1024


@dataclass
class UploadVerdict:
    """What the verification page answers about an uploaded PDF or credential."""

    kind: str  # "pdf" or "credential"
    problems: list[str] = field(default_factory=list)
    signature_valid: bool = False  # intact, covering the whole file, by a key this site publishes
    signer: str = ""
    fingerprint: str = ""
    signed_at: object = None
    credential_valid: bool | None = None
    credential_problem: str = ""
    certificate: object = None  # the record, when one is found
    record_matches: bool = False

    @property
    def genuine(self) -> bool:
        return not self.problems and self.certificate is not None and self.record_matches


def _record(code: str):
    from certificates.models import Certificate

    if not code:
        return None
    return (
        Certificate.objects.select_related("cohort__district", "signing_key")
        .publicly_verifiable()
        .filter(code=code)
        .first()
    )


def _credential_matches(check, certificate) -> bool:
    return (
        check.trainee_name == certificate.trainee_name
        and check.course_title == certificate.course_title
        and signed_by(check.key, certificate)
    )


def signed_by(key, certificate) -> bool:
    """Whether `key` is the one the record says signed the certificate (whatever key signs today)."""
    return key is not None and certificate.signing_key_id is not None and key.pk == certificate.signing_key_id


def compromise_problem(certificate) -> str:
    """Why a certificate signed with a key after it was reported compromised is refused; "" otherwise."""
    if certificate is None or not certificate.signed_after_compromise:
        return ""
    return _("It was signed with a key reported compromised since %(since)s: the district must reissue it.") % {
        "since": timezone.localtime(certificate.signing_key.compromised_since).strftime("%Y-%m-%d %H:%M")
    }


def check_credential_upload(data: bytes) -> UploadVerdict:
    """Verify an uploaded credential. Raises CredentialRefused with the reason."""
    from certificates import credentials

    check = credentials.verify_credential(data)
    verdict = UploadVerdict(kind="credential", signer=check.key.issuer_name, fingerprint=check.key.fingerprint)
    verdict.credential_valid = verdict.signature_valid = True
    verdict.certificate = _record(check.code)
    if verdict.certificate is None:
        verdict.problems.append(_("No certificate of this site matches the credential."))
    elif not _credential_matches(check, verdict.certificate):
        verdict.problems.append(_("The credential does not match the certificate on record."))
    else:
        verdict.record_matches = True
        if problem := compromise_problem(verdict.certificate):
            verdict.problems.append(problem)
    return verdict


def check_pdf_upload(data: bytes) -> UploadVerdict:
    """Verify an uploaded certificate PDF: signature, integrity, the record it matches. Raises PdfRefused."""
    from certificates import credentials, signing
    from certificates.models import Certificate
    from certificates.rendering import sha256_of

    result = signing.check_pdf(data)
    verdict = UploadVerdict(kind="pdf", signer=result.signer, signed_at=result.signed_at, signature_valid=result.valid)
    if result.key is not None:
        verdict.fingerprint = result.key.fingerprint
    if not result.signed:
        verdict.problems.append(_("The PDF carries no digital signature."))
    elif not result.intact:
        verdict.problems.append(_("The PDF was altered after it was signed: its signature no longer matches."))
    elif not result.whole_file:
        verdict.problems.append(_("Something was added to the PDF after it was signed."))
    elif result.key is None:
        verdict.problems.append(_("The PDF is not signed by a district key this site publishes."))
    code = ""
    if result.credential_too_large:
        verdict.credential_valid = False
        verdict.credential_problem = _("The credential inside the PDF is larger than %(size)d MB and was not read.") % {
            "size": signing.CREDENTIAL_MAX_BYTES // (1024 * 1024)
        }
    if result.credential:
        try:
            check = credentials.verify_credential(result.credential)
        except credentials.CredentialRefused as error:
            verdict.credential_valid, verdict.credential_problem = False, str(error)
        else:
            verdict.credential_valid, code = True, check.code
    by_hash = (
        Certificate.objects.select_related("cohort__district", "signing_key")
        .publicly_verifiable()
        .filter(sha256=sha256_of(data))
        .first()
    )
    verdict.certificate = by_hash or _record(code)
    verdict.record_matches = by_hash is not None
    if verdict.certificate is None:
        verdict.problems.append(_("No certificate of this site matches this PDF."))
    elif not verdict.record_matches:
        verdict.problems.append(_("This file is not the one the district issued for this certificate."))
    elif result.key is not None and not signed_by(result.key, verdict.certificate):
        verdict.problems.append(_("The PDF is not signed by the key that signed this certificate."))
    elif problem := compromise_problem(verdict.certificate):
        verdict.problems.append(problem)
    return verdict


def sniff(data: bytes) -> str:
    """ "pdf", "credential" (JSON or a bare JWT) or "" for anything else."""
    if data.startswith(b"%PDF-"):
        return "pdf"
    head = data[:64].lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith(b"{") or head.startswith(b"eyJ"):
        return "credential"
    return ""


@dataclass
class PublicStatus:
    """What anyone is told about a certificate by its code (page and API say the same)."""

    status: str  # "valid", "revoked", "superseded" (revoked and reissued), "key_compromised"
    superseded_by: str = ""  # the new certificate's serial
    reason: str = ""

    @property
    def is_superseded(self) -> bool:  # booleans for templates, which never spell a state
        return bool(self.superseded_by)

    @property
    def is_key_compromised(self) -> bool:
        return self.status == "key_compromised"


def public_status(certificate) -> PublicStatus:
    """The one answer to "is this certificate good?" for a publicly verifiable (issued or revoked) certificate.

    Reads certificate.reissued_as and certificate.signing_key (select them with the certificate)."""
    from certificates.models import CertificateStatus

    if certificate.status == CertificateStatus.REVOKED:
        successor = getattr(certificate, "reissued_as", None)
        if successor is not None:
            return PublicStatus("superseded", superseded_by=successor.serial)
        return PublicStatus("revoked", reason=certificate.get_revocation_reason_display())
    if problem := compromise_problem(certificate):
        return PublicStatus("key_compromised", reason=problem)
    return PublicStatus("valid")
