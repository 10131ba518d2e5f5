from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import translation

from courses.enrol_sheets import SheetRefused, read_sheet
from courses.models import Cohort
from courses.services import enrol_sheet as sheet_services
from lms.models import User


class Command(BaseCommand):
    help = "Enrol the trainees of an XLSX or CSV sheet in a cohort, acting as a staff member: all rows or none."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--cohort", type=int, required=True, help="The cohort's id.")
        parser.add_argument("--as", dest="username", required=True, help="The staff member (or superuser) acting.")
        parser.add_argument("--dry-run", action="store_true", help="Show what would happen; write nothing.")
        parser.add_argument(
            "--confirm-rows",
            default="",
            help="Row numbers checked by hand (another name, another cohort of the course, a move), e.g. 3,7.",
        )

    def handle(self, *args, file: Path, cohort: int, username: str, dry_run: bool, confirm_rows: str, **options):
        translation.activate("zh-hans")
        actor = User.objects.filter(username=username, is_active=True).first()
        if actor is None:
            raise CommandError(f"No active user {username!r}.")
        cohort_obj = Cohort.objects.filter(pk=cohort).first()
        if cohort_obj is None or not actor.has_perm("courses.manage_cohort", cohort_obj):
            raise CommandError(f"No cohort {cohort} that {username} manages.")
        try:
            rows = read_sheet(name=file.name, data=file.read_bytes())
        except OSError as error:
            raise CommandError(f"Cannot read {file}: {error.strerror}") from None
        except SheetRefused as refused:
            raise CommandError(str(refused.message)) from None
        if dry_run:
            preview = sheet_services.enrol_sheet_preview(cohort=cohort_obj, rows=rows, actor=actor)
        else:
            confirmed = {int(n) for n in confirm_rows.replace(" ", "").split(",") if n.isdigit()}
            try:
                preview = sheet_services.enrol_sheet_commit(
                    cohort=cohort_obj, rows=rows, actor=actor, confirmed=confirmed
                )
            except sheet_services.SheetHasErrors as error:
                preview = error.preview
            except sheet_services.SheetNeedsConfirmation as error:
                for result in error.preview.to_confirm:
                    self.stderr.write(f"row {result.row.number} (confirm): {'；'.join(result.warnings)}")
                raise CommandError(f"{error.message} --confirm-rows names the rows checked by hand.") from None
        for result in preview.errors:
            self.stderr.write(f"row {result.row.number}: {'；'.join(result.reasons)}")
        if dry_run:
            for result in preview.to_confirm:
                self.stderr.write(f"row {result.row.number} (confirm): {'；'.join(result.warnings)}")
        totals = preview.totals
        summary = (
            f"new accounts: {totals['new']}, existing accounts: {totals['existing']}, "
            f"already enrolled: {totals['enrolled']}, changes: {totals['change']}, errors: {totals['error']}"
        )
        if preview.errors:
            raise CommandError(f"{summary}. Nothing was enrolled.")
        self.stdout.write(f"{summary}. " + ("Dry run: nothing was written." if dry_run else "Enrolled."))
