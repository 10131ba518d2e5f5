"""Certificates under /api/v1/: eligibility, batches (progress), certificates, public verification."""

from django.conf import settings
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.permissions import AllowAny
from rest_framework.response import Response

from certificates import selectors, services
from certificates.codes import code_normalise
from certificates.eligibility import cohort_eligibility
from certificates.models import Certificate, IssuanceBatch, RevocationReason
from certificates.verification import verification_allowed
from certificates.views import pdf_response
from courses.models import Cohort
from lms.api import ScopedViewSet
from lms.errors import NotFound, error_body
from lms.permissions import PUBLIC, SIGNED_IN
from lms.predicates import district_scope_q


class EligibilityCriterionSerializer(serializers.Serializer):
    key = serializers.CharField()
    status = serializers.CharField()
    reason = serializers.CharField()


class EligibilitySerializer(serializers.Serializer):
    enrolment_id = serializers.IntegerField(source="enrolment.pk")
    trainee = serializers.CharField(source="enrolment.trainee.full_name")
    eligible = serializers.BooleanField()
    reasons = serializers.ListField(child=serializers.CharField())
    criteria = EligibilityCriterionSerializer(source="results", many=True)
    certificate_id = serializers.IntegerField(source="certificate.pk", allow_null=True, default=None)


class EligibilityOutSerializer(serializers.Serializer):
    cohort = serializers.IntegerField()
    trainees = EligibilitySerializer(many=True)


# "" while the certificate stands; one of the reasons once it is revoked.
REVOCATION_REASON_CHOICES = [("", ""), *RevocationReason.choices]


class CertificateSerializer(serializers.ModelSerializer):
    revocation_reason = serializers.ChoiceField(choices=REVOCATION_REASON_CHOICES, read_only=True)

    class Meta:
        model = Certificate
        fields = [
            "id",
            "cohort",
            "enrolment",
            "batch",
            "serial",
            "code",
            "trainee_name",
            "course_title",
            "cohort_name",
            "issued_on",
            "status",
            "sha256",
            "attempts",
            "error",
            "revoked_at",
            "revocation_reason",
            "reissue_of",
        ]
        read_only_fields = fields


class BatchSerializer(serializers.ModelSerializer):
    progress = serializers.SerializerMethodField()

    class Meta:
        model = IssuanceBatch
        fields = ["id", "cohort", "created_by", "created_at", "progress"]
        read_only_fields = fields

    def get_progress(self, batch) -> dict:
        return selectors.batch_progress(batch=batch).as_dict()


class IssueInputSerializer(serializers.Serializer):
    cohort = serializers.IntegerField()
    enrolments = serializers.ListField(child=serializers.IntegerField(), required=False, allow_empty=True)


class RevokeInputSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, default="")
    note = serializers.CharField(required=False, allow_blank=True, default="")


class PublicVerificationSerializer(serializers.Serializer):
    """GET /api/v1/verify/<code>/: what the verification page says, for machines."""

    code = serializers.CharField()
    status = serializers.ChoiceField(choices=["valid", "revoked", "superseded", "key_compromised"])
    superseded_by = serializers.CharField(allow_blank=True, help_text="The serial of the certificate that replaced it.")
    reason = serializers.CharField(allow_blank=True)
    serial = serializers.CharField()
    trainee_name = serializers.CharField()
    issued_on = serializers.DateField()
    cohort = serializers.CharField()
    course = serializers.CharField()
    issuer = serializers.CharField()
    key_id = serializers.CharField(allow_blank=True)
    key_fingerprint = serializers.CharField(allow_blank=True, help_text="SHA-256 of the certificate that signed it.")
    sha256 = serializers.CharField()


def public_verification(certificate) -> dict:
    from certificates import signing
    from certificates.verification import public_status

    verdict = public_status(certificate)
    key = signing.public_key_of(certificate.signing_key) if certificate.signing_key_id else None
    return {
        "code": certificate.code,
        "status": verdict.status,
        "superseded_by": verdict.superseded_by,
        "reason": str(verdict.reason),
        "serial": certificate.serial,
        "trainee_name": certificate.trainee_name,
        "issued_on": certificate.issued_on,
        "cohort": certificate.cohort_name,
        "course": certificate.course_title,
        "issuer": certificate.issuing_body,
        "key_id": key.kid if key else "",
        "key_fingerprint": key.fingerprint if key else "",
        "sha256": certificate.sha256,
    }


class PublicLookupViewSet(ScopedViewSet):
    """Public, no login, rate-limited per address like the verification page (the same counter)."""

    permission_classes = [AllowAny]
    permission_required = PUBLIC
    authentication_classes = []
    lookup_value_regex = "[^/]+"

    def scoped_queryset(self, user):
        return selectors.publicly_verifiable()

    def too_many(self, request) -> Response | None:
        """The 429 answer once this address has looked up too often; None while it may go on."""
        if verification_allowed(request):
            return None
        return Response(
            error_body(code="rate_limited", message=_("Too many lookups; try again in a minute.")),
            status=status.HTTP_429_TOO_MANY_REQUESTS,
            headers={"Retry-After": str(settings.CERTIFICATES_VERIFY_RATE[1])},
        )


class PublicVerifyViewSet(PublicLookupViewSet):
    """A certificate's status by its code, as the verification page gives it."""

    @extend_schema(responses=PublicVerificationSerializer)
    def retrieve(self, request, pk=None):
        if refused := self.too_many(request):
            return refused
        normal = code_normalise(pk or "")
        certificate = selectors.certificate_by_code(code=normal) if normal else None
        if certificate is None:
            raise NotFound(_("No certificate has this code."))
        response = Response(PublicVerificationSerializer(public_verification(certificate)).data)
        response["Access-Control-Allow-Origin"] = "*"
        return response


