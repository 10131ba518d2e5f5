"""Who is on the other end of a request."""


def client_address(request) -> str | None:
    """The client's IP address: login throttling, the verification limit and logs ask here.

    Behind trusted proxies (LMS_TRUSTED_PROXIES) lms.net.TrustedProxyMiddleware has already put the
    real client's address in REMOTE_ADDR, so every per-address limit counts clients separately.
    """
    return request.META.get("REMOTE_ADDR")
