"""Notifications for people who are away (SPEC v2): settings, push subscriptions, Web Push and email digests.

Real parts throughout: pushes go over HTTP to a local push service (tests/push_service.py) and are decrypted
there with the subscription's private key, as a browser does (RFC 8291); digests go through the SMTP sink
(aiosmtpd). The in-process app has no push workers and no digest loop (TestingConfig): a test drains the push
queue (`drain`) and runs a digest pass (`digest_pass`) when it means to. tests/test_notify_live.py runs the
same through real server processes.
"""
import base64
import re

import pytest
from push_service import BrowserKeys

from chat.notify import endpoints
from chat.notify.digest import token_user, unsubscribe_token
from conftest import bearer, error_code, unchanged


@pytest.fixture
def push_app(make_app):
    return make_app(PUSH_ALLOW_INSECURE_LOCAL=True, NOTIFY_EMAIL_DELAY=0, CLIENT_URL="http://client.test")


def accounts_of(app, smtp):
    from conftest import Accounts
    return Accounts(app.test_client(), smtp)


def subscribe(client, user, endpoint, keys=None):
    keys = keys or BrowserKeys()
    answer = client.post("/me/push-subscriptions", json=keys.subscription(endpoint), headers=bearer(user["access"]))
    assert answer.status_code == 201, answer.get_json()
    return keys


def send_personal(client, sender, partner, content="hello"):
    answer = client.post(f"/chats/personal/{partner['id']}/messages", json={"Content": content},
                         headers=bearer(sender["access"]))
    assert answer.status_code == 201, answer.get_json()
    return answer.get_json()["Message"]


def drain(app):
    return app.extensions["chat.notify"].drain()


# Settings

def test_settings_default_to_all_and_change_with_patch(push_app, smtp):
    client, user = push_app.test_client(), accounts_of(push_app, smtp).user()
    headers = bearer(user["access"])
    assert client.get("/me/settings", headers=headers).get_json() == {"EmailNotifications": "all"}
    answer = client.patch("/me/settings", json={"EmailNotifications": "mentions"}, headers=headers)
    assert answer.status_code == 200 and answer.get_json() == {"EmailNotifications": "mentions"}
    assert client.get("/me/settings", headers=headers).get_json() == {"EmailNotifications": "mentions"}
    assert client.patch("/me/settings", json={}, headers=headers).get_json() == {"EmailNotifications": "mentions"}


@pytest.mark.parametrize("body", [{"EmailNotifications": "sometimes"}, {"EmailNotifications": ["all"]},
                                  {"EmailNotifications": None}, {"Other": 1}])
def test_settings_refuse_bad_values(push_app, smtp, body):
    client, user = push_app.test_client(), accounts_of(push_app, smtp).user()
    answer = client.patch("/me/settings", json=body, headers=bearer(user["access"]))
    assert answer.status_code == 422 and error_code(answer) == "validation_error"
    assert client.get("/me/settings", headers=bearer(user["access"])).get_json() == {"EmailNotifications": "all"}


def test_settings_need_a_token(push_app):
    assert push_app.test_client().get("/me/settings").status_code == 401


# Subscriptions and the key

def test_the_public_key_is_made_once_and_shared_by_every_process(push_app, make_app):
    key = push_app.test_client().get("/push/public-key").get_json()["PublicKey"]
    raw = base64.urlsafe_b64decode(key + "=" * (-len(key) % 4))
    assert len(raw) == 65 and raw[0] == 4
    other = make_app(MONGO_DB=push_app.config["MONGO_DB"])  # another process on the same database
    assert other.test_client().get("/push/public-key").get_json()["PublicKey"] == key


def test_a_configured_vapid_key_is_used(make_app):
    from chat.notify.webpush import load_vapid, new_private_pem, public_key
    pem = new_private_pem()
    app = make_app(VAPID_PRIVATE_KEY=pem)
    assert app.test_client().get("/push/public-key").get_json()["PublicKey"] == public_key(load_vapid(pem))


