from django.core.management.base import BaseCommand, CommandError

from certificates import services
from certificates.eligibility import cohort_eligibility
from certificates.selectors import batch_progress
from courses.models import Cohort
from lms.errors import ApplicationError
from lms.models import User


class Command(BaseCommand):
    help = "Issue certificates to a cohort's eligible trainees (all, or those named), as a district staff member."

    def add_arguments(self, parser):
        parser.add_argument("--cohort", type=int, required=True, help="Cohort id.")
        parser.add_argument(
            "--trainee", action="append", default=[], help="Username of a trainee to pick (repeatable); default all."
        )
        parser.add_argument("--as", dest="actor", required=True, help="Username of the district staff member issuing.")
        parser.add_argument("--dry-run", action="store_true", help="Only list who is eligible and why not.")

    def handle(self, *args, cohort, trainee, actor, dry_run, **options):
        actor_user = User.objects.filter(username=actor).first()
        cohort_obj = Cohort.objects.filter(pk=cohort).first()
        if (
            actor_user is None
            or cohort_obj is None
            or not actor_user.has_perm("certificates.issue_certificates", cohort_obj)
        ):
            raise CommandError("No such cohort for this staff member.")
        rows = cohort_eligibility(cohort=cohort_obj)
        for row in rows:
            state = (
                "holds " + row.certificate.serial
                if row.certificate
                else ("eligible" if row.eligible else "not eligible")
            )
            reasons = "; ".join(row.reasons)
            self.stdout.write(
                f"{row.enrolment.trainee.username}\t{row.enrolment.trainee.full_name}\t{state}\t{reasons}"
            )
        if dry_run:
            return
        picked = None
        if trainee:
            by_username = {row.enrolment.trainee.username: row.enrolment.pk for row in rows}
            unknown = [name for name in trainee if name not in by_username]
            if unknown:
                raise CommandError(f"Not active trainees of this cohort: {', '.join(unknown)}")
            picked = [by_username[name] for name in trainee]
        try:
            batch = services.certificate_issue_batch(cohort=cohort_obj, actor=actor_user, enrolment_ids=picked)
        except ApplicationError as error:
            raise CommandError(f"{error.code}: {error.message}") from None
        progress = batch_progress(batch=batch)
        self.stdout.write(self.style.SUCCESS(f"Batch {batch.pk}: {progress.total} certificates queued for rendering."))
