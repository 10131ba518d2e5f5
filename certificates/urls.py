from django.urls import path

from certificates import views

urlpatterns = [
    path("certificates/", views.index, name="certificates-index"),
    path("cohorts/<int:cohort_id>/certificates/", views.cohort_certificates, name="certificates-cohort"),
    path(
        "cohorts/<int:cohort_id>/eligibility.<str:fmt>",
        views.eligibility_export,
        name="certificates-eligibility-export",
    ),
    path("cohorts/<int:cohort_id>/certificates/rule/", views.completion_rule_edit, name="certificates-rule"),
    path("cohorts/<int:cohort_id>/certificates/issue/", views.issue, name="certificates-issue"),
    path("cohorts/<int:cohort_id>/certificates.zip", views.cohort_archive, name="certificates-archive"),
    path("certificates/batches/<int:batch_id>/", views.batch_detail, name="certificates-batch"),
    path(
        "certificates/batches/<int:batch_id>/retry-failed/", views.batch_retry_failed, name="certificates-batch-retry"
    ),
    path("certificates/batches/<int:batch_id>/progress/", views.batch_progress, name="certificates-batch-progress"),
    path("certificates/<int:certificate_id>/", views.certificate_detail, name="certificates-detail"),
    path("certificates/mine/<int:certificate_id>/", views.certificate_own, name="certificates-own"),
    path(
        "certificates/mine/<int:certificate_id>/image.png", views.certificate_own_image, name="certificates-own-image"
    ),
    path("certificates/<int:certificate_id>/revoke/", views.certificate_revoke, name="certificates-revoke"),
    path("certificates/<int:certificate_id>/reissue/", views.certificate_reissue, name="certificates-reissue"),
    path("certificates/<int:certificate_id>/retry/", views.certificate_retry, name="certificates-retry"),
    path("certificates/<int:certificate_id>/download/", views.certificate_download, name="certificates-download"),
    path("districts/<int:district_id>/certificate/", views.issuer_edit, name="certificates-template"),
    path(
        "districts/<int:district_id>/certificate/preview/",
        views.template_preview,
        name="certificates-template-preview",
    ),
    path("districts/<int:district_id>/certificate/seal/", views.issuer_seal, name="certificates-issuer-seal"),
    path("verify/", views.verify_form, name="certificates-verify-form"),
    path("verify/check/", views.verify_upload, name="certificates-verify-upload"),
    path("verify/<str:code>/", views.verify, name="certificates-verify"),
    path("verify/<str:code>/status/", views.credential_status, name="certificates-credential-status"),
    path(
        "certificates/<int:certificate_id>/credential.json",
        views.certificate_credential,
        name="certificates-credential",
    ),
    path("issuers/<slug:code>/", views.issuer_profile, name="certificates-issuer"),
    path("issuers/<slug:code>/jwks.json", views.issuer_jwks, name="certificates-issuer-jwks"),
    path("issuers/<slug:code>/certificate.pem", views.issuer_certificate_pem, name="certificates-issuer-pem"),
    path("issuers/<slug:code>/keys/<int:number>", views.issuer_key, name="certificates-issuer-key"),
    path(
        "issuers/<slug:code>/keys/<int:number>/certificate.pem",
        views.issuer_key_pem,
        name="certificates-issuer-key-pem",
    ),
    path(".well-known/jwks.json", views.all_jwks, name="certificates-jwks"),
]