def test_subscribe_then_unsubscribe(push_app, smtp, push_services):
    client, user = push_app.test_client(), accounts_of(push_app, smtp).user()
    endpoint = push_services().endpoint()
    keys = subscribe(client, user, endpoint)
    again = client.post("/me/push-subscriptions", json=keys.subscription(endpoint), headers=bearer(user["access"]))
    assert again.status_code == 200 and again.get_json() == {"endpoint": endpoint, "created": False}
    gone = client.delete("/me/push-subscriptions", json=keys.subscription(endpoint), headers=bearer(user["access"]))
    assert gone.status_code == 204
    again = client.delete("/me/push-subscriptions", json={"endpoint": endpoint}, headers=bearer(user["access"]))
    assert again.status_code == 404


def test_only_the_owner_unsubscribes(push_app, smtp, push_services):
    client, accounts = push_app.test_client(), accounts_of(push_app, smtp)
    owner, other = accounts.user(), accounts.user()
    endpoint = push_services().endpoint()
    subscribe(client, owner, endpoint)
    refused = client.delete("/me/push-subscriptions", json={"endpoint": endpoint}, headers=bearer(other["access"]))
    assert refused.status_code == 404
    assert push_app.extensions["chat.services"].notify.repo.count_subscriptions(owner["id"]) == 1


GOOD = BrowserKeys().json_keys
OFF_CURVE = GOOD["p256dh"][:40] + ("A" if GOOD["p256dh"][40] != "A" else "B") + GOOD["p256dh"][41:]


@pytest.mark.parametrize("body", [
    {"endpoint": "http://127.0.0.1:9/x", "keys": {**GOOD, "p256dh": "AAAA"}},  # not a P-256 point
    {"endpoint": "http://127.0.0.1:9/x", "keys": {**GOOD, "p256dh": OFF_CURVE}},
    {"endpoint": "http://127.0.0.1:9/x", "keys": {**GOOD, "auth": "AAAA"}},  # not 16 bytes
    {"endpoint": "http://127.0.0.1:9/x", "keys": {"p256dh": GOOD["p256dh"]}},
    {"endpoint": "http://127.0.0.1:9/x", "keys": {**GOOD, "extra": "x"}},
    {"endpoint": {"url": "x"}, "keys": GOOD},
    {"endpoint": "ftp://127.0.0.1/x", "keys": GOOD},
    {"endpoint": "http://user:pw@127.0.0.1:9/x", "keys": GOOD},
    {"endpoint": "https://" + "a" * 2100 + ".test/", "keys": GOOD},
    {"keys": GOOD},
])
def test_subscriptions_are_validated_strictly(push_app, smtp, body):
    client, user = push_app.test_client(), accounts_of(push_app, smtp).user()
    with unchanged(push_app.extensions["chat.store"].db, "push_subscriptions"):
        answer = client.post("/me/push-subscriptions", json=body, headers=bearer(user["access"]))
    assert answer.status_code == 422 and error_code(answer) == "validation_error", answer.get_json()


# The SSRF rules, with the test setting off

REFUSED = ["http://push.example.com/x",  # not https
           "https://127.0.0.1/x", "https://127.8.9.10:8443/x", "https://[::1]/x", "https://[::ffff:127.0.0.1]/x",
           "https://10.1.2.3/x", "https://192.168.0.1/x", "https://172.16.5.4/x", "https://100.64.0.1/x",
           "https://169.254.169.254/latest/meta-data/", "https://[fe80::1]/x", "https://0.0.0.0/x",
           "https://localhost/x",  # a name that resolves to 127.0.0.1
           "https://224.0.0.1/x", "https://no-such-host.invalid/x"]


@pytest.mark.parametrize("endpoint", REFUSED)
def test_non_public_endpoints_are_refused_at_subscribe(make_app, smtp, endpoint):
    app = make_app()  # PUSH_ALLOW_INSECURE_LOCAL off (the default)
    client, user = app.test_client(), accounts_of(app, smtp).user()
    answer = client.post("/me/push-subscriptions", json=BrowserKeys().subscription(endpoint),
                         headers=bearer(user["access"]))
    assert answer.status_code == 422 and "endpoint" in answer.get_json()["error"]["fields"], answer.get_json()


