"""Authorization, table-driven: every socket event of every namespace and every REST endpoint,
tried by callers who must be refused.

The callers:
  (a) no token, (a') an expired access token without its refresh token, (b) a refresh token used as
  an access token (or the reverse on `POST /refresh`), (c) a token whose session was ended by
  `POST /logout`, (d) a verified user who is not a member of the chat or group involved, and
  (e) a member who is not allowed: not the group's admin (add-member, kickout, change-admin,
  update-group, delete-grp, set-moderator), not its admin or a moderator (pin-message, invites, reports), or
  not the message's author (edit and delete), and (f) someone an admin kicked from a public group, joining it
  again by themself (or by an invite link).

Sockets: (a)-(c) are refused at connect, in every namespace, and a socket of a session that logs out
is disconnected and can send nothing more. (d) and (e) are tried per event with a payload that is
otherwise valid: real ids of the victims' chat, group and messages. Validation runs before the
membership and admin checks (see chat/sockets/base.py `event`), so an ack of `not_found` or
`forbidden` proves the payload passed validation and the authorization check refused it.

After every refusal, the chats, messages and read state (`chat_snapshot`), and the users, sessions
and one-time tokens are unchanged, and no socket (the victims', the bystander's, the caller's own)
has received any push.

The tables must name exactly the events the namespaces register and the endpoints the app routes,
so a new event or endpoint cannot be added without deciding who may use it. One world (users,
chats, a group, connected sockets) serves the whole module.

The last tests back other claims of docs/security.md: the Origin check, secrets kept out of the logs,
verification tokens stored hashed, and oversized groups refused.
"""
import hashlib
import io
import logging
from dataclasses import dataclass
from datetime import timedelta

import pytest
from flask_jwt_extended import create_access_token, create_refresh_token, decode_token
from PIL import Image
from socketio import packet

from chat import create_app
from conftest import (
    Accounts,
    app_config,
    bearer,
    close_app,
    close_test_clients,
    connect_refusal,
    drain,
    error_code,
    snapshot,
    unique,
)

NAMESPACES = ("/", "/self", "/personal", "/group")
# No user token: public, or (metrics.scrape) guarded by METRICS_TOKEN instead (tests/test_metrics.py).
PUBLIC_ENDPOINTS = {"static", "web.index", "web.client_config", "openapi.spec", "health.health",
                    "auth.verify", "auth.signup", "auth.login", "auth.resend", "metrics.scrape",
                    "account.forgot_password", "account.reset_password", "account.reset_page", "account.reset_form",
                    # The VAPID public key, the service worker, and the digests' one-click unsubscribe (its token).
                    "notify.public_key", "notify.service_worker", "notify.unsubscribe_page", "notify.unsubscribe",
                    # The old address's link that cancels a pending address change (its token).
                    "email_change.cancel_page", "email_change.cancel_form",
                    # The mailed link of a data export (its single-use token).
                    "exports.download",
                    # Single sign-on (before there is a session) and the second step of a password sign-in.
                    "oidc.providers", "oidc.start", "oidc.callback", "oidc.exchange", "twofactor.login_code",
                    # An incoming webhook's secret URL, and the link previews' signed image proxy (for <img>).
                    "webhooks.incoming", "previews.link_preview_image"}


# The world: alice and bob share a personal chat; alice (admin), bob and carol share a group; alice
# keeps notes to self; mallory is a verified stranger whose only chat is with dave.

class World:
    """The victims' chats and group, the stranger, their connected sockets, and tokens of every kind."""

    def __init__(self, app, smtp):
        self.app = app
        self.http = app.test_client()
        self.accounts = Accounts(self.http, smtp)
        self.db = app.extensions["chat.store"].db
        self.socketio = app.extensions["socketio"]
        self.sockets = {}
        self.alice, self.bob, self.carol, self.mallory, self.dave = (self.accounts.user() for _ in range(5))
        for user in (self.alice, self.bob, self.carol, self.mallory):
            self.sockets[user["id"]] = self.connect(user)

        self.ab_alice = self.post(self.alice, f"/chats/personal/{self.bob['id']}/messages",
                                  {"Content": "hi bob"})
        self.ab = self.ab_alice["ChatId"]
        self.ab_bob = self.post(self.bob, f"/chats/personal/{self.alice['id']}/messages",
                                {"Content": "hi alice"})
        self.note = self.post(self.alice, "/chats/self/messages", {"Content": "my secret note"})
        self.md = self.post(self.mallory, f"/chats/personal/{self.dave['id']}/messages",
                            {"Content": "hi dave"})["ChatId"]
        ack = self.emit(self.alice, "/group", "create-group-chat",
                        {"Name": "Team", "Participants": [self.bob["id"], self.carol["id"]]})
        assert ack["ok"], ack
        self.group = ack["Group"]["GroupId"]
        self.g_alice = self.post(self.alice, f"/groups/{self.group}/messages", {"Content": "team, hello"})
        self.g_bob = self.post(self.bob, f"/groups/{self.group}/messages", {"Content": "hello"})
        # kim was a member of the group (and wrote in it) until alice kicked her out.
        self.kim = self.accounts.user()
        self.sockets[self.kim["id"]] = self.connect(self.kim)
        assert self.emit(self.alice, "/group", "add-member", {"GroupId": self.group, "Member": self.kim["id"]})["ok"]
        self.g_kim = self.post(self.kim, f"/groups/{self.group}/messages", {"Content": "hi, kim here"})
        assert self.emit(self.alice, "/group", "kickout", {"GroupId": self.group, "Member": self.kim["id"]})["ok"]
        # A public group anyone may join, but not kim: alice kicked her from it too.
        ack = self.emit(self.alice, "/group", "create-group-chat",
                        {"Name": "Open", "Participants": [self.kim["id"]], "Public": True})
        self.open_group = ack["Group"]["GroupId"]
        assert self.emit(self.alice, "/group", "kickout", {"GroupId": self.open_group, "Member": self.kim["id"]})["ok"]
        assert self.g_bob["GroupId"] == self.group and self.ab_bob["ChatId"] == self.ab
        # Files: alice's picture to bob, and one to the group sent after kim was kicked.
        self.ab_file = self.post(self.alice, f"/chats/personal/{self.bob['id']}/messages", {
            "Content": "", "Attachments": [self.upload(self.alice)]})["Attachments"][0]["FileId"]
        self.g_file = self.post(self.alice, f"/groups/{self.group}/messages", {
            "Content": "", "Attachments": [self.upload(self.alice)]})["Attachments"][0]["FileId"]
        # Moderation: an invite link to the group, and carol's report of bob's group message.
        self.invite = self.http.post(f"/groups/{self.group}/invites", json={},
                                     headers=bearer(self.alice["access"])).get_json()["Code"]
        self.report = self.http.post(f"/messages/{self.g_bob['MessageId']}/report", json={"Reason": "spam"},
                                     headers=bearer(self.carol["access"])).get_json()["ReportId"]
        # A personal access token and a bot of alice's (chat/tokens/, chat/bots/).
        self.alice_token = self.http.post("/me/tokens", json={"Name": "ci", "Scopes": ["messages:read"]},
                                          headers=bearer(self.alice["access"])).get_json()
        self.alice_bot = self.http.post("/bots", json={"Username": unique("bot")},
                                        headers=bearer(self.alice["access"])).get_json()["User"]

        # Other sessions of alice: one logged out (its tokens are revoked), and an expired access token.
        self.revoked = self.accounts.login(dict(self.alice))
        assert self.http.post("/logout", headers=bearer(self.revoked["access"])).status_code == 200
        with app.app_context():
            session_id = decode_token(self.alice["access"])["sid"]
            gone = timedelta(seconds=-1)
            self.expired_access = create_access_token(identity=self.alice["id"], expires_delta=gone,
                                                      additional_claims={"sid": session_id})
            self.expired_refresh = create_refresh_token(identity=self.alice["id"], expires_delta=gone,
                                                        additional_claims={"sid": session_id, "jti": "old"})
        self.pushes()  # forget the set-up's pushes

    def connect(self, user, access=None):
        """One test client connected to every namespace with the user's tokens."""
        auth = {"access_token": access or user["access"], "refresh_token": user["refresh"]}
        client = self.socketio.test_client(self.app, namespace="/", auth=auth)
        for namespace in NAMESPACES[1:]:
            client.connect(namespace, auth=auth)
        assert all(client.is_connected(namespace) for namespace in NAMESPACES)
        return client

    def upload(self, user):
        """A small PNG uploaded by user: its FileId."""
        image = io.BytesIO()
        Image.new("RGB", (40, 30), (9, 9, 9)).save(image, "PNG")
        response = self.http.post("/files", data={"file": (io.BytesIO(image.getvalue()), "p.png")},
                                  headers=bearer(user["access"]), content_type="multipart/form-data")
        assert response.status_code == 201, response.get_json()
        return response.get_json()["File"]["FileId"]

    def post(self, user, path, body):
        response = self.http.post(path, json=body, headers=bearer(user["access"]))
        assert response.status_code == 201, response.get_json()
        return response.get_json()["Message"]

    def emit(self, user, namespace, event, payload):
        return self.sockets[user["id"]].emit(event, payload, namespace=namespace, callback=True)

    def pushes(self):
        """{(username, namespace): [(event, data)]} every connected socket received since the last call."""
        received = {}
        for user in (self.alice, self.bob, self.carol, self.mallory, self.kim):
            for namespace in NAMESPACES:
                got = drain(self.sockets[user["id"]], namespace)
                if got:
                    received[(user["username"], namespace)] = got
        return received

    def state(self):
        """Everything a refused request must leave alone."""
        return snapshot(self.db, "chats", "messages", "users", "sessions", "one_time_tokens", "files.files",
                        "invites", "reports", "access_tokens")

    def user(self, name):
        return getattr(self, name)


