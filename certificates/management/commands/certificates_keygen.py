from django.core.management.base import BaseCommand, CommandError

from certificates import signing
from certificates.services import issuer_name_of
from lms.models import District


class Command(BaseCommand):
    help = (
        "Make a district's signing key and self-signed X.509 certificate (naming the issuing body) in "
        "LMS_SIGNING_KEY_DIR/<code>/. Refuses to replace an existing key unless --force."
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
            "--force",
            action="store_true",
            help="Replace an existing key (old credentials then no longer verify with the published key).",
        )

    def handle(self, *args, district, deployment, issuer, if_missing, force, **options):
        if deployment:
            code, organisation = signing.DEPLOYMENT, ""
            if not issuer:
                raise CommandError("Name the issuing body with --issuer for the deployment's key.")
        else:
            found = District.objects.filter(code__iexact=district).first()
            if found is None:
                raise CommandError(f"No district with code {district!r}.")
            code, organisation = found.code, found.name
            issuer = issuer or issuer_name_of(found)
        folder = signing.district_directory(code)
        if if_missing and (folder / signing.KEY_FILE).exists():
            self.stdout.write(f"{code}: a key exists in {folder}.")
            return
        try:
            key = signing.generate_district_key(
                district_code=code, issuer_name=issuer, organisation=organisation, force=force
            )
        except FileExistsError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(self.style.SUCCESS(f"{code}: key and certificate for {issuer} in {folder}"))
        self.stdout.write(f"SHA-256 fingerprint: {key.public.fingerprint}")
