"""The real client address behind trusted reverse proxies (LMS_TRUSTED_PROXIES).

Behind nginx every request comes from the proxy's address, so a per-address limit would be one
limit for the whole public. The proxy appends the address it saw to X-Forwarded-For; only the
entries added by proxies we trust are believed, never what the client wrote itself.
"""

import ipaddress

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


def trusted_proxies_parse(value: str) -> int | list:
    """ "" (none), a count ("1": one proxy in front), or addresses and networks ("10.0.0.1, 10.1.0.0/16")."""
    value = (value or "").strip()
    if not value:
        return 0
    if value.isdigit():
        count = int(value)
        if count > 10:
            raise ImproperlyConfigured(
                f"LMS_TRUSTED_PROXIES={value!r}: more than 10 proxies in a row is not plausible."
            )
        return count
    networks = []
    for item in value.split(","):
        try:
            networks.append(ipaddress.ip_network(item.strip(), strict=False))
        except ValueError:
            raise ImproperlyConfigured(
                f"LMS_TRUSTED_PROXIES: {item.strip()!r} is neither a count, an IP address nor a network."
            ) from None
    return networks


def _valid(address: str) -> bool:
    try:
        ipaddress.ip_address(address)
        return True
    except ValueError:
        return False


def client_address(remote_addr: str, forwarded_for: str, trusted) -> str:
    """The address of the first hop not among the trusted proxies, reading from the right."""
    if not trusted:
        return remote_addr
    hops = [hop.strip() for hop in forwarded_for.split(",") if hop.strip()] + [remote_addr]
    if isinstance(trusted, int):
        chosen = hops[-(trusted + 1)] if len(hops) > trusted else hops[0]
        return chosen if _valid(chosen) else remote_addr
    for hop in reversed(hops):
        if not _valid(hop):
            return remote_addr  # a hop we cannot read: do not guess past it
        if not any(ipaddress.ip_address(hop) in network for network in trusted):
            return hop
    return hops[0]


class TrustedProxyMiddleware:
    """Put the real client address in REMOTE_ADDR, so every rate limit, log and audit sees it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        trusted = settings.LMS_TRUSTED_PROXIES
        if trusted:
            meta = request.META
            meta["REMOTE_ADDR"] = client_address(
                meta.get("REMOTE_ADDR", ""), meta.get("HTTP_X_FORWARDED_FOR", ""), trusted
            )
        return self.get_response(request)
