import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from certificates import signing
from certificates.services import issuer_name_of
from lms.models import District


def _moment(value: str) -> datetime.datetime:
    """A date (its start, in the site's zone) or an ISO date-time."""
    try:
        moment = datetime.datetime.fromisoformat(value)
    except ValueError:
        raise CommandError(f"--compromised-since {value!r} is not a date (YYYY-MM-DD) or ISO date-time.") from None
    return timezone.make_aware(moment) if timezone.is_naive(moment) else moment


class Command(BaseCommand):
    help = (
        "Make a district's signing key and self-signed X.509 certificate (naming the issuing body), stored "
        "encrypted in the database under LMS_KEY_ENCRYPTION_KEY, so every host reads it. A district's keys form "
        "a history: --rotate makes a new one and retires (keeps, still publishes) the old; --compromised-since "
        "marks a key so that certificates it signed from then on are refused."
    )

    def add_arguments(self, parser):
        target = parser.add_mutually_exclusive_group(required=True)
        target.add_argument("--district", help="District code, e.g. nh.")
        target.add_argument(
            "--deployment", action="store_true", help="The deployment's key, for districts without their own."
        )
        parser.add_argument(
            "--issuer",
            default="",
            help="Issuing body named in the certificate (default: the "
            "district's own issuing body, else the district's name).",
        )
        parser.add_argument("--if-missing", action="store_true", help="Do nothing when the district has a key.")
        parser.add_argument(
            "--rotate", action="store_true", help="Make a new key and retire the current one (kept and published)."
        )
        parser.add_argument(
            "--compromised-since",
            default="",
            help="Mark a key (the newest, or --key N) compromised since this date or date-time: certificates it "
            "signed from then on are refused. With --rotate, the current key is marked, then replaced.",
        )
        parser.add_argument("--key", type=int, default=None, help="The key number for --compromised-since.")

    def handle(self, *args, district, deployment, issuer, if_missing, rotate, compromised_since, key, **options):
        if deployment:
            code, organisation, found = signing.DEPLOYMENT, "", None
            if not issuer and not compromised_since:
                raise CommandError("Name the issuing body with --issuer for the deployment's key.")
        else:
            found = District.objects.filter(code__iexact=district).first()
            if found is None:
                raise CommandError(f"No district with code {district!r}.")
            code, organisation = found.code.lower(), found.name
            issuer = issuer or issuer_name_of(found)
        existing = signing.published_keys(code)
        if if_missing and existing:
            self.stdout.write(f"{code}: a key exists ({existing[-1].kid}).")
            return
        if compromised_since:
            try:
                row = signing.key_mark_compromised(owner=code, since=_moment(compromised_since), number=key)
            except signing.KeyRefused as error:
                raise CommandError(str(error)) from None
            self.stdout.write(
                self.style.WARNING(
                    f"{row}: compromised since {row.compromised_since.isoformat()}; {self._affected(row)}"
                )
            )
            if not rotate:
                if not signing.usable_row(code) and not deployment:
                    self.stdout.write(signing.missing_key_message(code))
                return
        try:
            made = signing.generate_district_key(
                district_code=code, issuer_name=issuer, organisation=organisation, rotate=rotate
            )
        except signing.KeyRefused as error:
            raise CommandError(str(error)) from None
        self.stdout.write(self.style.SUCCESS(f"{code}: key {made.public.kid} for {made.issuer_name}"))
        self.stdout.write(f"SHA-256 fingerprint: {made.public.fingerprint}")
        if rotate:
            self.stdout.write("The previous key is retired: still published, its certificates still verify.")

    def _affected(self, row) -> str:
        from certificates.models import Certificate, CertificateStatus

        serials = list(
            Certificate.objects.signed_after_compromise()
            .filter(signing_key=row, status=CertificateStatus.ISSUED)
            .order_by("serial")
            .values_list("serial", flat=True)
        )
        if not serials:
            return "no certificate was signed with it since then."
        return f"{len(serials)} certificates to reissue: {', '.join(serials)}"
