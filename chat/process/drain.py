"""Draining a process before it stops, so a rolling restart loses nothing (docs/operations.md, "Rolling restart").

`begin(app)` runs when the process is told to stop (gunicorn's SIGTERM, through `deploy/gunicorn.conf.py`):
1. the process is marked draining: `GET /health` answers 503, and every new request (a REST call, a new
   Engine.IO session) is answered 503 `unavailable` by `gate()` before the app sees it, so the proxy sends it to
   another process (nginx: `proxy_next_upstream ... http_503`) and takes this one out of rotation;
2. the requests already running finish (gunicorn waits for them, up to its graceful timeout);
3. every Socket.IO connection is cut at the transport (no Engine.IO `close` packet, which would tell a client
   not to reconnect), so clients reconnect at once through the proxy to another process and catch up there.

A message is acknowledged only once it is stored, so nothing acknowledged is lost when a connection is cut;
a send that was cut before its ack is sent again with the same ClientId and stored once.
"""
import json
import logging

DRAINING = "chat.draining"
log = logging.getLogger(__name__)
BODY = json.dumps({"error": {"code": "unavailable", "message": "This process is shutting down; try again "
                                                            "(another one will answer)."}}).encode()


def draining(app):
    """True once `begin(app)` has run in this process."""
    return app.extensions.get(DRAINING, False)


def gate(app):
    """Wrap app.wsgi_app: while draining, answer new requests 503 without running them.

    Let through `/health` (it answers 503 itself, saying why) and the requests of Engine.IO sessions this
    process already holds (a `sid` in the query), which end when `begin` cuts their connections.
    """
    inner = app.wsgi_app

    def wsgi_app(environ, start_response):
        if app.extensions.get(DRAINING) and environ.get("PATH_INFO") != "/health" \
                and "sid=" not in environ.get("QUERY_STRING", ""):
            start_response("503 Service Unavailable", [("Content-Type", "application/json"), ("Retry-After", "5"),
                                                       ("Content-Length", str(len(BODY))), ("Connection", "close")])
            return [BODY]
        return inner(environ, start_response)
    app.wsgi_app = wsgi_app


def begin(app):
    """Mark the process draining and cut every Socket.IO connection at its transport (see the module's text)."""
    if draining(app):
        return 0
    app.extensions[DRAINING] = True
    sockets = list(app.extensions["socketio"].server.eio.sockets.values())
    for socket in sockets:
        try:
            socket.close(wait=False, abort=True)  # abort: no `close` packet, so the client reconnects
        except Exception:  # noqa: BLE001  (a connection already gone; the others must still be cut)
            log.warning("drain: a connection could not be closed", exc_info=True)
    log.info("draining: /health answers 503, new requests go elsewhere, %d connections cut", len(sockets))
    return len(sockets)
