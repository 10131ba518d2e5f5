"""Demo: each demo district issues in its own name, with its own red seal. Idempotent.

Runs after the districts exist (Shunde comes with the current cohorts).
"""

from certificates import seals
from certificates.models import IssuerProfile
from lms.models import District

ISSUERS = {
    "nh": ("佛山市南海区民政局", "南海区民政局"),
    "sd": ("佛山市顺德区民政局", "顺德区民政局"),
}


def seed() -> str:
    made = []
    for code, (name, short_name) in ISSUERS.items():
        district = District.objects.filter(code=code).first()
        if district is None or IssuerProfile.objects.filter(district=district).exists():
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
    return f"issuing bodies with seals: {'、'.join(made) or 'already there'}"
