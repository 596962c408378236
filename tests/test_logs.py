"""The server log: one line per event, no traceback for an expected outcome, and JSON lines on request.

The real server process (gevent) gets wrong passwords and WebSockets that vanish without a closing
handshake (a reset and a plain close of the TCP socket); neither is an error of the server, so its log
must hold no traceback. With LOG_FORMAT=json every line of the log is one JSON object.
"""
import json
import socket
import struct
import time

import pytest
import requests
import websocket

from conftest import start_live_server, stop_live_server

pytestmark = pytest.mark.live


def wrong_password_logins(server, user, times=5):
    for _ in range(times):
        response = requests.post(f"{server.url}/login", json={"login": user["username"], "password": "wrong pass!"},
                                 timeout=10)
        assert response.status_code == 401


def abrupt_socket_closes(server, user, times=5):
    """Connect a Socket.IO namespace over a WebSocket, then drop the TCP connection without a closing frame:
    a reset (SO_LINGER 0) for most, a plain close for the others."""
    url = server.url.replace("http://", "ws://") + "/socket.io/?EIO=4&transport=websocket"
    for number in range(times):
        ws = websocket.create_connection(url, timeout=5)
        assert ws.recv().startswith("0")  # Engine.IO open
        ws.send("40/personal," + json.dumps({"access_token": user["access"]}))
        assert ws.recv().startswith("40/personal,")
        raw = ws.sock
        if number % 2 == 0:
            raw.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        raw.close()


def rude_http_clients(server):
    """A request line that is not HTTP (gevent.pywsgi complains in its error log), and a WebSocket upgrade
    whose client resets the connection before reading the answer."""
    host, port = server.url.rsplit("//", 1)[1].split(":")
    with socket.create_connection((host, int(port)), timeout=5) as raw:
        raw.sendall(b"GET / HTTP/9.9 nonsense\r\n\r\n")
        raw.recv(1024)
    raw = socket.create_connection((host, int(port)), timeout=5)
    raw.sendall(b"GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
                b"Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                b"Sec-WebSocket-Version: 13\r\n\r\n")
    raw.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    raw.close()


def settle(server, seconds=1.5):
    """Let the server notice the closed sockets (and write whatever it writes about them)."""
    time.sleep(seconds)
    assert requests.get(f"{server.url}/health", timeout=10).status_code == 200


@pytest.mark.parametrize("log_format", ["text", "json"])
def test_wrong_passwords_and_vanished_sockets_leave_no_traceback(smtp, tmp_path, log_format):
    server = start_live_server(smtp, tmp_path, LOG_FORMAT=log_format)
    try:
        user = server.signup_verify_login(smtp)
        wrong_password_logins(server, user)
        abrupt_socket_closes(server, user)
        rude_http_clients(server)
        settle(server)
        log = server.log()
        assert "Traceback" not in log, log
        assert "VerifyMismatchError" not in log and "ConnectionResetError" not in log, log
        if log_format == "json":
            records = [json.loads(line) for line in log.splitlines() if line.strip()]
            assert records and all({"time", "level", "logger", "message"} <= set(record) for record in records)
            assert any(record["message"].startswith("listening on http://") for record in records)
    finally:
        stop_live_server(server)


def test_json_log_carries_the_traceback_of_an_unexpected_error_inside_its_line(smtp, tmp_path):
    """An unexpected error is still reported with its traceback, but as one JSON line."""
    import logging

    from chat.process.logs import JsonFormatter
    try:
        raise ValueError("boom")
    except ValueError:
        import sys
        record = logging.LogRecord("chat", logging.ERROR, __file__, 1, "unhandled error %s", ("x",), sys.exc_info())
    line = JsonFormatter().format(record)
    assert "\n" not in line
    parsed = json.loads(line)
    assert parsed["level"] == "ERROR" and parsed["logger"] == "chat" and parsed["message"] == "unhandled error x"
    assert "ValueError: boom" in parsed["exception"] and "Traceback" in parsed["exception"]
