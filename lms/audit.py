from django.contrib.contenttypes.models import ContentType
from django.db import models

from lms.models import AuditEntry, User


def audit_scope(target: models.Model) -> tuple[int | None, int | None]:
    """The (district id, cohort id) an audit row about `target` belongs to, from the model's lookups."""
    from django.core.exceptions import ObjectDoesNotExist

    from lms.predicates import cohort_id_of, district_id_of

    if isinstance(target, User):  # an account: the district where it holds a role, for that district's staff
        return _district_of_person(target), None
    try:
        return district_id_of(target), cohort_id_of(target)
    except (AttributeError, ObjectDoesNotExist):  # a path through an empty link: no scope, superusers only
        return None, None


def _district_of_person(person: User) -> int | None:
    from courses.models import Enrolment, Teaching

    for model, field in ((Enrolment, "trainee"), (Teaching, "instructor")):
        district_id = model.objects.filter(**{field: person}).values_list("cohort__district_id", flat=True).first()
        if district_id:
            return district_id
    return None


def _districts_of_people(people) -> dict[int, int]:
    """Person id → a district where it holds a role, for many people in two queries."""
    from courses.models import Enrolment, Teaching

    ids = [person.pk for person in people]
    found: dict[int, int] = {}
    for model, field in ((Teaching, "instructor_id"), (Enrolment, "trainee_id")):
        for person_id, district_id in model.objects.filter(**{f"{field}__in": ids}).values_list(
            field, "cohort__district_id"
        ):
            found[person_id] = district_id
    return found


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
    people_districts = _districts_of_people(targets) if isinstance(targets[0], User) else {}
    rows = []
    for target in targets:
        if isinstance(target, User):
            district_id, cohort_id = people_districts.get(target.pk), None
        else:
            district_id, cohort_id = audit_scope(target)  # targets carry their cohort: no query each
        rows.append(
            AuditEntry(
                actor=actor if actor and actor.is_authenticated else None,
                verb=verb,
                target_type=content_type,
                target_id=str(target.pk),
                data=data_of(target) if data_of else {},
                district_id=district_id,
                cohort_id=cohort_id,
            )
        )
    return AuditEntry.objects.bulk_create(rows)
