"""Sign in with a mobile number and an SMS code; forgot-password by SMS. Thin: the rules are in sign_in.py."""

from django import forms
from django.contrib import messages
from django.contrib.auth import login
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.debug import sensitive_post_parameters
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.authtoken.models import Token
from rest_framework.response import Response
from rest_framework.views import APIView

from lms.clients import client_address
from lms.errors import ApplicationError
from lms.permissions import PUBLIC
from notifications import sign_in

BACKEND = "lms.authentication.UsernameOrMobileBackend"


class SmsCodeForm(forms.Form):
    mobile = forms.CharField(label=gettext_lazy("Mobile number"), max_length=32)
    code = forms.CharField(label=gettext_lazy("Code from the SMS"), max_length=16, required=False)


def _next(request) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    allowed = url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=False)
    return target if allowed else ""


@sensitive_post_parameters("code")
def sms_login(request, *, reset: bool = False):
    """Step 1 (`mobile`): a code is sent. Step 2 (`mobile` + `code`): signed in (to set a new password: reset)."""
    template = "registration/login_sms.html"
    context = {"reset": reset, "next": _next(request), "step": "mobile"}
    if request.method != "POST":
        return render(request, template, {**context, "form": SmsCodeForm()})
    form = SmsCodeForm(request.POST)
    context |= {"form": form}
    if not form.is_valid():
        return render(request, template, {**context, "error": _("Enter your mobile number.")}, status=400)
    mobile, code = form.cleaned_data["mobile"], form.cleaned_data["code"].strip()
    try:
        if not code or request.POST.get("action") == "send":
            sent = sign_in.sign_in_code_request(mobile=mobile, address=client_address(request))
            context |= {"step": "code", "mobile": sent.mobile, "sent": sent.message}
            return render(request, template, context)
        user = sign_in.sign_in_code_check(mobile=mobile, code=code)
    except ApplicationError as error:
        step = "code" if "code" in request.POST else "mobile"  # the second step's form has the code field
        context |= {"step": step, "mobile": mobile, "error": error.message}
        return render(request, template, context, status=error.status_code)
    if reset:
        user = sign_in.password_reset_by_sms(user=user)
    login(request, user, backend=BACKEND)
    if reset:
        messages.info(request, _("Signed in with the code. Now set a new password."))
        return redirect("password_set")
    return redirect(context["next"] or "home")


class SmsCodeRequestSerializer(serializers.Serializer):
    mobile = serializers.CharField(max_length=32)


class SmsTokenSerializer(serializers.Serializer):
    mobile = serializers.CharField(max_length=32)
    code = serializers.CharField(max_length=16)


class SmsCodeSentSerializer(serializers.Serializer):
    detail = serializers.CharField()


class SmsTokenAnswerSerializer(serializers.Serializer):
    token = serializers.CharField()


class SmsCodeView(APIView):
    """Send a sign-in code by SMS. The same answer whether or not the number has an account; 429 past a limit."""

    authentication_classes: list = []  # no session, so no CSRF: the code is the credential
    permission_required = PUBLIC

    @extend_schema(request=SmsCodeRequestSerializer, responses={202: SmsCodeSentSerializer})
    def post(self, request):
        data = SmsCodeRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        sent = sign_in.sign_in_code_request(mobile=data.validated_data["mobile"], address=client_address(request))
        return Response({"detail": sent.message}, status=202)


class SmsTokenView(APIView):
    """Exchange a mobile number and its SMS code for an API token."""

    authentication_classes: list = []  # no session, so no CSRF: the code is the credential
    permission_required = PUBLIC

    @extend_schema(request=SmsTokenSerializer, responses={200: SmsTokenAnswerSerializer})
    def post(self, request):
        data = SmsTokenSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = sign_in.sign_in_code_check(mobile=data.validated_data["mobile"], code=data.validated_data["code"])
        token, _created = Token.objects.get_or_create(user=user)
        return Response({"token": token.key})
