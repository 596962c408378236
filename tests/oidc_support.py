"""OpenID Providers for the tests of single sign-on (tests/test_oidc*.py).

`NodeProvider`: the certified Node `oidc-provider` package (tests/oidc/provider.mjs), installed with npm into
tests/oidc/node_modules when missing, run on a free port with one test client. `drive_login` walks its
development sign-in pages with plain HTTP (login, then consent), as a browser would.

`FakeProvider`: a small provider-like HTTP server in Python (discovery, JWKS, an authorization endpoint that
approves at once, a token endpoint) whose ID tokens a test can spoil: signed by a key it does not publish, with
another nonce, audience or issuer, expired, or a token it issued before. A real server, not a patch.
"""
import fcntl
import json
import os
import re
import secrets
import shutil
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urljoin, urlsplit

import pytest
import requests
from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey

from conftest import free_port

FOLDER = Path(__file__).resolve().parent / "oidc"
CLIENT_ID, CLIENT_SECRET = "chat-test-client", "chat-test-client-secret-0123456789"


def unavailable(reason):
    """Skip, or fail when the OIDC tests are required (CI sets REQUIRE_OIDC=1)."""
    if os.environ.get("REQUIRE_OIDC") == "1":
        pytest.fail(f"REQUIRE_OIDC=1 but {reason}", pytrace=False)
    pytest.skip(reason)


def providers_setting(*entries):
    """An OIDC_PROVIDERS value: entries are (name, issuer, label)."""
    return json.dumps([{"name": name, "issuer": issuer, "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET,
                        "label": label} for name, issuer, label in entries])


def install(npm):
    """npm install in tests/oidc when its node_modules lacks oidc-provider; one test worker at a time (a lock)."""
    with open(FOLDER / ".install.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if (FOLDER / "node_modules" / "oidc-provider").is_dir():
            return
        done = subprocess.run([npm, "install", "--no-audit", "--no-fund"], cwd=FOLDER, capture_output=True,
                              text=True, timeout=300, check=False)
        if done.returncode != 0:
            unavailable(f"npm install in tests/oidc failed: {done.stderr[-500:]}")


class NodeProvider:
    """oidc-provider on 127.0.0.1:port, with a client whose redirect URIs are given."""

    def __init__(self, port, redirect_uris, accounts=None, log_path=None):
        self.port, self.issuer = port, f"http://127.0.0.1:{port}"
        node, npm = shutil.which("node"), shutil.which("npm")
        if not node or not npm:
            unavailable("node and npm are needed for the OpenID Provider of the tests (apt-get install nodejs npm)")
        install(npm)
        env = {**os.environ, "TEST_ACCOUNTS": json.dumps(accounts or {}), "NODE_ENV": "test"}
        self.log_path = log_path
        self.log = open(log_path, "w") if log_path else subprocess.DEVNULL  # noqa: SIM115  (closed in stop)
        self.process = subprocess.Popen([node, "provider.mjs", str(port), CLIENT_ID, CLIENT_SECRET, *redirect_uris],
                                        cwd=FOLDER, env=env, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"oidc-provider exited with {self.process.returncode}")
            try:
                if requests.get(self.issuer + "/.well-known/openid-configuration", timeout=1).ok:
                    return
            except requests.ConnectionError:
                time.sleep(0.1)
        self.stop()
        raise AssertionError("oidc-provider did not answer within 30 s")

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)
        if self.log is not subprocess.DEVNULL:
            self.log.close()


FORM = re.compile(r'<form[^>]*action="([^"]+)"[^>]*method="post"', re.IGNORECASE)