@pytest.fixture(scope="module")
def world(smtp):
    app = create_app(app_config(smtp))
    built = World(app, smtp)
    yield built
    close_test_clients(built.sockets.values())
    close_app(app)


# (a)-(c) on sockets: refused at connect, in every namespace.

TOKEN_KINDS = {
    # kind: (auth for the connect, code of the connect_error)
    "no token": (lambda w: None, "unauthorized"),
    "empty auth": (lambda w: {}, "unauthorized"),
    "expired access, no refresh": (lambda w: {"access_token": w.expired_access}, "token_expired"),
    "refresh as access": (lambda w: {"access_token": w.alice["refresh"], "refresh_token": w.alice["refresh"]},
                          "unauthorized"),
    "revoked access": (lambda w: {"access_token": w.revoked["access"]}, "token_revoked"),
    "revoked access and refresh": (lambda w: {"access_token": w.revoked["access"],
                                              "refresh_token": w.revoked["refresh"]}, "token_revoked"),
}


@pytest.mark.parametrize("namespace", NAMESPACES)
@pytest.mark.parametrize("kind", list(TOKEN_KINDS))
def test_sockets_without_a_valid_access_token_are_refused_at_connect(world, namespace, kind):
    auth, code = TOKEN_KINDS[kind]
    before = world.state()
    error = connect_refusal(world.app, namespace, auth(world))
    assert error["data"]["code"] == code
    assert world.state() == before
    assert world.pushes() == {}, "a refused connection announces nothing (no presence)"


def test_a_logged_out_sessions_sockets_are_disconnected_and_can_send_nothing(world):
    laptop = world.accounts.login(dict(world.alice))  # another session of alice, a member of everything
    client = world.connect(laptop)
    server = world.socketio.server
    sids = {namespace: server.manager.sid_from_eio_sid(client.eio_sid, namespace) for namespace in NAMESPACES}
    for namespace in NAMESPACES:
        drain(client, namespace)  # user-id and the lists
    world.pushes()
    try:
        assert world.http.post("/logout", headers=bearer(laptop["access"])).status_code == 200
        for namespace in NAMESPACES:
            assert not client.is_connected(namespace), namespace
            assert drain(client, namespace) == [("session-ended", {"reason": "session_revoked"})]
            assert sids[namespace] not in world.app.extensions["chat.namespaces"][namespace].connections
        with pytest.raises(RuntimeError, match="not connected"):
            client.emit("send-personal-message", {"ChatId": world.ab, "Content": "after logout"},
                        namespace="/personal", callback=True)
        # Even a packet pushed straight into the server on the old Engine.IO session reaches no handler.
        before = world.state()
        for namespace, event, payload in (
                ("/personal", "send-personal-message", {"ChatId": world.ab, "Content": "after logout"}),
                ("/group", "send-group-message", {"GroupId": world.group, "Content": "after logout"}),
                ("/self", "send-self-message", {"Content": "after logout"})):
            pkt = packet.Packet(packet.EVENT, data=[event, payload], namespace=namespace, id=99)
            server._handle_eio_message(client.eio_sid, pkt.encode())
            assert client.acks is None, "no handler may answer a disconnected socket"
        assert world.state() == before
        assert world.pushes() == {}
        # alice's other session is untouched.
        assert world.emit(world.alice, "/", "ping", {})["ok"] is True
        assert world.sockets[world.alice["id"]].is_connected("/group")
    finally:
        close_test_clients([client])


# (d) and (e) on sockets, per event. `expect` is the ack's error code, or "own" for an event that involves
# no chat of anyone else (it may only touch the caller's own data and reach the caller's own sockets).

@dataclass
class SocketCase:
    namespace: str
    event: str
    actor: str
    payload: object  # world → payload
    expect: str
    why: str = ""

    @property
    def id(self):
        return f"{self.namespace}:{self.event}:{self.actor}:{self.why or self.expect}"


def S(namespace, event, actor, payload, expect, why=""):
    return SocketCase(namespace, event, actor, payload, expect, why)


