"""Role checks for the top bar, asked of the predicates directly: `perms.x.y` would also ask Django's
model backend, which reads the permission tables on every page."""

from django import template

from lms.predicates import can_view_audit, roles_of

register = template.Library()


@register.filter
def reads_audit(user) -> bool:
    return user.is_authenticated and can_view_audit(user)


@register.filter
def sets_up_cohorts(user) -> bool:
    return user.is_authenticated and (user.is_superuser or bool(roles_of(user).staff_district_ids))


@register.filter
def mobile_for(person, viewer) -> str:
    """The person's mobile as the viewer may see it: in full (itself, staff of its districts), else masked."""
    from lms.mobiles import mask_mobile

    number = getattr(person, "mobile", "") or ""
    if not number:
        return ""
    return number if viewer.has_perm("lms.view_mobile", person) else mask_mobile(number)
