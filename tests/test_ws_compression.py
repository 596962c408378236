"""WS_COMPRESSION: the real server process refuses WebSocket permessage-deflate unless it is on.

A raw WebSocket handshake, written by hand on a plain socket as a browser sends it (offering
permessage-deflate), then the first frame the server sends: Engine.IO's open packet, compressed or not.
"""
import base64
import hashlib
import os
import socket
import zlib
from urllib.parse import urlsplit

import pytest

from chat.process.wscompression import RefuseWebSocketCompression
from conftest import start_live_server, stop_live_server

OFFER = "permessage-deflate; client_max_window_bits"  # what Chrome and Firefox send
WEBSOCKET_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


class Handshake:
    """A WebSocket handshake to /socket.io/ on `url`: the status, the response headers (lower-case names),
    and `first_frame()` (its RSV1 bit and its payload)."""

    def __init__(self, url, extra_headers=()):
        parts = urlsplit(url)
        self.sock = socket.create_connection((parts.hostname, parts.port), timeout=10)
        self.key = base64.b64encode(os.urandom(16)).decode()
        lines = ["GET /socket.io/?EIO=4&transport=websocket HTTP/1.1", f"Host: {parts.netloc}",
                 "Upgrade: websocket", "Connection: Upgrade", f"Sec-WebSocket-Key: {self.key}",
                 "Sec-WebSocket-Version: 13", f"Sec-WebSocket-Extensions: {OFFER}", *extra_headers]
        self.sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        self.buffer = b""
        while b"\r\n\r\n" not in self.buffer:
            self._receive()
        head, self.buffer = self.buffer.split(b"\r\n\r\n", 1)
        status_line, *header_lines = head.decode("latin-1").split("\r\n")
        self.status = int(status_line.split()[1])
        self.headers = {}
        for line in header_lines:
            name, value = line.split(":", 1)
            self.headers[name.strip().lower()] = value.strip()

    def _receive(self):
        data = self.sock.recv(65536)
        assert data, f"the server closed the connection; so far: {self.buffer!r}"
        self.buffer += data

    def _take(self, count):
        while len(self.buffer) < count:
            self._receive()
        taken, self.buffer = self.buffer[:count], self.buffer[count:]
        return taken

    def accepted(self):
        """A 101 with the Sec-WebSocket-Accept the key calls for."""
        accept = base64.b64encode(hashlib.sha1(self.key.encode() + WEBSOCKET_GUID).digest()).decode()
        return self.status == 101 and self.headers.get("sec-websocket-accept") == accept

    def first_frame(self):
        """(rsv1, opcode, payload) of the next frame; server frames are not masked."""
        first, second = self._take(2)
        assert not second & 0x80, "a server frame must not be masked"
        length = second & 0x7F
        if length == 126:
            length = int.from_bytes(self._take(2), "big")
        elif length == 127:
            length = int.from_bytes(self._take(8), "big")
        return bool(first & 0x40), first & 0x0F, self._take(length)

    def close(self):
        self.sock.close()


def inflate(payload):
    """A permessage-deflate message's payload, inflated (RFC 7692: the stripped 00 00 ff ff put back)."""
    return zlib.decompressobj(-zlib.MAX_WBITS).decompress(payload + b"\x00\x00\xff\xff")


def assert_open_packet(text):
    assert text.startswith("0{") and '"sid":' in text and '"upgrades":' in text, text


@pytest.mark.live
def test_permessage_deflate_is_refused_by_default(live_server):
    """The session's server, with the default settings: no extension in the 101, an uncompressed open packet."""
    handshake = Handshake(live_server.url)
    try:
        assert handshake.accepted(), (handshake.status, handshake.headers)
        assert "sec-websocket-extensions" not in handshake.headers
        rsv1, opcode, payload = handshake.first_frame()
        assert (rsv1, opcode) == (False, 0x1)  # a text frame, not compressed
        assert_open_packet(payload.decode())
    finally:
        handshake.close()


