"""deploy/nginx.conf, run by Debian's nginx in front of gunicorn in production mode.

Only the addresses, ports and paths of the file are replaced (the server's own names), so what
is tested is the file an operator installs.
"""

import http.client
import json
import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.test import RequestFactory

from fieldwork.models import SubmissionFile
from lms.uploads import MULTIPART_MARGIN
from tests.certificates.workers import database_url
from tests.fieldwork.factories import PDF_BYTES, AssignmentFactory
from tests.lms.factories import PASSWORD
from tests.s3 import free_port

ROOT = Path(__file__).resolve().parents[2]
MB = 1024 * 1024

pytestmark = pytest.mark.django_db(transaction=True)


def wait_port(port: int, process: subprocess.Popen, log: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            assert process.poll() is None, log.read_text()
            time.sleep(0.1)
    raise AssertionError(f"port {port} did not open:\n{log.read_text()}")


def site_config(
    *, app_port: int, https_port: int, http_port: int, certificate: Path, key: Path, static: Path, access_log: Path
) -> str:
    text = (ROOT / "deploy/nginx.conf").read_text()
    for old, new in [
        ("server 127.0.0.1:8000;", f"server 127.0.0.1:{app_port};"),
        ("listen 443 ssl http2;", f"listen {https_port} ssl http2;"),
        ("set $lms_https_port 443;", f"set $lms_https_port {https_port};"),
        ("listen 80;", f"listen {http_port};"),
        ("/etc/ssl/lms/fullchain.pem", str(certificate)),
        ("/etc/ssl/lms/privkey.pem", str(key)),
        ("/srv/lms/staticfiles/", f"{static}/"),
        ("root /srv/lms/staticfiles;", f"root {static};"),
        ("/var/log/nginx/lms.access.log", str(access_log)),
    ]:
        assert old in text, old
        text = text.replace(old, new)
    return "\n".join(line for line in text.splitlines() if "[::]" not in line)  # no IPv6 on every test machine


class Stack:
    """gunicorn (production settings) and nginx with deploy/nginx.conf, on free ports."""

    def __init__(self, tmp: Path, media_root: str):
        self.tmp = tmp
        self.app_port, self.https_port, self.http_port = free_port(), free_port(), free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "AWS_"))} | {
            "DJANGO_ENV": "production",
            "DJANGO_SECRET_KEY": "nginx-test-" + "k" * 60,
            "DJANGO_ALLOWED_HOSTS": "localhost",
            "DJANGO_STATIC_ROOT": str(tmp / "static"),
            "DJANGO_STATIC_COMPRESS": "0",
            "DJANGO_PRIVATE_ROOT": media_root,
            "DATABASE_URL": database_url(),
            "LMS_TRUSTED_PROXIES": "1",
            "CERTIFICATES_VERIFY_PER_MINUTE": "3",
            "CACHE_KEY_PREFIX": f"nginx-test-{self.app_port}",
        }
        subprocess.run(
            [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"], cwd=ROOT, env=env, check=True
        )
        key, certificate = tmp / "key.pem", tmp / "cert.pem"
        self_signed = ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost"]
        subprocess.run(
            ["openssl", *self_signed, "-keyout", str(key), "-out", str(certificate)], check=True, capture_output=True
        )
        self.gunicorn_log = tmp / "gunicorn.log"
        self.gunicorn = subprocess.Popen(
            [str(Path(sys.executable).parent / "gunicorn"), "lms.wsgi", "-b", f"127.0.0.1:{self.app_port}", "-w", "2"],
            cwd=ROOT,
            env=env,
            stdout=self.gunicorn_log.open("wb"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.access_log = tmp / "lms-access.log"
        (tmp / "site.conf").write_text(
            site_config(
                app_port=self.app_port,
                https_port=self.https_port,
                http_port=self.http_port,
                certificate=certificate,
                key=key,
                static=tmp / "static",
                access_log=self.access_log,
            )
        )
        for folder in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
            (tmp / folder).mkdir()
        (tmp / "nginx.conf").write_text(
            f"""
user root;
worker_processes 1;
pid {tmp}/nginx.pid;
error_log {tmp}/error.log warn;
events {{ worker_connections 256; }}
http {{
    include /etc/nginx/mime.types;
    access_log {tmp}/access.log;
    client_body_temp_path {tmp}/body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
    include {tmp}/site.conf;
}}
"""
        )
        self.nginx_log = tmp / "error.log"
        self.nginx_log.touch()
        nginx = shutil.which("nginx") or "/usr/sbin/nginx"
        self.nginx = subprocess.Popen(
            [nginx, "-c", str(tmp / "nginx.conf"), "-g", "daemon off;"],
            stdout=subprocess.DEVNULL,
            stderr=(tmp / "nginx.out").open("wb"),
            start_new_session=True,
        )
        wait_port(self.app_port, self.gunicorn, self.gunicorn_log)
        wait_port(self.https_port, self.nginx, tmp / "nginx.out")

    def connection(self, source: str = "127.0.0.1") -> http.client.HTTPSConnection:
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        return http.client.HTTPSConnection(
            "localhost", self.https_port, context=context, source_address=(source, 0), timeout=120
        )

    def stop(self) -> None:
        for process in (self.nginx, self.gunicorn):
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
                try:
                    process.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    os.killpg(process.pid, signal.SIGKILL)


@pytest.fixture(scope="module")
def stack(tmp_path_factory, django_db_setup):
    """One stack for the module (about 15 s to start); tests share it, each with its own data."""
    tmp = tmp_path_factory.mktemp("nginx")
    (tmp / "private").mkdir()
    stack = Stack(tmp, str(tmp / "private"))
    yield stack
    stack.stop()


class Browser:
    """Cookies and CSRF over one source address, as a browser behind it would send them."""

    def __init__(self, stack: Stack, source: str = "127.0.0.1"):
        self.stack, self.source, self.cookies = stack, source, {}
        self.origin = f"https://localhost:{stack.https_port}"

    def request(self, method: str, path: str, body: bytes | None = None, headers: dict | None = None):
        connection = self.stack.connection(self.source)
        all_headers = {"Host": f"localhost:{self.stack.https_port}", **(headers or {})}
        if self.cookies:
            all_headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if method == "POST":
            all_headers |= {"Origin": self.origin, "Referer": self.origin + path}
        connection.request(method, path, body=body, headers=all_headers)
        response = connection.getresponse()
        data = response.read()
        for header in response.headers.get_all("Set-Cookie") or []:
            name, value = header.split(";", 1)[0].split("=", 1)
            self.cookies[name] = value
        connection.close()
        return response, data

    def csrf(self, path: str) -> str:
        _response, page = self.request("GET", path)
        return re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1).decode()

    def login(self, user) -> None:
        # The app in production checks passwords with its own hashers, not the tests' fast one.
        hasher = PBKDF2PasswordHasher()
        user.password = hasher.encode(PASSWORD, hasher.salt())
        user.save(update_fields=["password"])
        username = user.username
        token = self.csrf("/accounts/login/")
        form = f"csrfmiddlewaretoken={token}&username={username}&password={PASSWORD}".encode()
        response, _page = self.request(
            "POST", "/accounts/login/", form, {"Content-Type": "application/x-www-form-urlencoded"}
        )
        assert response.status == 302, response.status
        assert "sessionid" in self.cookies


def test_nginx_sends_http_to_https_keeping_a_non_standard_port_and_compresses_html(stack):
    plain = http.client.HTTPConnection("127.0.0.1", stack.http_port, timeout=30)
    plain.request("GET", "/accounts/login/?next=/learn/", headers={"Host": "localhost"})
    redirect = plain.getresponse()
    assert redirect.status == 301
    assert redirect.headers["Location"] == f"https://localhost:{stack.https_port}/accounts/login/?next=/learn/"
    browser = Browser(stack)
    response, _compressed = browser.request("GET", "/accounts/login/", headers={"Accept-Encoding": "gzip"})
    assert response.status == 200 and response.headers["Content-Encoding"] == "gzip"
    assert re.fullmatch(r"[0-9a-f]{32}", response.headers["X-Request-ID"])  # nginx's $request_id, passed on
    _response, page = browser.request("GET", "/accounts/login/")
    stylesheet = re.search(r'href="(/static/[^"]+\.css)"', page.decode()).group(1)
    static, css = browser.request("GET", stylesheet)
    assert static.status == 200 and static.headers["Content-Type"] == "text/css" and css
    assert static.headers["Cache-Control"] == "max-age=2592000"  # nginx's own answer (expires 30d), not the app's


def test_login_through_nginx_on_a_non_standard_port(stack, world):
    browser = Browser(stack)
    browser.login(world.trainee)
    response, page = browser.request("GET", "/")
    assert response.status == 302 and response.headers["Location"] == "/todo/trainee/"  # "/" is the home by role
    response, page = browser.request("GET", response.headers["Location"])
    assert response.status == 200 and world.trainee.full_name in page.decode()


def test_a_20_mb_upload_passes_the_proxy(stack, field_assignment):
    assignment, trainee = field_assignment
    browser = Browser(stack)
    browser.login(trainee)
    token = browser.csrf(f"/assignments/{assignment.pk}/")
    content = PDF_BYTES + b"\0" * (20 * MB - len(PDF_BYTES))
    boundary = "----lms-test-boundary"
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="csrfmiddlewaretoken"\r\n\r\n{token}\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="files"; filename="report.pdf"\r\n'
            "Content-Type: application/pdf\r\n\r\n"
        ).encode()
        + content
        + f"\r\n--{boundary}--\r\n".encode()
    )
    assert len(body) < 20 * MB + MULTIPART_MARGIN
    response, page = browser.request(
        "POST",
        f"/assignments/{assignment.pk}/files/",
        body,
        {"Content-Type": f"multipart/form-data; boundary={boundary}"},
    )
    assert response.status == 302, page[:500]
    assert SubmissionFile.objects.get().size == 20 * MB


