from django.contrib import admin

from notifications.models import Delivery, Notification


class OperatorOnlyAdmin(admin.ModelAdmin):
    """Outbox rows change only through their services and tasks: operators read them here."""

    def has_module_permission(self, request):
        return request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class DeliveryInline(admin.TabularInline):
    model = Delivery
    extra = 0
    fields = ["channel", "status", "attempts", "last_error", "sent_at"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Notification)
class NotificationAdmin(OperatorOnlyAdmin):
    list_display = ["created_at", "recipient", "kind", "read_at"]
    list_filter = ["kind"]
    list_select_related = ["recipient"]
    inlines = [DeliveryInline]


@admin.register(Delivery)
class DeliveryAdmin(OperatorOnlyAdmin):
    list_display = ["created_at", "notification", "channel", "status", "attempts", "last_error"]
    list_filter = ["status", "channel"]
    list_select_related = ["notification__recipient"]
