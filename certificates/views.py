import json
from urllib.parse import quote

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpResponse, JsonResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from certificates import credentials, exports, rendering, seals, selectors, services, signing
from certificates.archive import zip_stream
from certificates.codes import code_normalise
from certificates.eligibility import cohort_eligibility
from certificates.forms import CompletionRuleForm, IssuerForm, RevokeForm, TemplateForm
from certificates.models import CertificateStatus, CompletionRule, IssuerProfile
from certificates.trial import TemplateRefused, sample_values, trial_render
from certificates.verification import (
    MAX_UPLOAD_BYTES,
    check_credential_upload,
    check_pdf_upload,
    public_status,
    sniff,
    verification_allowed,
)
from lms import storage
from lms.audit_events import audit_personal_data_read
from lms.bodies import MULTIPART_MARGIN, accepts_body
from lms.errors import ApplicationError, StoredFileUnavailable, ValidationFailed
from lms.models import District
from lms.paging import page_of, query_without_page
from lms.spreadsheets import table_response
from lms.versions import StaleVersion, version_of


@login_required
def index(request):
    return render(
        request,
        "certificates/index.html",
        {
            "cohorts": selectors.managed_cohorts(user=request.user),
            "certificates": selectors.own_certificates(user=request.user),
            "districts": selectors.editable_districts(user=request.user),
        },
    )


@login_required
def cohort_certificates(request, cohort_id: int):
    cohort = selectors.access_managed_cohort(user=request.user, cohort_id=cohort_id)
    rows = cohort_eligibility(cohort=cohort)
    return render(
        request,
        "certificates/cohort.html",
        {
            "cohort": cohort,
            "page": page_of(rows, request),  # 50 trainees a page; "issue to all" still takes every one
            "query": query_without_page(request),
            "eligible_count": sum(1 for r in rows if r.can_be_issued),
            "key_problem": selectors.signing_key_problem(district=cohort.district),
            "rule": CompletionRule.objects.filter(cohort=cohort).first(),
            "batches": selectors.cohort_batches(cohort=cohort),
            "certificates": selectors.cohort_certificates(cohort=cohort),
        },
    )


@login_required
def eligibility_export(request, cohort_id: int, fmt: str):
    cohort = selectors.access_managed_cohort(user=request.user, cohort_id=cohort_id)
    table = exports.eligibility_table(cohort_eligibility(cohort=cohort))
    audit_personal_data_read(request=request, verb="export.eligibility", target=cohort, format=fmt)
    return table_response(table, fmt=fmt, name=f"{cohort.name}-{_('eligibility')}")


@login_required
def completion_rule_edit(request, cohort_id: int):
    cohort = selectors.access_managed_cohort(user=request.user, cohort_id=cohort_id)
    rule = CompletionRule.objects.filter(cohort=cohort).first()
    form = CompletionRuleForm(request.POST or None, instance=rule, cohort=cohort, initial={"version": version_of(rule)})
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        try:
            services.completion_rule_save(cohort=cohort, actor=request.user, **data)
        except StaleVersion as stale:
            # The form stays as typed; it now carries the current version, so a second save replaces it.
            form.data = form.data.copy()
            form.data["version"] = stale.current
            return render(
                request, "certificates/rule.html", {"cohort": cohort, "form": form, "stale": stale}, status=409
            )
        messages.success(request, _("The completion rules are saved."))
        return redirect("certificates-cohort", cohort_id=cohort.pk)
    return render(
        request, "certificates/rule.html", {"cohort": cohort, "form": form}, status=400 if form.errors else 200
    )


@login_required
@require_POST
def issue(request, cohort_id: int):
    cohort = selectors.access_managed_cohort(user=request.user, cohort_id=cohort_id)
    picked = None
    if request.POST.get("scope") == "picked":
        try:
            picked = [int(value) for value in request.POST.getlist("enrolments")]
        except ValueError:
            raise ValidationFailed(_("Pick trainees from the list.")) from None
    batch = services.certificate_issue_batch(cohort=cohort, actor=request.user, enrolment_ids=picked)
    return redirect("certificates-batch", batch_id=batch.pk)


@login_required
def batch_detail(request, batch_id: int):
    batch = selectors.access_batch(user=request.user, batch_id=batch_id)
    progress = selectors.batch_progress(batch=batch)
    state, state_message = selectors.batch_state(batch=batch, progress=progress)
    return render(
        request,
        "certificates/batch.html",
        {
            "batch": batch,
            "progress": progress,
            "state": state,
            "state_message": state_message,
            "certificates": selectors.batch_certificates(batch=batch),
        },
    )