SOCKET_CASES = [
    # `/`: no chat in any payload.
    S("/", "get-online-info", "mallory", lambda w: {"UserIds": [w.alice["id"], w.bob["id"]]}, "own",
      "strangers read as offline"),
    S("/", "active-app", "mallory", lambda w: {}, "own", "presence reaches only the caller's partners"),
    S("/", "background-app", "mallory", lambda w: {}, "own", "presence reaches only the caller's partners"),
    S("/", "ping", "mallory", lambda w: {}, "own"),
    # `/self`: the chat is always the caller's own; another user's note cannot serve as a cursor.
    S("/self", "fetch-self-chat", "mallory", lambda w: {"Before": w.note["MessageId"]}, "validation_error",
      "cursor from alice's self chat"),
    S("/self", "fetch-self-chat", "mallory", lambda w: {"After": w.note["MessageId"]}, "validation_error",
      "cursor after alice's note"),
    S("/self", "send-self-message", "mallory", lambda w: {"Content": "note", "ClientId": "authz-self"}, "own",
      "writes the caller's self chat only"),
    S("/self", "send-self-message", "mallory", lambda w: {"Content": "re", "ReplyTo": w.note["MessageId"]},
      "validation_error", "a reply to alice's note"),
    S("/self", "react-message", "mallory",
      lambda w: {"MessageId": w.note["MessageId"], "Emoji": "👍", "On": True}, "not_found", "alice's note"),
    S("/self", "sync-chat", "mallory", lambda w: {"SinceRev": 0}, "own", "the caller's self chat only"),
    S("/self", "fetch-thread", "mallory", lambda w: {"MessageId": w.note["MessageId"]}, "validation_error",
      "alice's note is no message of the caller's self chat"),
    S("/self", "follow-thread", "mallory", lambda w: {"MessageId": w.note["MessageId"], "On": True},
      "validation_error", "alice's note"),
    S("/self", "read-thread", "mallory", lambda w: {"MessageId": w.note["MessageId"]}, "validation_error",
      "alice's note"),
    S("/self", "send-self-message", "mallory", lambda w: {"Content": "re", "ThreadOf": w.note["MessageId"]},
      "validation_error", "a thread reply to alice's note"),
    # `/personal`: alice and bob's chat, by mallory.
    S("/personal", "fetch-personal-chat", "mallory", lambda w: {"Partner": w.bob["id"], "ChatId": w.ab},
      "not_found"),
    S("/personal", "fetch-personal-chat", "mallory",
      lambda w: {"Partner": w.alice["id"], "ChatId": w.ab, "Before": w.ab_bob["MessageId"]}, "not_found",
      "with a cursor"),
    S("/personal", "send-personal-message", "mallory",
      lambda w: {"ChatId": w.ab, "Content": "let me in", "ClientId": "authz-1"}, "not_found"),
    S("/personal", "send-personal-message", "mallory", lambda w: {"ChatId": w.group, "Content": "let me in"},
      "not_found", "a group id as ChatId"),
    S("/personal", "send-personal-message", "mallory",
      lambda w: {"ChatId": w.alice["id"], "Content": "let me in"}, "not_found",
      "alice's self chat id as ChatId"),
    S("/personal", "send-personal-message", "mallory",
      lambda w: {"ChatId": w.ab, "Content": "re", "ReplyTo": w.ab_bob["MessageId"]}, "not_found", "a reply"),
    S("/personal", "send-personal-message", "mallory",
      lambda w: {"ChatId": w.md, "Content": "re", "ReplyTo": w.ab_bob["MessageId"]}, "validation_error",
      "own chat, a reply to alice and bob's message"),
    S("/personal", "react-message", "mallory",
      lambda w: {"ChatId": w.ab, "MessageId": w.ab_alice["MessageId"], "Emoji": "👍", "On": True}, "not_found"),
    S("/personal", "sync-chat", "mallory", lambda w: {"ChatId": w.ab, "SinceRev": 0}, "not_found"),
    S("/personal", "sync-chat", "mallory", lambda w: {"ChatId": w.group, "SinceRev": 0}, "not_found",
      "a group id as ChatId"),
    S("/personal", "sync-chat", "mallory", lambda w: {"ChatId": w.alice["id"], "SinceRev": 0}, "not_found",
      "alice's self chat id as ChatId"),
    S("/personal", "react-message", "mallory",
      lambda w: {"ChatId": w.md, "MessageId": w.ab_alice["MessageId"], "Emoji": "👍", "On": False}, "not_found",
      "own ChatId, alice's MessageId"),
    S("/personal", "read-personal-message", "mallory",
      lambda w: {"ChatId": w.ab, "UpTo": w.ab_bob["MessageId"]}, "not_found"),
    S("/personal", "typing", "mallory", lambda w: {"ChatId": w.ab}, "not_found"),
    S("/personal", "fetch-thread", "mallory", lambda w: {"ChatId": w.ab, "MessageId": w.ab_alice["MessageId"]},
      "not_found"),
    S("/personal", "follow-thread", "mallory",
      lambda w: {"ChatId": w.ab, "MessageId": w.ab_alice["MessageId"], "On": True}, "not_found"),
    S("/personal", "read-thread", "mallory", lambda w: {"ChatId": w.ab, "MessageId": w.ab_alice["MessageId"]},
      "not_found"),
    S("/personal", "send-personal-message", "mallory",
      lambda w: {"ChatId": w.ab, "Content": "re", "ThreadOf": w.ab_alice["MessageId"]}, "not_found",
      "a thread reply"),
    S("/personal", "send-personal-message", "mallory",
      lambda w: {"ChatId": w.md, "Content": "re", "ThreadOf": w.ab_alice["MessageId"]}, "validation_error",
      "own chat, a thread of alice and bob's message"),
    S("/personal", "done-typing", "mallory", lambda w: {"ChatId": w.ab}, "not_found"),
    S("/personal", "edit-personal-message", "mallory",
      lambda w: {"ChatId": w.ab, "MessageId": w.ab_alice["MessageId"], "Content": "pwned"}, "not_found"),
    S("/personal", "edit-personal-message", "mallory",
      lambda w: {"ChatId": w.md, "MessageId": w.ab_alice["MessageId"], "Content": "pwned"}, "not_found",
      "own ChatId, alice's MessageId"),
    S("/personal", "delete-personal-message", "mallory",
      lambda w: {"ChatId": w.ab, "MessageId": w.ab_alice["MessageId"]}, "not_found"),
    S("/personal", "delete-personal-message", "mallory",
      lambda w: {"ChatId": w.md, "MessageId": w.ab_alice["MessageId"]}, "not_found",
      "own ChatId, alice's MessageId"),
    # (e) in `/personal`: bob is a member but not the author.
    S("/personal", "edit-personal-message", "bob",
      lambda w: {"ChatId": w.ab, "MessageId": w.ab_alice["MessageId"], "Content": "edited by bob"},
      "forbidden"),
    S("/personal", "delete-personal-message", "bob",
      lambda w: {"ChatId": w.ab, "MessageId": w.ab_alice["MessageId"]}, "forbidden"),
    # `/group`: the group of alice, bob and carol, by mallory.
    S("/group", "create-group-chat", "mallory", lambda w: {"Name": "mine", "Participants": []}, "own",
      "creates the caller's own group"),
    S("/group", "add-member", "mallory", lambda w: {"GroupId": w.group, "Member": w.mallory["id"]},
      "not_found"),
    S("/group", "kickout", "mallory", lambda w: {"GroupId": w.group, "Member": w.bob["id"]}, "not_found"),
    S("/group", "change-admin", "mallory", lambda w: {"GroupId": w.group, "Member": w.bob["id"]},
      "not_found"),
    S("/group", "leave-grp", "mallory", lambda w: {"GroupId": w.group}, "not_found"),
    S("/group", "delete-grp", "mallory", lambda w: {"GroupId": w.group}, "not_found"),
    S("/group", "fetch-group-chat", "mallory", lambda w: {"GroupId": w.group, "Before": w.g_bob["MessageId"]},
      "not_found"),
    S("/group", "fetch-group-chat", "mallory", lambda w: {"GroupId": w.ab}, "not_found",
      "a personal chat id"),
    S("/group", "fetch-group-chat", "mallory", lambda w: {"GroupId": w.md}, "not_found",
      "the caller's own personal chat id"),
    S("/group", "send-group-message", "mallory",
      lambda w: {"GroupId": w.group, "Content": "let me in", "ClientId": "authz-2"}, "not_found"),
    S("/group", "read-group-message", "mallory", lambda w: {"GroupId": w.group, "UpTo": w.g_bob["MessageId"]},
      "not_found"),
    S("/group", "react-message", "mallory",
      lambda w: {"GroupId": w.group, "MessageId": w.g_bob["MessageId"], "Emoji": "👍", "On": True}, "not_found"),
    # kim, kicked out: the group is as closed to her as to a stranger, her own old messages included.
    S("/group", "react-message", "kim",
      lambda w: {"GroupId": w.group, "MessageId": w.g_kim["MessageId"], "Emoji": "👍", "On": True}, "not_found",
      "kicked member, own message"),
    S("/group", "send-group-message", "kim",
      lambda w: {"GroupId": w.group, "Content": "re", "ReplyTo": w.g_bob["MessageId"]}, "not_found",
      "kicked member, a reply"),
    S("/group", "fetch-group-chat", "kim", lambda w: {"GroupId": w.group}, "not_found", "kicked member"),
    S("/group", "sync-chat", "mallory", lambda w: {"GroupId": w.group, "SinceRev": 0}, "not_found"),
    S("/group", "sync-chat", "kim", lambda w: {"GroupId": w.group, "SinceRev": 0}, "not_found", "kicked member"),
    S("/group", "join-group", "mallory", lambda w: {"GroupId": w.group}, "not_found", "a private group"),
    S("/group", "join-group", "kim", lambda w: {"GroupId": w.open_group}, "forbidden",
      "kicked from a public group: only an admin can add her back"),
    S("/group", "update-group", "mallory", lambda w: {"GroupId": w.group, "Public": True}, "not_found"),
    S("/group", "set-moderator", "mallory", lambda w: {"GroupId": w.group, "UserId": w.bob["id"], "On": True},
      "not_found"),
    S("/group", "pin-message", "mallory",
      lambda w: {"GroupId": w.group, "MessageId": w.g_bob["MessageId"], "On": True}, "not_found"),
    S("/group", "pin-message", "kim", lambda w: {"GroupId": w.group, "MessageId": w.g_kim["MessageId"], "On": True},
      "not_found", "kicked member, own message"),
    S("/personal", "pin-message", "mallory",
      lambda w: {"ChatId": w.ab, "MessageId": w.ab_alice["MessageId"], "On": True}, "not_found"),
    S("/personal", "pin-message", "mallory",
      lambda w: {"ChatId": w.md, "MessageId": w.ab_alice["MessageId"], "On": True}, "not_found",
      "own ChatId, alice's MessageId"),
    S("/group", "typing", "mallory", lambda w: {"GroupId": w.group}, "not_found"),
    S("/group", "fetch-thread", "mallory", lambda w: {"GroupId": w.group, "MessageId": w.g_bob["MessageId"]},
      "not_found"),
    S("/group", "fetch-thread", "kim", lambda w: {"GroupId": w.group, "MessageId": w.g_kim["MessageId"]},
      "not_found", "kicked member, own message"),
    S("/group", "follow-thread", "mallory",
      lambda w: {"GroupId": w.group, "MessageId": w.g_bob["MessageId"], "On": True}, "not_found"),
    S("/group", "read-thread", "kim", lambda w: {"GroupId": w.group, "MessageId": w.g_kim["MessageId"]},
      "not_found", "kicked member"),
    S("/group", "send-group-message", "kim",
      lambda w: {"GroupId": w.group, "Content": "re", "ThreadOf": w.g_kim["MessageId"]}, "not_found",
      "kicked member, a thread reply"),
    S("/group", "done-typing", "mallory", lambda w: {"GroupId": w.group}, "not_found"),
    # (e) in `/group`: bob and carol are members, not the admin.
    S("/group", "add-member", "bob", lambda w: {"GroupId": w.group, "Member": w.mallory["id"]}, "forbidden"),
    S("/group", "kickout", "bob", lambda w: {"GroupId": w.group, "Member": w.carol["id"]}, "forbidden"),
    S("/group", "kickout", "carol", lambda w: {"GroupId": w.group, "Member": w.alice["id"]}, "forbidden",
      "the admin"),
    S("/group", "change-admin", "bob", lambda w: {"GroupId": w.group, "Member": w.carol["id"]}, "forbidden"),
    S("/group", "change-admin", "bob", lambda w: {"GroupId": w.group, "Member": w.bob["id"]}, "forbidden",
      "to themself"),
    S("/group", "delete-grp", "carol", lambda w: {"GroupId": w.group}, "forbidden"),
    S("/group", "update-group", "bob", lambda w: {"GroupId": w.group, "Public": True, "Name": "mine"}, "forbidden"),
    S("/group", "update-group", "bob", lambda w: {"GroupId": w.group, "SlowModeSeconds": 60}, "forbidden",
      "slow mode: the admin or a moderator"),
    S("/group", "set-moderator", "bob", lambda w: {"GroupId": w.group, "UserId": w.bob["id"], "On": True},
      "forbidden", "to themself"),
    S("/group", "pin-message", "carol",
      lambda w: {"GroupId": w.group, "MessageId": w.g_bob["MessageId"], "On": True}, "forbidden"),
]


