"""Personal access tokens through the live server: created once, hashed, scoped, expiring, revocable, REST only,
never on account management; and every Bearer route declares what a token needs (the route walk)."""
import hashlib
import re
from datetime import datetime, timedelta, timezone

import pytest
import socketio

from chat.tokens.scopes import NO_TOKENS, SCOPES
from conftest import SocketRecorder, bearer, error_code, socket_auth

pytestmark = pytest.mark.live

ACCOUNT_MANAGEMENT = [("POST", "/me/password"), ("POST", "/me/email"), ("DELETE", "/me"), ("POST", "/me/tokens"),
                      ("GET", "/me/tokens"), ("DELETE", "/me/tokens/<token_id>"), ("POST", "/me/2fa/setup"),
                      ("POST", "/me/2fa/enable"), ("POST", "/me/2fa/disable"), ("GET", "/me/sessions"),
                      ("DELETE", "/me/sessions"), ("DELETE", "/me/sessions/<session_id>"), ("POST", "/logout"),
                      ("POST", "/refresh"), ("POST", "/me/email/cancel"), ("POST", "/bots"), ("GET", "/bots"),
                      ("DELETE", "/bots/<bot_id>")]


@pytest.fixture
def routes(app):
    """[(rule, method, view)] of every served route but `static` (the live server's code, in this process)."""
    return [(rule, method, app.view_functions[rule.endpoint]) for rule in app.url_map.iter_rules()
            if rule.endpoint != "static" for method in sorted(rule.methods - {"HEAD", "OPTIONS"})]


def make_token(api, user, scopes, **extra):
    """POST /me/tokens with the user's session; the answer's JSON (with `Token`)."""
    answer = api.post("/me/tokens", json={"Name": "ci", "Scopes": list(scopes), **extra},
                      headers=bearer(user["access"]))
    assert answer.status_code == 201, answer.get_json()
    return answer.get_json()


@pytest.fixture
def api(live_server):
    return live_server.accounts().client


def test_every_bearer_route_declares_a_scope_or_no_tokens(routes):
    for rule, method, view in routes:
        operation = getattr(view, "operation", None)
        layers, layer = [], view
        while layer is not None:  # the decorators between the route and the view
            layers.append(layer.__code__.co_filename)
            layer = getattr(layer, "__wrapped__", None)
        assert not any("flask_jwt_extended" in name for name in layers), \
            f"{rule.endpoint}: use @bearer_required(), not @jwt_required()"
        if operation is not None and operation.auth:
            assert operation.scope in (*SCOPES, NO_TOKENS), f"{method} {rule.rule}: no scope declared"
            assert getattr(view, "bearer_scope", None) == operation.scope, f"{method} {rule.rule}: not guarded"
        else:
            assert not hasattr(view, "bearer_scope"), f"{method} {rule.rule}: guarded but declares no auth"
    declared = {(method, rule.rule): view.bearer_scope for rule, method, view in routes
                if hasattr(view, "bearer_scope")}
    for route in ACCOUNT_MANAGEMENT:
        assert declared[route] == NO_TOKENS, route
    assert declared[("POST", "/chats/personal/<partner_id>/messages")] == "messages:write"


def test_the_document_names_each_operations_scope(live_server, api):
    document = api.get("/openapi.json").get_json()
    send = document["paths"]["/groups/{group_id}/messages"]["post"]
    assert send["security"] == [{"accessToken": []}, {"personalToken": ["messages:write"]}]
    assert "insufficient_scope" in send["responses"]["403"]["description"]
    assert document["paths"]["/me/password"]["post"]["security"] == [{"accessToken": []}]
    assert document["components"]["securitySchemes"]["personalToken"]["scheme"] == "bearer"


