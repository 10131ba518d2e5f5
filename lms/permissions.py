"""The API's one permission class: it asks the same named rules as the pages and the admin."""

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
        return bool(request.user and request.user.is_authenticated)

    def has_object_permission(self, request, view, obj):
        perm = self._perm(view)
        return perm is None or request.user.has_perm(perm, obj)
