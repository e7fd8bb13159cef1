"""A real webhook receiver for tests: an ``http.server`` on 127.0.0.1 in a thread that keeps every delivery.

``with Receiver(secret="s") as hook:`` listens on a free port at ``hook.url``;
``hook.deliveries`` lists what arrived (headers, raw body, parsed JSON, whether
the signature verifies), ``hook.wait_for(n)`` waits for the n-th. ``answers``
is a list of HTTP statuses to give, one per request, before the default 200;
``delay`` holds every answer up to that many seconds, or until ``release()`` (a slow receiver).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from trainer.contract.notifications import EVENT_HEADER, SIGNATURE_HEADER
from helpers.waiting import wait_until

ANSWER = b'{"ok": true, "receiver": "test hook"}'
SECRET = "hook-secret"


class Receiver:
    def __init__(self, *, secret: str = "", answers: list[int] | None = None, delay: float = 0.0):
        self.secret = secret
        self.answers = list(answers or [])
        self.delay = delay
        self.deliveries: list[dict] = []
        self.requests = 0
        self._lock = threading.Lock()
        self._release = threading.Event()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - the name http.server calls
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with receiver._lock:
                    receiver.requests += 1
                    status = receiver.answers.pop(0) if receiver.answers else 200
                if receiver.delay:
                    receiver._release.wait(receiver.delay)
                if status == 200:
                    receiver._keep(self.path, self.headers, body)
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(ANSWER if status == 200 else b"try again later")

            def log_message(self, *args) -> None:
                return None

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/cla-secret-token"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def _keep(self, path: str, headers, body: bytes) -> None:
        """Keep one delivery; ``headers`` is http.server's case-insensitive message."""
        expected = "sha256=" + hmac.new(self.secret.encode(), body, hashlib.sha256).hexdigest()
        with self._lock:
            self.deliveries.append({"path": path, "headers": dict(headers), "body": body, "json": json.loads(body),
                                    "event": headers.get(EVENT_HEADER),
                                    "signed": hmac.compare_digest(headers.get(SIGNATURE_HEADER, ""), expected)})

    def release(self) -> None:
        """Let a slow receiver answer every request it holds, and every later one at once."""
        self._release.set()

    def events(self) -> list[str]:
        with self._lock:
            return [d["event"] for d in self.deliveries]

    def wait_for(self, count: int, timeout: float = 30.0) -> list[dict]:
        """The deliveries once at least ``count`` arrived; fails the test when they do not in time."""
        assert wait_until(lambda: len(self.deliveries) >= count, timeout), \
            f"expected {count} deliveries, got {self.events()}"
        with self._lock:
            return list(self.deliveries)

    def __enter__(self) -> "Receiver":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._release.set()
        self.server.shutdown()
        self.server.server_close()


def closed_port_url() -> str:
    """A URL on 127.0.0.1 where nothing listens: a port taken from the OS and released."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/hooks/cla"


def notify_folder(workdir, seeded_store, url: str, **notify):
    """A service folder (tests/helpers/servicefolder.py) whose config sends notifications to ``url``, signed with SECRET."""
    from helpers.servicefolder import lay_out
    from trainer.config import load_config

    lay_out(workdir, seeded_store)
    extra = "".join(f"{key} = {value}\n" for key, value in notify.items())
    with open(workdir / "cla.toml", "a") as fh:
        fh.write(f'[notify]\nwebhook_url = "{url}"\nsecret = "{SECRET}"\nbackoff_seconds = 0.05\n{extra}')
    return load_config()
