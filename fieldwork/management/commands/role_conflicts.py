"""List rows that break the rule "one person, one side of a cohort's work", for operators to resolve by hand."""

from django.core.management.base import BaseCommand

from courses.models import Enrolment
from fieldwork.models import Assessment, GradeChange, Objection, SubmissionState
from lms.predicates import acted_on_own_work_q, cohort_role_conflict_q


class Command(BaseCommand):
    help = (
        "List people who are trainee and instructor of one cohort, and grades, releases, corrections and "
        "answers to objections given by a member of the work. Exits 1 when any is found."
    )

    def handle(self, *args, **options):
        found = 0
        for enrolment in (
            Enrolment.objects.filter(cohort_role_conflict_q())
            .select_related("trainee", "cohort__district")
            .order_by("cohort_id", "trainee_id")
        ):
            found += 1
            self.stdout.write(
                f"trainee-and-instructor\tcohort {enrolment.cohort_id} {enrolment.cohort}\t"
                f"user {enrolment.trainee_id} {enrolment.trainee.username} {enrolment.trainee.full_name}\t"
                f"enrolment {enrolment.pk} ({enrolment.status})"
            )
        for assessment in (
            Assessment.objects.filter(acted_on_own_work_q(submission="version__submission", actor="grader"))
            .select_related("grader", "version__submission__assignment")
            .order_by("pk")
        ):
            found += 1
            submission = assessment.version.submission
            self.stdout.write(
                f"graded-own-work\tassessment {assessment.pk} ({assessment.outcome} {assessment.total})\t"
                f"submission {submission.pk} {submission.assignment}\t"
                f"user {assessment.grader_id} {assessment.grader.username} {assessment.grader.full_name}"
            )
        # Grading and answering are listed by their assessment and objection; releases (and corrections of a
        # released grade) by their grade change. A member raising an objection is its right.
        for change in (
            GradeChange.objects.filter(acted_on_own_work_q(submission="submission", actor="changed_by"))
            .filter(new_state=SubmissionState.RELEASED)
            .select_related("changed_by", "submission__assignment")
            .order_by("pk")
        ):
            found += 1
            self.stdout.write(
                f"released-own-grade\tgrade change {change.pk} ({change.old_state} → {change.new_state})\t"
                f"submission {change.submission_id} {change.submission.assignment}\t"
                f"user {change.changed_by_id} {change.changed_by.username} {change.changed_by.full_name}"
            )
        for objection in (
            Objection.objects.filter(resolved_by__isnull=False)
            .filter(acted_on_own_work_q(submission="submission", actor="resolved_by"))
            .select_related("resolved_by")
            .order_by("pk")
        ):
            found += 1
            self.stdout.write(
                f"answered-own-objection\tobjection {objection.pk} ({objection.outcome})\t"
                f"submission {objection.submission_id}\t"
                f"user {objection.resolved_by_id} {objection.resolved_by.username} {objection.resolved_by.full_name}"
            )
        self.stdout.write(f"{found} conflict(s) found." if found else "No conflicts found.")
        if found:
            raise SystemExit(1)