def test_public_addresses_pass_the_rules():
    endpoints.check("https://8.8.8.8/push/abc")  # an IP literal: nothing is resolved
    endpoints.check("https://[2606:4700:4700::1111]:8443/push")


def test_the_rules_hold_at_send_time_too(make_app, smtp, push_services):
    """A subscription stored while the test setting was on is not pushed to once it is off: no connection."""
    local = push_services()
    allowed = make_app(PUSH_ALLOW_INSECURE_LOCAL=True)
    accounts = accounts_of(allowed, smtp)
    alice, bob = accounts.user(), accounts.user()
    subscribe(allowed.test_client(), bob, local.endpoint())
    strict = make_app(MONGO_DB=allowed.config["MONGO_DB"])
    send_personal(strict.test_client(), alice, bob)
    assert drain(strict) == [{"pushed": 0, "gone": 0, "failed": 1, "digests": 1}]
    with pytest.raises(endpoints.EndpointRefused):
        endpoints.post(local.endpoint(), b"x", {}, 2)
    assert local.pushes == []


# Pushes

def test_a_message_to_someone_away_is_pushed_encrypted(push_app, smtp, push_services):
    local = push_services()
    client, accounts = push_app.test_client(), accounts_of(push_app, smtp)
    alice, bob = accounts.user(), accounts.user()
    keys = subscribe(client, bob, local.endpoint("bob"))
    message = send_personal(client, alice, bob, "Are you there? " + "x" * 300)
    assert drain(push_app) == [{"pushed": 1, "gone": 0, "failed": 0, "digests": 1}]
    [(path, headers, body)] = local.wait_for(1)
    assert path == "/push/bob"
    assert headers["Content-Encoding"] == "aes128gcm" and int(headers["TTL"]) > 0
    public_key = client.get("/push/public-key").get_json()["PublicKey"]
    assert headers["Authorization"].startswith("vapid t=") and headers["Authorization"].endswith(f",k={public_key}")
    payload = keys.decrypt(body)
    assert payload == {"Type": "message", "ChatId": message["ChatId"],
                       "Sender": {"id": alice["id"], "username": alice["username"], "Bot": False},
                       "Excerpt": payload["Excerpt"]}
    assert payload["Excerpt"].startswith("Are you there? xxx") and len(payload["Excerpt"]) == 140
    # Never twice for one message and subscription, whoever tries again.
    push_app.extensions["chat.notify"].enqueue(push_app.extensions["chat.services"].chats.chat_repo.get(
        message["ChatId"]), push_app.extensions["chat.services"].messages.message_repo.by_id(message["MessageId"]))
    assert drain(push_app)[0]["pushed"] == 0
    assert len(local.pushes) == 1


def test_nobody_online_is_pushed_nor_the_sender(push_app, smtp, push_services, connect_socket):
    local = push_services()
    client, accounts = push_app.test_client(), accounts_of(push_app, smtp)
    alice, bob = accounts.user(), accounts.user()
    subscribe(client, bob, local.endpoint("bob"))
    subscribe(client, alice, local.endpoint("alice"))
    connect_socket(push_app, bob)  # bob has the page open
    send_personal(client, alice, bob)
    assert drain(push_app) == [{"pushed": 0, "gone": 0, "failed": 0, "digests": 0}]
    assert local.pushes == []


def test_a_gone_subscription_is_deleted(push_app, smtp, push_services):
    gone = push_services("gone")
    client, accounts = push_app.test_client(), accounts_of(push_app, smtp)
    alice, bob = accounts.user(), accounts.user()
    subscribe(client, bob, gone.endpoint())
    send_personal(client, alice, bob)
    assert drain(push_app)[0]["gone"] == 1
    assert len(gone.pushes) == 1
    assert push_app.extensions["chat.services"].notify.repo.count_subscriptions(bob["id"]) == 0


