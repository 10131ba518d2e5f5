from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction

from lms import audit_chain
from lms.models import AuditEntry, User
from lms.registry import provided


def audit_scope(target: models.Model) -> tuple[int | None, int | None]:
    """The (district id, cohort id) an audit row about `target` belongs to, from the model's lookups."""
    from django.core.exceptions import ObjectDoesNotExist

    from lms.predicates import cohort_id_of, district_id_of

    if isinstance(target, User):  # an account: the district where it holds a role, for that district's staff
        return _districts_of_people([target]).get(target.pk), None
    try:
        return district_id_of(target), cohort_id_of(target)
    except (AttributeError, ObjectDoesNotExist):  # a path through an empty link: no scope, superusers only
        return None, None


def _districts_of_people(people) -> dict[int, int]:
    """Person id → a district where it holds a role, for many people in two queries."""
    Enrolment, Teaching = provided("Enrolment", "Teaching")

    ids = [person.pk for person in people]
    found: dict[int, int] = {}
    for model, field in ((Teaching, "instructor_id"), (Enrolment, "trainee_id")):
        for person_id, district_id in model.objects.filter(**{f"{field}__in": ids}).values_list(
            field, "cohort__district_id"
        ):
            found[person_id] = district_id
    return found


def _entry(
    *, actor: User | None, verb: str, target: models.Model | None, content_type, data: dict, scope
) -> AuditEntry:
    district_id, cohort_id = scope
    return AuditEntry(
        actor=actor if actor and actor.is_authenticated else None,
        verb=verb,
        target_type=content_type,
        target_id=str(target.pk) if target is not None else "",
        data=data,
        district_id=district_id,
        cohort_id=cohort_id,
    )


def _append(entries: list[AuditEntry]) -> list[AuditEntry]:
    """Chain the entries after the tail and insert them; the tail stays locked until the caller commits."""
    labels = {entry.target_type_id: f"{entry.target_type.app_label}.{entry.target_type.model}" for entry in entries}
    with transaction.atomic():
        audit_chain.lock_tail()
        audit_chain.seal(entries, type_labels=labels)
        return AuditEntry.objects.bulk_create(entries)


def audit_record(*, actor: User | None, verb: str, target: models.Model | None, model=None, **data) -> AuditEntry:
    """Write one audit row; call inside the service's transaction.

    `target` None (a failed sign-in with an unknown name) records the kind of row only: pass `model`."""
    entry = _entry(
        actor=actor,
        verb=verb,
        target=target,
        content_type=ContentType.objects.get_for_model(target if target is not None else model),
        data=data,
        scope=audit_scope(target) if target is not None else (None, None),
    )
    return _append([entry])[0]


def audit_record_many(*, actor: User | None, verb: str, targets, data_of=None) -> list[AuditEntry]:
    """One audit row per target in one query (bulk actions such as a sheet); call inside the transaction."""
    targets = list(targets)
    if not targets:
        return []
    content_type = ContentType.objects.get_for_model(targets[0])
    people_districts = _districts_of_people(targets) if isinstance(targets[0], User) else {}

    def scope(target):  # accounts from one query for all; other targets carry their cohort: no query each
        return (people_districts.get(target.pk), None) if isinstance(target, User) else audit_scope(target)

    return _append(
        [
            _entry(
                actor=actor,
                verb=verb,
                target=target,
                content_type=content_type,
                data=data_of(target) if data_of else {},
                scope=scope(target),
            )
            for target in targets
        ]
    )
