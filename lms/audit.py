from django.contrib.contenttypes.models import ContentType
from django.db import models

from lms.models import AuditEntry, User


def audit_scope(target: models.Model) -> tuple[int | None, int | None]:
    """The (district id, cohort id) an audit row about `target` belongs to, from the model's lookups."""
    from django.core.exceptions import ObjectDoesNotExist

    from lms.predicates import cohort_id_of, district_id_of

    try:
        return district_id_of(target), cohort_id_of(target)
    except (AttributeError, ObjectDoesNotExist):  # a path through an empty link: no scope, superusers only
        return None, None


def audit_record(*, actor: User | None, verb: str, target: models.Model, **data) -> AuditEntry:
    """Write one audit row; call inside the service's transaction."""
    district_id, cohort_id = audit_scope(target)
    return AuditEntry.objects.create(
        actor=actor if actor and actor.is_authenticated else None,
        verb=verb,
        target_type=ContentType.objects.get_for_model(target),
        target_id=str(target.pk),
        data=data,
        district_id=district_id,
        cohort_id=cohort_id,
    )


def audit_record_many(*, actor: User | None, verb: str, targets, data_of=None) -> list[AuditEntry]:
    """One audit row per target in one query (bulk actions such as a sheet); call inside the transaction."""
    targets = list(targets)
    if not targets:
        return []
    content_type = ContentType.objects.get_for_model(targets[0])
    return AuditEntry.objects.bulk_create(
        AuditEntry(
            actor=actor if actor and actor.is_authenticated else None,
            verb=verb,
            target_type=content_type,
            target_id=str(target.pk),
            data=data_of(target) if data_of else {},
        )
        for target in targets
    )