def test_the_verification_limit_counts_each_client_separately_behind_the_proxy(stack):
    first, second = Browser(stack, "127.0.0.2"), Browser(stack, "127.0.0.3")
    spoofed = {"X-Forwarded-For": "198.51.100.9"}  # what a client writes itself is not believed
    statuses = [first.request("GET", "/verify/ABCD-EFGH-JKMN-PQRS/", headers=spoofed)[0].status for _ in range(4)]
    assert statuses == [404, 404, 404, 429]
    assert second.request("GET", "/verify/ABCD-EFGH-JKMN-PQRS/")[0].status == 404


@pytest.fixture
def field_assignment(world):
    assignment = AssignmentFactory(
        module=world.skills, title="社区资产地图", max_file_size=25 * MB, max_total_size=100 * MB
    )
    return assignment, world.trainee


def _upload_location() -> tuple[re.Pattern, int, int]:
    """The upload routes' regex, their body cap and the cap of every other request, as deploy/nginx.conf sets them."""
    text = (ROOT / "deploy/nginx.conf").read_text()
    server = text[text.index("listen 443") :]
    default = int(re.search(r"\n    client_max_body_size (\d+)m;", server).group(1)) * MB
    match = re.search(r"location ~ (\^/\S+) \{\n        client_max_body_size (\d+)m;", server)
    return re.compile(match.group(1)), int(match.group(2)) * MB, default