def test_the_socket_table_covers_every_event_of_every_namespace(world):
    registered = {(namespace, event) for namespace, handler in world.app.extensions["chat.namespaces"].items()
                  for event in handler.events()}
    assert set(NAMESPACES) == set(world.app.extensions["chat.namespaces"])
    assert {(case.namespace, case.event) for case in SOCKET_CASES} == registered
    admin_only = {"add-member", "kickout", "change-admin", "update-group", "delete-grp", "set-moderator",
                  "pin-message"}  # pin-message: the admin or a moderator
    forbidden = {c.event for c in SOCKET_CASES if c.expect == "forbidden" and c.namespace == "/group"}
    assert forbidden == admin_only | {"join-group"}  # join-group: (f), a kicked member
    chat_events = {(c.namespace, c.event) for c in SOCKET_CASES if c.namespace in ("/personal", "/group")
                   and c.event != "create-group-chat"}
    refused_for_strangers = {(c.namespace, c.event) for c in SOCKET_CASES if c.expect == "not_found"
                             and c.namespace in ("/personal", "/group")}
    assert chat_events == refused_for_strangers, "every event on an existing chat is refused to non-members"


def _others_data(world, actor_id, snapshot):
    """The snapshot without what the actor alone owns (their own chats, with read state, and messages)."""
    own_chats = {doc["_id"] for doc in snapshot["chats"] if doc["members"] == [actor_id]}
    return {
        "chats": [doc for doc in snapshot["chats"] if doc["_id"] not in own_chats],
        "messages": [doc for doc in snapshot["messages"] if doc["chat_id"] not in own_chats],
        **{name: snapshot[name] for name in ("users", "sessions", "one_time_tokens")},
    }


@pytest.mark.parametrize("case", SOCKET_CASES, ids=lambda case: case.id)
def test_socket_events_refuse_non_members_and_non_admins(world, case):
    actor = world.user(case.actor)
    world.pushes()
    before = world.state()
    ack = world.emit(actor, case.namespace, case.event, case.payload(world))
    pushes = world.pushes()
    if case.expect == "own":
        assert ack["ok"] is True, ack
        assert _others_data(world, actor["id"], world.state()) == _others_data(world, actor["id"], before)
        assert {key: got for key, got in pushes.items() if key[0] != actor["username"]} == {}
        return
    assert error_code(ack) == case.expect, ack
    if case.expect != "validation_error":
        assert set(ack["error"]) == {"code", "message"}, "nothing else is revealed"
    assert world.state() == before, "a refused event changes nothing"
    assert pushes == {}, "a refused event pushes nothing, to anyone"


def test_non_members_get_the_same_answer_for_a_real_and_a_missing_chat(world):
    missing = "0123456789abcdef01234567"
    for case in SOCKET_CASES:
        if case.expect != "not_found":
            continue
        payload = case.payload(world)
        key = next(key for key in ("GroupId", "ChatId", "MessageId") if key in payload)  # /self: the message
        if payload[key] == world.md:  # the caller's own chat: what is not theirs is the message
            key = "MessageId" if "MessageId" in payload else key
        real = world.emit(world.user(case.actor), case.namespace, case.event, payload)
        fake = world.emit(world.user(case.actor), case.namespace, case.event, {**payload, key: missing})
        assert real == fake, case.id
    assert world.pushes() == {}


def test_get_online_info_answers_only_for_people_who_share_a_chat(world):
    """alice is online but shares no chat with mallory: she reads as offline, like dave (mallory's partner,
    offline). tests/test_socket_hardening.py has the live version."""
    asked = {"UserIds": [world.alice["id"], world.dave["id"]]}
    assert world.emit(world.alice, "/", "get-online-info", {"UserIds": [world.alice["id"]]})["Online"] == {
        world.alice["id"]: True}
    ack = world.emit(world.mallory, "/", "get-online-info", asked)
    assert ack == {"ok": True, "Online": {world.alice["id"]: False, world.dave["id"]: False}}


def test_members_of_a_deleted_group_no_longer_see_each_others_presence(world):
    """Presence goes to people who share a live chat: a deleted group's members stop hearing each other."""
    erin = world.accounts.user()
    ack = world.emit(world.mallory, "/group", "create-group-chat",
                     {"Name": "short-lived", "Participants": [erin["id"]]})
    group_id = ack["Group"]["GroupId"]
    erin_socket = world.socketio.test_client(world.app, namespace="/", auth={"access_token": erin["access"]})
    try:
        drain(erin_socket)
        world.emit(world.mallory, "/", "background-app", {})
        assert [d["UserId"] for n, d in drain(erin_socket) if n == "presence"] == [world.mallory["id"]]
        assert world.emit(world.mallory, "/group", "delete-grp", {"GroupId": group_id})["ok"] is True
        drain(erin_socket)
        world.emit(world.mallory, "/", "active-app", {})
        assert [n for n, _ in drain(erin_socket) if n == "presence"] == []
    finally:
        close_test_clients([erin_socket])
        world.pushes()


# REST. Each endpoint that needs a token, with a valid request by alice (member, admin, author), so that
# only the token can be what is refused; then the cases of (d) and (e).

@dataclass
class Rest:
    method: str
    rule: str
    path: object  # world → path, as alice would call it
    body: object = None  # world → JSON body, or None for no body
    token: str = "access"  # the kind of token the endpoint takes


def _message_path(w):
    return f"/messages/{w.ab_alice['MessageId']}"


def _session_path(user):
    """The path that ends one of user's sessions (the one of their access token)."""
    def path(w):
        with w.app.app_context():
            return f"/me/sessions/{decode_token(user(w)['access'])['sid']}"
    return path


