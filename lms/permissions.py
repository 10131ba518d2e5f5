"""The API's one permission class: it asks the same named rules as the pages and the admin.

Fail closed: a view that names no `permission_required` is refused, whoever asks. A view names
either a rule (`"courses.view_cohort_content"`), rules per action (a dict; an action not in it
needs no rule beyond the view's scoping), `SIGNED_IN` (any signed-in user; what it reaches is
decided by the view's scoped queryset and access calls) or `PUBLIC` (no sign-in at all).
"""

from django.utils.translation import gettext_lazy as _
from rest_framework import permissions

SIGNED_IN = "signed-in"
PUBLIC = "public"


class HasRulePermission(permissions.BasePermission):
    """Ask the same rules as the pages: a view names `permission_required` (per action if a dict).

    The object check runs on `get_object()`; list endpoints filter with the predicate's `*_q` twin.
    """

    def _perm(self, view):
        required = getattr(view, "permission_required", None)
        if isinstance(required, dict):
            return required.get(getattr(view, "action", None) or view.request.method.lower())
        return None if required in (SIGNED_IN, PUBLIC) else required

    def has_permission(self, request, view):
        required = getattr(view, "permission_required", None)
        if not required:
            return False  # a view that declares nothing is refused, so a new endpoint cannot forget
        if required == PUBLIC:
            return True
        if not (request.user and request.user.is_authenticated):
            return False
        if request.user.must_change_password:  # a temporary password opens nothing, by token or by session
            self.message = _("Set a new password first.")
            return False
        return True

    def has_object_permission(self, request, view, obj):
        perm = self._perm(view)
        return perm is None or request.user.has_perm(perm, obj)