@login_required
@require_POST
def batch_retry_failed(request, batch_id: int):
    batch = selectors.access_batch(user=request.user, batch_id=batch_id)
    count = services.certificate_retry_failed(batch=batch, actor=request.user)
    messages.success(request, _("%(count)d failed certificates are queued again.") % {"count": count})
    return redirect("certificates-batch", batch_id=batch.pk)


@login_required
@require_GET
def batch_progress(request, batch_id: int):
    batch = selectors.access_batch(user=request.user, batch_id=batch_id)
    progress = selectors.batch_progress(batch=batch)
    state, state_message = selectors.batch_state(batch=batch, progress=progress)
    failed = list(batch.certificates.filter(status=CertificateStatus.FAILED).values("id", "serial", "error"))
    return JsonResponse(
        {**progress.as_dict(), "state": state, "state_message": str(state_message), "failed_certificates": failed}
    )


@login_required
def certificate_detail(request, certificate_id: int):
    certificate = selectors.access_certificate(user=request.user, certificate_id=certificate_id)
    return render(
        request,
        "certificates/certificate.html",
        {"certificate": certificate, "revoke_form": RevokeForm(), "verify_url": rendering.verify_url(certificate.code)},
    )


@login_required
def certificate_own(request, certificate_id: int):
    """The trainee's own certificate: shown in the page as an image, the PDF beside it (the notification's link)."""
    certificate = selectors.access_certificate(
        user=request.user, certificate_id=certificate_id, perm="certificates.download_certificate"
    )
    return render(
        request,
        "certificates/own.html",
        {
            "certificate": certificate,
            "downloadable": certificate.is_downloadable,
            # WeChat's in-app browser often refuses downloads: it is told how to open the system browser.
            "in_wechat": "MicroMessenger" in request.headers.get("User-Agent", ""),
            "verify_url": rendering.verify_url(certificate.code),
        },
    )


@login_required
@require_GET
def certificate_own_image(request, certificate_id: int):
    certificate = selectors.access_certificate(
        user=request.user, certificate_id=certificate_id, perm="certificates.download_certificate"
    )
    if certificate.status != CertificateStatus.ISSUED or not certificate.pdf:
        raise Http404
    try:
        png = services.certificate_image(certificate=certificate)
    except (rendering.RenderError, OSError):
        raise StoredFileUnavailable(
            _("The certificate's picture cannot be made right now; download the PDF.")
        ) from None
    response = HttpResponse(png, content_type="image/png")
    response["Cache-Control"] = "private, max-age=86400"
    return response


@login_required
@require_POST
def certificate_revoke(request, certificate_id: int):
    certificate = selectors.access_certificate(user=request.user, certificate_id=certificate_id)
    form = RevokeForm(request.POST)
    form.is_valid()
    services.certificate_revoke(
        certificate=certificate,
        reason=form.cleaned_data.get("reason", ""),
        note=form.cleaned_data.get("note", ""),
        actor=request.user,
    )
    messages.success(request, _("The certificate is revoked."))
    return redirect("certificates-detail", certificate_id=certificate.pk)


@login_required
@require_POST
def certificate_reissue(request, certificate_id: int):
    certificate = selectors.access_certificate(user=request.user, certificate_id=certificate_id)
    new = services.certificate_reissue(certificate=certificate, actor=request.user)
    messages.success(request, _("A new certificate is being rendered."))
    return redirect("certificates-batch", batch_id=new.batch_id)


@login_required
@require_POST
def certificate_retry(request, certificate_id: int):
    certificate = selectors.access_certificate(user=request.user, certificate_id=certificate_id)
    services.certificate_retry(certificate=certificate, actor=request.user)
    messages.success(request, _("The certificate is queued again."))
    return redirect("certificates-batch", batch_id=certificate.batch_id)


