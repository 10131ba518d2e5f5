"""Pages for people (district staff) and for each person's own password."""

from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import PasswordResetForm, SetPasswordForm
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django.views.generic.edit import FormView

from lms import selectors, services
from lms.errors import ValidationFailed
from lms.forms import PersonCreateForm, PersonForm, form_error
from lms.models import User

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
        return _show_temporary_password(request, person, password, created=True)
    return render(request, "lms/person_new.html", context)


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
    """Change one's password; other sessions end and the API token is replaced."""

    success_url = reverse_lazy("password_change_done")

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


class ResetForm(PasswordResetForm):
    """Also reaches accounts made from a sheet, which have no usable password until the first one is set."""

    def get_users(self, email):
        return User._default_manager.filter(email__iexact=email, is_active=True).exclude(email="")


class PasswordResetView(auth_views.PasswordResetView):
    form_class = ResetForm


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
