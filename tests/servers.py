"""Local stand-ins the tests start as processes (the S3 server, the SMS providers): a free port, and waiting
until one listens."""

import socket
import subprocess
import time
from pathlib import Path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until_listening(process: subprocess.Popen, port: int, *, name: str, log_path: Path, seconds: float) -> None:
    """Return once the port takes connections; raise with the process's log when it died or took too long."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{name} did not start:\n" + log_path.read_text()) from None
            time.sleep(0.05)