REST_ENDPOINTS = [
    Rest("POST", "/refresh", lambda w: "/refresh", token="refresh"),
    Rest("POST", "/logout", lambda w: "/logout", lambda w: {}),
    Rest("GET", "/me", lambda w: "/me"),
    Rest("POST", "/me/password", lambda w: "/me/password",
         lambda w: {"current_password": w.alice["password"], "new_password": "taken-over-1"}),
    Rest("GET", "/me/sessions", lambda w: "/me/sessions"),
    Rest("DELETE", "/me/sessions", lambda w: "/me/sessions"),
    Rest("DELETE", "/me/sessions/<session_id>", _session_path(lambda w: w.alice)),
    Rest("POST", "/me/email", lambda w: "/me/email", lambda w: {"email": "taken@example.test",
                                                                 "password": w.alice["password"]}),
    Rest("POST", "/me/email/cancel", lambda w: "/me/email/cancel"),
    Rest("POST", "/me/2fa/setup", lambda w: "/me/2fa/setup", lambda w: {"password": w.alice["password"]}),
    Rest("POST", "/me/2fa/enable", lambda w: "/me/2fa/enable", lambda w: {"Code": "000000"}),
    Rest("POST", "/me/2fa/disable", lambda w: "/me/2fa/disable",
         lambda w: {"password": w.alice["password"], "Code": "000000"}),
    Rest("DELETE", "/me", lambda w: "/me", lambda w: {"password": w.alice["password"]}),
    Rest("GET", "/users/search", lambda w: f"/users/search?q={w.bob['username'][:4]}"),
    Rest("GET", "/users/<user_id>", lambda w: f"/users/{w.bob['id']}"),
    Rest("GET", "/chats", lambda w: "/chats"),
    Rest("GET", "/chats/personal/<partner_id>/messages", lambda w: f"/chats/personal/{w.bob['id']}/messages"),
    Rest("POST", "/chats/personal/<partner_id>/messages", lambda w: f"/chats/personal/{w.bob['id']}/messages",
         lambda w: {"Content": "hi", "ClientId": "authz-rest"}),
    Rest("GET", "/chats/self/messages", lambda w: "/chats/self/messages"),
    Rest("POST", "/chats/self/messages", lambda w: "/chats/self/messages", lambda w: {"Content": "note"}),
    Rest("PATCH", "/messages/<message_id>", _message_path, lambda w: {"Content": "edited"}),
    Rest("DELETE", "/messages/<message_id>", _message_path),
    Rest("GET", "/messages/<message_id>/history", lambda w: f"{_message_path(w)}/history"),
    Rest("PUT", "/messages/<message_id>/reactions/<emoji>", lambda w: f"{_message_path(w)}/reactions/👍"),
    Rest("DELETE", "/messages/<message_id>/reactions/<emoji>", lambda w: f"{_message_path(w)}/reactions/👍"),
    Rest("POST", "/chats/<chat_id>/read", lambda w: f"/chats/{w.ab}/read", lambda w: {}),
    Rest("GET", "/chats/<chat_id>/changes", lambda w: f"/chats/{w.ab}/changes?since_rev=0"),
    Rest("GET", "/groups/<group_id>", lambda w: f"/groups/{w.group}"),
    Rest("GET", "/groups/<group_id>/messages", lambda w: f"/groups/{w.group}/messages"),
    Rest("POST", "/groups/<group_id>/messages", lambda w: f"/groups/{w.group}/messages",
         lambda w: {"Content": "hi"}),
    Rest("GET", "/groups/public", lambda w: "/groups/public?q=o"),
    Rest("POST", "/groups/<group_id>/join", lambda w: f"/groups/{w.open_group}/join"),
    Rest("PUT", "/users/<user_id>/block", lambda w: f"/users/{w.bob['id']}/block"),
    Rest("DELETE", "/users/<user_id>/block", lambda w: f"/users/{w.bob['id']}/block"),
    Rest("GET", "/me/blocks", lambda w: "/me/blocks"),
    Rest("PUT", "/chats/<chat_id>/mute", lambda w: f"/chats/{w.ab}/mute", lambda w: {}),
    Rest("DELETE", "/chats/<chat_id>/mute", lambda w: f"/chats/{w.ab}/mute"),
    Rest("POST", "/files", lambda w: "/files"),
    Rest("GET", "/files/<file_id>", lambda w: f"/files/{w.ab_file}"),
    Rest("GET", "/files/<file_id>/thumbnail", lambda w: f"/files/{w.ab_file}/thumbnail"),
    Rest("POST", "/me/push-subscriptions", lambda w: "/me/push-subscriptions",
         lambda w: {"endpoint": "https://push.example.test/x", "keys": {"p256dh": "x", "auth": "y"}}),
    Rest("DELETE", "/me/push-subscriptions", lambda w: "/me/push-subscriptions",
         lambda w: {"endpoint": "https://push.example.test/x"}),
    Rest("GET", "/me/settings", lambda w: "/me/settings"),
    Rest("GET", "/search", lambda w: "/search?q=hi"),
    Rest("GET", "/messages/<message_id>/thread", lambda w: f"/messages/{w.ab_alice['MessageId']}/thread"),
    Rest("GET", "/threads", lambda w: "/threads"),
    Rest("POST", "/groups/<group_id>/webhooks", lambda w: f"/groups/{w.group}/webhooks", lambda w: {"Name": "x"}),
    Rest("GET", "/groups/<group_id>/webhooks", lambda w: f"/groups/{w.group}/webhooks"),
    Rest("DELETE", "/groups/<group_id>/webhooks/<webhook_id>", lambda w: f"/groups/{w.group}/webhooks/{'w' * 24}"),
    Rest("GET", "/link-preview", lambda w: "/link-preview?url=https%3A%2F%2F127.0.0.1%2F"),
    Rest("PATCH", "/me/settings", lambda w: "/me/settings", lambda w: {"EmailNotifications": "off"}),
    Rest("GET", "/chats/<chat_id>/pins", lambda w: f"/chats/{w.ab}/pins"),
    Rest("PUT", "/chats/<chat_id>/pins/<message_id>", lambda w: f"/chats/{w.ab}/pins/{w.ab_alice['MessageId']}"),
    Rest("DELETE", "/chats/<chat_id>/pins/<message_id>", lambda w: f"/chats/{w.ab}/pins/{w.ab_alice['MessageId']}"),
    Rest("POST", "/groups/<group_id>/invites", lambda w: f"/groups/{w.group}/invites", lambda w: {}),
    Rest("GET", "/groups/<group_id>/invites", lambda w: f"/groups/{w.group}/invites"),
    Rest("DELETE", "/groups/<group_id>/invites/<code>", lambda w: f"/groups/{w.group}/invites/{w.invite}"),
    Rest("POST", "/invites/<code>/accept", lambda w: f"/invites/{w.invite}/accept"),
    Rest("POST", "/messages/<message_id>/report", lambda w: f"/messages/{w.g_bob['MessageId']}/report",
         lambda w: {"Reason": "spam"}),
    Rest("GET", "/groups/<group_id>/reports", lambda w: f"/groups/{w.group}/reports"),
    Rest("GET", "/admin/reports", lambda w: "/admin/reports"),
    Rest("POST", "/reports/<report_id>/resolve", lambda w: f"/reports/{w.report}/resolve",
         lambda w: {"Action": "dismiss"}),
    Rest("POST", "/me/tokens", lambda w: "/me/tokens", lambda w: {"Name": "x", "Scopes": ["messages:read"]}),
    Rest("GET", "/me/tokens", lambda w: "/me/tokens"),
    Rest("DELETE", "/me/tokens/<token_id>", lambda w: f"/me/tokens/{w.alice_token['TokenId']}"),
    Rest("POST", "/bots", lambda w: "/bots", lambda w: {"Username": "authzbot"}),
    Rest("GET", "/bots", lambda w: "/bots"),
    Rest("DELETE", "/bots/<bot_id>", lambda w: f"/bots/{w.alice_bot['id']}"),
    Rest("GET", "/groups/<group_id>/audit", lambda w: f"/groups/{w.group}/audit"),
    Rest("GET", "/me/security-log", lambda w: "/me/security-log"),
    Rest("POST", "/me/export", lambda w: "/me/export"),
]

REST_TOKENS = {
    # kind: (token for an endpoint that takes an access token, for one that takes a refresh token, code)
    "no token": (lambda w: None, lambda w: None, "unauthorized"),
    "expired": (lambda w: w.expired_access, lambda w: w.expired_refresh, "token_expired"),
    "refresh as access (access as refresh)": (lambda w: w.alice["refresh"], lambda w: w.alice["access"],
                                              "unauthorized"),
    "revoked": (lambda w: w.revoked["access"], lambda w: w.revoked["refresh"], "token_revoked"),
}


def _call(world, method, path, token=None, body=None):
    headers = bearer(token) if token else {}
    return world.http.open(path, method=method, headers=headers, json=body)


def test_the_rest_table_covers_every_endpoint_that_needs_a_token(world):
    routed = {(method, rule.rule) for rule in world.app.url_map.iter_rules()
              if rule.endpoint not in PUBLIC_ENDPOINTS for method in rule.methods - {"HEAD", "OPTIONS"}}
    assert {(e.method, e.rule) for e in REST_ENDPOINTS} == routed
    assert {(c.method, c.rule) for c in REST_CASES} | set(REST_NOT_APPLICABLE) == routed
    assert not {(c.method, c.rule) for c in REST_CASES} & set(REST_NOT_APPLICABLE)


@pytest.mark.parametrize("kind", list(REST_TOKENS))
@pytest.mark.parametrize("endpoint", REST_ENDPOINTS, ids=lambda e: f"{e.method} {e.rule}")
def test_rest_endpoints_refuse_missing_wrong_and_revoked_tokens(world, endpoint, kind):
    for_access, for_refresh, code = REST_TOKENS[kind]
    token = (for_refresh if endpoint.token == "refresh" else for_access)(world)
    world.pushes()
    before = world.state()
    body = endpoint.body(world) if endpoint.body else None
    response = _call(world, endpoint.method, endpoint.path(world), token, body)
    assert response.status_code == 401, response.get_json()
    assert error_code(response) == code
    assert world.state() == before
    assert world.pushes() == {}


@dataclass
class RestCase:
    method: str
    rule: str
    actor: str
    path: object
    body: object
    status: int
    code: str
    why: str = ""

    @property
    def id(self):
        return f"{self.method} {self.rule} by {self.actor}: {self.why or self.code}"


def R(method, rule, actor, path, body, status, code, why=""):
    return RestCase(method, rule, actor, path, body, status, code, why)


