"""The local database `make run` starts: data survives restarts and `kill -9`, one owner per data directory,
and the database server never outlives the app.

Every test runs the real `python wsgi.py` with no MONGO_URI, so it starts its own SecantusDB child on a
data directory under tmp_path, exactly as `make run` does on var/db.
"""
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from conftest import PASSWORD, ROOT, bearer, free_port, live_env, start_live_server, unique

pytestmark = pytest.mark.live

# `python wsgi.py` as a terminal starts it: SIGINT at its default action (a test run in the background
# inherits it ignored, and Python then never raises KeyboardInterrupt).
WSGI_FROM_A_TERMINAL = [sys.executable, "-c",
                        "import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL); "
                        "os.execv(sys.executable, [sys.executable, 'wsgi.py'])"]


def children(pid):
    """The pids of pid's child processes (from /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def running(pid):
    """Whether pid is a live process (neither gone nor a zombie)."""
    try:
        return (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def wait_gone(pid, timeout, what):
    deadline = time.monotonic() + timeout
    while running(pid):
        assert time.monotonic() < deadline, f"{what} (pid {pid}) still running after {timeout} s"
        time.sleep(0.05)


def database_pid(app_pid):
    """The pid of the SecantusDB server the app process started."""
    pids = [pid for pid in children(app_pid)
            if b"secantus" in (Path("/proc") / str(pid) / "cmdline").read_bytes()]
    assert len(pids) == 1, f"expected one SecantusDB child of {app_pid}, found {pids}"
    return pids[0]


class OwnDatabase:
    """Starts `wsgi.py` with no MONGO_URI on one data directory (and one database name), as `make run`
    does; every process it started, app or database, is killed at the end."""

    def __init__(self, smtp, tmp_path):
        self.smtp, self.tmp_path = smtp, tmp_path
        self.data_dir = tmp_path / "data"
        self.db_name = unique("durable_")
        self.servers = []

    def env(self):
        return {"MONGO_URI": "", "DATA_DIR": str(self.data_dir), "MONGO_DB": self.db_name}

    def start(self, **settings):
        """A running server (settings: more environment); `server.db_pid` is its SecantusDB child."""
        server = start_live_server(self.smtp, self.tmp_path, command=WSGI_FROM_A_TERMINAL,
                                   **{**self.env(), **settings})
        server.db_pid = database_pid(server.process.pid)
        self.servers.append(server)
        return server

    def cleanup(self):
        for server in self.servers:
            if server.process.poll() is None:
                os.killpg(server.process.pid, signal.SIGKILL)
                server.process.wait(10)
            if running(server.db_pid):
                os.kill(server.db_pid, signal.SIGKILL)


@pytest.fixture
def own_database(smtp, tmp_path):
    own = OwnDatabase(smtp, tmp_path)
    yield own
    own.cleanup()


def stop_with(server, signum, timeout=20):
    """Send signum to the app (its process group, as a terminal does) and wait for it to exit."""
    os.killpg(server.process.pid, signum)
    server.process.wait(timeout)


def kill_app_and_database(server):
    """kill -9 of the database server and of the app, the database first so it cannot shut down cleanly."""
    os.kill(server.db_pid, signal.SIGKILL)
    os.killpg(server.process.pid, signal.SIGKILL)
    server.process.wait(10)
    wait_gone(server.db_pid, 10, "the killed database")


def login(server, user):
    """Log in over HTTP (the user's password hash was kept); returns the access token."""
    response = requests.post(f"{server.url}/login", json={"login": user["username"], "password": PASSWORD},
                             timeout=10)
    assert response.status_code == 200, response.text
    return response.json()["access_token"]


def history(server, user, partner):
    """Every message of the personal chat of user and partner, oldest first (at most 100)."""
    response = requests.get(f"{server.url}/chats/personal/{partner['id']}/messages?limit=100",
                            headers=bearer(login(server, user)), timeout=10)
    assert response.status_code == 200, response.text
    return response.json()["Messages"]


def send_over_sockets(server, live_socket, alice, bob, count):
    """count personal messages, alternately from alice and bob over their sockets; the ok acks' messages."""
    sockets = [live_socket(server, user, ("/personal",)) for user in (alice, bob)]
    chat_id = sockets[0].call("fetch-personal-chat", {"Partner": bob["id"]}, namespace="/personal")["ChatId"]
    acknowledged = []
    for n in range(count):
        ack = sockets[n % 2].call("send-personal-message",
                                  {"ChatId": chat_id, "Content": f"message {n}", "ClientId": f"c{n}"},
                                  namespace="/personal")
        assert ack["ok"], ack
        acknowledged.append(ack["Message"])
    return acknowledged


def ids(messages):
    return [(m["MessageId"], m["Content"]) for m in messages]


def test_acknowledged_messages_survive_kill_9_of_the_app_and_the_database(own_database, smtp, live_socket):
    """Every message a socket got an ok ack for is in the history after kill -9 of both and a restart."""
    server = own_database.start()
    alice, bob = server.signup_verify_login(smtp), server.signup_verify_login(smtp)
    acknowledged = send_over_sockets(server, live_socket, alice, bob, 30)

    kill_app_and_database(server)
    server = own_database.start()

    assert ids(history(server, bob, alice)) == ids(acknowledged)
    me = requests.get(f"{server.url}/me", headers=bearer(alice["access"]), timeout=10)
    assert me.status_code == 200 and me.json()["user"]["username"] == alice["username"]  # the session was kept


@pytest.mark.parametrize("signum, async_mode", [(signal.SIGTERM, "gevent"), (signal.SIGINT, "gevent"),
                                                (signal.SIGTERM, "eventlet")],
                         ids=["SIGTERM", "Ctrl-C", "SIGTERM-eventlet"])
def test_a_stopped_app_stops_its_database_and_a_restart_keeps_the_data(own_database, smtp, signum, async_mode):
    """What `make run` stopped (SIGTERM, or Ctrl-C in the terminal) and started again must do, under gevent and
    eventlet: the database stops before the app exits, with no traceback on the way."""
    server = own_database.start(ASYNC_MODE=async_mode)
    alice, bob = server.signup_verify_login(smtp), server.signup_verify_login(smtp)
    sent = requests.post(f"{server.url}/chats/personal/{bob['id']}/messages", json={"Content": "kept"},
                         headers=bearer(alice["access"]), timeout=10)
    assert sent.status_code == 201, sent.text

    stop_with(server, signum)
    assert not running(server.db_pid), "the database outlived the app (its data directory was unlocked)"
    assert "Traceback" not in server.log(), server.log()

    server = own_database.start()
    assert ids(history(server, bob, alice)) == ids([sent.json()["Message"]])


def test_a_second_app_on_the_same_data_directory_is_refused_and_disturbs_nothing(own_database, smtp):
    """A second `make run` on the same DATA_DIR exits non-zero and says why; the first one serves on."""
    first = own_database.start()
    user = first.signup_verify_login(smtp)
    port = free_port()
    second = subprocess.run([sys.executable, "wsgi.py"], cwd=ROOT, env=live_env(smtp, port, **own_database.env()),
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=60)

    assert second.returncode != 0
    assert f"data directory {own_database.data_dir.resolve()} is in use" in second.stdout, second.stdout
    with pytest.raises(requests.ConnectionError):  # it never served
        requests.get(f"http://127.0.0.1:{port}/health", timeout=1)
    assert first.process.poll() is None and running(first.db_pid)
    assert requests.get(f"{first.url}/health", timeout=5).status_code == 200
    assert login(first, user)


def test_the_database_exits_by_itself_when_the_app_is_killed(own_database):
    """kill -9 of the app alone: the kernel's parent-death signal stops its database within seconds."""
    server = own_database.start()
    os.killpg(server.process.pid, signal.SIGKILL)  # the database runs in a session of its own: not signalled
    server.process.wait(10)
    wait_gone(server.db_pid, 10, "the database of a killed app")
