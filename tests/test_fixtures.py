"""The test suite's own helpers (tests/conftest.py): cheap verified users, and the SMTP sink's bookkeeping."""
import asyncio
from types import SimpleNamespace

import pytest
import requests

from conftest import Inbox, bearer


def test_a_verified_user_is_logged_in_without_any_mail(app, client, accounts, smtp):
    user = accounts.verified_user()
    me = client.get("/me", headers=bearer(user["access"]))
    assert me.status_code == 200, me.get_json()
    mine = me.get_json()["user"]
    assert (mine["id"], mine["username"], mine["email"], mine["verified"]) == (
        user["id"], user["username"], user["email"], True)
    assert app.extensions["chat.store"].db["mail_outbox"].count_documents({"to": user["email"]}) == 0
    assert smtp.count(user["email"]) == 0
    # The account is a real one: the password logs in again over /login, and its name is taken.
    assert client.post("/login", json={"login": user["email"], "password": user["password"]}).status_code == 200
    taken = client.post("/signup", json={"username": user["username"], "email": "other@example.test",
                                         "password": user["password"]})
    assert taken.status_code == 409


@pytest.mark.live
def test_a_live_servers_verified_user_connects_a_socket(live_server, live_socket):
    alice, bob = live_server.verified_user(), live_server.verified_user()
    sock = live_socket(live_server, alice, ("/personal",))
    ack = sock.call("fetch-personal-chat", {"Partner": bob["id"]}, "/personal")
    assert ack["ok"] is True, ack
    me = requests.get(f"{live_server.url}/me", headers=bearer(bob["access"]), timeout=10)
    assert me.status_code == 200 and me.json()["user"]["id"] == bob["id"]


def test_the_sink_finds_each_recipients_mails_in_order_among_many():
    inbox = Inbox()

    def deliver(to, subject):
        content = f"To: {to}\r\nFrom: chat@example.test\r\nSubject: {subject}\r\n\r\nbody\r\n".encode()
        asyncio.run(inbox.handle_DATA(None, None, SimpleNamespace(content=content)))

    for n in range(300):
        deliver(f"other{n % 30}@example.test", f"noise {n}")
    deliver("me@example.test", "first")
    deliver("other1@example.test", "noise")
    deliver("me@example.test", "second")
    assert inbox.count("me@example.test") == 2 and inbox.count("nobody@example.test") == 0
    assert [inbox.wait_for("me@example.test", n, timeout=0)["Subject"] for n in (1, 2)] == ["first", "second"]
    with pytest.raises(AssertionError, match="no mail #3 to me@example.test"):
        inbox.wait_for("me@example.test", 3, timeout=0)
    assert len(inbox.messages) == 303