def test_a_token_with_messages_write_sends_and_the_partner_receives_it_live(live_server, api):
    alice, bob = live_server.verified_user(), live_server.verified_user()
    created = make_token(api, alice, ["messages:write"], ExpiresIn=3600)
    token = created["Token"]
    assert re.fullmatch(r"chatpat_[A-Za-z0-9_-]{43}", token)
    assert created["Scopes"] == ["messages:write"] and created["LastUsedAt"] is None
    expires = datetime.fromisoformat(created["ExpiresAt"].replace("Z", "+00:00"))
    assert timedelta(minutes=59) < expires - datetime.now(timezone.utc) <= timedelta(hours=1)
    stored = live_server.db().access_tokens.find_one({"_id": created["TokenId"]})
    assert stored["hash"] == hashlib.sha256(token.encode()).hexdigest() and token not in str(stored)
    indexes = live_server.db().access_tokens.index_information()  # found by the hash, through a unique index
    assert indexes["access_tokens_hash"]["key"] == [("hash", 1)] and indexes["access_tokens_hash"]["unique"]
    assert not any("expireAfterSeconds" in index for index in indexes.values())  # expiry is checked in code
    sockets = SocketRecorder(live_server.url, socket_auth(bob), ["/personal"]).connect()
    try:
        sent = api.post(f"/chats/personal/{bob['id']}/messages", json={"Content": "from a script"},
                        headers=bearer(token))
        assert sent.status_code == 201, sent.get_json()
        message = sent.get_json()["Message"]
        assert message["Sender"]["id"] == alice["id"]
        pushed = sockets.wait_for("receive-personal-message", "/personal")
        assert pushed["Message"] == message
    finally:
        sockets.client.disconnect()
    listed = api.get("/me/tokens", headers=bearer(alice["access"])).get_json()["Tokens"]
    assert [entry["TokenId"] for entry in listed] == [created["TokenId"]]
    assert "Token" not in listed[0] and listed[0]["LastUsedAt"] is not None


def test_without_the_scope_403_insufficient_scope_and_nothing_stored(live_server, api):
    alice, bob = live_server.verified_user(), live_server.verified_user()
    token = make_token(api, alice, ["messages:read", "groups:read"])["Token"]
    messages, chats = live_server.db().messages, live_server.db().chats
    before = (messages.count_documents({"sender_id": alice["id"]}), chats.count_documents({"members": alice["id"]}))
    refused = api.post(f"/chats/personal/{bob['id']}/messages", json={"Content": "nope"}, headers=bearer(token))
    assert refused.status_code == 403 and error_code(refused) == "insufficient_scope"
    assert "messages:write" in refused.get_json()["error"]["message"]
    assert api.post("/chats/self/messages", json={"Content": "nope"}, headers=bearer(token)).status_code == 403
    after = (messages.count_documents({"sender_id": alice["id"]}), chats.count_documents({"members": alice["id"]}))
    assert after == before
    assert api.get("/chats/self/messages", headers=bearer(token)).status_code == 200  # messages:read it has


def test_expired_revoked_and_unknown_tokens_are_401(live_server, api):
    alice = live_server.verified_user()
    expiring, revoked = make_token(api, alice, SCOPES, ExpiresIn=60), make_token(api, alice, SCOPES)
    assert api.get("/chats", headers=bearer(expiring["Token"])).status_code == 200
    # An hour passes for this token (its expiry is checked in code when it is used, not by a TTL index).
    live_server.db().access_tokens.update_one({"_id": expiring["TokenId"]},
                                              {"$set": {"expires_at": datetime.now(timezone.utc) - timedelta(hours=1)}})
    answer = api.get("/chats", headers=bearer(expiring["Token"]))
    assert answer.status_code == 401 and error_code(answer) == "token_expired"
    gone = api.request("DELETE", f"/me/tokens/{revoked['TokenId']}", headers=bearer(alice["access"]))
    assert gone.status_code == 204
    answer = api.get("/chats", headers=bearer(revoked["Token"]))
    assert answer.status_code == 401 and error_code(answer) == "token_revoked"
    again = api.request("DELETE", f"/me/tokens/{revoked['TokenId']}", headers=bearer(alice["access"]))
    assert again.status_code == 404 and error_code(again) == "not_found"
    unknown = api.get("/chats", headers=bearer("chatpat_" + "A" * 43))
    assert unknown.status_code == 401 and error_code(unknown) == "unauthorized"
    listed = api.get("/me/tokens", headers=bearer(alice["access"])).get_json()["Tokens"]
    assert [entry["TokenId"] for entry in listed] == [expiring["TokenId"]]  # the expired one stays listed


