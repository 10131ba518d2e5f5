"""Public verification: the rate limit that keeps anyone from enumerating codes."""

from django.conf import settings

from lms.counters import counter_hit


def client_address(request) -> str:
    # Behind the reverse proxy the address is the proxy's: configure it to set REMOTE_ADDR.
    return request.META.get("REMOTE_ADDR", "unknown")


def verification_allowed(request) -> bool:
    """Count one lookup for the caller's address; False once it passed the limit for this window."""
    limit, window = settings.CERTIFICATES_VERIFY_RATE
    return counter_hit(f"certificates:verify:{client_address(request)}", window) <= limit
