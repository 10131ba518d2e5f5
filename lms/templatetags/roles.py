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