def drive_login(browser, url, login, until):
    """Follow redirects from url through oidc-provider's development pages (signing in as login, then consenting)
    until a redirect whose URL starts with until; returns that URL. browser: a requests.Session (its cookies)."""
    for _ in range(20):
        response = browser.get(url, allow_redirects=False, timeout=10)
        while response.status_code in (302, 303):
            url = urljoin(url, response.headers["Location"])
            if url.startswith(until):
                return url
            response = browser.get(url, allow_redirects=False, timeout=10)
        assert response.status_code == 200, (response.status_code, response.text[:500])
        action = urljoin(url, FORM.search(response.text).group(1))
        fields = {"prompt": "login", "login": login, "password": "any"} if 'name="login"' in response.text \
            else {"prompt": "consent"}
        response = browser.post(action, data=fields, allow_redirects=False, timeout=10)
        assert response.status_code in (302, 303), (response.status_code, response.text[:500])
        url = urljoin(action, response.headers["Location"])
        if url.startswith(until):
            return url
    raise AssertionError("the provider's pages did not end in a redirect back")


class FakeProvider:
    """A provider-like server on 127.0.0.1. `mode` spoils the next ID tokens: ok, forged, wrong_nonce, wrong_aud,
    wrong_iss, expired, replay (the first token it issued, again). `rotate()` publishes a new signing key only."""

    def __init__(self):
        self.port = free_port()
        self.issuer = f"http://127.0.0.1:{self.port}"
        self.key = RSAKey.generate_key(2048, parameters={"kid": secrets.token_hex(4), "use": "sig"})
        self.mode, self.subject, self.claims, self.issued, self.codes = "ok", "fake-user", {}, [], {}
        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), self._handler())
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def rotate(self):
        self.key = RSAKey.generate_key(2048, parameters={"kid": secrets.token_hex(4), "use": "sig"})

    def stop(self):
        self.server.shutdown()
        self.server.server_close()

    def id_token(self, nonce, subject):
        now = int(time.time())
        claims = {"iss": self.issuer, "aud": CLIENT_ID, "sub": subject, "iat": now, "exp": now + 300,
                  "nonce": nonce, "email": f"{subject}@example.test", "email_verified": True, **self.claims}
        key = self.key
        if self.mode == "forged":  # the same key id, another key: a signature nobody published
            key = RSAKey.generate_key(2048, parameters={"kid": self.key.kid})
        claims.update({"wrong_nonce": {"nonce": "not-" + nonce}, "wrong_aud": {"aud": "another-client"},
                       "wrong_iss": {"iss": "http://127.0.0.1:1"}, "expired": {"exp": now - 3600, "iat": now - 7200},
                       }.get(self.mode, {}))
        token = jwt.encode({"alg": "RS256", "kid": key.kid}, claims, key)
        if self.mode == "replay" and self.issued:
            return self.issued[0]
        self.issued.append(token)
        return token

    def _handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _json(self, data, status=200):
                body = json.dumps(data).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self):  # noqa: N802  (http.server's name)
                parts = urlsplit(self.path)
                if parts.path == "/.well-known/openid-configuration":
                    return self._json({"issuer": fake.issuer, "authorization_endpoint": fake.issuer + "/authorize",
                                       "token_endpoint": fake.issuer + "/token", "jwks_uri": fake.issuer + "/jwks",
                                       "id_token_signing_alg_values_supported": ["RS256"]})
                if parts.path == "/jwks":
                    return self._json(KeySet([fake.key]).as_dict(private=False))
                if parts.path == "/authorize":
                    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
                    code = secrets.token_urlsafe(16)
                    fake.codes[code] = query
                    self.send_response(302)
                    self.send_header("Location", query["redirect_uri"] + "?" + urlencode(
                        {"code": code, "state": query["state"]}))
                    self.end_headers()
                    return None
                return self._json({"error": "not_found"}, 404)

            def do_POST(self):  # noqa: N802
                form = {k: v[0] for k, v in parse_qs(self.rfile.read(int(self.headers["Content-Length"]))
                                                      .decode()).items()}
                asked = fake.codes.pop(form.get("code"), None)
                if asked is None or not form.get("code_verifier"):
                    return self._json({"error": "invalid_grant"}, 400)
                return self._json({"access_token": "x", "token_type": "Bearer", "expires_in": 300,
                                   "id_token": fake.id_token(asked["nonce"], fake.subject)})

        return Handler