def test_client_max_body_size_lets_the_largest_default_submission_through():
    from fieldwork.models import Assignment

    _pattern, limit, _default = _upload_location()
    largest = Assignment._meta.get_field("max_total_size").default
    assert limit >= largest + MULTIPART_MARGIN


def _routes(resolver, prefix=""):
    from django.urls import URLResolver

    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            yield from _routes(entry, prefix + str(entry.pattern))
        else:
            yield prefix + str(entry.pattern), entry.callback


def _sample_path(route: str) -> str:
    path = re.sub(r"<int:[^>]+>|\(\?P<[^>]+>\\d\+\)", "1", route)
    return "/" + path.replace("^", "").replace("$", "")


def test_nginx_caps_bodies_as_the_app_does_every_upload_route_and_only_those(settings):
    """The app's upload views (lms.bodies) and nginx's upload location name the same routes."""
    from django.urls import get_resolver

    from lms.bodies import body_limit_for

    pattern, upload_cap, default_cap = _upload_location()
    assert default_cap == settings.LMS_REQUEST_BODY_MAX
    factory = RequestFactory()
    uploads, others = [], []
    for route, _view in _routes(get_resolver()):
        path = _sample_path(route)
        if "<" in path or "(" in path:
            continue
        limit = body_limit_for(factory.post(path))
        (uploads if limit > settings.LMS_REQUEST_BODY_MAX else others).append((path, limit))
    assert len(uploads) >= 10
    for path, limit in uploads:
        assert pattern.match(path), f"{path} takes {limit} bytes but nginx caps it at 1 MB"
        assert limit <= upload_cap, (path, limit, upload_cap)
    for path, _limit in others:
        assert not pattern.match(path), f"{path} takes a small body but nginx streams it as an upload"


