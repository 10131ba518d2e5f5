"""Demo: each demo district issues in its own name, with its own red seal and its own signing key. Idempotent.

Runs after the districts exist (Shunde comes with the current cohorts).
"""

from certificates import seals, signing
from certificates.models import IssuerProfile, SigningKey
from lms.models import District

ISSUERS = {
    "nh": ("佛山市南海区民政局", "南海区民政局"),
    "sd": ("佛山市顺德区民政局", "顺德区民政局"),
}


def seed() -> str:
    made, keys = [], []
    for code, (name, short_name) in ISSUERS.items():
        district = District.objects.filter(code=code).first()
        if district is None:
            continue
        if not SigningKey.objects.filter(owner=code).exists():
            # A key per demo district, as a deployment makes it (certificates_keygen --district CODE).
            keys.append(signing.generate_district_key(district_code=code, issuer_name=name, organisation=district.name))
        if IssuerProfile.objects.filter(district=district).exists():
            continue
        # Written directly: the demo's own seal needs no trial render (the service's guard is for staff's templates).
        IssuerProfile.objects.create(
            district=district,
            name=name,
            short_name=short_name,
            seal=seals.demo_seal(name),
            seal_type="image/png",
        )
        made.append(name)
    fingerprints = "; ".join(f"{k.public.kid} {k.public.fingerprint[:23]}…" for k in keys)
    return f"issuing bodies with seals: {'、'.join(made) or 'already there'}; keys: {fingerprints or 'already there'}"
