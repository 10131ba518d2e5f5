"""The three homes: each person sees what it should do next, for the roles it holds."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render

from homes import selectors
from lms.errors import NotFound

HOMES = {"trainee": "homes:trainee", "instructor": "homes:instructor", "staff": "homes:staff"}


def _tabs(user) -> list[str]:
    return selectors.roles_for_homes(user=user)


def _require(user, role: str) -> list[str]:
    tabs = _tabs(user)
    if role not in tabs:
        raise NotFound()
    return tabs


@login_required
def landing(request):
    """ "/": the home that fits the person. One role: its home; several: the to-do page, whose tabs choose;
    none (an operator, an account not yet enrolled): the learning page, which says so."""
    tabs = _tabs(request.user)
    if len(tabs) == 1:
        return redirect(HOMES[tabs[0]])
    return redirect("homes:todo") if tabs else redirect("learning")


@login_required
def todo(request):
    """The top bar's "To do": the home of the first role the person holds, with tabs for the others."""
    tabs = _tabs(request.user)
    return redirect(HOMES[tabs[0]]) if tabs else redirect("learning")


@login_required
def trainee(request):
    tabs = _require(request.user, "trainee")
    homes = selectors.trainee_home(user=request.user)
    return render(request, "homes/trainee.html", {"tabs": tabs, "role": "trainee", "homes": homes})


@login_required
def instructor(request):
    tabs = _require(request.user, "instructor")
    home = selectors.instructor_home(user=request.user)
    return render(request, "homes/instructor.html", {"tabs": tabs, "role": "instructor", "home": home})


@login_required
def staff(request):
    tabs = _require(request.user, "staff")
    homes = selectors.staff_home(user=request.user)
    return render(request, "homes/staff.html", {"tabs": tabs, "role": "staff", "homes": homes})
