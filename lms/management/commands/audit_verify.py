from django.core.management.base import BaseCommand, CommandError

from lms.services.audit_integrity import audit_verify


class Command(BaseCommand):
    help = (
        "Walk the audit hash chain; exit non-zero naming the first entry changed, removed or inserted out of "
        "order. The result is recorded and shown on the operators' page (beat runs this daily)."
    )

    def handle(self, *args, **options):
        result = audit_verify()
        if not result.ok:
            raise CommandError(f"Audit chain broken: {result.problem}")
        self.stdout.write(
            f"Audit chain intact: {result.entries_checked} entries checked, last place {result.head_sequence}, "
            f"last hash {result.head_hash}."
        )