def test_another_users_token_cannot_be_revoked(live_server, api):
    alice, mallory = live_server.verified_user(), live_server.verified_user()
    token = make_token(api, alice, ["messages:read"])
    answer = api.request("DELETE", f"/me/tokens/{token['TokenId']}", headers=bearer(mallory["access"]))
    assert answer.status_code == 404
    assert api.get("/chats", headers=bearer(token["Token"])).status_code == 200


def test_a_token_is_refused_on_a_socket_connect(live_server, api):
    alice = live_server.verified_user()
    token = make_token(api, alice, SCOPES)["Token"]
    for auth in ({"access_token": token}, {"access_token": alice["access"], "refresh_token": token}):
        sockets = SocketRecorder(live_server.url, auth, ["/personal"])
        with pytest.raises(socketio.exceptions.ConnectionError):
            sockets.connect()
        error = sockets.connect_errors["/personal"]
        assert error["data"]["code"] == "unauthorized" and "Personal access tokens" in error["message"]


def test_a_token_is_refused_on_every_account_management_route(live_server, api, routes):
    alice = live_server.verified_user()
    token = make_token(api, alice, SCOPES)
    values = {"token_id": token["TokenId"], "session_id": "s" * 32, "bot_id": alice["id"], "user_id": alice["id"]}
    refused = []
    for rule, method, view in routes:
        if getattr(view, "bearer_scope", None) != NO_TOKENS:
            continue
        path = re.sub(r"<(?:[^<>:]+:)?([^<>]+)>", lambda m: values[m.group(1)], rule.rule)
        answer = api.request(method, path, json={"password": alice["password"], "current_password": alice["password"],
                                                 "new_password": "another password", "email": "x@example.test"},
                             headers=bearer(token["Token"]))
        assert answer.status_code == 403 and error_code(answer) == "insufficient_scope", (method, path)
        refused.append((method, rule.rule))
    assert set(ACCOUNT_MANAGEMENT) <= set(refused)
    # Nothing happened: the password, the address, the account, the sessions and the token are as they were.
    assert api.post("/login", json={"login": alice["username"], "password": alice["password"]}).status_code == 200
    me = api.get("/me", headers=bearer(alice["access"]))
    assert me.status_code == 200 and me.get_json()["user"]["email"] == alice["email"]
    assert api.get("/chats", headers=bearer(token["Token"])).status_code == 200


@pytest.mark.parametrize("body, field", [
    ({"Scopes": ["messages:read"]}, "Name"),
    ({"Name": "x", "Scopes": []}, "Scopes"),
    ({"Name": "x", "Scopes": ["admin"]}, "Scopes.0"),
    ({"Name": "x", "Scopes": "messages:read"}, "Scopes"),
    ({"Name": "x", "Scopes": ["messages:read"], "ExpiresIn": 5}, "ExpiresIn"),
    ({"Name": "x", "Scopes": ["messages:read"], "ExpiresIn": "3600"}, "ExpiresIn"),
    ({"Name": "x", "Scopes": ["messages:read"], "Extra": 1}, "Extra"),
])
def test_a_bad_create_is_a_validation_error_and_stores_nothing(live_server, api, body, field):
    alice = live_server.verified_user()
    answer = api.post("/me/tokens", json=body, headers=bearer(alice["access"]))
    assert answer.status_code == 422 and field in answer.get_json()["error"]["fields"], answer.get_json()
    assert live_server.db().access_tokens.count_documents({"user_id": alice["id"]}) == 0
