"""Tasks of the floor: mail that must not be sent inside the request that asked for it."""

from celery import shared_task
from django.utils import translation


@shared_task(name="lms.password_reset_send", ignore_result=True)
def password_reset_send(*, email: str, domain: str, use_https: bool, language: str) -> None:
    """Mail a reset link to the active accounts with this e-mail, if any (none: nothing happens)."""
    from lms.forms import ResetForm

    form = ResetForm({"email": email})
    if not form.is_valid():
        return
    with translation.override(language):
        form.save(domain_override=domain, use_https=use_https)
