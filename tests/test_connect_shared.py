"""One token check per Engine.IO connection (chat/sockets/shared.py), and its revocation story.

A browser connects `/`, `/self`, `/personal` and `/group` over one Engine.IO connection: the first namespace
checks the tokens (the session, in one command that also writes its LastUsedAt) and reads the user; the others
reuse that check (its command budget: tests/test_command_budget.py). The check is forgotten when any namespace
of the connection disconnects, so a logout (which disconnects every namespace of the session at once) leaves
nothing to reuse: a namespace that joins afterwards, over the same Engine.IO connection, is checked again and
refused; an expired access token is refused as before.
"""
import time
from datetime import timedelta

import jwt
import pytest
import socketio

from conftest import Accounts, bearer, socket_auth

BROWSER = ("/", "/self", "/personal", "/group")


def browser(app, user, connect_socket, auth=None):
    """A test client connected to the four namespaces over one Engine.IO connection (one eio_sid)."""
    auth = socket_auth(user) if auth is None else auth
    client = connect_socket(app, user, "/", auth=auth)
    for namespace in BROWSER[1:]:
        client.connect(namespace, auth=auth)
    return client


def test_a_logout_disconnects_every_namespace_and_a_namespace_joining_later_is_refused(
        app, client, accounts, connect_socket):
    user = accounts.user()
    sock = connect_socket(app, user, "/")
    for namespace in ("/self", "/personal"):
        sock.connect(namespace, auth=socket_auth(user))
    assert client.post("/logout", headers=bearer(user["access"])).status_code == 200
    assert not any(sock.is_connected(namespace) for namespace in ("/", "/self", "/personal"))
    # The same Engine.IO connection: the check it shared is gone with its namespaces, so this one is checked again.
    sock.connect("/group", auth=socket_auth(user))
    assert not sock.is_connected("/group")
    assert len(app.extensions["chat.socket_checks"]) == 0


def test_a_namespace_that_joins_after_the_access_token_expired_is_checked_again(make_app, smtp, connect_socket):
    app = make_app(JWT_ACCESS_TOKEN_EXPIRES=timedelta(seconds=3))
    user = Accounts(app.test_client(), smtp).verified_user()
    tokens = {"access_token": user["access"]}
    sock = connect_socket(app, auth=tokens, namespace="/")
    assert sock.is_connected("/")
    expires = jwt.decode(user["access"], options={"verify_signature": False})["exp"]
    while time.time() <= expires:  # the token's own expiry, not a guess
        time.sleep(0.05)
    sock.connect("/personal", auth=tokens)  # same Engine.IO connection, same (now expired) token, no refresh
    assert not sock.is_connected("/personal")
    fresh = connect_socket(app, auth=tokens, namespace="/")  # a new Engine.IO connection
    assert not fresh.is_connected("/")
    renewed = connect_socket(app, auth=socket_auth(user), namespace="/personal")  # with the refresh token: renewed
    assert renewed.is_connected("/personal")


@pytest.mark.live
def test_a_logout_disconnects_all_four_namespaces_of_one_websocket(live_server, live_socket):
    user = live_server.verified_user()
    sock = live_socket(live_server, user, BROWSER)
    assert sock.wait_for("user-id")["userId"] == user["id"]
    response = live_server.accounts().client.post("/logout", headers=bearer(user["access"]))
    assert response.status_code == 200
    for namespace in BROWSER:
        assert sock.wait_for("session-ended", namespace) == {"reason": "session_revoked"}
        sock.wait_disconnected(namespace)
    again = live_socket(live_server, user, BROWSER, connect=False)
    with pytest.raises(socketio.exceptions.ConnectionError):
        again.connect()
    assert {again.connect_errors[ns]["data"]["code"] for ns in again.connect_errors} == {"token_revoked"}