def test_bodies_over_the_cap_stop_at_nginx_and_uploads_pass(stack):
    browser = Browser(stack)
    response, _page = browser.request(
        "POST", "/accounts/login/", b"x" * (2 * MB), {"Content-Type": "application/x-www-form-urlencoded"}
    )
    assert response.status == 413  # nginx's own answer: gunicorn never saw the body
    response, page = browser.request(
        "POST", "/verify/check/", b"x" * (2 * MB), {"Content-Type": "multipart/form-data; boundary=x"}
    )
    assert response.status != 413 and response.status < 500, page[:300]  # the upload route reached the app


def test_the_check_in_screen_and_its_json_are_never_compressed(stack, world):
    from tests.courses.factories import SessionFactory

    session = SessionFactory(lesson=world.skills_lesson)
    browser = Browser(stack)
    browser.login(world.instructor)
    for path in (f"/sessions/{session.pk}/screen/", f"/sessions/{session.pk}/screen.json"):
        response, _body = browser.request("GET", path, headers={"Accept-Encoding": "gzip, br"})
        assert response.status == 200, path
        assert "Content-Encoding" not in response.headers, path
    response, _body = Browser(stack).request("GET", "/accounts/login/", headers={"Accept-Encoding": "gzip"})
    assert response.headers["Content-Encoding"] == "gzip"  # other pages still are, by the app


def test_the_access_log_carries_the_request_id_and_upstream_time(stack):
    browser = Browser(stack)
    response, _page = browser.request("GET", "/accounts/login/")
    request_id = response.headers["X-Request-ID"]
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        lines = [json.loads(line) for line in stack.access_log.read_text().splitlines() if line.strip()]
        ours = [line for line in lines if line["request_id"] == request_id]
        if ours:
            break
        time.sleep(0.2)
    assert ours, lines[-3:]
    line = ours[0]
    assert line["uri"] == "/accounts/login/" and line["status"] == 200
    assert float(line["upstream_time"]) >= 0 and line["upstream_status"] == "200"


def test_a_dead_app_gets_the_bilingual_error_page(stack, tmp_path):
    """nginx with the same file in front of a port nothing listens on: its 502 is static/errors/502.html."""
    https_port, http_port = free_port(), free_port()
    (tmp_path / "site.conf").write_text(
        site_config(
            app_port=free_port(), https_port=https_port, http_port=http_port, certificate=stack.tmp / "cert.pem",
            key=stack.tmp / "key.pem", static=stack.tmp / "static", access_log=tmp_path / "access.log",
        )
    )  # fmt: skip
    for folder in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (tmp_path / folder).mkdir()
    (tmp_path / "nginx.conf").write_text((stack.tmp / "nginx.conf").read_text().replace(str(stack.tmp), str(tmp_path)))
    nginx = subprocess.Popen(
        [shutil.which("nginx") or "/usr/sbin/nginx", "-c", str(tmp_path / "nginx.conf"), "-g", "daemon off;"],
        stdout=subprocess.DEVNULL, stderr=(tmp_path / "nginx.out").open("wb"), start_new_session=True,
    )  # fmt: skip
    try:
        wait_port(https_port, nginx, tmp_path / "nginx.out")
        context = ssl.create_default_context()
        context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
        connection = http.client.HTTPSConnection("localhost", https_port, context=context, timeout=30)
        connection.request("GET", "/accounts/login/")
        response = connection.getresponse()
        page = response.read().decode()
        assert response.status == 502
        assert "服务暂时不可用" in page and "Service unavailable" in page
    finally:
        os.killpg(nginx.pid, signal.SIGTERM)
        nginx.wait(timeout=15)
