from django.utils.functional import SimpleLazyObject


def unread(request):
    """The bell's unread count, computed only when a template shows it."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    from notifications.selectors import unread_count

    return {"notifications_unread": SimpleLazyObject(lambda: unread_count(user=user))}
