"""Helpers for tests that need Redis or several server instances.

`RedisServer` runs a private `redis-server` on a free port (it can be stopped and restarted).
`start_cluster` runs two instances sharing that Redis and one store: without TEST_MONGO_URI
(no MongoDB here) both run in this test process, each with its own app, Socket.IO server, port
and Redis subscription, sharing an embedded store named `mongomock://…`; with TEST_MONGO_URI
they are two real server processes. The tests only see URLs, so they are the same either way.
"""
import os
import shutil
import subprocess
import threading
import time
import uuid

import pytest
import redis

from conftest import TEST_MONGO_URI, LiveServer, app_config, free_port, start_live_server, stop_live_server

REQUIRE_REDIS = os.environ.get("REQUIRE_REDIS") == "1"


def require_redis_binary():
    binary = shutil.which("redis-server")
    if binary is None:
        if REQUIRE_REDIS:
            pytest.fail("redis-server is not installed, and REQUIRE_REDIS=1 (CI) forbids skipping")
        pytest.skip("redis-server is not installed (apt-get install redis-server)")
    return binary


class RedisServer:
    """A private redis-server on a free port, without persistence."""

    def __init__(self, binary, tmp_path):
        self.binary, self.dir = binary, tmp_path
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process = None

    def start(self):
        self.process = subprocess.Popen(
            [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", str(self.dir)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        client = redis.Redis.from_url(self.url)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                if client.ping():
                    client.close()
                    return self
            except redis.ConnectionError:
                time.sleep(0.05)
        raise AssertionError("redis-server did not start")

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)

    def restart(self):
        self.stop()
        return self.start()


class InProcessInstance(LiveServer):
    """One app served by a threaded WSGI server in this process."""

    def __init__(self, app, port):
        from werkzeug.serving import make_server
        super().__init__(f"http://127.0.0.1:{port}", None, None, {})
        self.app = app
        self.server = make_server("127.0.0.1", port, app, threaded=True)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def crash(self):
        """Die like a killed process: stop serving and heartbeating, and announce nothing on the way out."""
        presence = self.app.extensions["chat.presence"]
        presence.disconnected = lambda user_id, connection_id: False
        presence._local.clear()
        self.server.shutdown()
        eio = self.app.extensions["socketio"].server.eio
        for socket in list(eio.sockets.values()):
            socket.close(wait=False, abort=True)
        self.server.server_close()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


class ProcessInstance(LiveServer):
    """One real server process (used when TEST_MONGO_URI points at a shared MongoDB)."""

    def __init__(self, live):
        super().__init__(live.url, live.process, live.log_path, live.env)

    def crash(self):
        import signal
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(10)

    def stop(self):
        stop_live_server(self)


def start_cluster(smtp, tmp_path, redis_url, count=2, **settings):
    """`count` instances sharing one Redis and one store; returns them (stop each when done)."""
    if TEST_MONGO_URI:
        database = f"cluster_{uuid.uuid4().hex[:8]}"
        return [ProcessInstance(start_live_server(smtp, tmp_path, REDIS_URL=redis_url, MONGO_DB=database,
                                                  **{k: str(v) for k, v in settings.items()}))
                for _ in range(count)]
    from chat import create_app
    store, database = f"mongomock://{uuid.uuid4().hex}", f"cluster_{uuid.uuid4().hex[:8]}"
    instances = []
    for _ in range(count):
        port = free_port()
        config = app_config(smtp, MONGO_URI=store, MONGO_DB=database, REDIS_URL=redis_url, RATELIMIT_STORAGE_URI=redis_url,
                            PUBLIC_URL=f"http://127.0.0.1:{port}", **settings)
        instances.append(InProcessInstance(create_app(config), port))
    return instances