class VerificationSerializer(serializers.Serializer):
    status = serializers.CharField()
    trainee_name = serializers.CharField()
    course_title = serializers.CharField()
    cohort_name = serializers.CharField()
    serial = serializers.CharField()
    issued_on = serializers.DateField()
    sha256 = serializers.CharField()
    revoked_at = serializers.DateTimeField(allow_null=True)
    revocation_reason = serializers.ChoiceField(choices=REVOCATION_REASON_CHOICES)


class EligibilityViewSet(ScopedViewSet):
    """Every active trainee of a cohort (the id is the cohort's), eligible or not, with the reasons why not."""

    lookup_value_regex = "[0-9]+"
    permission_required = SIGNED_IN

    def scoped_queryset(self, user):
        return Cohort.objects.filter(district_scope_q(user, Cohort))

    @extend_schema(
        parameters=[OpenApiParameter("id", int, OpenApiParameter.PATH, description="Cohort id")],
        responses=EligibilityOutSerializer,
    )
    def retrieve(self, request, pk=None):
        cohort = selectors.access_managed_cohort(user=request.user, cohort_id=_int(pk))
        rows = cohort_eligibility(cohort=cohort)
        return Response({"cohort": cohort.pk, "trainees": EligibilitySerializer(rows, many=True).data})


class BatchViewSet(ScopedViewSet):
    serializer_class = BatchSerializer
    permission_required = SIGNED_IN

    def scoped_queryset(self, user):
        return IssuanceBatch.objects.filter(district_scope_q(self.request.user, IssuanceBatch)).order_by("-created_at")

    def list(self, request):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(BatchSerializer(page, many=True).data)

    def retrieve(self, request, pk=None):
        batch = selectors.access_batch(user=request.user, batch_id=_int(pk))
        return Response(BatchSerializer(batch).data)

    @extend_schema(request=IssueInputSerializer, responses=BatchSerializer)
    def create(self, request):
        data = IssueInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        cohort = selectors.access_managed_cohort(user=request.user, cohort_id=data.validated_data["cohort"])
        batch = services.certificate_issue_batch(
            cohort=cohort, actor=request.user, enrolment_ids=data.validated_data.get("enrolments")
        )
        return Response(BatchSerializer(batch).data, status=status.HTTP_201_CREATED)


class CertificateViewSet(ScopedViewSet):
    serializer_class = CertificateSerializer
    permission_required = SIGNED_IN

    def scoped_queryset(self, user):
        return selectors.visible_certificates(user=user)

    def list(self, request):
        queryset = self.get_queryset()
        if cohort := request.query_params.get("cohort"):
            queryset = queryset.filter(cohort_id=_int(cohort))
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(CertificateSerializer(page, many=True).data)

    def retrieve(self, request, pk=None):
        certificate = selectors.access_certificate(
            user=request.user, certificate_id=_int(pk), perm="certificates.download_certificate"
        )
        return Response(CertificateSerializer(certificate).data)

    @extend_schema(request=RevokeInputSerializer, responses=CertificateSerializer)
    @action(detail=True, methods=["post"])
    def revoke(self, request, pk=None):
        certificate = selectors.access_certificate(user=request.user, certificate_id=_int(pk))
        data = RevokeInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        certificate = services.certificate_revoke(certificate=certificate, actor=request.user, **data.validated_data)
        return Response(CertificateSerializer(certificate).data)

    @extend_schema(request=None, responses=CertificateSerializer)
    @action(detail=True, methods=["post"])
    def reissue(self, request, pk=None):
        certificate = selectors.access_certificate(user=request.user, certificate_id=_int(pk))
        new = services.certificate_reissue(certificate=certificate, actor=request.user)
        return Response(CertificateSerializer(new).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=CertificateSerializer)
    @action(detail=True, methods=["post"])
    def retry(self, request, pk=None):
        certificate = selectors.access_certificate(user=request.user, certificate_id=_int(pk))
        certificate = services.certificate_retry(certificate=certificate, actor=request.user)
        return Response(CertificateSerializer(certificate).data)

    @extend_schema(responses={(200, "application/pdf"): bytes})
    @action(detail=True, methods=["get"])
    def download(self, request, pk=None):
        certificate = selectors.access_certificate_pdf(user=request.user, certificate_id=_int(pk))
        return pdf_response(certificate, request=request)


class VerificationViewSet(PublicLookupViewSet):
    """Whether a code belongs to a valid or revoked certificate."""

    @extend_schema(responses=VerificationSerializer)
    def retrieve(self, request, pk=None):
        if refused := self.too_many(request):
            return refused
        normal = code_normalise(pk or "")
        certificate = selectors.certificate_by_code(code=normal) if normal else None
        if certificate is None:
            raise NotFound()
        return Response(VerificationSerializer(certificate).data)


def _int(value) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise NotFound() from None


def register(router) -> None:
    router.register("certificate-eligibility", EligibilityViewSet, basename="certificate-eligibility")
    router.register("certificate-batches", BatchViewSet, basename="certificate-batch")
    router.register("certificates", CertificateViewSet, basename="certificate")
    router.register("certificate-verifications", VerificationViewSet, basename="certificate-verification")
    router.register("verify", PublicVerifyViewSet, basename="verify")
