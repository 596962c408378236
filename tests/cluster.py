"""Helpers for tests that need Redis or several server instances.

`RedisServer` runs a private `redis-server` on a free port (it can be stopped and restarted).
`start_cluster` runs two real server processes (`python wsgi.py`) sharing that Redis and one
database on the session's database server (or TEST_MONGO_URI's MongoDB).
"""
import os
import shutil
import subprocess
import time
import uuid

import pytest
import redis

from conftest import DEADLINE, LiveServer, free_port, start_live_server, stop_live_server

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
        deadline = time.monotonic() + DEADLINE
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


class ProcessInstance(LiveServer):
    """One real server process (`python wsgi.py`, as `make run` starts it)."""

    def __init__(self, live):
        super().__init__(live.url, live.process, live.log_path, live.env)

    def crash(self):
        import signal
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(10)

    def stop(self):
        stop_live_server(self)


def start_cluster(smtp, tmp_path, redis_url, count=2, **settings):
    """`count` server processes sharing one Redis and one database; returns them (stop each when done)."""
    database = f"cluster_{uuid.uuid4().hex[:8]}"
    return [ProcessInstance(start_live_server(smtp, tmp_path, REDIS_URL=redis_url, MONGO_DB=database,
                                              **{k: str(v) for k, v in settings.items()}))
            for _ in range(count)]
