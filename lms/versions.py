"""A second editor: set-up and rule forms carry the version of the row they were loaded from, and a save over a
newer version is refused (409) with what changed meanwhile, read from the audit rows written since.

A row's version is its `updated_at` to the microsecond: every save through a service moves it. Audit rows of
versioned saves keep the values before and after (`changes`) and the row's name at the time (`name`).
"""

import datetime as dt
from decimal import Decimal

from django.contrib.contenttypes.models import ContentType
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from lms.errors import Conflict


def version_of(obj) -> str:
    """The version a form carries: empty for a row not saved yet."""
    stamp = getattr(obj, "updated_at", None) if obj is not None and obj.pk else None
    return stamp.isoformat(timespec="microseconds") if stamp else ""


def _shown(value) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, dt.datetime):
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, list | tuple | set):
        return ", ".join(str(v) for v in value)
    return str(value)


def field_changes(obj, values: dict) -> dict[str, list[str]]:
    """{field: [before, after]} for each value that differs from the row's, as people read them (for the audit)."""
    changes = {}
    for name, new in values.items():
        old = getattr(obj, name, None) if obj is not None else None
        if hasattr(old, "pk"):
            old = str(old)
        if hasattr(new, "pk"):
            new = str(new)
        if _shown(old) != _shown(new):
            changes[name] = [_shown(old), _shown(new)]
    return changes


def _label(model, name: str) -> str:
    try:
        return str(model._meta.get_field(name).verbose_name)
    except Exception:  # a value that is not a model field (e.g. "max_file_mb")
        return name


class StaleVersion(Conflict):
    code = "stale_version"

    def __init__(self, *, changes: list[str], current: str):
        self.changes, self.current = changes, current
        message = _(
            "Someone else saved this after you opened it; nothing of yours was saved. Your form is kept: check "
            "what changed meanwhile, then save again to replace it."
        )
        if changes:
            message = f"{message} {_('Changed meanwhile')}：{'；'.join(changes)}"
        super().__init__(message, fields={"changed_meanwhile": changes})


def check_version(obj, version: str | None) -> None:
    """Refuse a save made from a form loaded at another version of `obj` (call under the row's lock).
    An empty or missing version skips the check (a caller that sends none, e.g. an API client)."""
    if not version or obj is None or not obj.pk:  # no version sent: an older client, or an API call
        return
    current = version_of(obj)
    if version == current:
        return
    from lms.models import AuditEntry

    since = parse_datetime(version or "") or obj.created_at
    entries = (
        AuditEntry.objects.filter(
            target_type=ContentType.objects.get_for_model(obj), target_id=str(obj.pk), created_at__gt=since
        )
        .select_related("actor")
        .order_by("created_at", "pk")[:20]
    )
    lines = []
    for entry in entries:
        who = (entry.actor.full_name or entry.actor.username) if entry.actor_id else _("The system")
        when = timezone.localtime(entry.created_at).strftime("%H:%M")
        for name, (before, after) in (entry.data or {}).get("changes", {}).items():
            lines.append(
                _("%(who)s at %(when)s: %(field)s %(before)s → %(after)s")
                % {"who": who, "when": when, "field": _label(type(obj), name), "before": before, "after": after}
            )
    raise StaleVersion(changes=lines, current=current)