def pdf_response(certificate, *, request) -> FileResponse:
    if certificate.status == CertificateStatus.PENDING or not certificate.pdf:
        raise Http404
    audit_personal_data_read(request=request, verb="download.certificate", target=certificate)
    response = FileResponse(
        storage.open_stream(certificate.pdf.name),
        as_attachment=True,
        filename=f"{certificate.serial}.pdf",
        content_type="application/pdf",
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
def certificate_download(request, certificate_id: int):
    certificate = selectors.access_certificate_pdf(user=request.user, certificate_id=certificate_id)
    return pdf_response(certificate, request=request)


@login_required
def cohort_archive(request, cohort_id: int):
    cohort = selectors.access_managed_cohort(user=request.user, cohort_id=cohort_id)
    certificates = [c for c in selectors.issued_certificates_for_archive(cohort=cohort) if c.pdf]
    # Every file is checked before the first byte: once streaming starts, an error can only truncate.
    if absent := set(storage.missing([c.pdf.name for c in certificates])):
        serials = "、".join(c.serial for c in certificates if c.pdf.name in absent)
        raise StoredFileUnavailable(
            _("Some certificate files cannot be read from storage (%(serials)s); no archive was made.")
            % {"serials": serials},
            code="archive_incomplete",
        )
    members = [(archive_member_name(c), lambda name=c.pdf.name: storage.open_stream(name)) for c in certificates]
    audit_personal_data_read(request=request, verb="export.certificates_zip", target=cohort, files=len(members))
    response = StreamingHttpResponse(zip_stream(members), content_type="application/zip")
    # Named by district and cohort: NH-2022.zip, and the cohort's own name for browsers that read RFC 5987.
    plain = f"{cohort.district.code.upper()}-{cohort.year}"
    full = safe_file_name(f"{plain}-{cohort.name}") + ".zip"
    response["Content-Disposition"] = f"attachment; filename=\"{plain}.zip\"; filename*=UTF-8''{quote(full)}"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def safe_file_name(text: str) -> str:
    """A name fit for a file: no path separators or control characters, at most 100 characters."""
    cleaned = "".join("_" if ch in '/\\:*?"<>|' or ord(ch) < 32 else ch for ch in text).strip(" .")
    return cleaned[:100] or "_"


def archive_member_name(certificate) -> str:
    """SERIAL-姓名.pdf: a folder of certificates reads by name as well as by number."""
    return safe_file_name(f"{certificate.serial}-{certificate.trainee_name}") + ".pdf"


def verify_form(request):
    code = request.GET.get("code", "")
    if code:
        normal = code_normalise(code)
        return redirect("certificates-verify", code=normal or "not-a-code")
    return render(request, "certificates/verify_form.html", {"max_mb": MAX_UPLOAD_BYTES // (1024 * 1024)})


def verify(request, code: str):
    if not verification_allowed(request):
        return render(request, "certificates/verify_limited.html", status=429)
    normal = code_normalise(code)
    certificate = selectors.certificate_by_code(code=normal) if normal else None
    if certificate is None:
        return render(request, "certificates/verify_not_found.html", status=404)
    # The key that signed this certificate, whichever key signs today.
    key = signing.public_key_of(certificate.signing_key) if certificate.signing_key_id else None
    return render(
        request,
        "certificates/verify.html",
        {"certificate": certificate, "key": key, "verdict": public_status(certificate)},
    )


@login_required
def issuer_edit(request, district_id: int):
    """The district's own issuing body, seal and certificate wording (staff of that district only)."""
    district = selectors.access_issuer_district(user=request.user, district_id=district_id)
    profile = IssuerProfile.objects.filter(district=district).first()
    initial = {
        "name": profile.name if profile else district.name,
        "short_name": profile.short_name if profile else "",
        "html": profile.html if profile and profile.html else rendering.DEFAULT_HTML,
        "css": profile.css if profile and profile.html else rendering.DEFAULT_CSS,
    }
    form = IssuerForm(request.POST or None, request.FILES or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        html = data["html"]
        # The built-in wording, unchanged, stays "the built-in one" and follows its improvements.
        if html.strip() == rendering.DEFAULT_HTML.strip() and data["css"].strip() == rendering.DEFAULT_CSS.strip():
            html = ""
        try:
            services.issuer_profile_save(
                district=district,
                actor=request.user,
                name=data["name"],
                short_name=data["short_name"],
                html=html,
                css=data["css"],
                seal=data["seal"].read() if data.get("seal") else None,
                remove_seal=data["remove_seal"],
            )
        except ValidationFailed as refusal:  # shown above the form, so the editor can fix it
            form.add_error(None, refusal.message)
        else:
            messages.success(request, _("The district's certificate is saved."))
            return redirect("certificates-template", district_id=district.pk)
    return render(
        request,
        "certificates/template_edit.html",
        {
            "district": district,
            "profile": profile,
            "form": form,
            "placeholders": rendering.PLACEHOLDERS,
            **selectors.district_key_state(district=district),
        },
        status=400 if form.errors else 200,
    )


@login_required
@require_GET
def issuer_seal(request, district_id: int):
    district = selectors.access_issuer_district(user=request.user, district_id=district_id)
    profile = IssuerProfile.objects.filter(district=district).first()
    if profile is None or not profile.seal:
        raise Http404
    response = HttpResponse(bytes(profile.seal), content_type=profile.seal_type)
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
@require_POST
def template_preview(request, district_id: int):
    """Render the posted (unsaved) template with sample data, the district's name and its stored seal."""
    district = selectors.access_issuer_district(user=request.user, district_id=district_id)
    profile = IssuerProfile.objects.filter(district=district).first()
    form = TemplateForm(request.POST)
    if not form.is_valid():
        raise ValidationFailed(_("The template's HTML cannot be empty."))
    seal = seals.seal_html(profile.seal, profile.seal_type) if profile else ""
    try:
        pdf = trial_render(
            template_html=form.cleaned_data["html"],
            css=form.cleaned_data["css"],
            values=sample_values(
                issuer_name=(request.POST.get("name") or "").strip()[:128] or services.issuer_name_of(district),
                short_name=(request.POST.get("short_name") or "").strip()[:32],
                seal=seal,
            ),
        )
    except TemplateRefused as refusal:
        raise ApplicationError(str(refusal), code="template_refused") from None
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = 'inline; filename="preview.pdf"'
    return response


def _json(data: dict, *, content_type: str = "application/json", status: int = 200) -> HttpResponse:
    response = HttpResponse(
        json.dumps(data, ensure_ascii=False, indent=2), content_type=f"{content_type}; charset=utf-8", status=status
    )
    response["Access-Control-Allow-Origin"] = "*"  # public keys and statuses are meant to be read by any verifier
    return response


def _issuer_keys(code: str):
    """(owner code, district or None, every key ever made for it), or 404 (unknown, or no key yet).

    The deployment's keys are published under its own code, like a district's."""
    if code == signing.DEPLOYMENT:
        keys = signing.published_keys(signing.DEPLOYMENT)
        district = None
    else:
        district = District.objects.filter(code__iexact=code).first()
        if district is None:
            raise Http404
        keys = signing.district_published_keys(district)
    if not keys:
        raise Http404
    return code.lower(), district, keys


@require_GET
def issuer_profile(request, code: str):
    owner, district, keys = _issuer_keys(code)
    name = services.issuer_name_of(district) if district else keys[-1].issuer_name
    return _json(
        {
            "@context": credentials.CONTEXTS,
            "id": credentials.issuer_id(owner),
            "type": "Profile",
            "name": name,
            "description": district.name if district else name,
            "url": credentials.base_url() + "/",
            "publicKey": {"jwks": request.build_absolute_uri(reverse("certificates-issuer-jwks", args=[code]))},
        }
    )


@require_GET
def issuer_jwks(request, code: str):
    """Every key of the issuer that ever signed (retired and compromised ones too), kid = the key's URI."""
    _owner, _district, keys = _issuer_keys(code)
    return _json({"keys": [key.public_jwk() for key in keys]}, content_type="application/jwk-set+json")


@require_GET
def issuer_certificate_pem(request, code: str):
    """Every signing certificate of the issuer in one PEM file (a verifier trusts them all)."""
    owner, _district, keys = _issuer_keys(code)
    return _pem(b"".join(key.certificate_pem for key in keys), f"{owner}-signing-certificates.pem")


def _issuer_key(code: str, number: int):
    _owner, _district, keys = _issuer_keys(code)
    key = next((k for k in keys if k.number == number and k.district_code == code.lower()), None)
    if key is None:
        raise Http404
    return key


@require_GET
def issuer_key(request, code: str, number: int):
    """The key a credential's kid names (the kid is this URL): its JWK, with its state and validity."""
    key = _issuer_key(code, number)
    return _json(
        {
            **key.public_jwk(),
            "state": key.state,
            "validFrom": key.valid_from.isoformat(),
            "validUntil": key.valid_until.isoformat(),
            "retiredAt": key.retired_at.isoformat() if key.retired_at else None,
            "compromisedSince": key.compromised_since.isoformat() if key.compromised_since else None,
            "fingerprint": key.fingerprint,
        },
        content_type="application/jwk+json",
    )


@require_GET
def issuer_key_pem(request, code: str, number: int):
    key = _issuer_key(code, number)
    return _pem(key.certificate_pem, f"{key.district_code}-key-{key.number}.pem")


def _pem(data: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(data, content_type="application/x-pem-file")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    response["Access-Control-Allow-Origin"] = "*"
    return response


@require_GET
def all_jwks(request):
    """Every published district key (the deployment's too), for verifiers that know only this site."""
    return _json(
        {"keys": [key.public_jwk() for key in signing.published_keys()]}, content_type="application/jwk-set+json"
    )


@require_GET
def credential_status(request, code: str):
    """The credential's 1EdTechRevocationList: empty while valid, listing the credential once revoked."""
    if not verification_allowed(request):
        return _json(
            {"error": {"code": "rate_limited", "message": _("Too many lookups; try again in a minute.")}}, status=429
        )
    normal = code_normalise(code)
    certificate = selectors.certificate_by_code(code=normal) if normal else None
    if certificate is None or certificate.status not in (CertificateStatus.ISSUED, CertificateStatus.REVOKED):
        return _json({"error": {"code": "not_found", "message": _("No certificate has this code.")}}, status=404)
    revoked = []
    if certificate.status == CertificateStatus.REVOKED:
        revoked.append(
            {
                "id": rendering.verify_url(certificate.code),
                "revocationReason": certificate.get_revocation_reason_display(),
                "revokedAt": certificate.revoked_at.isoformat(),
            }
        )
    return _json(
        {
            "id": credentials.status_url(certificate.code),
            "issuer": credentials.issuer_id(certificate.cohort.district.code),
            "revokedCredentials": revoked,
        }
    )


@login_required
def certificate_credential(request, certificate_id: int):
    """The Open Badges credential embedded in the trainee's PDF, on its own (same permission as the PDF)."""
    certificate = selectors.access_certificate_pdf(user=request.user, certificate_id=certificate_id)
    with storage.open_stream(certificate.pdf.name) as handle:
        data = handle.read()
    credential = signing.credential_in_pdf(data)
    if not credential:
        raise Http404
    response = HttpResponse(credential, content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{certificate.serial}.credential.json"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


@accepts_body(MAX_UPLOAD_BYTES + MULTIPART_MARGIN)
def verify_upload(request):
    """Check an uploaded certificate PDF or credential file: signature, record, valid or revoked."""
    if request.method != "POST":
        return render(request, "certificates/verify_form.html", {"max_mb": MAX_UPLOAD_BYTES // (1024 * 1024)})
    if not verification_allowed(request):
        return render(request, "certificates/verify_limited.html", status=429)
    too_big = _("The file is larger than %(size)s MB.") % {"size": MAX_UPLOAD_BYTES // (1024 * 1024)}
    # Refuse by declared length before reading the body; the margin is the multipart wrapping.
    if int(request.META.get("CONTENT_LENGTH") or 0) > MAX_UPLOAD_BYTES + 64 * 1024:
        return _refused(request, too_big, status=413)
    upload = request.FILES.get("file")
    if upload is None:
        return _refused(request, _("Choose a PDF certificate or a credential file."), status=400)
    if upload.size > MAX_UPLOAD_BYTES:
        return _refused(request, too_big, status=413)
    data = upload.read()
    kind = sniff(data)
    try:
        if kind == "pdf":
            verdict = check_pdf_upload(data)
        elif kind == "credential":
            verdict = check_credential_upload(data)
        else:
            return _refused(request, _("The file is neither a PDF nor a JSON credential."), status=400)
    except signing.PdfRefused:
        return _refused(request, _("The PDF cannot be read."), status=400)
    except credentials.CredentialRefused as error:
        return _refused(request, str(error), status=422)
    return render(
        request,
        "certificates/verify_upload.html",
        {"verdict": verdict, "certificate": verdict.certificate},
        status=200 if verdict.genuine else 422,
    )


def _refused(request, message, *, status: int):
    return render(
        request,
        "certificates/verify_form.html",
        {"error": message, "max_mb": MAX_UPLOAD_BYTES // (1024 * 1024)},
        status=status,
    )