def test_group_pushes_follow_mutes_mentions_and_blocks(push_app, smtp, push_services):
    local = push_services()
    client, accounts = push_app.test_client(), accounts_of(push_app, smtp)
    alice, bob, carol = accounts.user(), accounts.user(), accounts.user()
    group = push_app.extensions["chat.services"].groups.create(alice["id"], "Team", "", [bob["id"], carol["id"]])
    keys = subscribe(client, bob, local.endpoint("bob"))

    def say(user, content):
        answer = client.post(f"/groups/{group.id}/messages", json={"Content": content},
                             headers=bearer(user["access"]))
        assert answer.status_code == 201, answer.get_json()
        return drain(push_app)[0]["pushed"]

    assert say(alice, "morning all") == 1
    assert keys.decrypt(local.pushes[0][2])["GroupId"] == group.id
    assert client.put(f"/chats/{group.id}/mute", headers=bearer(bob["access"])).status_code == 200
    assert say(alice, "still muted?") == 0
    assert say(alice, f"@{bob['username']} this one is for you") == 1  # a mention goes through a mute
    assert client.delete(f"/chats/{group.id}/mute", headers=bearer(bob["access"])).status_code == 200
    assert client.put(f"/users/{carol['id']}/block", headers=bearer(bob["access"])).status_code == 200
    assert say(carol, f"@{bob['username']} hello") == 0  # never from someone bob blocked
    assert say(alice, "and now?") == 1
    assert len(local.pushes) == 3


def test_a_muted_personal_chat_is_not_pushed(push_app, smtp, push_services):
    local = push_services()
    client, accounts = push_app.test_client(), accounts_of(push_app, smtp)
    alice, bob = accounts.user(), accounts.user()
    subscribe(client, bob, local.endpoint())
    chat_id = send_personal(client, alice, bob)["ChatId"]
    drain(push_app)
    assert client.put(f"/chats/{chat_id}/mute", headers=bearer(bob["access"])).status_code == 200
    send_personal(client, alice, bob)
    assert drain(push_app) == [{"pushed": 0, "gone": 0, "failed": 0, "digests": 0}]
    assert len(local.pushes) == 1


# Email digests

def digest_pass(app):
    return app.extensions["chat.notify"].digest_pass()


def test_a_digest_lists_unread_chats_once_per_window(push_app, smtp):
    client, accounts = push_app.test_client(), accounts_of(push_app, smtp)
    alice, bob, carol = accounts.user(), accounts.user(), accounts.user()
    send_personal(client, alice, bob, "first <b>from alice</b>")
    send_personal(client, alice, bob, "second from alice")
    send_personal(client, carol, bob, "hello from carol")
    drain(push_app)
    before = smtp.count(bob["email"])
    assert digest_pass(push_app) == 1
    assert smtp.count(bob["email"]) == before + 1
    mail = smtp.wait_for(bob["email"], before + 1)
    assert mail["Subject"] == "3 unread messages in 2 chats"
    text = mail.get_body(("plain",)).get_content()
    assert f"{alice['username']}: 2 unread" in text and f"{carol['username']}: 1 unread" in text
    assert "second from alice" in text and "http://client.test" in text
    html = mail.get_body(("html",)).get_content()
    assert "&lt;b&gt;" not in html or "first" not in html  # content is escaped, never markup
    assert "<b>from" not in html and 'href="http://client.test"' in html
    unsubscribe = mail["List-Unsubscribe"]
    assert re.fullmatch(r"<http://chat\.test/unsubscribe\?token=[\w.-]+>", unsubscribe)
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    # The same window: nothing more, even with new messages; alice's mails are her own (she sent them).
    send_personal(client, alice, bob, "third")
    drain(push_app)
    assert digest_pass(push_app) == 0 and smtp.count(bob["email"]) == before + 1
    assert smtp.count(alice["email"]) == 1  # her verification mail only


