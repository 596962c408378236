"""The real server process, started as `make run` starts it, walked over HTTP."""
import sys
import time

import pytest
import requests

from conftest import DEADLINE, PASSWORD, start_live_server, stop_live_server, unique

pytestmark = pytest.mark.live


def test_signup_mail_verify_login_over_http(live_server, smtp):
    user = live_server.signup_verify_login(smtp)
    me = requests.get(f"{live_server.url}/me", headers={"Authorization": f"Bearer {user['access']}"}, timeout=10)
    assert me.status_code == 200 and me.json()["user"]["verified"] is True
    rotated = requests.post(f"{live_server.url}/refresh", headers={"Authorization": f"Bearer {user['refresh']}"},
                            timeout=10)
    assert rotated.status_code == 200
    reuse = requests.post(f"{live_server.url}/refresh", headers={"Authorization": f"Bearer {user['refresh']}"},
                          timeout=10)
    assert reuse.status_code == 401 and reuse.json()["error"]["code"] == "token_revoked"


def test_the_server_logs_its_store_mail_transport_and_async_mode(live_server):
    log = live_server.log()
    assert "async mode: gevent" in log
    assert f"STORE: {live_server.env['MONGO_URI'].split('/?')[0]}, database '{live_server.env['MONGO_DB']}'" in log
    assert "mail: SMTP 127.0.0.1" in log


@pytest.mark.parametrize("command", [["make", "-s", "run"], [sys.executable, "wsgi.py"]],
                         ids=["make-run", "eventlet"])
def test_make_run_and_eventlet_serve_the_walk(smtp, tmp_path, command):
    extra = {"ASYNC_MODE": "eventlet"} if command[0] == sys.executable else {}
    server = start_live_server(smtp, tmp_path, command=command, **extra)
    try:
        user = server.signup_verify_login(smtp, unique("walk"))
        assert user["access"]
        page = requests.get(f"{server.url}/verify?token=bogus", headers={"Accept": "text/html"}, timeout=10)
        assert page.status_code == 400 and "This link does not work" in page.text
        assert f"async mode: {extra.get('ASYNC_MODE', 'gevent')}" in server.log()
    finally:
        stop_live_server(server)


def test_dev_outbox_is_used_without_smtp(smtp, tmp_path):
    outbox = tmp_path / "outbox"
    server = start_live_server(smtp, tmp_path, SMTP_HOST="", MAIL_OUTBOX=str(outbox))
    try:
        name = unique()
        response = requests.post(f"{server.url}/signup", json={"username": name, "email": f"{name}@example.test",
                                                               "password": PASSWORD}, timeout=10)
        assert response.status_code == 201
        deadline = time.monotonic() + DEADLINE  # the mail worker writes it just after the answer
        while not list(outbox.glob("*.eml")) and time.monotonic() < deadline:
            time.sleep(0.05)
        files = list(outbox.glob("*.eml"))
        assert len(files) == 1 and "/verify?token=" in files[0].read_text()
        assert f"DEV OUTBOX: mail to {name}@example.test" in server.log()
        assert smtp.count(f"{name}@example.test") == 0
    finally:
        stop_live_server(server)