REST_CASES = [
    # (d): mallory, a stranger to alice and bob's chat, their group and alice's notes.
    R("GET", "/chats/personal/<partner_id>/messages", "mallory",
      lambda w: f"/chats/personal/{w.bob['id']}/messages?before={w.ab_alice['MessageId']}", None, 422,
      "validation_error", "cursor from alice and bob's chat"),
    R("GET", "/chats/self/messages", "mallory", lambda w: f"/chats/self/messages?after={w.note['MessageId']}",
      None, 422, "validation_error", "cursor from alice's notes"),
    R("PATCH", "/messages/<message_id>", "mallory", lambda w: f"/messages/{w.ab_alice['MessageId']}",
      lambda w: {"Content": "pwned"}, 404, "not_found", "personal message"),
    R("PATCH", "/messages/<message_id>", "mallory", lambda w: f"/messages/{w.g_alice['MessageId']}",
      lambda w: {"Content": "pwned"}, 404, "not_found", "group message"),
    R("PATCH", "/messages/<message_id>", "mallory", lambda w: f"/messages/{w.note['MessageId']}",
      lambda w: {"Content": "pwned"}, 404, "not_found", "alice's note"),
    R("DELETE", "/messages/<message_id>", "mallory", lambda w: f"/messages/{w.ab_alice['MessageId']}", None,
      404, "not_found", "personal message"),
    R("DELETE", "/messages/<message_id>", "mallory", lambda w: f"/messages/{w.g_bob['MessageId']}", None,
      404, "not_found", "group message"),
    R("DELETE", "/messages/<message_id>", "mallory", lambda w: f"/messages/{w.note['MessageId']}", None,
      404, "not_found", "alice's note"),
    R("POST", "/chats/<chat_id>/read", "mallory", lambda w: f"/chats/{w.ab}/read", lambda w: {}, 404,
      "not_found", "personal chat"),
    R("POST", "/chats/<chat_id>/read", "mallory", lambda w: f"/chats/{w.group}/read",
      lambda w: {"UpTo": w.g_bob["MessageId"]}, 404, "not_found", "group"),
    R("POST", "/chats/<chat_id>/read", "mallory", lambda w: f"/chats/{w.alice['id']}/read", lambda w: {}, 404,
      "not_found", "alice's self chat"),
    R("GET", "/chats/<chat_id>/changes", "mallory", lambda w: f"/chats/{w.ab}/changes?since_rev=0", None, 404,
      "not_found", "personal chat"),
    R("GET", "/chats/<chat_id>/changes", "mallory", lambda w: f"/chats/{w.group}/changes?since_rev=0", None, 404,
      "not_found", "group"),
    R("GET", "/chats/<chat_id>/changes", "mallory", lambda w: f"/chats/{w.alice['id']}/changes?since_rev=0", None,
      404, "not_found", "alice's self chat"),
    R("GET", "/chats/<chat_id>/changes", "kim", lambda w: f"/chats/{w.group}/changes?since_rev=0", None, 404,
      "not_found", "kicked member"),
    R("GET", "/groups/<group_id>", "mallory", lambda w: f"/groups/{w.group}", None, 404, "not_found"),
    R("GET", "/groups/<group_id>", "mallory", lambda w: f"/groups/{w.md}", None, 404, "not_found",
      "the caller's own personal chat"),
    R("GET", "/groups/<group_id>/messages", "mallory", lambda w: f"/groups/{w.group}/messages", None, 404,
      "not_found"),
    R("GET", "/groups/<group_id>/messages", "mallory", lambda w: f"/groups/{w.ab}/messages", None, 404,
      "not_found", "a personal chat id"),
    R("POST", "/groups/<group_id>/messages", "mallory", lambda w: f"/groups/{w.group}/messages",
      lambda w: {"Content": "let me in", "ClientId": "authz-3"}, 404, "not_found"),
    R("GET", "/messages/<message_id>/history", "mallory", lambda w: f"/messages/{w.ab_alice['MessageId']}/history",
      None, 404, "not_found", "personal message"),
    R("GET", "/messages/<message_id>/history", "mallory", lambda w: f"/messages/{w.note['MessageId']}/history",
      None, 404, "not_found", "alice's note"),
    R("GET", "/messages/<message_id>/history", "kim", lambda w: f"/messages/{w.g_kim['MessageId']}/history",
      None, 404, "not_found", "kicked member, own group message"),
    R("PUT", "/messages/<message_id>/reactions/<emoji>", "mallory",
      lambda w: f"/messages/{w.ab_alice['MessageId']}/reactions/👍", None, 404, "not_found", "personal message"),
    R("PUT", "/messages/<message_id>/reactions/<emoji>", "mallory",
      lambda w: f"/messages/{w.note['MessageId']}/reactions/👍", None, 404, "not_found", "alice's note"),
    R("PUT", "/messages/<message_id>/reactions/<emoji>", "kim",
      lambda w: f"/messages/{w.g_bob['MessageId']}/reactions/👍", None, 404, "not_found", "kicked member"),
    R("DELETE", "/messages/<message_id>/reactions/<emoji>", "mallory",
      lambda w: f"/messages/{w.g_bob['MessageId']}/reactions/👍", None, 404, "not_found", "group message"),
    R("DELETE", "/messages/<message_id>/reactions/<emoji>", "kim",
      lambda w: f"/messages/{w.g_kim['MessageId']}/reactions/👍", None, 404, "not_found",
      "kicked member, own message"),
    R("POST", "/groups/<group_id>/messages", "kim", lambda w: f"/groups/{w.group}/messages",
      lambda w: {"Content": "re", "ReplyTo": w.g_bob["MessageId"]}, 404, "not_found", "kicked member, a reply"),
    R("PATCH", "/messages/<message_id>", "kim", lambda w: f"/messages/{w.g_kim['MessageId']}",
      lambda w: {"Content": "edited after the kick"}, 404, "not_found", "kicked member, own message"),
    R("DELETE", "/messages/<message_id>", "kim", lambda w: f"/messages/{w.g_kim['MessageId']}", None, 404,
      "not_found", "kicked member, own message"),
    R("DELETE", "/me/sessions/<session_id>", "mallory", _session_path(lambda w: w.alice), None, 404, "not_found",
      "alice's session"),
    R("DELETE", "/me/tokens/<token_id>", "mallory", lambda w: f"/me/tokens/{w.alice_token['TokenId']}", None, 404,
      "not_found", "alice's token"),
    R("DELETE", "/bots/<bot_id>", "mallory", lambda w: f"/bots/{w.alice_bot['id']}", None, 404, "not_found",
      "alice's bot"),
    R("DELETE", "/bots/<bot_id>", "mallory", lambda w: f"/bots/{w.bob['id']}", None, 404, "not_found",
      "a person, not a bot"),
    # (e): bob is a member of both chats, not the author of alice's messages.
    R("PATCH", "/messages/<message_id>", "bob", lambda w: f"/messages/{w.ab_alice['MessageId']}",
      lambda w: {"Content": "edited by bob"}, 403, "forbidden", "someone else's personal message"),
    R("PATCH", "/messages/<message_id>", "bob", lambda w: f"/messages/{w.g_alice['MessageId']}",
      lambda w: {"Content": "edited by bob"}, 403, "forbidden", "someone else's group message"),
    R("DELETE", "/messages/<message_id>", "bob", lambda w: f"/messages/{w.ab_alice['MessageId']}", None, 403,
      "forbidden", "someone else's personal message"),
    R("DELETE", "/messages/<message_id>", "carol", lambda w: f"/messages/{w.g_alice['MessageId']}", None, 403,
      "forbidden", "someone else's group message"),
    R("POST", "/groups/<group_id>/join", "mallory", lambda w: f"/groups/{w.group}/join", None, 404, "not_found",
      "a private group"),
    R("POST", "/groups/<group_id>/join", "kim", lambda w: f"/groups/{w.open_group}/join", None, 403, "forbidden",
      "kicked from a public group"),
    # The audit log: the admin only; other members are refused, strangers and kicked members learn nothing.
    R("GET", "/groups/<group_id>/audit", "bob", lambda w: f"/groups/{w.group}/audit", None, 403, "forbidden",
      "a member, not the admin"),
    R("GET", "/groups/<group_id>/audit", "mallory", lambda w: f"/groups/{w.group}/audit", None, 404, "not_found",
      "a stranger"),
    R("GET", "/groups/<group_id>/audit", "kim", lambda w: f"/groups/{w.group}/audit", None, 404, "not_found",
      "kicked member"),
    # Mute: members only; a stranger, and a kicked member, cannot touch anyone's mute of a chat.
    R("PUT", "/chats/<chat_id>/mute", "mallory", lambda w: f"/chats/{w.ab}/mute", lambda w: {}, 404, "not_found",
      "personal chat"),
    R("PUT", "/chats/<chat_id>/mute", "kim", lambda w: f"/chats/{w.group}/mute",
      lambda w: {"Until": "2099-01-01T00:00:00Z"}, 404, "not_found", "kicked member"),
    R("PUT", "/chats/<chat_id>/mute", "mallory", lambda w: f"/chats/{w.alice['id']}/mute", None, 404, "not_found",
      "alice's self chat"),
    R("DELETE", "/chats/<chat_id>/mute", "mallory", lambda w: f"/chats/{w.group}/mute", None, 404, "not_found",
      "group"),
    # Files: only the uploader and the members of the chat a file was sent in; a kicked member loses access.
    R("GET", "/files/<file_id>", "mallory", lambda w: f"/files/{w.ab_file}", None, 404, "not_found",
      "a file of alice and bob's chat"),
    R("GET", "/files/<file_id>", "kim", lambda w: f"/files/{w.g_file}", None, 404, "not_found",
      "kicked member, a file sent after the kick"),
    R("GET", "/files/<file_id>/thumbnail", "mallory", lambda w: f"/files/{w.g_file}/thumbnail", None, 404,
      "not_found", "a group's file"),
    # Search: only the caller's chats of now; naming another chat is not_found (what they do find: below).
    R("GET", "/search", "mallory", lambda w: f"/search?q=hi&chat={w.ab}", None, 404, "not_found", "personal chat"),
    R("GET", "/search", "mallory", lambda w: f"/search?q=note&chat={w.alice['id']}", None, 404, "not_found",
      "alice's self chat"),
    R("GET", "/search", "kim", lambda w: f"/search?q=hello&chat={w.group}", None, 404, "not_found", "kicked member"),
    # Moderation: pins (members of a personal chat; a group's admin and moderators), invites and reports.
    R("GET", "/chats/<chat_id>/pins", "mallory", lambda w: f"/chats/{w.ab}/pins", None, 404, "not_found",
      "personal chat"),
    R("GET", "/chats/<chat_id>/pins", "kim", lambda w: f"/chats/{w.group}/pins", None, 404, "not_found",
      "kicked member"),
    R("PUT", "/chats/<chat_id>/pins/<message_id>", "mallory",
      lambda w: f"/chats/{w.ab}/pins/{w.ab_alice['MessageId']}", None, 404, "not_found", "personal chat"),
    R("PUT", "/chats/<chat_id>/pins/<message_id>", "mallory",
      lambda w: f"/chats/{w.md}/pins/{w.ab_alice['MessageId']}", None, 404, "not_found",
      "own chat, alice's message"),
    R("PUT", "/chats/<chat_id>/pins/<message_id>", "bob",
      lambda w: f"/chats/{w.group}/pins/{w.g_bob['MessageId']}", None, 403, "forbidden", "a plain group member"),
    R("DELETE", "/chats/<chat_id>/pins/<message_id>", "carol",
      lambda w: f"/chats/{w.group}/pins/{w.g_bob['MessageId']}", None, 403, "forbidden", "a plain group member"),
    R("DELETE", "/chats/<chat_id>/pins/<message_id>", "mallory",
      lambda w: f"/chats/{w.group}/pins/{w.g_bob['MessageId']}", None, 404, "not_found", "group"),
    R("POST", "/groups/<group_id>/invites", "mallory", lambda w: f"/groups/{w.group}/invites", lambda w: {}, 404,
      "not_found"),
    R("POST", "/groups/<group_id>/invites", "bob", lambda w: f"/groups/{w.group}/invites", lambda w: {}, 403,
      "forbidden", "a plain member"),
    R("GET", "/groups/<group_id>/invites", "mallory", lambda w: f"/groups/{w.group}/invites", None, 404, "not_found"),
    R("GET", "/groups/<group_id>/invites", "carol", lambda w: f"/groups/{w.group}/invites", None, 403, "forbidden",
      "a plain member"),
    R("DELETE", "/groups/<group_id>/invites/<code>", "mallory", lambda w: f"/groups/{w.group}/invites/{w.invite}",
      None, 404, "not_found"),
    R("DELETE", "/groups/<group_id>/invites/<code>", "bob", lambda w: f"/groups/{w.group}/invites/{w.invite}",
      None, 403, "forbidden", "a plain member"),
    R("DELETE", "/groups/<group_id>/invites/<code>", "mallory", lambda w: f"/groups/{w.md}/invites/{w.invite}",
      None, 404, "not_found", "a code of alice's group under the caller's own chat"),
    R("POST", "/invites/<code>/accept", "kim", lambda w: f"/invites/{w.invite}/accept", None, 403, "forbidden",
      "kicked member"),
    R("POST", "/invites/<code>/accept", "mallory", lambda w: "/invites/guessed-code/accept", None, 404, "not_found",
      "a guessed code"),
    R("POST", "/messages/<message_id>/report", "mallory", lambda w: f"/messages/{w.g_bob['MessageId']}/report",
      lambda w: {"Reason": "abuse"}, 404, "not_found", "group message"),
    R("POST", "/messages/<message_id>/report", "kim", lambda w: f"/messages/{w.g_bob['MessageId']}/report",
      lambda w: {"Reason": "abuse"}, 404, "not_found", "kicked member"),
    R("POST", "/messages/<message_id>/report", "carol", lambda w: f"/messages/{w.g_bob['MessageId']}/report",
      lambda w: {"Reason": "abuse"}, 409, "conflict", "a second report"),
    R("GET", "/groups/<group_id>/reports", "mallory", lambda w: f"/groups/{w.group}/reports", None, 404, "not_found"),
    R("GET", "/groups/<group_id>/reports", "bob", lambda w: f"/groups/{w.group}/reports", None, 403, "forbidden",
      "the reported member"),
    R("GET", "/admin/reports", "mallory", lambda w: "/admin/reports", None, 403, "forbidden",
      "not an operator (ADMIN_USERS)"),
    R("POST", "/reports/<report_id>/resolve", "mallory", lambda w: f"/reports/{w.report}/resolve",
      lambda w: {"Action": "dismiss"}, 404, "not_found"),
    R("POST", "/reports/<report_id>/resolve", "bob", lambda w: f"/reports/{w.report}/resolve",
      lambda w: {"Action": "dismiss"}, 404, "not_found", "the reported member"),
    R("POST", "/reports/<report_id>/resolve", "carol", lambda w: f"/reports/{w.report}/resolve",
      lambda w: {"Action": "delete"}, 403, "forbidden", "a plain member"),
    # Threads: members of the root's chat only (a kicked member too is out); replies: the socket table above.
    R("GET", "/messages/<message_id>/thread", "mallory", lambda w: f"/messages/{w.ab_alice['MessageId']}/thread",
      None, 404, "not_found", "personal message"),
    R("GET", "/messages/<message_id>/thread", "mallory", lambda w: f"/messages/{w.note['MessageId']}/thread",
      None, 404, "not_found", "alice's note"),
    R("GET", "/messages/<message_id>/thread", "kim", lambda w: f"/messages/{w.g_kim['MessageId']}/thread",
      None, 404, "not_found", "kicked member, own message"),
    # Webhooks: the group's admin only; a member is forbidden, a stranger and a kicked member see no group.
    R("POST", "/groups/<group_id>/webhooks", "mallory", lambda w: f"/groups/{w.group}/webhooks",
      lambda w: {"Name": "spy"}, 404, "not_found", "incoming"),
    R("POST", "/groups/<group_id>/webhooks", "bob", lambda w: f"/groups/{w.group}/webhooks",
      lambda w: {"Name": "spy", "Url": "https://8.8.8.8/x"}, 403, "forbidden", "outgoing, a member"),
    R("POST", "/groups/<group_id>/webhooks", "kim", lambda w: f"/groups/{w.group}/webhooks",
      lambda w: {"Name": "spy"}, 404, "not_found", "kicked member"),
    R("GET", "/groups/<group_id>/webhooks", "bob", lambda w: f"/groups/{w.group}/webhooks", None, 403, "forbidden",
      "a member"),
    R("GET", "/groups/<group_id>/webhooks", "mallory", lambda w: f"/groups/{w.group}/webhooks", None, 404,
      "not_found"),
    R("DELETE", "/groups/<group_id>/webhooks/<webhook_id>", "carol",
      lambda w: f"/groups/{w.group}/webhooks/{'w' * 24}", None, 403, "forbidden", "a member"),
    R("DELETE", "/groups/<group_id>/webhooks/<webhook_id>", "mallory",
      lambda w: f"/groups/{w.group}/webhooks/{'w' * 24}", None, 404, "not_found"),
]

