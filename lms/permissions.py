"""The API's one permission class: it asks the same named rules as the pages and the admin."""

from django.utils.translation import gettext_lazy as _
from rest_framework import permissions


class HasRulePermission(permissions.BasePermission):
    """Ask the same rules as the pages: a view names `permission_required` (per action if a dict).

    The object check runs on `get_object()`; list endpoints filter with the predicate's `*_q` twin.
    """

    def _perm(self, view):
        required = getattr(view, "permission_required", None)
        if isinstance(required, dict):
            return required.get(getattr(view, "action", None) or view.request.method.lower())
        return required

    def has_permission(self, request, view):
        if not (request.user and request.user.is_authenticated):
            return False
        if request.user.must_change_password:  # a temporary password opens nothing, by token or by session
            self.message = _("Set a new password first.")
            return False
        return True

    def has_object_permission(self, request, view, obj):
        perm = self._perm(view)
        return perm is None or request.user.has_perm(perm, obj)
