"""Who is on the other end of a request."""


def client_address(request) -> str | None:
    """The client's IP address: login throttling and other per-address limits ask here.

    Behind a reverse proxy REMOTE_ADDR is the proxy's address, which would make every per-address
    limit one global limit; trusted proxies are to be honoured here and only here.
    """
    return request.META.get("REMOTE_ADDR")
