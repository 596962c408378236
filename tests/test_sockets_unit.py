"""The socket layer in-process (Flask-SocketIO test client): connecting, sessions, namespace `/`,
and what every namespace does with events it does not know."""
import re
import time

import pytest
from flask_jwt_extended import decode_token

from conftest import bearer, connect_refusal, drain, error_code, expired_access, unchanged

ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
NAMESPACES = ["/", "/self", "/personal"]


def sid_of(app, client, namespace="/"):
    return app.extensions["socketio"].server.manager.sid_from_eio_sid(client.eio_sid, namespace)


def open_chat(app, connect_socket, user, partner, content=None):
    """The ChatId of user's chat with partner (created by a fetch), after sending content if given."""
    personal = connect_socket(app, user, "/personal")
    chat_id = personal.emit("fetch-personal-chat", {"Partner": partner["id"]}, namespace="/personal",
                            callback=True)["ChatId"]
    if content:
        assert personal.emit("send-personal-message", {"ChatId": chat_id, "Content": content},
                             namespace="/personal", callback=True)["ok"] is True
    personal.disconnect("/personal")
    return chat_id


# Connecting

def test_connect_sends_user_id_then_the_personal_then_the_group_list(app, accounts, connect_socket):
    alice, bob, carol = accounts.user(), accounts.user(), accounts.user()
    with_bob = open_chat(app, connect_socket, bob, alice, "from bob")
    open_chat(app, connect_socket, bob, alice, "again from bob")
    time.sleep(0.002)  # the store keeps milliseconds: make "most recent" unambiguous
    with_carol = open_chat(app, connect_socket, carol, alice, "from carol")
    connect_socket(app, bob, "/")  # bob is online, carol is not

    root = connect_socket(app, alice, "/")
    received = drain(root)
    assert [name for name, _ in received] == ["user-id", "personal-chat-list", "group-chat-list"]
    assert received[0][1] == {"userId": alice["id"], "userName": alice["username"]}
    entries = received[1][1]["PersonalChatList"]
    assert [e["ChatId"] for e in entries] == [with_carol, with_bob]
    assert entries[0]["Partner"] == {"id": carol["id"], "username": carol["username"], "Bot": False, "Online": False}
    assert entries[1]["Partner"] == {"id": bob["id"], "username": bob["username"], "Bot": False, "Online": True}
    assert [e["Unread"] for e in entries] == [1, 2]
    last = entries[1]["LastMessage"]
    assert last["Content"] == "again from bob" and last["Seq"] == 2 and last["ChatId"] == with_bob
    assert last["Sender"] == {"id": bob["id"], "username": bob["username"], "Bot": False}
    assert all(ISO.match(e["UpdatedAt"]) for e in entries)
    assert received[2][1] == {"GroupChatList": []}


def test_every_namespace_accepts_a_valid_pair_and_only_root_says_hello(app, accounts, connect_socket):
    user = accounts.user()
    for namespace in ("/self", "/personal"):
        client = connect_socket(app, user, namespace)
        assert client.is_connected(namespace)
        assert drain(client, namespace) == []


def _auth_cases(user, other, app):
    return {
        "no auth": None,
        "empty": {},
        "not a dict": "token",
        "garbage": {"access_token": "not.a.jwt"},
        "wrong type": {"access_token": {"$ne": None}},
        "refresh as access": {"access_token": user["refresh"], "refresh_token": user["refresh"]},
        "expired without refresh": {"access_token": expired_access(app, user)},
        "expired with another user's refresh": {"access_token": expired_access(app, user),
                                                "refresh_token": other["refresh"]},
        "expired with an access as refresh": {"access_token": expired_access(app, user),
                                              "refresh_token": user["access"]},
    }


REFUSALS = {
    "no auth": "unauthorized", "empty": "unauthorized", "not a dict": "unauthorized",
    "garbage": "unauthorized", "wrong type": "unauthorized", "refresh as access": "unauthorized",
    "expired without refresh": "token_expired", "expired with another user's refresh": "unauthorized",
    "expired with an access as refresh": "unauthorized",
}


@pytest.mark.parametrize("namespace", NAMESPACES)
@pytest.mark.parametrize("case", sorted(REFUSALS))
def test_bad_tokens_are_refused_with_a_code(app, accounts, case, namespace):
    user, other = accounts.user(), accounts.user()
    error = connect_refusal(app, namespace, _auth_cases(user, other, app)[case])
    assert error["data"]["code"] == REFUSALS[case]
    assert isinstance(error["message"], str) and error["message"] == error["data"]["message"]
    assert app.extensions["chat.presence"].online([user["id"]]) == {user["id"]: False}


def test_revoked_tokens_are_refused_with_token_revoked(app, client, accounts):
    user = accounts.user()
    stale = expired_access(app, user)
    assert client.post("/logout", headers=bearer(user["access"])).status_code == 200
    for auth in ({"access_token": user["access"]}, {"access_token": stale, "refresh_token": user["refresh"]}):
        assert connect_refusal(app, "/personal", auth)["data"]["code"] == "token_revoked"


