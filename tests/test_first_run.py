"""First run as the README tells it (issue 28): `python wsgi.py` with nothing set but a data directory and an outbox.

The links in mails open the address the server announced (so the client's session, kept per origin, is there),
the dev outbox mail is an INFO line, the database log lives in DATA_DIR, and `flask --app wsgi init-db` works
while the server runs (it uses that server's database instead of failing on the data directory's lock).
"""
import re
import subprocess
import sys
import time

import pytest
import requests

from chat.kernel.config import Config
from conftest import PASSWORD, ROOT, free_port, live_env, start_live_server, stop_live_server, unique

pytestmark = pytest.mark.live

INIT_DB = [sys.executable, "-m", "flask", "--app", "wsgi", "init-db"]


def first_run_settings(tmp_path):
    """Nothing set but where the data and the mails go: no MONGO_URI, no PUBLIC_URL, no SMTP_HOST."""
    return {"MONGO_URI": "", "DATA_DIR": str(tmp_path / "data"), "PUBLIC_URL": "", "SMTP_HOST": "",
            "MAIL_OUTBOX": str(tmp_path / "outbox")}


@pytest.fixture(scope="module")
def first_run(smtp, tmp_path_factory):
    """One `python wsgi.py` started as on a fresh checkout; yields (server, tmp_path)."""
    tmp_path = tmp_path_factory.mktemp("first_run")
    server = start_live_server(smtp, tmp_path, **first_run_settings(tmp_path))
    yield server, tmp_path
    stop_live_server(server)


def announced(server):
    """The address the start-up log says the server listens on."""
    found = re.search(r"listening on (http://\S+)", server.log())
    assert found, server.log()
    return found.group(1)


def outbox_mail(outbox, address):
    """The text of the mail the dev outbox wrote for address (the mail worker writes it just after the answer)."""
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        files = list(outbox.glob(f"*{address.replace('@', '_at_')}.eml"))
        if files:
            return files[0].read_text()
        time.sleep(0.05)
    raise AssertionError(f"no mail for {address} in {outbox}")


def signup(server):
    name = unique()
    response = requests.post(f"{server.url}/signup", json={"username": name, "email": f"{name}@example.test",
                                                           "password": PASSWORD}, timeout=10)
    assert response.status_code == 201, response.text
    return f"{name}@example.test"


def test_the_links_in_mails_open_the_address_the_server_announced(first_run):
    """With no PUBLIC_URL the links used http://localhost:PORT while the log said http://127.0.0.1:PORT: a user
    who opened the printed address got a link to another origin, where the client's session is not."""
    server, tmp_path = first_run
    address = signup(server)
    mail = outbox_mail(tmp_path / "outbox", address)
    links = re.findall(r"(http://\S+?)/verify\?token=", mail)
    assert links and set(links) == {announced(server)} == {server.url}, (links, announced(server))
    assert f"links in mails open {server.url} (PUBLIC_URL)" in server.log()


def test_the_dev_outbox_mail_is_an_info_line(first_run):
    """Writing a mail to the outbox is what development does, not a warning."""
    server, tmp_path = first_run
    address = signup(server)
    outbox_mail(tmp_path / "outbox", address)
    lines = [line for line in server.log().splitlines() if f"DEV OUTBOX: mail to {address}" in line]
    assert len(lines) == 1 and " INFO chat.auth.mailer: " in lines[0], lines
    assert not any(" WARNING " in line and "DEV OUTBOX" in line for line in server.log().splitlines())


def test_the_database_log_is_in_the_data_directory(first_run):
    """DATA_DIR/db.log, not a db.log in the folder above, which two data directories side by side would share."""
    server, tmp_path = first_run
    data = (tmp_path / "data").resolve()
    assert (data / "db.log").is_file()
    assert not (tmp_path / "db.log").exists()
    assert f"data in {data} (log {data / 'db.log'})" in server.log()


def test_init_db_while_the_server_runs_uses_its_database(first_run, smtp):
    """`flask --app wsgi init-db` on the running server's DATA_DIR no longer fails on the lock: it creates the
    indexes on that server's database, and the server serves on."""
    server, tmp_path = first_run
    env = live_env(smtp, free_port(), **first_run_settings(tmp_path))
    done = subprocess.run(INIT_DB, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stdout
    assert "indexes ready" in done.stdout and "the running server's, on mongodb://" in done.stdout, done.stdout
    assert requests.get(f"{server.url}/health", timeout=5).status_code == 200
    assert signup(server)


def test_a_second_server_on_a_running_data_directory_is_still_refused(first_run, smtp):
    """Only commands that serve nothing share the running database: `flask run` is refused as `python wsgi.py` is."""
    _server, tmp_path = first_run
    port = free_port()
    env = live_env(smtp, port, **first_run_settings(tmp_path))
    done = subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "run", "--port", str(port)], cwd=ROOT,
                          env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=120)
    assert done.returncode != 0 and "is in use by process" in done.stdout, done.stdout


def test_init_db_with_no_server_running_starts_and_stops_its_own(smtp, tmp_path):
    """With the data directory free, init-db starts a local database for itself and leaves none behind."""
    env = live_env(smtp, free_port(), **first_run_settings(tmp_path))
    done = subprocess.run(INIT_DB, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True, timeout=120)
    assert done.returncode == 0 and "indexes ready" in done.stdout, done.stdout
    assert not (tmp_path / "data" / "chat-localdb.uri").exists()


@pytest.mark.parametrize("host, expected", [
    ("127.0.0.1", "http://127.0.0.1:8000"), ("0.0.0.0", "http://localhost:8000"), ("::", "http://localhost:8000"),
    ("::1", "http://[::1]:8000"), ("chat.internal", "http://chat.internal:8000"),
])
def test_the_default_public_url_is_the_served_address(host, expected):
    """PUBLIC_URL unset or empty: http://HOST:PORT, a wildcard host as localhost; a set one is kept."""
    assert Config({"HOST": host, "PORT": "8000"}).PUBLIC_URL == expected
    assert Config({"HOST": host, "PORT": "8000", "PUBLIC_URL": ""}).PUBLIC_URL == expected
    assert Config({"HOST": host, "PUBLIC_URL": "https://chat.example.com/"}).PUBLIC_URL == "https://chat.example.com"
