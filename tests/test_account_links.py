"""Mailed reset and address-change links end with every change of the account's credentials (issue #26, 2, 3, 5).

Through the real server process and real SMTP, with the links followed from the mails: a password change or reset
and a confirmed address change supersede every pending reset and address-change link, mails queued before such a
change and sent after it carry no working link, a pending change can be cancelled (signed in, or from the notice
mailed to the old address), and `POST /me/email` is limited per new address, whatever the account.
"""
import time

import pytest
from test_accounts_live import HTML, NEW_PASSWORD, call, database, forgot, login, token_of  # noqa: F401

from conftest import start_live_server, stop_live_server, unique


def ask_new_address(server, smtp, user):
    """POST /me/email to a fresh address; returns (the address, the confirmation link mailed to it), once the
    notice reached the old address too."""
    address, before = f"{unique()}@example.test", smtp.count(user["email"])
    asked = call(server, "POST", "/me/email", user["access"], json={"email": address, "password": user["password"]})
    assert asked.status_code == 202, asked.text
    smtp.wait_for(user["email"], count=before + 1)
    return address, smtp.link(address, path="verify")


def refused(response):
    return response.status_code == 400 and response.json()["error"]["code"] == "invalid_token"


def email_of(server, user, password):
    """The account's address, as a new session of it sees it."""
    session = login(server, user["username"], password)
    assert session.status_code == 200, session.text
    return call(server, "GET", "/me", session.json()["access_token"]).json()["user"]["email"]


# A pending new address ends with a password change or reset

def test_a_password_change_refuses_the_pending_new_address(live_server, smtp):
    user = live_server.signup_verify_login(smtp)
    address, link = ask_new_address(live_server, smtp, user)
    changed = call(live_server, "POST", "/me/password", user["access"],
                   json={"current_password": user["password"], "new_password": NEW_PASSWORD})
    assert changed.status_code == 200
    assert refused(call(live_server, "GET", "/verify?token=" + token_of(link)))
    assert email_of(live_server, user, NEW_PASSWORD) == user["email"]
    assert login(live_server, address, NEW_PASSWORD).status_code == 401


def test_a_password_reset_refuses_the_pending_new_address(live_server, smtp):
    user = live_server.signup_verify_login(smtp)
    address, link = ask_new_address(live_server, smtp, user)
    token = forgot(live_server, smtp, user)
    assert call(live_server, "POST", "/password/reset", json={"token": token, "password": NEW_PASSWORD}).ok
    assert refused(call(live_server, "GET", "/verify?token=" + token_of(link)))
    assert email_of(live_server, user, NEW_PASSWORD) == user["email"]


# A reset link ends with a password change or a new address

def test_a_password_change_refuses_an_earlier_reset_link(live_server, smtp):
    user = live_server.signup_verify_login(smtp)
    token = forgot(live_server, smtp, user)
    assert call(live_server, "POST", "/me/password", user["access"],
                json={"current_password": user["password"], "new_password": NEW_PASSWORD}).ok
    assert refused(call(live_server, "POST", "/password/reset", json={"token": token, "password": "attacker-pw-1"}))
    assert login(live_server, user["username"], NEW_PASSWORD).status_code == 200


def test_a_confirmed_new_address_refuses_a_reset_link_mailed_to_the_old_one(live_server, smtp):
    user = live_server.signup_verify_login(smtp)
    token = forgot(live_server, smtp, user)
    address, link = ask_new_address(live_server, smtp, user)
    assert call(live_server, "GET", "/verify?token=" + token_of(link)).json()["user"]["email"] == address
    assert refused(call(live_server, "POST", "/password/reset", json={"token": token, "password": "attacker-pw-1"}))
    assert login(live_server, address, user["password"]).status_code == 200
    fresh = forgot(live_server, smtp, {**user, "email": address})  # a link to the new address works
    assert call(live_server, "POST", "/password/reset", json={"token": fresh, "password": NEW_PASSWORD}).ok


# Cancelling a pending new address

def test_a_signed_in_user_cancels_the_pending_new_address(live_server, smtp):
    user = live_server.signup_verify_login(smtp)
    address, link = ask_new_address(live_server, smtp, user)
    cancelled = call(live_server, "POST", "/me/email/cancel", user["access"])
    assert cancelled.status_code == 200 and cancelled.json() == {"status": "email_change_cancelled"}
    assert refused(call(live_server, "GET", "/verify?token=" + token_of(link)))
    assert call(live_server, "GET", "/me", user["access"]).json()["user"]["email"] == user["email"]
    assert call(live_server, "POST", "/me/email/cancel").status_code == 401