# Endpoints where no chat of anyone else is involved, and why; the tests below check what they do show.
REST_NOT_APPLICABLE = {
    ("POST", "/me/push-subscriptions"): "the caller's own subscriptions (an endpoint moves to its latest subscriber)",
    ("DELETE", "/me/push-subscriptions"): "the caller's own subscriptions only (test_notify.py)",
    ("GET", "/me/settings"): "the caller's own settings only",
    ("GET", "/threads"): "the caller's own follows, of chats they are in now (test_threads.py)",
    ("GET", "/me/security-log"): "the caller's own log only (test_governance_logs.py)",
    ("POST", "/me/export"): "the caller's own data only (test_export.py: no one else's address in it)",
    ("PATCH", "/me/settings"): "the caller's own settings only",
    ("POST", "/refresh"): "the caller's own session (reuse: test_auth.py)",
    ("POST", "/logout"): "the caller's own session; another user's refresh token in the body is ignored",
    ("GET", "/me"): "the caller only",
    ("POST", "/me/password"): "the caller's own account, behind its password",
    ("GET", "/me/sessions"): "the caller's own sessions only (test_accounts_live.py)",
    ("DELETE", "/me/sessions"): "the caller's own other sessions only",
    ("POST", "/me/email"): "the caller's own account, behind its password",
    ("POST", "/me/email/cancel"): "the caller's own pending address change only",
    ("POST", "/me/2fa/setup"): "the caller's own second factor, behind its password",
    ("POST", "/me/2fa/enable"): "the caller's own second factor",
    ("POST", "/me/2fa/disable"): "the caller's own second factor, behind its password and a code",
    ("DELETE", "/me"): "the caller's own account, behind its password",
    ("GET", "/users/search"): "a directory of verified users, by design",
    ("GET", "/users/<user_id>"): "any verified user's public {id, username}, by design",
    ("GET", "/chats"): "the caller's inbox only (below)",
    ("GET", "/groups/public"): "a directory of public groups only, by design (below)",
    ("POST", "/chats/personal/<partner_id>/messages"): "any verified user may write to any other, by design",
    ("POST", "/chats/self/messages"): "the caller's own self chat",
    ("PUT", "/users/<user_id>/block"): "the caller's own block list; any verified user may be blocked, by design",
    ("DELETE", "/users/<user_id>/block"): "the caller's own block list",
    ("GET", "/me/blocks"): "the caller's own block list only",
    ("POST", "/files"): "the caller's own upload (attached to a send only by its uploader, below)",
    ("POST", "/me/tokens"): "the caller's own tokens (test_tokens.py)",
    ("GET", "/me/tokens"): "the caller's own tokens only (test_tokens.py)",
    ("POST", "/bots"): "the caller's own bots (test_bots.py)",
    ("GET", "/bots"): "the caller's own bots only (test_bots.py)",
    ("GET", "/link-preview"): "a public web page's metadata; no chat is involved (test_link_previews.py)",
}


