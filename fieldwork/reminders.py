"""Reminders of work due soon: fieldwork's reads, recorded through notifications (which imports no fieldwork;
its beat task `notifications.remind_assignments_due` runs this, provided in FieldworkConfig.ready())."""

from datetime import timedelta

from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from courses.models import Enrolment, EnrolmentStatus
from fieldwork.models import EDITABLE_STATES, Assignment, Extension, Submission, WorkMode
from notifications.models import Kind
from notifications.services import record_reminders


@transaction.atomic
def remind_assignments_due(*, now=None, within: timedelta = timedelta(hours=48)) -> int:
    """Tell each active trainee who has not handed in about work due within 48 hours (extensions included).

    Idempotent per person, assignment and due date: a new extension gives one new reminder.
    """
    now = now or timezone.now()
    horizon = now + within
    in_window = Q(due_at__gt=now, due_at__lte=horizon)
    extended_ids = Extension.objects.filter(in_window).values("assignment_id")
    assignments = list(
        Assignment.objects.filter(in_window | Q(pk__in=extended_ids), opens_at__lte=now).select_related("module")
    )
    if not assignments:
        return 0
    extensions = list(
        Extension.objects.filter(assignment__in=assignments).values(
            "assignment_id", "enrolment_id", "team_id", "due_at"
        )
    )
    by_enrolment = {(e["assignment_id"], e["enrolment_id"]): e["due_at"] for e in extensions if e["enrolment_id"]}
    by_team = {(e["assignment_id"], e["team_id"]): e["due_at"] for e in extensions if e["team_id"]}
    enrolments = list(
        Enrolment.objects.filter(
            cohort_id__in={a.module.cohort_id for a in assignments}, status=EnrolmentStatus.ACTIVE
        ).values("pk", "trainee_id", "cohort_id", "team_id")
    )
    handed_in = set()
    for assignment_id, enrolment_id, team_id in (
        Submission.objects.filter(assignment__in=assignments)
        .exclude(state__in=EDITABLE_STATES)
        .values_list("assignment_id", "enrolment_id", "team_id")
    ):
        handed_in.add((assignment_id, "t", team_id) if team_id else (assignment_id, "e", enrolment_id))
    created = 0
    for assignment in assignments:
        team_mode = assignment.mode == WorkMode.TEAM
        people_by_due: dict = {}
        for e in enrolments:
            if e["cohort_id"] != assignment.module.cohort_id or (team_mode and not e["team_id"]):
                continue
            owner = (assignment.pk, "t", e["team_id"]) if team_mode else (assignment.pk, "e", e["pk"])
            if owner in handed_in:
                continue
            if team_mode:
                due = by_team.get((assignment.pk, e["team_id"]), assignment.due_at)
            else:
                due = by_enrolment.get((assignment.pk, e["pk"]), assignment.due_at)
            if now < due <= horizon:
                people_by_due.setdefault(due, []).append((e["trainee_id"], e["cohort_id"]))
        for due, people in people_by_due.items():
            created += record_reminders(
                kind=Kind.ASSIGNMENT_DUE_SOON,
                target=assignment,
                people=people,
                key_prefix=f"{Kind.ASSIGNMENT_DUE_SOON}:{assignment.pk}:{due:%Y%m%d%H%M}",
                payload={
                    "title": assignment.title,
                    "due_at": due.isoformat(),
                    "path": reverse("fieldwork:assignment-detail", args=[assignment.pk]),
                },
            )
    return created


@transaction.atomic
def digest_hand_ins(*, now=None) -> int:
    """Tell each instructor, once per cohort and hour, how many pieces of work were handed in during the last
    full hour (the default instead of one e-mail per hand-in). Idempotent per instructor, cohort and hour."""
    from courses.models import Cohort, Teaching

    now = now or timezone.now()
    end = timezone.localtime(now).replace(minute=0, second=0, microsecond=0)
    start = end - timedelta(hours=1)
    counts: dict[int, int] = {}
    for cohort_id in Submission.objects.filter(submitted_at__gte=start, submitted_at__lt=end).values_list(
        "assignment__module__cohort_id", flat=True
    ):
        counts[cohort_id] = counts.get(cohort_id, 0) + 1
    if not counts:
        return 0
    cohorts = Cohort.objects.in_bulk(counts)
    instructors: dict[int, list[int]] = {}
    for user_id, cohort_id in Teaching.objects.filter(cohort_id__in=counts, instructor__is_active=True).values_list(
        "instructor_id", "cohort_id"
    ):
        instructors.setdefault(cohort_id, []).append(user_id)
    created = 0
    for cohort_id, count in counts.items():
        created += record_reminders(
            kind=Kind.WORK_SUBMITTED_DIGEST,
            target=cohorts[cohort_id],
            people=[(u, cohort_id) for u in instructors.get(cohort_id, [])],
            key_prefix=f"{Kind.WORK_SUBMITTED_DIGEST}:{cohort_id}:{end:%Y%m%d%H}",
            payload={"title": cohorts[cohort_id].name, "count": count, "path": reverse("fieldwork:grading-queue")},
        )
    return created