def test_the_notice_to_the_old_address_cancels_the_change_without_signing_in(live_server, smtp):
    user = live_server.signup_verify_login(smtp)
    before = smtp.count(user["email"])
    address, link = ask_new_address(live_server, smtp, user)
    notice = smtp.wait_for(user["email"], count=before + 1)
    assert notice["Subject"] == "Your email address is being changed"
    cancel_link = smtp.link(user["email"], count=before + 1, path="cancel-email-change")
    assert cancel_link.startswith(live_server.url + "/cancel-email-change?token=")

    page = call(live_server, "GET", cancel_link[len(live_server.url):], headers=HTML)  # opening it cancels nothing
    assert page.status_code == 200 and 'action="cancel-email-change"' in page.text
    assert page.headers["Referrer-Policy"] == "no-referrer"
    form = {"token": token_of(cancel_link)}
    done = call(live_server, "POST", "/cancel-email-change", data=form, headers=HTML)
    assert done.status_code == 200 and "The change is cancelled" in done.text
    assert refused(call(live_server, "GET", "/verify?token=" + token_of(link)))
    assert call(live_server, "GET", "/me", user["access"]).json()["user"]["email"] == user["email"]
    again = call(live_server, "POST", "/cancel-email-change", data=form, headers=HTML)  # single use
    assert again.status_code == 400 and "This link does not work" in again.text


def test_a_cancel_link_from_before_a_password_change_does_not_work(live_server, smtp):
    user = live_server.signup_verify_login(smtp)
    before = smtp.count(user["email"])
    ask_new_address(live_server, smtp, user)
    cancel_link = smtp.link(user["email"], count=before + 1, path="cancel-email-change")
    assert call(live_server, "POST", "/me/password", user["access"],
                json={"current_password": user["password"], "new_password": NEW_PASSWORD}).ok
    stale = call(live_server, "POST", "/cancel-email-change", data={"token": token_of(cancel_link)}, headers=HTML)
    assert stale.status_code == 400


# Mails queued before a change and sent after it

@pytest.fixture
def queue_only(smtp, tmp_path):
    """(a server that only queues mails, start_sender()): start_sender() runs a second process on the same database
    whose mail worker sends what is due; each sender is stopped at the end."""
    server = start_live_server(smtp, tmp_path, MAIL_WORKER="false")
    senders = []

    def start_sender():
        sender = start_live_server(smtp, tmp_path, MAIL_WORKER="true", MAIL_POLL_INTERVAL="0.2",
                                   MONGO_DB=server.env["MONGO_DB"])
        senders.append(sender)
        return sender

    yield server, start_sender
    for process in [*senders, server]:
        stop_live_server(process)


def wait_until_sent(outbox, mail_filter, timeout=15):
    """Wait until every mail matching mail_filter has finished (sent, skipped or failed); returns them."""
    deadline = time.monotonic() + timeout
    while outbox.count_documents({**mail_filter, "done_at": None}):
        assert time.monotonic() < deadline, f"mails {mail_filter} not finished within {timeout} s"
        time.sleep(0.05)
    return list(outbox.find(mail_filter))


def test_mails_queued_before_a_password_change_carry_no_working_link(queue_only, smtp, database):  # noqa: F811
    server, start_sender = queue_only
    accounts = server.accounts(smtp)
    user = accounts.signup()
    sender = start_sender()  # sends the verification mail
    accounts.verify(user)
    accounts.login(user)
    stop_live_server(sender)

    address = f"{unique()}@example.test"
    assert call(server, "POST", "/password/forgot", json={"email": user["email"]}).status_code == 202
    assert call(server, "POST", "/me/email", user["access"],
                json={"email": address, "password": user["password"]}).status_code == 202
    mails_to_old = smtp.count(user["email"])
    assert call(server, "POST", "/me/password", user["access"],
                json={"current_password": user["password"], "new_password": NEW_PASSWORD}).ok

    start_sender()
    outbox = database(server).mail_outbox
    finished = wait_until_sent(outbox, {"to": {"$in": [user["email"], address]},
                                        "kind": {"$ne": "verify_email"}})
    # Their links would reach the account from before the change: none of them goes out.
    assert sorted((mail["kind"], mail["state"]) for mail in finished) == [
        ("change_email", "skipped"), ("email_change_notice", "skipped"), ("reset_password", "skipped")]
    assert smtp.count(address) == 0 and smtp.count(user["email"]) == mails_to_old
    assert email_of(server, user, NEW_PASSWORD) == user["email"]


# POST /me/email is limited per new address

@pytest.fixture
def limited_server(smtp, tmp_path):
    server = start_live_server(smtp, tmp_path, RATELIMIT_ENABLED="true", RATE_LIMIT_SIGNUP="1000/hour",
                               RATE_LIMIT_LOGIN_IP="1000/minute", RATE_LIMIT_EMAIL_CHANGE_ADDRESS="2/hour")
    yield server
    stop_live_server(server)


def test_many_accounts_asking_for_one_new_address_are_rate_limited(limited_server, smtp):
    users = [limited_server.signup_verify_login(smtp) for _ in range(4)]
    target = f"{unique()}@example.test"

    def ask(user, address, password=None):
        return call(limited_server, "POST", "/me/email", user["access"],
                    json={"email": address, "password": password or user["password"]})

    assert ask(users[0], target, "wrong-password").status_code == 401  # no mail: it does not count
    assert ask(users[0], target).status_code == 202
    assert ask(users[1], target.upper()).status_code == 202
    limited = ask(users[2], target)
    assert limited.status_code == 429 and limited.json()["error"]["code"] == "rate_limited"
    assert int(limited.headers["Retry-After"]) > 0
    assert ask(users[3], f" {target.upper()}").status_code == 429
    assert ask(users[2], f"{unique()}@example.test").status_code == 202  # another address is not limited
    smtp.wait_for(target, count=2)
    assert smtp.count(target) == 2