def test_a_rotated_refresh_token_cannot_revive_an_expired_access_token(app, client, accounts, connect_socket):
    user = accounts.user()
    stale = expired_access(app, user)
    rotated = client.post("/refresh", headers=bearer(user["refresh"])).get_json()
    error = connect_refusal(app, "/", {"access_token": stale, "refresh_token": user["refresh"]})
    assert error["data"]["code"] == "token_revoked"
    # the current refresh token of the same session still does
    current = connect_socket(app, auth={"access_token": stale, "refresh_token": rotated["refresh_token"]})
    assert current.is_connected("/") and "AccessToken" in drain(current)[0][1]


def test_an_expired_access_token_with_its_refresh_token_connects_with_a_new_one(app, client, accounts,
                                                                                 connect_socket):
    user = accounts.user()
    stale = expired_access(app, user)
    root = connect_socket(app, auth={"access_token": stale, "refresh_token": user["refresh"]})
    hello = drain(root)[0]
    assert hello[0] == "user-id" and set(hello[1]) == {"userId", "userName", "AccessToken"}
    fresh = hello[1]["AccessToken"]
    with app.app_context():
        claims, old = decode_token(fresh), decode_token(user["access"])
    assert (claims["type"], claims["sub"], claims["sid"]) == ("access", user["id"], old["sid"])
    assert client.get("/me", headers=bearer(fresh)).status_code == 200
    personal = connect_socket(app, auth={"access_token": stale, "refresh_token": user["refresh"]},
                              namespace="/personal")
    assert personal.is_connected("/personal")
    # the new token belongs to the same session: logging out ends it too
    client.post("/logout", headers=bearer(user["access"]))
    assert connect_refusal(app, "/", {"access_token": fresh})["data"]["code"] == "token_revoked"


# Ending sessions

def test_logout_ends_the_sessions_sockets_in_every_namespace_and_no_other(app, client, accounts,
                                                                          connect_socket):
    user, partner = accounts.user(), accounts.user()
    open_chat(app, connect_socket, user, partner)
    phone = accounts.login(dict(user))  # a second session of the same user
    laptop = connect_socket(app, user, "/")
    laptop.connect("/personal", auth={"access_token": user["access"]})
    laptop.connect("/self", auth={"access_token": user["access"]})
    on_phone = connect_socket(app, phone, "/")
    watcher = connect_socket(app, partner, "/")
    drain(watcher)

    assert client.post("/logout", headers=bearer(user["access"])).status_code == 200
    for namespace in NAMESPACES:
        assert not laptop.is_connected(namespace)
        assert ("session-ended", {"reason": "session_revoked"}) in drain(laptop, namespace)
    assert on_phone.emit("ping", callback=True)["ok"] is True
    assert "session-ended" not in [name for name, _ in drain(on_phone)]
    assert drain(watcher) == []  # the phone keeps the user online
    assert app.extensions["chat.presence"].online([user["id"]]) == {user["id"]: True}


def test_refresh_token_reuse_ends_the_sessions_sockets(app, client, accounts, connect_socket):
    user, partner = accounts.user(), accounts.user()
    open_chat(app, connect_socket, user, partner)
    personal = connect_socket(app, user, "/personal")
    root = connect_socket(app, user, "/")
    watcher = connect_socket(app, partner, "/")
    drain(watcher)
    assert client.post("/refresh", headers=bearer(user["refresh"])).status_code == 200
    assert personal.is_connected("/personal") and root.is_connected("/")
    reuse = client.post("/refresh", headers=bearer(user["refresh"]))
    assert reuse.status_code == 401
    assert not personal.is_connected("/personal") and not root.is_connected("/")
    assert ("session-ended", {"reason": "session_revoked"}) in drain(personal, "/personal")
    presence = [data for name, data in drain(watcher) if name == "presence"]
    assert [(p["UserId"], p["Online"]) for p in presence] == [(user["id"], False)]


# Namespace `/`: presence, online info, away, ping

def test_presence_is_announced_on_the_first_tab_and_the_last_tab_only(app, accounts, connect_socket):
    user, partner, stranger = accounts.user(), accounts.user(), accounts.user()
    open_chat(app, connect_socket, user, partner)
    watcher, outsider = connect_socket(app, partner, "/"), connect_socket(app, stranger, "/")
    drain(watcher), drain(outsider)

    def presence():
        return [data for name, data in drain(watcher) if name == "presence"]

    first = connect_socket(app, user, "/")
    online = presence()
    assert len(online) == 1 and online[0]["UserId"] == user["id"] and online[0]["Online"] is True
    assert ISO.match(online[0]["LastSeen"]) and "Away" not in online[0]
    second = connect_socket(app, user, "/")
    personal = connect_socket(app, user, "/personal")  # other namespaces do not count as tabs
    assert presence() == []
    first.disconnect("/")
    personal.disconnect("/personal")
    assert presence() == []
    ask = {"UserIds": [user["id"]]}
    assert watcher.emit("get-online-info", ask, callback=True)["Online"] == {user["id"]: True}
    second.disconnect("/")
    offline = presence()
    assert [(p["UserId"], p["Online"]) for p in offline] == [(user["id"], False)]
    assert ISO.match(offline[0]["LastSeen"])
    assert watcher.emit("get-online-info", ask, callback=True)["Online"] == {user["id"]: False}
    assert drain(outsider) == []


