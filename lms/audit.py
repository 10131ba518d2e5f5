from django.contrib.contenttypes.models import ContentType
from django.db import models

from lms.models import AuditEntry, User


def audit_record(*, actor: User | None, verb: str, target: models.Model, **data) -> AuditEntry:
    """Write one audit row; call inside the service's transaction."""
    return AuditEntry.objects.create(
        actor=actor if actor and actor.is_authenticated else None,
        verb=verb,
        target_type=ContentType.objects.get_for_model(target),
        target_id=str(target.pk),
        data=data,
    )
