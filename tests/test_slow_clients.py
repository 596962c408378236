"""A client that never reads is closed before its queue grows without bound; others carry on."""
import json
import socket
import time

import pytest
import requests
import websocket

from conftest import start_live_server, stop_live_server

pytestmark = pytest.mark.live


@pytest.fixture
def guarded_server(smtp, tmp_path):
    server = start_live_server(smtp, tmp_path, SOCKET_MAX_QUEUED=50, SOCKET_SLOW_CHECK_INTERVAL=0.3)
    yield server
    stop_live_server(server)


def open_silent_socket(server, user):
    """A raw Socket.IO client on /personal with a tiny receive buffer that, once connected, never reads."""
    url = server.url.replace("http://", "ws://") + "/socket.io/?EIO=4&transport=websocket"
    ws = websocket.create_connection(url, timeout=5, sockopt=((socket.SOL_SOCKET, socket.SO_RCVBUF, 4096),))
    assert ws.recv().startswith("0")  # Engine.IO open
    ws.send("40/personal," + json.dumps({"access_token": user["access"]}))
    assert ws.recv().startswith("40/personal,")  # Socket.IO connect accepted
    return ws


def test_a_client_that_never_reads_is_closed_and_others_are_not_slowed(guarded_server, smtp, live_socket):
    sender, silent = guarded_server.signup_verify_login(smtp), guarded_server.signup_verify_login(smtp)
    ws = open_silent_socket(guarded_server, silent)
    sock = live_socket(guarded_server, sender, ("/personal",))
    chat = sock.call("fetch-personal-chat", {"Partner": silent["id"]}, "/personal")
    big = "€" * 4000  # JSON-escaped to 24 kB per push
    started = time.monotonic()
    sent = 0
    while sent < 400:
        assert sock.call("send-personal-message", {"ChatId": chat["ChatId"], "Content": big}, "/personal")["ok"]
        sent += 1
        if "closing a slow consumer" in guarded_server.log():
            break
    else:
        pytest.fail("the silent client was never closed")
    assert time.monotonic() - started < 30
    # The sender is unaffected, and everything it sent is in history for the silent user to catch up on.
    assert sock.call("ping", None, "/personal")["error"]["code"] == "unknown_event"  # round trip still works
    page = requests.get(f"{guarded_server.url}/chats/personal/{sender['id']}/messages?limit=1",
                        headers={"Authorization": f"Bearer {silent['access']}"}, timeout=10).json()
    assert page["Messages"][0]["Seq"] == sent
    ws.close()
