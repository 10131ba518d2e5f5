"""Pages for people (district staff) and for each person's own password."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import SetPasswordForm
from django.http import HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils.decorators import method_decorator
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django.views.generic.edit import FormView

from lms import selectors, services
from lms.clients import client_address
from lms.counters import counter_hit, counter_value
from lms.error_pages import too_many_requests
from lms.errors import Conflict, ValidationFailed
from lms.forms import PersonCreateForm, PersonForm, ResetForm, form_error

# --- people (district staff)


def _community(user, community_id, *, keep_id=None):
    if not community_id:
        return None
    community = selectors.choosable_communities(user=user, keep_id=keep_id).filter(pk=community_id).first()
    if community is None:
        raise ValidationFailed(
            _("Choose a community of your district."), fields={"community": [_("Unknown community.")]}
        )
    return community


@login_required
def people_list(request):
    listing = selectors.people_page(
        user=request.user,
        search=request.GET.get("q", ""),
        role=request.GET.get("role", ""),
        page_number=request.GET.get("page", 1),
    )
    return render(request, "lms/people.html", {"listing": listing})


@login_required
def person_new(request):
    if not selectors.may_see_people(request.user):
        raise selectors.not_found()
    context = {
        "cohorts": selectors.managed_cohorts(request.user),
        "communities": selectors.choosable_communities(user=request.user),
    }
    if request.method == "POST":
        form = PersonCreateForm(request.POST)
        try:
            if not form.is_valid():
                raise form_error(form)
            cohort = context["cohorts"].filter(pk=form.cleaned_data["cohort"]).first()
            if cohort is None:
                raise selectors.not_found()
            person, password = services.person_create(
                full_name=form.cleaned_data["full_name"],
                mobile=form.cleaned_data["mobile"],
                email=form.cleaned_data["email"],
                community=_community(request.user, form.cleaned_data["community"]),
                cohort=cohort,
                role=form.cleaned_data["role"],
                actor=request.user,
            )
        except (ValidationFailed, Conflict) as error:  # a typo keeps the form, the message beside its field
            return render(
                request, "lms/person_new.html", {**context, **_kept(request, error)}, status=error.status_code
            )
        return _show_temporary_password(request, person, password, created=True)
    return render(request, "lms/person_new.html", context)


def _kept(request, error) -> dict:
    """What a form page needs to show the typed values again, with each message beside its field."""
    community = request.POST.get("community", "")
    return {
        "error": error,
        "fields": error.fields,
        "posted": request.POST,
        "selected_community": int(community) if community.isdigit() and len(community) < 12 else None,
    }


def _show_temporary_password(request, person, password, *, created=False):
    response = render(
        request, "lms/temporary_password.html", {"person": person, "password": password, "created": created}
    )
    response["Cache-Control"] = "no-store"  # shown once: never from a cache or the back button
    return response


@login_required
def person_detail(request, person_id: int):
    person = selectors.access_governed_person(user=request.user, person_id=person_id)
    return render(
        request,
        "lms/person_detail.html",
        {
            "person": person,
            "communities": selectors.choosable_communities(user=request.user, keep_id=person.community_id),
        },
    )


@login_required
@require_POST
def person_edit(request, person_id: int):
    person = selectors.access_governed_person(user=request.user, person_id=person_id)
    form = PersonForm(request.POST)
    try:
        if not form.is_valid():
            raise form_error(form)
        services.person_update(
            person=person,
            full_name=form.cleaned_data["full_name"],
            mobile=form.cleaned_data["mobile"],
            email=form.cleaned_data["email"],
            community=_community(request.user, form.cleaned_data["community"], keep_id=person.community_id),
            actor=request.user,
        )
    except (ValidationFailed, Conflict) as error:  # a typo keeps the form, the message beside its field
        context = {
            "person": person,
            "communities": selectors.choosable_communities(user=request.user, keep_id=person.community_id),
        }
        return render(request, "lms/person_detail.html", {**context, **_kept(request, error)}, status=error.status_code)
    messages.success(request, _("The changes are saved."))
    return redirect("person-detail", person_id=person.pk)


@login_required
@require_POST
def person_deactivate(request, person_id: int):
    person = selectors.access_governed_person(user=request.user, person_id=person_id)
    services.person_deactivate(person=person, actor=request.user)
    messages.success(request, _("%(name)s can no longer log in.") % {"name": person})
    return redirect("person-detail", person_id=person.pk)


@login_required
@require_POST
def person_password_reset(request, person_id: int):
    person = selectors.access_governed_person(user=request.user, person_id=person_id)
    password = services.password_reset_by_staff(person=person, actor=request.user)
    return _show_temporary_password(request, person, password)


# --- a person's own password


class PasswordChangeView(auth_views.PasswordChangeView):
    """Change one's password; other sessions end and the API token is replaced.

    The old password is a password check like the login's: after AXES_FAILURE_LIMIT wrong ones within the
    lock window the page answers 429, so a session left open cannot be used to guess it.
    """

    success_url = reverse_lazy("password_change_done")

    def _failures_key(self) -> str:
        return f"old-password-failures:{self.request.user.pk}"

    def post(self, request, *args, **kwargs):
        if counter_value(self._failures_key()) >= settings.AXES_FAILURE_LIMIT:
            return too_many_requests(request, retry_after_seconds=int(settings.AXES_COOLOFF_TIME.total_seconds()))
        return super().post(request, *args, **kwargs)

    def form_invalid(self, form):
        if "old_password" in form.errors:
            counter_hit(self._failures_key(), int(settings.AXES_COOLOFF_TIME.total_seconds()))
        return super().form_invalid(form)

    def form_valid(self, form):
        user = services.password_change(
            user=self.request.user, new_password=form.cleaned_data["new_password1"], actor=self.request.user
        )
        update_session_auth_hash(self.request, user)
        return redirect(self.get_success_url())


@method_decorator(login_required, name="dispatch")
class PasswordSetView(FormView):
    """The page a person with a temporary password is sent to until it sets its own."""

    template_name = "registration/password_set_form.html"
    form_class = SetPasswordForm

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not request.user.must_change_password:
            return redirect("password_change")
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.request.user}

    def form_valid(self, form):
        user = services.password_change(
            user=self.request.user,
            new_password=form.cleaned_data["new_password1"],
            actor=self.request.user,
            verb="user.password_set",
        )
        update_session_auth_hash(self.request, user)
        messages.success(self.request, _("Your new password is set."))
        return redirect("home")


class PasswordResetView(auth_views.PasswordResetView):
    """Ask for a reset link. The request looks nobody up: it counts the asking and queues a task that
    finds the account and sends the mail, so a known and an unknown address cost the same time.

    More than LMS_PASSWORD_RESET_PER_ADDRESS requests from one address within the lock window answer 429;
    more than LMS_PASSWORD_RESET_PER_EMAIL for one e-mail are answered alike but send nothing more.
    """

    form_class = ResetForm

    def form_valid(self, form):
        from lms.tasks import password_reset_send

        window = int(settings.AXES_COOLOFF_TIME.total_seconds())
        email = form.cleaned_data["email"]
        if counter_hit(f"password-reset-address:{client_address(self.request)}", window) > (
            settings.LMS_PASSWORD_RESET_PER_ADDRESS
        ):
            return too_many_requests(self.request, retry_after_seconds=window)
        if counter_hit(f"password-reset-email:{email.casefold()}", window) <= settings.LMS_PASSWORD_RESET_PER_EMAIL:
            password_reset_send.delay(
                email=email, domain=self.request.get_host(), use_https=self.request.is_secure(), language=get_language()
            )
        return HttpResponseRedirect(self.get_success_url())


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    def form_valid(self, form):
        services.password_change(
            user=form.user,
            new_password=form.cleaned_data["new_password1"],
            actor=form.user,
            verb="user.password_reset_by_email",
        )
        del self.request.session[auth_views.INTERNAL_RESET_SESSION_TOKEN]
        return redirect(self.get_success_url())