# Every async mode wsgi.py runs, each way. gevent and threading use simple-websocket (wsproto), eventlet its
# own eventlet.websocket: both accept permessage-deflate when offered, both read the offer from the environ.
CASES = {
    "gevent-on": {"WS_COMPRESSION": "true"},
    "eventlet-off": {"ASYNC_MODE": "eventlet"},
    "eventlet-on": {"ASYNC_MODE": "eventlet", "WS_COMPRESSION": "true"},
    "threading-off": {"ASYNC_MODE": "threading"},
    "threading-on": {"ASYNC_MODE": "threading", "WS_COMPRESSION": "true"},
    # Behind a proxy, ProxyFix wraps the refusal: the header still goes.
    "gevent-off-behind-a-proxy": {"PROXY_HOPS": "1"},
}


@pytest.mark.live
@pytest.mark.parametrize("case", list(CASES))
def test_ws_compression_decides_in_every_async_mode(smtp, tmp_path, case):
    settings = CASES[case]
    server = start_live_server(smtp, tmp_path, **settings)
    extra = ["X-Forwarded-For: 198.51.100.7", "X-Forwarded-Proto: http"] if "PROXY_HOPS" in settings else []
    handshake = Handshake(server.url, extra)
    try:
        assert handshake.accepted(), (handshake.status, handshake.headers, server.log())
        rsv1, opcode, payload = handshake.first_frame()
        assert opcode == 0x1
        if settings.get("WS_COMPRESSION") == "true":
            assert handshake.headers["sec-websocket-extensions"].startswith("permessage-deflate")
            assert rsv1, "the open packet was not compressed"
            assert_open_packet(inflate(payload).decode())
        else:
            assert "sec-websocket-extensions" not in handshake.headers
            assert not rsv1
            assert_open_packet(payload.decode())
        assert f"async mode: {settings.get('ASYNC_MODE', 'gevent')}" in server.log()
    finally:
        handshake.close()
        stop_live_server(server)


# The middleware and its place in the factory

def run(path, **headers):
    """The environ that the wrapped app sees for a request to `path` with these HTTP_* entries."""
    seen = {}

    def inner(environ, start_response):
        seen.update(environ)
        return []
    environ = {"PATH_INFO": path, "QUERY_STRING": "EIO=4&transport=websocket", **headers}
    RefuseWebSocketCompression(inner, "/socket.io/")(environ, lambda *args: None)
    return seen


@pytest.mark.parametrize("path, stripped", [
    ("/socket.io/", True),
    ("/socket.io", True),
    ("/socket.io/anything", True),
    ("/socket.iox/", False),
    ("/health", False),
])
def test_only_the_offer_on_the_socketio_path_is_taken_out(path, stripped):
    headers = {"HTTP_SEC_WEBSOCKET_EXTENSIONS": OFFER, "HTTP_SEC_WEBSOCKET_KEY": "k", "HTTP_UPGRADE": "websocket",
               "HTTP_SEC_WEBSOCKET_PROTOCOL": "p"}
    seen = run(path, **headers)
    assert ("HTTP_SEC_WEBSOCKET_EXTENSIONS" not in seen) is stripped
    assert {k: v for k, v in seen.items() if k != "HTTP_SEC_WEBSOCKET_EXTENSIONS"} == {
        "PATH_INFO": path, "QUERY_STRING": "EIO=4&transport=websocket",
        **{k: v for k, v in headers.items() if k != "HTTP_SEC_WEBSOCKET_EXTENSIONS"}}


@pytest.mark.parametrize("compression, hops", [(False, 0), (False, 1), (True, 0), (True, 1)])
def test_the_factory_wraps_flask_socketio_inside_proxyfix(make_app, compression, hops):
    from flask_socketio import _SocketIOMiddleware
    from werkzeug.middleware.proxy_fix import ProxyFix

    from chat.sockets.ratelimit import HandshakeLimit
    app = make_app(WS_COMPRESSION=compression, PROXY_HOPS=hops)
    chain, layer = [], app.wsgi_app
    while not isinstance(layer, _SocketIOMiddleware):
        chain.append(type(layer))
        layer = layer.app if isinstance(layer, ProxyFix) else layer.wsgi_app
    assert layer is app.extensions["socketio"].sockio_mw
    expected = [ProxyFix] * hops + [RefuseWebSocketCompression] * (not compression) + [HandshakeLimit]
    assert chain == expected
