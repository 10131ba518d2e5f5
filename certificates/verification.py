"""Public verification: the rate limit that keeps anyone from enumerating codes."""

from django.conf import settings
from django.core.cache import cache


def client_address(request) -> str:
    # Behind the reverse proxy the address is the proxy's: configure it to set REMOTE_ADDR.
    return request.META.get("REMOTE_ADDR", "unknown")


def verification_allowed(request) -> bool:
    """Count one lookup for the caller's address; False once it passed the limit for this window."""
    limit, window = settings.CERTIFICATES_VERIFY_RATE
    key = f"certificates:verify:{client_address(request)}"
    cache.add(key, 0, timeout=window)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=window)
        count = 1
    return count <= limit