def test_the_unsubscribe_header_is_a_raw_url_however_long(make_app, smtp):
    """A long PUBLIC_URL once turned List-Unsubscribe into RFC 2047 encoded-words, which no mail provider reads
    as a link: the header on the wire is `<URL>` itself, on one line, whatever its length."""
    public_url = "http://chat.test/" + "/".join(["a-rather-long-path-segment"] * 6)
    app = make_app(NOTIFY_EMAIL_DELAY=0, PUBLIC_URL=public_url, CLIENT_URL="http://client.test")
    client, accounts = app.test_client(), accounts_of(app, smtp)
    alice, bob = accounts.user(), accounts.user()
    send_personal(client, alice, bob, "a message with a long unsubscribe link")
    drain(app)
    assert digest_pass(app) == 1
    raw = smtp.wait_for(bob["email"], 2).raw_bytes
    headers = raw.split(b"\r\n\r\n", 1)[0].replace(b"\r\n", b"\n")
    line = re.search(rb"^List-Unsubscribe: (.*)$", headers, re.M)
    assert line, headers
    url = line.group(1).decode("ascii")
    assert re.fullmatch(re.escape(f"<{public_url}/unsubscribe?token=") + r"[\w.-]+>", url), url
    assert len(url) > 200 and b"=?" not in line.group(0)
    assert re.search(rb"^List-Unsubscribe-Post: List-Unsubscribe=One-Click$", headers, re.M)
    # The link in it works: one click turns the digest off.
    answer = client.post(url.strip("<>")[len(public_url):], data="List-Unsubscribe=One-Click",
                         content_type="application/x-www-form-urlencoded")
    assert answer.status_code in (200, 204), answer.get_data(as_text=True)


def test_a_digest_skips_read_muted_and_already_covered_chats(push_app, smtp):
    client, accounts = push_app.test_client(), accounts_of(push_app, smtp)
    alice, bob, carol = accounts.user(), accounts.user(), accounts.user()
    muted = send_personal(client, carol, bob, "muted chat")["ChatId"]
    assert client.put(f"/chats/{muted}/mute", headers=bearer(bob["access"])).status_code == 200
    send_personal(client, carol, bob, "still muted")
    drain(push_app)
    assert digest_pass(push_app) == 0  # never for muted chats
    read = send_personal(client, alice, bob, "read soon")
    drain(push_app)
    assert client.post(f"/chats/{read['ChatId']}/read", json={}, headers=bearer(bob["access"])).status_code == 200
    assert digest_pass(push_app) == 0  # read before the digest was due: nothing to say
    assert smtp.count(bob["email"]) == 1


def test_the_mentions_setting_and_off(push_app, smtp):
    client, accounts = push_app.test_client(), accounts_of(push_app, smtp)
    alice, bob = accounts.user(), accounts.user()
    group = push_app.extensions["chat.services"].groups.create(alice["id"], "Team", "", [bob["id"]])
    client.patch("/me/settings", json={"EmailNotifications": "mentions"}, headers=bearer(bob["access"]))
    client.post(f"/groups/{group.id}/messages", json={"Content": "no mention"}, headers=bearer(alice["access"]))
    drain(push_app)
    assert digest_pass(push_app) == 0
    client.post(f"/groups/{group.id}/messages", json={"Content": f"hey @{bob['username']}"},
                headers=bearer(alice["access"]))
    drain(push_app)
    assert digest_pass(push_app) == 1
    carol = accounts.user()
    client.patch("/me/settings", json={"EmailNotifications": "off"}, headers=bearer(carol["access"]))
    send_personal(client, alice, carol)
    drain(push_app)
    assert digest_pass(push_app) == 0 and smtp.count(carol["email"]) == 1