def test_get_online_info_answers_for_each_asked_id(app, accounts, connect_socket):
    user, other, offline, stranger = accounts.user(), accounts.user(), accounts.user(), accounts.user()
    open_chat(app, connect_socket, user, other)
    open_chat(app, connect_socket, user, offline)
    connect_socket(app, other, "/")
    connect_socket(app, stranger, "/")  # online, but shares no chat with user: reads as offline
    root = connect_socket(app, user, "/")
    asked = [other["id"], offline["id"], "nobody", other["id"], stranger["id"], user["id"]]
    ack = root.emit("get-online-info", {"UserIds": asked}, callback=True)
    assert ack == {"ok": True, "Online": {other["id"]: True, offline["id"]: False, "nobody": False,
                                         stranger["id"]: False, user["id"]: True}}
    assert root.emit("get-online-info", {"UserIds": []}, callback=True) == {"ok": True, "Online": {}}


def test_active_and_background_app_tell_partners_about_away(app, accounts, connect_socket):
    user, partner, stranger = accounts.user(), accounts.user(), accounts.user()
    open_chat(app, connect_socket, user, partner)
    root = connect_socket(app, user, "/")
    watcher, outsider = connect_socket(app, partner, "/"), connect_socket(app, stranger, "/")
    drain(watcher), drain(outsider), drain(root)
    assert root.emit("background-app", callback=True) == {"ok": True}
    assert root.emit("active-app", {}, callback=True) == {"ok": True}
    states = [(p["UserId"], p["Online"], p["Away"]) for name, p in drain(watcher) if name == "presence"]
    assert states == [(user["id"], True, True), (user["id"], True, False)]
    assert drain(outsider) == [] and drain(root) == []


def test_ping_answers_with_the_sid_and_the_server_time(app, accounts, connect_socket):
    root = connect_socket(app, accounts.user(), "/")
    ack = root.emit("ping", callback=True)
    assert set(ack) == {"ok", "sid", "ServerTime"} and ack["ok"] is True
    assert ack["sid"] == sid_of(app, root) and ISO.match(ack["ServerTime"])


# Events a namespace does not know

@pytest.mark.parametrize("namespace", NAMESPACES)
@pytest.mark.parametrize("name", ["no-such-event", "receive-personal-message", "presence", "connected",
                                  "emit_to_users", "", 42])
def test_unknown_events_are_answered_with_unknown_event(app, accounts, connect_socket, namespace, name):
    user = accounts.user()
    client = connect_socket(app, user, namespace)
    ack = client.emit(name, {"ChatId": "x"}, namespace=namespace, callback=True)
    assert error_code(ack) == "unknown_event"
    assert client.is_connected(namespace)


@pytest.mark.parametrize("namespace", NAMESPACES)
def test_a_client_cannot_emit_connect_or_disconnect(app, accounts, connect_socket, namespace):
    """Those are the server's own calls: as events they must neither log in again nor out."""
    user, other = accounts.user(), accounts.user()
    client = connect_socket(app, user, namespace)
    with unchanged(app.extensions["chat.store"].db):
        for name, payload in [("connect", {"access_token": other["access"]}),
                              ("disconnect", "client disconnect")]:
            ack = client.emit(name, payload, namespace=namespace, callback=True)
            assert error_code(ack) == "unknown_event"
    # still the same user, still authenticated
    event, payload, check = {
        "/": ("ping", {}, lambda ack: ack["sid"] == sid_of(app, client)),
        "/self": ("fetch-self-chat", {}, lambda ack: ack["Name"] == user["username"]),
        "/personal": ("fetch-personal-chat", {"Partner": other["id"]}, lambda ack: ack["UserId"] == user["id"]),
    }[namespace]
    assert check(client.emit(event, payload, namespace=namespace, callback=True))
    assert app.extensions["chat.presence"].online([user["id"], other["id"]]) == {
        user["id"]: namespace == "/", other["id"]: False}


@pytest.mark.parametrize("namespace, name, payload", [
    ("/", "get_online_info", {"UserIds": []}),
    ("/self", "fetch_self_chat", {}),
    ("/personal", "send_personal_message", {"ChatId": "0123456789abcdef01234567", "Content": "x"}),
    ("/personal", "fetch_personal_chat", {"Partner": "0123456789abcdef01234567"}),
])
def test_only_the_hyphenated_spelling_of_an_event_is_handled(app, accounts, connect_socket, namespace, name,
                                                            payload):
    """`send-personal-message` is the event; `send_personal_message` is no second, undocumented name for it."""
    client = connect_socket(app, accounts.user(), namespace)
    with unchanged(app.extensions["chat.store"].db):
        ack = client.emit(name, payload, namespace=namespace, callback=True)
    assert ack == {"ok": False, "error": {"code": "unknown_event", "message": f"No event {name!r} here."}}
    assert client.is_connected(namespace)
