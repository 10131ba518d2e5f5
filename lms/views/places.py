"""Pages where district staff keep their district's towns and communities."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from lms import selectors, services


@login_required
def places_list(request):
    return render(request, "lms/places.html", {"overview": selectors.places_overview(user=request.user)})


@login_required
@require_POST
def town_create(request, district_id: int):
    district = selectors.access_place_district(user=request.user, district_id=district_id)
    town = services.town_create(district=district, name=request.POST.get("name", ""), actor=request.user)
    messages.success(request, _("The town %(name)s is added.") % {"name": town.name})
    return redirect("places")


@login_required
@require_POST
def community_create(request):
    # The town comes from the form: an unknown or another district's town is "not found", like its page.
    town = selectors.access_town(user=request.user, town_id=request.POST.get("town", ""))
    community = services.community_create(town=town, name=request.POST.get("name", ""), actor=request.user)
    messages.success(request, _("The community %(name)s is added.") % {"name": community.name})
    return redirect("places")


@login_required
def town_detail(request, town_id: int):
    town = selectors.access_town(user=request.user, town_id=town_id)
    return render(request, "lms/town_detail.html", {"town": town, "has_communities": town.communities.exists()})


@login_required
@require_POST
def town_change(request, town_id: int, action: str):
    town = selectors.access_town(user=request.user, town_id=town_id)
    if action == "rename":
        services.town_rename(town=town, name=request.POST.get("name", ""), actor=request.user)
        messages.success(request, _("The town is renamed."))
    elif action == "retire":
        services.town_retire(town=town, actor=request.user)
        messages.success(request, _("The town is retired: its communities are no longer offered."))
    elif action == "reinstate":
        services.town_reinstate(town=town, actor=request.user)
        messages.success(request, _("The town is in use again."))
    else:  # delete
        services.town_delete(town=town, actor=request.user)
        messages.success(request, _("The town %(name)s is deleted.") % {"name": town.name})
        return redirect("places")
    return redirect("town-detail", town_id=town.pk)


@login_required
def community_detail(request, community_id: int):
    community = selectors.access_community(user=request.user, community_id=community_id)
    references = selectors.community_references(community)
    return render(
        request,
        "lms/community_detail.html",
        {"community": community, "references": references, "in_use_elsewhere": any(references.values())},
    )


@login_required
@require_POST
def community_change(request, community_id: int, action: str):
    community = selectors.access_community(user=request.user, community_id=community_id)
    if action == "rename":
        services.community_rename(community=community, name=request.POST.get("name", ""), actor=request.user)
        messages.success(request, _("The community is renamed."))
    elif action == "retire":
        services.community_retire(community=community, actor=request.user)
        messages.success(request, _("The community is retired: it is no longer offered for new enrolments."))
    elif action == "reinstate":
        services.community_reinstate(community=community, actor=request.user)
        messages.success(request, _("The community is in use again."))
    else:  # delete
        services.community_delete(community=community, actor=request.user)
        messages.success(request, _("The community %(name)s is deleted.") % {"name": community.name})
        return redirect("places")
    return redirect("community-detail", community_id=community.pk)
