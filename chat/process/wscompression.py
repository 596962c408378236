"""WebSocket permessage-deflate is refused unless WS_COMPRESSION is on.

Every WebSocket engineio can run on accepts permessage-deflate whenever the client offers it, and none has
an option to refuse it: simple-websocket (gevent, threading, gunicorn's gevent worker) always answers with
wsproto's `AcceptConnection(extensions=[PerMessageDeflate()])`, and eventlet's own `eventlet.websocket`
(eventlet) negotiates it itself. Both read the offer from the WSGI environ (`HTTP_SEC_WEBSOCKET_EXTENSIONS`),
so taking it out before engineio sees the request gets the answer a client that offers nothing gets: no
extension, every frame sent as it is. Browsers always offer it, and for chat-sized messages compressing
costs 2.1x the app CPU per fan-out delivery (each frame is compressed once per recipient) and about
176-223 KiB per connection (docs/performance.md, "permessage-deflate, measured both ways"). Node socket.io
ships with it off too.
"""


class RefuseWebSocketCompression:
    """WSGI middleware: requests to the Socket.IO path lose their `Sec-WebSocket-Extensions` header (the
    offer of permessage-deflate, the only extension either server knows); everything else passes untouched."""

    def __init__(self, wsgi_app, path="/socket.io"):
        self.wsgi_app, self.path = wsgi_app, path.rstrip("/")

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        if path == self.path or path.startswith(self.path + "/"):
            environ.pop("HTTP_SEC_WEBSOCKET_EXTENSIONS", None)
        return self.wsgi_app(environ, start_response)
