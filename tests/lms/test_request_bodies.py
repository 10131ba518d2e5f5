"""Every request body has a limit before anything reads it (issue 26, item 1: lms.bodies).

Measured against gunicorn with raw sockets: a 200 MB body and a declared 5 GB body to the login
page, the public verification upload, the enrol sheet and two API calls answer 413 before the
body is read.
"""

import io
import json
import socket
import threading
import time

import pytest
from django.core.handlers.exception import convert_exception_to_response
from django.http import HttpResponse
from django.test import RequestFactory

from lms.bodies import BodyLimitMiddleware, BoundedStream
from tests.lms.test_api_fuzz import gunicorn

MB = 1024 * 1024
TARGETS = [
    ("/accounts/login/", "application/x-www-form-urlencoded"),
    ("/verify/check/", "multipart/form-data; boundary=x"),
    ("/cohorts/1/enrol-sheet/", "multipart/form-data; boundary=x"),
    ("/api/v1/submissions/1/files/", "multipart/form-data; boundary=x"),
    ("/api/v1/submissions/1/grade/", "application/json"),
    ("/api/v1/auth/token/", "application/json"),
]


def _post(port: int, path: str, content_type: str, *, declared: int, send: int) -> tuple[str, float]:
    """Send headers and the first `send` bytes of a body declared as `declared`; the status line and seconds."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    head = (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: {content_type}\r\n"
        f"Content-Length: {declared}\r\n\r\n"
    ).encode()
    started = time.monotonic()
    sock.sendall(head)

    def body():
        chunk = b"a" * 65536
        sent = 0
        try:
            while sent < send:
                sock.sendall(chunk)
                sent += len(chunk)
        except OSError:
            pass  # the server answered and closed: the rest is never read

    sender = threading.Thread(target=body, daemon=True)
    sender.start()
    answer = b""
    try:
        while b"\r\n" not in answer:
            data = sock.recv(4096)
            if not data:
                break
            answer += data
    except ConnectionResetError:
        pass
    elapsed = time.monotonic() - started
    sock.close()
    return answer.split(b"\r\n", 1)[0].decode(), elapsed


@pytest.mark.xdist_group("gunicorn")
def test_large_and_declared_huge_bodies_are_refused_before_they_are_read(transactional_db, media_root, tmp_path):
    with gunicorn(media_root, tmp_path / "gunicorn.log", workers=1, threads=2) as base:
        port = int(base.rsplit(":", 1)[1])
        timings = []
        for path, content_type in TARGETS:
            for declared, send in ((200 * MB, 200 * MB), (5 * 1024 * MB, 4 * MB)):
                status, elapsed = _post(port, path, content_type, declared=declared, send=send)
                assert status == "HTTP/1.1 413 Request Entity Too Large", (path, declared, status)
                timings.append(elapsed)
        print(f"413 for {len(timings)} bodies: slowest {max(timings) * 1000:.1f} ms")
        assert max(timings) < 0.5


def _request(path, body=b"", **meta):
    request = RequestFactory().post(path, data=body, content_type="application/json")
    request.META.update(meta)
    return request


def _middleware_answer(request):
    def view(request):
        return HttpResponse(request.body)

    # As in the handler's chain: whatever the view raised is already an answer when the middleware sees it.
    return BodyLimitMiddleware(convert_exception_to_response(view))(request)


def test_a_form_or_json_body_over_the_small_default_is_refused_by_its_length(settings):
    settings.LMS_REQUEST_BODY_MAX = 1000
    request = _request("/api/v1/auth/token/", b"{}", CONTENT_LENGTH="1001")
    response = _middleware_answer(request)
    assert response.status_code == 413
    assert json.loads(response.content)["error"]["code"] == "request_too_large"


def test_a_chunked_body_is_counted_as_it_streams_and_refused_at_the_limit(settings):
    settings.LMS_REQUEST_BODY_MAX = 1000
    request = _request("/api/v1/auth/token/")
    request.META.pop("CONTENT_LENGTH", None)
    request.META["HTTP_TRANSFER_ENCODING"] = "chunked"
    request.META["wsgi.input"] = io.BytesIO(b"x" * 5000)
    response = _middleware_answer(request)
    assert response.status_code == 413


def test_a_chunked_body_within_the_limit_is_read():
    request = _request("/api/v1/auth/token/")
    request.META.pop("CONTENT_LENGTH", None)
    request.META["HTTP_TRANSFER_ENCODING"] = "chunked"
    request.META["wsgi.input"] = io.BytesIO(b'{"a": 1}')
    response = _middleware_answer(request)
    assert response.status_code == 200
    assert response.content == b'{"a": 1}'


def test_a_body_arriving_after_the_deadline_answers_408(settings):
    class Slow(io.BytesIO):
        def read(self, size=-1):
            time.sleep(0.2)  # slower than the whole body's deadline
            return super().read(size)

    settings.LMS_BODY_READ_SECONDS = 0.1
    request = _request("/accounts/login/", CONTENT_LENGTH="1000")
    request._stream = Slow(b"x" * 1000)
    response = _middleware_answer(request)
    assert response.status_code == 408
    assert "too slowly" in response.content.decode() or "过慢" in response.content.decode()


def test_a_socket_timeout_while_reading_is_a_408_not_a_500():
    class Stalled:
        def read(self, size=-1):
            raise TimeoutError

    stream = BoundedStream(Stalled(), limit=100, deadline=time.monotonic() + 60)
    with pytest.raises(Exception) as raised:
        stream.read(10)
    assert raised.value.status_code == 408
    assert stream.timed_out


def test_upload_views_declare_their_own_limits(rf, settings):
    from lms.bodies import body_limit_for

    settings.LMS_REQUEST_BODY_MAX = 1000
    assert body_limit_for(rf.post("/accounts/login/")) == 1000
    assert body_limit_for(rf.post("/cohorts/1/enrol-sheet/")) == 5 * MB + 64 * 1024
    assert body_limit_for(rf.post("/verify/check/")) == 5 * MB + 64 * 1024
    assert body_limit_for(rf.post("/api/v1/submissions/1/files/")) == settings.LMS_UPLOAD_BODY_MAX + 64 * 1024
    assert body_limit_for(rf.post("/api/v1/submissions/1/grade/")) == 1000
    assert body_limit_for(rf.post("/no/such/page/")) == 1000