def test_unsubscribe_works_in_one_click_without_signing_in_and_does_nothing_else(push_app, smtp):
    client, accounts = push_app.test_client(), accounts_of(push_app, smtp)
    alice, bob = accounts.user(), accounts.user()
    send_personal(client, alice, bob)
    drain(push_app)
    digest_pass(push_app)
    link = smtp.wait_for(bob["email"], 2)["List-Unsubscribe"].strip("<>")
    path = link.removeprefix("http://chat.test")
    page = client.get(path, headers={"Accept": "text/html"})  # opening the link changes nothing
    assert page.status_code == 200 and b'method="post"' in page.data
    assert client.get("/me/settings", headers=bearer(bob["access"])).get_json()["EmailNotifications"] == "all"
    db = push_app.extensions["chat.store"].db
    with unchanged(db, "users", "sessions", "chats", "messages", "push_subscriptions"):
        answer = client.post(path, data="List-Unsubscribe=One-Click",
                             content_type="application/x-www-form-urlencoded")
    assert answer.status_code == 200 and answer.get_json() == {"EmailNotifications": "off"}
    assert client.get("/me/settings", headers=bearer(bob["access"])).get_json()["EmailNotifications"] == "off"
    assert client.get("/me/settings", headers=bearer(alice["access"])).get_json()["EmailNotifications"] == "all"
    # A browser gets a page; the token works for nothing but this.
    assert client.post(path, headers={"Accept": "text/html"}).status_code == 200
    token = path.split("token=", 1)[1]
    assert client.get("/me", headers=bearer(token)).status_code == 401
    assert token_user(push_app.config["SECRET_KEY"], token) == bob["id"]


@pytest.mark.parametrize("token", ["", "abc", "0123456789abcdef01234567.AAAA",
                                   unsubscribe_token("another secret", "0123456789abcdef01234567")])
def test_forged_unsubscribe_tokens_are_refused(push_app, token):
    answer = push_app.test_client().post("/unsubscribe", query_string={"token": token})
    assert answer.status_code in (400, 422)
    page = push_app.test_client().post("/unsubscribe", query_string={"token": token}, headers={"Accept": "text/html"})
    assert page.status_code in (400, 422) and b"not valid" in page.data


def test_account_deletion_forgets_subscriptions_and_settings(push_app, smtp, push_services):
    client, user = push_app.test_client(), accounts_of(push_app, smtp).user()
    subscribe(client, user, push_services().endpoint())
    client.patch("/me/settings", json={"EmailNotifications": "off"}, headers=bearer(user["access"]))
    notify = push_app.extensions["chat.services"].notify
    notify.forget_user(user["id"])
    assert notify.repo.count_subscriptions(user["id"]) == 0
    assert notify.settings(user["id"]) == {"EmailNotifications": "all"}


def test_the_service_worker_is_served_at_the_root(push_app):
    answer = push_app.test_client().get("/sw.js")
    assert answer.status_code == 200 and answer.mimetype == "text/javascript"
    assert b"addEventListener(\"push\"" in answer.data and b"notificationclick" in answer.data
    answer.close()


def test_production_refuses_the_insecure_push_setting():
    from chat.kernel.config import ProductionConfig
    env = {"SECRET_KEY": "s" * 40, "JWT_SECRET_KEY": "j" * 40, "PUSH_ALLOW_INSECURE_LOCAL": "1"}
    with pytest.raises(RuntimeError, match="PUSH_ALLOW_INSECURE_LOCAL"):
        ProductionConfig(env).check()



def test_a_trickling_push_service_is_cut_off_after_three_timeouts():
    """An endpoint that answers one byte at a time never holds a push worker for more than 3 × PUSH_TIMEOUT."""
    import socket
    import threading
    import time
    listener = socket.create_server(("127.0.0.1", 0))

    def trickle():
        connection, _ = listener.accept()
        with connection:
            connection.recv(65536)
            connection.sendall(b"HTTP/1.1 201 Created\r\n")
            for _ in range(100):
                try:
                    connection.sendall(b"X")
                except OSError:
                    return
                time.sleep(0.2)
    threading.Thread(target=trickle, daemon=True).start()
    started = time.monotonic()
    with pytest.raises(TimeoutError):
        endpoints.post(f"http://127.0.0.1:{listener.getsockname()[1]}/x", b"x", {}, 0.5, allow_local=True)
    assert time.monotonic() - started < 3
    listener.close()
