from django.urls import path

from notifications import sign_in_views

urlpatterns = [
    path("accounts/login/sms/", sign_in_views.sms_login, name="login-sms"),
    path("accounts/password/reset/sms/", sign_in_views.sms_login, {"reset": True}, name="password-reset-sms"),
]
