"""Mail goes through the outbox: a request queues it (the same work for every address), a worker sends it.

Real SMTP (aiosmtpd) throughout. The worker is the one a server process runs (chat/auth/outbox.py); a
test app runs it when a test asks (MAIL_WORKER=True), and otherwise sends what a request queued right
after the request (tests/conftest.py's Accounts flow relies on that).
"""
import http.client
import json
import statistics
import threading
import time

import pytest

from command_log import summary
from conftest import PASSWORD, Accounts, unique


@pytest.fixture
def worker_app(make_app):
    """make_app with the mail worker running (in a thread: the test apps' async mode), stopped afterwards."""
    made = []

    def factory(**overrides):
        app = make_app(MAIL_WORKER=True, **overrides)
        made.append(app)
        return app

    yield factory
    for app in made:
        app.extensions["chat.services"].mail_worker.stop()


def wait_until(condition, timeout=10, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = condition()
        if result:
            return result
        time.sleep(0.05)
    raise AssertionError(f"{what} not met within {timeout} s")


def outbox(app):
    return app.extensions["chat.store"].db.mail_outbox


def test_the_worker_sends_the_signup_mail_and_records_it(worker_app, smtp):
    app = worker_app()
    name = unique()
    response = app.test_client().post("/signup", json={"username": name, "email": f"{name}@example.test",
                                                       "password": PASSWORD})
    assert response.status_code == 201 and response.get_json()["email_sent"] is True  # queued
    link = smtp.link(f"{name}@example.test")
    assert link.startswith("http://chat.test/verify?token=")
    mail = wait_until(lambda: outbox(app).find_one({"to": f"{name}@example.test", "state": "sent"}),
                      what="the mail marked sent")
    assert mail["kind"] == "verify_email" and mail["attempts"] == 1 and mail["sent_at"] and mail["done_at"]
    assert link.split("token=")[1] not in str(mail)  # no working link is stored, only its hash (in the tokens)
    assert app.test_client().get("/verify?" + link.split("?", 1)[1]).get_json()["verified"] is True


def test_a_mail_that_keeps_failing_is_retried_then_marked_failed_and_logged(make_app, caplog):
    from conftest import free_port
    # A retry delay of 2 s: the checks below, right after the first attempt, must see it pending even on a busy
    # machine (with 0.2 s, a loaded CI run once saw the second attempt made already).
    app = make_app(SMTP_PORT=free_port(), SMTP_TIMEOUT=2, MAIL_RETRY_DELAY=2, MAIL_MAX_ATTEMPTS=2)
    name = unique()
    address = f"{name}@example.test"
    response = app.test_client().post("/signup", json={"username": name, "email": address, "password": PASSWORD})
    assert response.status_code == 201 and response.get_json()["email_sent"] is True
    first = outbox(app).find_one({"to": address})
    assert (first["state"], first["attempts"]) == ("pending", 1) and "SMTP" in first["last_error"]
    worker = app.extensions["chat.services"].mail_worker
    assert worker.deliver_due() == 0  # not due before its retry delay
    time.sleep(2.1)  # the retry delay, on purpose
    assert worker.deliver_due() == 1
    last = outbox(app).find_one({"to": address})
    assert (last["state"], last["attempts"]) == ("failed", 2) and last["done_at"] and last["sent_at"] is None
    assert any("not sent after 2 attempts, giving up" in record.getMessage() for record in caplog.records)


def test_two_workers_racing_send_each_mail_once(make_app, smtp):
    """Two processes' workers (two apps, two database clients, one database) drain the same outbox at once."""
    database = unique("test_")
    first, second = make_app(MONGO_DB=database), make_app(MONGO_DB=database)
    auth = first.extensions["chat.services"].auth
    auth.on_mail_queued = lambda: None  # queue only: the workers below send
    addresses = []
    for _ in range(16):
        name = unique("race")
        auth.signup(name, f"{name}@example.test", PASSWORD)
        addresses.append(f"{name}@example.test")
    workers = [app.extensions["chat.services"].mail_worker for app in (first, second)]
    assert workers[0].owner != workers[1].owner
    for worker in workers:  # a slower transport, so both are mid-send at the same time
        send = worker.mailer.send
        worker.mailer.send = lambda message, link=None, send=send: (time.sleep(0.03), send(message, link=link))[1]
    start, claimed = threading.Barrier(2), {}

    def drain(worker):
        start.wait()
        claimed[worker.owner] = worker.deliver_due()
    threads = [threading.Thread(target=drain, args=(worker,)) for worker in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sum(claimed.values()) == len(addresses) and all(claimed.values()), claimed
    for address in addresses:
        smtp.wait_for(address)
    time.sleep(0.2)  # a second copy would have arrived by now
    assert [smtp.count(address) for address in addresses] == [1] * len(addresses)
    docs = list(outbox(first).find())
    assert len(docs) == len(addresses) and all(doc["state"] == "sent" and doc["attempts"] == 1 for doc in docs)


def test_resend_does_the_same_database_work_for_every_address(commands, make_app, smtp):
    """/resend sends one insert into the outbox, whatever the address; the worker decides, later, whether a
    mail goes out. (Before the outbox: an unknown address cost one find, an unverified one a find, a token
    update and insert and an SMTP conversation, inside the request.)"""
    app = make_app()  # after `commands`, so that its database client is listened to
    client = app.test_client()
    accounts = Accounts(client, smtp)
    unverified = accounts.signup()
    verified = accounts.user()
    unknown = f"{unique('nobody')}@example.test"
    queued = []
    app.extensions["chat.services"].auth.on_mail_queued = lambda: queued.append(1)  # hold the mails back
    seen = {}
    for label, address in (("unknown", unknown), ("unverified", unverified["email"]),
                           ("verified", verified["email"])):
        response, sent = commands.measure(lambda: client.post("/resend", json={"email": address}))
        assert response.status_code == 202 and response.get_json() == {"status": "sent_if_unverified"}
        seen[label] = summary(sent)
    assert seen == {"unknown": "insert mail_outbox", "unverified": "insert mail_outbox",
                    "verified": "insert mail_outbox"}
    assert len(queued) == 3
    assert smtp.count(unverified["email"]) == 1  # nothing was sent by the requests
    assert app.extensions["chat.services"].mail_worker.deliver_due() == 3
    smtp.wait_for(unverified["email"], count=2)
    assert smtp.count(unknown) == 0 and smtp.count(verified["email"]) == 1
    states = {doc["to"]: doc["state"] for doc in app.extensions["chat.store"].db.mail_outbox.find()
              if doc["to"] in (unknown, unverified["email"], verified["email"]) and doc["attempts"]}
    assert states[unknown] == "skipped" and states[verified["email"]] == "skipped"


@pytest.mark.live
@pytest.mark.serial  # medians of milliseconds: alone, not beside other tests
def test_resend_answers_as_fast_for_an_unverified_address_as_for_an_unknown_one(live_server, smtp):
    """Interleaved /resend requests to the real server: the medians of 30 each differ by a few milliseconds at
    most (the mail used to be sent inside the request, which made an unverified address several milliseconds
    slower than an unknown one)."""
    accounts = live_server.accounts(smtp)
    unverified = accounts.signup()
    smtp.wait_for(unverified["email"])
    unknown = f"{unique('nobody')}@example.test"
    host, port = live_server.url.rsplit("//", 1)[1].split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=10)  # keep-alive; each request one send()
    timings = {"unknown": [], "unverified": []}

    def resend(label, address):
        body = json.dumps({"email": address}).encode()
        started = time.perf_counter()
        connection.request("POST", "/resend", body=body, headers={"Content-Type": "application/json"})
        response = connection.getresponse()
        response.read()
        elapsed = time.perf_counter() - started
        assert response.status == 202
        timings[label].append(elapsed)
    try:
        for _ in range(5):  # warm-up
            resend("unknown", unknown)
            resend("unverified", unverified["email"])
        timings = {"unknown": [], "unverified": []}
        for round_number in range(30):
            pair = [("unknown", unknown), ("unverified", unverified["email"])]
            for label, address in (pair if round_number % 2 else pair[::-1]):
                resend(label, address)
                time.sleep(0.05)  # let the worker send between requests, as it would between users
    finally:
        connection.close()
    medians = {label: statistics.median(values) * 1000 for label, values in timings.items()}
    assert abs(medians["unknown"] - medians["unverified"]) < 3, medians
    smtp.wait_for(unverified["email"], count=1 + 35, timeout=30)  # and every one of those mails went out