@pytest.mark.parametrize("case", REST_CASES, ids=lambda case: case.id)
def test_rest_refuses_non_members_and_non_authors(world, case):
    world.pushes()
    before = world.state()
    response = _call(world, case.method, case.path(world), world.user(case.actor)["access"],
                     case.body(world) if case.body else None)
    assert response.status_code == case.status, response.get_json()
    assert error_code(response) == case.code
    assert world.state() == before
    assert world.pushes() == {}


def test_the_inbox_shows_only_the_callers_chats(world):
    response = _call(world, "GET", "/chats?per_page=100", world.mallory["access"])
    ids = {entry.get("ChatId") or entry.get("GroupId") for entry in response.get_json()["entries"]}
    assert world.ab not in ids and world.group not in ids and world.md in ids


def test_search_finds_only_the_callers_chats(world):
    def contents(user, q):
        response = _call(world, "GET", f"/search?q={q}", user["access"])
        assert response.status_code == 200, response.get_json()
        return sorted(result["Message"]["Content"] for result in response.get_json()["Results"])

    assert contents(world.mallory, "hi") == ["hi dave"] and contents(world.mallory, "secret") == []
    assert contents(world.kim, "hello") == [] and contents(world.kim, "kim") == []  # kicked: not even their own
    assert "my secret note" in contents(world.alice, "secret") and contents(world.bob, "secret") == []
    assert world.pushes() == {}


def test_the_directory_lists_public_groups_only(world):
    response = _call(world, "GET", "/groups/public?per_page=100", world.mallory["access"])
    entries = {entry["GroupId"]: entry for entry in response.get_json()["entries"]}
    assert world.group not in entries and entries[world.open_group]["Joined"] is False
    assert set(entries[world.open_group]) == {"GroupId", "Name", "Description", "MemberCount", "Joined"}
    assert world.pushes() == {}


def test_logout_ignores_another_users_refresh_token(world):
    throwaway = world.accounts.login(dict(world.mallory))
    others = {"user_id": {"$ne": world.mallory["id"]}}
    before = {doc["_id"]: doc for doc in world.db.sessions.find(others)}
    world.pushes()
    response = _call(world, "POST", "/logout", throwaway["access"], {"refresh_token": world.alice["refresh"]})
    assert response.status_code == 200
    assert {doc["_id"]: doc for doc in world.db.sessions.find(others)} == before
    assert _call(world, "GET", "/me", world.alice["access"]).status_code == 200
    assert world.pushes() == {}


# Browsers on other origins, and what reaches the logs.

@pytest.mark.parametrize("origins", [[], ["*"], ["*", "http://client.example"], ["http://client.example"]],
                         ids=["same origin only", "wildcard", "wildcard and a client", "a listed client"])
def test_a_foreign_origin_is_refused_by_socketio_and_gets_no_cors_headers(make_app, origins):
    """`*` in CORS_ORIGINS is ignored for Socket.IO as for HTTP (production refuses it outright)."""
    app = make_app(CORS_ORIGINS=origins)
    http = app.test_client()
    handshake = http.get("/socket.io/?EIO=4&transport=polling", headers={"Origin": "http://evil.example"})
    assert handshake.status_code == 400 and b"Not an accepted origin" in handshake.data
    assert "*" not in (app.extensions["socketio"].server.eio.cors_allowed_origins or [])
    preflight = http.options("/me", headers={"Origin": "http://evil.example",
                                             "Access-Control-Request-Method": "GET"})
    assert "Access-Control-Allow-Origin" not in preflight.headers


def test_passwords_and_tokens_never_reach_the_logs(world, caplog):
    """Signup, verify, login, refresh, sockets, refusals and logout log none of the secrets they carry."""
    caplog.set_level(logging.DEBUG)
    user = world.accounts.signup()
    link = world.accounts.link(user)
    world.accounts.verify(user)
    world.accounts.login(user)
    rotated = world.http.post("/refresh", headers=bearer(user["refresh"])).get_json()
    socket = world.connect({**user, "refresh": rotated["refresh_token"]},
                           access=rotated["access_token"])
    connect_refusal(world.app, "/personal", {"access_token": user["refresh"]})
    assert world.http.post("/refresh", headers=bearer(user["refresh"])).status_code == 401  # reuse: logged
    world.http.post("/login", json={"login": user["username"], "password": "wrong " + user["password"]})
    world.http.post("/logout", headers=bearer(rotated["access_token"]))
    close_test_clients([socket])
    text = "\n".join(record.getMessage() for record in caplog.records if not record.name.startswith("mail"))
    assert "refresh token reuse" in text, "the walk must have logged something to check"
    secrets = {"password": user["password"], "verification token": link.split("token=", 1)[1],
               "access token": user["access"], "refresh token": user["refresh"],
               "rotated access": rotated["access_token"], "rotated refresh": rotated["refresh_token"]}
    for name, secret in secrets.items():
        assert secret not in text, f"the {name} was logged"
        assert secret.split(".")[-1] not in text, f"the signature of the {name} was logged"


def test_verification_tokens_are_stored_only_as_their_sha256(world):
    """The one token that travels in a URL (the emailed link) is useless to someone who reads the database."""
    user = world.accounts.signup()
    token = world.accounts.link(user).split("token=", 1)[1]
    stored = list(world.db.one_time_tokens.find({"user_id": user["id"]}))
    assert [doc["_id"] for doc in stored] == [hashlib.sha256(token.encode()).hexdigest()]
    assert token not in repr(stored)


@pytest.mark.parametrize("payload, reason", [
    ({"Name": "big", "Participants": [f"{i:024x}" for i in range(1001)]}, "Length"),  # schema cap: 1000 ids
    ({"Name": "big", "Participants": [f"{i:024x}" for i in range(256)]}, "at most 256"),  # 1 + 256 > 256
    ({"Name": "n" * 10_001, "Participants": []}, "Length"),  # schema cap before the service's 100
], ids=["1001 participants", "257 members", "10001-character name"])
def test_oversized_groups_are_refused_and_change_nothing(world, payload, reason):
    before = world.state()
    ack = world.emit(world.mallory, "/group", "create-group-chat", payload)
    assert error_code(ack) == "validation_error", ack
    assert reason.lower() in " ".join(sum(ack["error"]["fields"].values(), [])).lower()
    assert world.state() == before and world.pushes() == {}
