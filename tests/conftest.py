"""Shared fixtures: the app and its clients, a real SMTP sink, a live server process, Redis.

Unit tests build the app with `create_app({...})` on the embedded store (or on real MongoDB
when TEST_MONGO_URI is set). Transport-level tests start the real server process, exactly as
`make run` does, and talk to it over HTTP and WebSocket.
"""
import email
import email.policy
import logging
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
import requests
from aiosmtpd.controller import Controller

from chat import create_app

logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd's per-command chatter

ROOT = Path(__file__).resolve().parent.parent
TEST_MONGO_URI = os.environ.get("TEST_MONGO_URI", "")
PASSWORD = "correct horse battery"


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Inbox:
    """An aiosmtpd handler that keeps every received mail and lets tests wait for one."""

    def __init__(self):
        self.messages = []
        self.port = None
        self._changed = threading.Condition()

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self._changed:
            self.messages.append(message)
            self._changed.notify_all()
        return "250 Message accepted"

    def wait_for(self, recipient, count=1, timeout=10):
        """The count-th mail to recipient (waiting up to timeout seconds)."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                mails = [m for m in self.messages if m["To"] == recipient]
                if len(mails) >= count:
                    return mails[count - 1]
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(f"no mail #{count} to {recipient} within {timeout} s")
                self._changed.wait(remaining)

    def count(self, recipient):
        with self._changed:
            return sum(1 for m in self.messages if m["To"] == recipient)

    def link(self, recipient, count=1):
        """The verification link of the count-th mail to recipient, as written in its text part."""
        body = self.wait_for(recipient, count).get_body(("plain",)).get_content()
        match = re.search(r"https?://\S+/verify\?token=[\w-]+", body)
        assert match, body
        return match.group(0)


@pytest.fixture(scope="session")
def smtp():
    """A real SMTP server on a free local port (aiosmtpd)."""
    inbox = Inbox()
    inbox.port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=inbox.port)
    controller.start()
    yield inbox
    controller.stop()


def unique(prefix="u"):
    return f"{prefix}{uuid.uuid4().hex[:10]}"


def app_config(smtp, **overrides):
    config = {
        "TESTING": True,
        "ASYNC_MODE": "threading",
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": smtp.port,
        "SMTP_STARTTLS": False,
        "PUBLIC_URL": "http://chat.test",
        "MONGO_DB": unique("test_"),
    }
    if TEST_MONGO_URI:
        config["MONGO_URI"] = TEST_MONGO_URI
    config.update(overrides)
    return config


@pytest.fixture
def make_app(smtp):
    """Build apps with overrides; real-MongoDB test databases are dropped afterwards."""
    apps = []

    def factory(**overrides):
        app = create_app(app_config(smtp, **overrides))
        apps.append(app)
        return app

    yield factory
    for app in apps:
        store = app.extensions["chat.store"]
        if TEST_MONGO_URI and app.config["MONGO_URI"] == TEST_MONGO_URI:
            store.client.drop_database(store.db.name)
        store.close()


@pytest.fixture
def app(make_app):
    return make_app()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def db(app):
    return app.extensions["chat.store"].db


class Accounts:
    """Signs users up, verifies them through the real mail, and logs them in (test client)."""

    def __init__(self, client, smtp):
        self.client = client
        self.smtp = smtp

    def signup(self, username=None, email_address=None, password=PASSWORD):
        username = username or unique()
        email_address = email_address or f"{username}@example.test"
        response = self.client.post("/signup", json={"username": username, "email": email_address,
                                                     "password": password})
        assert response.status_code == 201, response.get_json()
        created = response.get_json()["user"]
        return {"username": username, "email": created["email"], "password": password, "id": created["id"]}

    def verify(self, user):
        link = self.smtp.link(user["email"])
        token = link.split("token=", 1)[1]
        response = self.client.get(f"/verify?token={token}")
        assert response.status_code == 200, response.get_json()
        return response

    def login(self, user):
        response = self.client.post("/login", json={"login": user["username"], "password": user["password"]})
        assert response.status_code == 200, response.get_json()
        body = response.get_json()
        user.update(access=body["access_token"], refresh=body["refresh_token"])
        return user

    def user(self, username=None):
        """A verified, logged-in user: {"id", "username", "email", "password", "access", "refresh"}."""
        user = self.signup(username)
        self.verify(user)
        return self.login(user)


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def accounts(client, smtp):
    return Accounts(client, smtp)


# The live server: the real process, started the way `make run` starts it.

class LiveServer:
    """A running `python wsgi.py` process with its base URL and log file."""

    def __init__(self, url, process, log_path, env):
        self.url, self.process, self.log_path, self.env = url, process, log_path, env

    def log(self):
        return Path(self.log_path).read_text(errors="replace")

    def signup_verify_login(self, smtp, username=None):
        """Walk signup → mail → verify → login over HTTP; returns the user with tokens."""
        username = username or unique()
        address = f"{username}@example.test"
        response = requests.post(f"{self.url}/signup", json={"username": username, "email": address,
                                                            "password": PASSWORD}, timeout=10)
        assert response.status_code == 201, response.text
        user_id = response.json()["user"]["id"]
        link = smtp.link(address)
        assert link.startswith(self.url + "/verify?token=")
        assert requests.get(link, timeout=10).json()["verified"] is True
        response = requests.post(f"{self.url}/login", json={"login": username, "password": PASSWORD}, timeout=10)
        assert response.status_code == 200, response.text
        tokens = response.json()
        return {"id": user_id, "username": username, "email": address,
                "access": tokens["access_token"], "refresh": tokens["refresh_token"]}


def live_env(smtp, port, **extra):
    env = {key: value for key, value in os.environ.items() if not key.startswith(("PYTEST", "COV_"))}
    env.update({
        "PORT": str(port), "HOST": "127.0.0.1", "PUBLIC_URL": f"http://127.0.0.1:{port}",
        "ASYNC_MODE": "gevent", "SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(smtp.port), "SMTP_STARTTLS": "false",
        "ARGON2_TIME_COST": "1", "ARGON2_MEMORY_COST": "1024", "RATELIMIT_ENABLED": "false",
        "LOG_LEVEL": "INFO", "MONGO_URI": TEST_MONGO_URI, "MONGO_DB": unique("live_"), "REDIS_URL": "",
        "CHAT_ENV": "development",
    })
    env.update({key: str(value) for key, value in extra.items()})
    return env


def start_live_server(smtp, tmp_path, command=None, **extra):
    """Start the server process and wait until /health answers."""
    port = free_port()
    env = live_env(smtp, port, **extra)
    log_path = tmp_path / f"server-{port}.log"
    command = command or [sys.executable, "wsgi.py"]
    with open(log_path, "wb") as log:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                                   start_new_session=True)
    server = LiveServer(f"http://127.0.0.1:{port}", process, log_path, env)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"server exited with {process.returncode}:\n{server.log()}")
        try:
            if requests.get(f"{server.url}/health", timeout=1).status_code == 200:
                return server
        except requests.ConnectionError:
            pass
        time.sleep(0.1)
    stop_live_server(server)
    raise AssertionError(f"server did not answer /health within 30 s:\n{server.log()}")


def stop_live_server(server):
    import signal
    if server.process.poll() is None:
        os.killpg(server.process.pid, signal.SIGTERM)
        try:
            server.process.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(server.process.pid, signal.SIGKILL)
            server.process.wait(10)


@pytest.fixture(scope="session")
def live_server(smtp, tmp_path_factory):
    """One real server process (gevent) for the whole session."""
    server = start_live_server(smtp, tmp_path_factory.mktemp("live"))
    yield server
    stop_live_server(server)


@pytest.fixture
def short_tokens(make_app):
    """An app whose access tokens live one second."""
    return make_app(JWT_ACCESS_TOKEN_EXPIRES=timedelta(seconds=1))


def redis_server_binary():
    return shutil.which("redis-server")
