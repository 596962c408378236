"""A push service for tests: a local HTTP server that records the pushes it gets, and a browser's keys to read them.

`PushService(mode)` answers every POST with 201 (`ok`), 410 (`gone`), or never (`hang`: it holds the
connection until the test ends); `port` picks its port (to start a stopped one again where it was). It is also
the webhook receiver of tests/test_webhooks_live.py. `Tarpit` accepts TCP connections and never reads nor
answers. `BrowserKeys` is what a browser makes when it subscribes: a P-256 key pair and a 16-byte auth secret;
`decrypt` reads a push body with them (RFC 8291, as a browser does).
"""
import base64
import json
import os
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import http_ece
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


class BrowserKeys:
    """A subscription's keys, made as a browser makes them."""

    def __init__(self):
        self.private_key = ec.generate_private_key(ec.SECP256R1())
        self.auth = os.urandom(16)
        public = self.private_key.public_key().public_bytes(serialization.Encoding.X962,
                                                            serialization.PublicFormat.UncompressedPoint)
        self.json_keys = {"p256dh": b64url(public), "auth": b64url(self.auth)}

    def subscription(self, endpoint):
        """The PushSubscription JSON a browser would post."""
        return {"endpoint": endpoint, "expirationTime": None, "keys": dict(self.json_keys)}

    def decrypt(self, body):
        """The JSON payload of an aes128gcm push body."""
        plain = http_ece.decrypt(body, private_key=self.private_key, auth_secret=self.auth, version="aes128gcm")
        return json.loads(plain)


class PushService:
    """A local push service; `pushes` holds (path, headers, body) of each POST received."""

    def __init__(self, mode="ok", port=0):
        self.mode = mode
        self.pushes = []
        self.received = threading.Condition()
        self.release = threading.Event()
        service = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802  (http.server's naming)
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with service.received:
                    service.pushes.append((self.path, dict(self.headers), body))
                    service.received.notify_all()
                if service.mode == "hang":
                    service.release.wait(60)
                    return
                self.send_response(410 if service.mode == "gone" else 201)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def endpoint(self, name="sub"):
        return f"{self.url}/push/{name}"

    def wait_for(self, count, timeout=60):  # bounds a hang only (conftest.DEADLINE)
        """The first count pushes, waiting up to timeout seconds for them."""
        with self.received:
            if not self.received.wait_for(lambda: len(self.pushes) >= count, timeout):
                raise AssertionError(f"{len(self.pushes)} pushes arrived, not {count}, within {timeout} s")
            return list(self.pushes[:count])

    def close(self):
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


class Tarpit:
    """A local TCP server that accepts every connection and then says nothing, ever; `connections` counts them."""

    def __init__(self):
        self.listener = socket.create_server(("127.0.0.1", 0), backlog=64)
        self.url = f"http://127.0.0.1:{self.listener.getsockname()[1]}"
        self.held = []
        self.accepted = threading.Condition()
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self):
        while True:
            try:
                connection, _ = self.listener.accept()
            except OSError:  # closed
                return
            with self.accepted:
                self.held.append(connection)
                self.accepted.notify_all()

    @property
    def connections(self):
        with self.accepted:
            return len(self.held)

    def endpoint(self, name="sub"):
        return f"{self.url}/push/{name}"

    def close(self):
        try:
            self.listener.shutdown(socket.SHUT_RDWR)  # wakes the accepting thread
        except OSError:
            pass
        self.listener.close()
        with self.accepted:
            for connection in self.held:
                connection.close()


@pytest.fixture
def push_services():
    """push_services(mode) → a PushService ("ok", "gone", "hang", ...) or a Tarpit ("tarpit"); all are closed
    after the test."""
    made = []

    def make(mode="ok", port=0):
        made.append(Tarpit() if mode == "tarpit" else PushService(mode, port))
        return made[-1]
    yield make
    for one in made:
        one.close()
