"""The second-factor pages: set up an authenticator (first sign-in after the feature is on), then give a code."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from lms import second_factor
from lms.errors import ApplicationError
from lms.qr import qr_svg


def _next(request) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return target
    return "/"


def _show_codes(request, codes):
    response = render(request, "lms/recovery_codes.html", {"codes": codes, "next": _next(request)})
    response["Cache-Control"] = "no-store"  # shown once: never from a cache or the back button
    return response


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def second_factor_page(request):
    user = request.user
    if request.session.get(second_factor.SESSION_VERIFIED):
        return redirect(_next(request))
    enrolled = second_factor.has_device(user)
    error = None
    if not enrolled:
        secret = request.session.get(second_factor.SESSION_PENDING_SECRET)
        if secret is None:
            secret = request.session[second_factor.SESSION_PENDING_SECRET] = second_factor.new_secret()
    if request.method == "POST":
        code = request.POST.get("code", "")[:64]
        try:
            if enrolled:
                second_factor.second_factor_verify(user=user, code=code, request=request)
            else:
                codes = second_factor.second_factor_enrol(user=user, secret=secret, code=code, request=request)
        except ApplicationError as refusal:
            error, status = refusal.message, refusal.status_code
        else:
            request.session.cycle_key()
            request.session[second_factor.SESSION_VERIFIED] = True
            request.session.pop(second_factor.SESSION_PENDING_SECRET, None)
            return redirect(_next(request)) if enrolled else _show_codes(request, codes)
    context = {"enrolled": enrolled, "error": error, "next": _next(request)}
    if not enrolled:
        uri = second_factor.provisioning_uri(user=user, secret=secret)
        context |= {"secret": secret, "qr": qr_svg(uri, box_size=6)}
    response = render(request, "lms/second_factor.html", context, status=status if error else 200)
    response["Cache-Control"] = "no-store"
    return response


@never_cache
@login_required
@require_http_methods(["POST"])
def recovery_codes_renew(request):
    if not request.session.get(second_factor.SESSION_VERIFIED):
        return redirect("second-factor")
    return _show_codes(request, second_factor.recovery_codes_renew(user=request.user, request=request))
