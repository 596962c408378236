"""The base of every namespace: the token check on connect, and acks for every event.

`AuthedNamespace` refuses a connection unless its tokens pass `check_socket_tokens`, remembers
who each socket is, puts it in its user and session rooms, and dispatches hyphenated events
(`send-personal-message`) to `on_send_personal_message`. Handlers decorated with `@event(Schema)`
get the connection and the validated payload, and whatever they return (or raise) becomes the ack:
`{"ok": true, ...}` or `{"ok": false, "error": {...}}`. No payload can crash a handler.
"""
import functools
import logging
from dataclasses import dataclass

from flask import current_app, request
from flask_socketio import ConnectionRefusedError, Namespace, join_room

from ..events import Origin
from ..kernel import errors
from ..process import metrics
from . import addresses as rooms

log = logging.getLogger(__name__)


@dataclass
class Connection:
    """Who a socket is: set once on connect, never taken from a payload."""

    sid: str
    user_id: str
    username: str
    session_id: str
    # Whom the user blocks or is blocked by, as the user document said at connect (for the connect's own
    # presence announcement and lists only: later checks read the current state).
    hidden_at_connect: frozenset = frozenset()

    @property
    def user(self):
        """The connection's user as the `User` wire object."""
        return {"id": self.user_id, "username": self.username, "Bot": False}  # a bot has no session: no socket

    @property
    def origin(self):
        """Who asks and from which socket, for the service call (its pushes leave this socket out where the
        contract says so)."""
        return Origin(self.user, self.sid)


def error_ack(exc):
    """The ack for a failed event; unexpected exceptions are logged and answered as internal_error."""
    error = errors.from_exception(exc)
    if error is None:
        log.exception("socket handler failed")
        error = errors.ApiError("internal_error", "Something went wrong on our side.", 500)
    body = error.to_dict()
    if "Retry-After" in error.headers:  # rate_limited and unavailable say when to try again
        body["retry_after"] = int(error.headers["Retry-After"])
    return {"ok": False, "error": body}


def event(schema, limit="other", echo=None):
    """Make a method an event handler: count it against its rate-limit category, validate the payload with
    schema, call it with (connection, data), and ack the result. With echo (the fetches' `personal-chat`,
    `group-chat`, `self-chat`), the result is also emitted as that event to the asking socket only, before the
    ack: the handler itself never emits. The handler exposes its `schema` (class)."""
    loader = schema()

    def decorate(method):
        @functools.wraps(method)
        def handler(self, *args):
            try:
                connection = self.connection()
                current_app.extensions["chat.socket_limits"].hit(limit, connection.user_id, connection.sid)
                data = args[0] if args else None
                data = {} if data is None else data
                if not isinstance(data, dict):
                    raise errors.validation_error({"_payload": ["Send a JSON object."]})
                result = method(self, connection, loader.load(data))
                if echo:
                    self.emit(echo, result, room=connection.sid)
                return {"ok": True, **(result or {})}
            except Exception as exc:  # every failure becomes an ack, never a dropped connection
                return error_ack(exc)
        handler = metrics.timed_event(handler, event_name(method.__name__))  # chat_socket_events_total, ack time
        handler.is_event = True
        handler.schema = schema
        return handler
    return decorate


def answer(event_name_, data):
    """One thing a new socket is told on connect (what `connected` returns a list of): (event, data)."""
    return event_name_, data


def event_name(method_name):
    """`on_send_personal_message` → `send-personal-message`."""
    return method_name[3:].replace("_", "-")


class AuthedNamespace(Namespace):
    """A namespace whose sockets are all authenticated users."""

    def __init__(self, namespace):
        super().__init__(namespace)
        self.connections = {}

    def events(self):
        """The client→server events this namespace handles (for docs and the AsyncAPI check)."""
        return sorted(event_name(name) for name in dir(self)
                      if name.startswith("on_") and getattr(getattr(self, name), "is_event", False))

    def trigger_event(self, event_name_, *args):
        """Dispatch `some-event` to `on_some_event`; unknown events (`some_event` too) are answered, not ignored.

        `connect` and `disconnect` are the server's own calls, made while the socket is connecting
        or disconnecting. A connected client that emits an event of that name (or of a name that
        is not a string) gets `unknown_event`: it must not log in again, or out, through a payload.
        """
        if event_name_ in ("connect", "disconnect"):
            if not self.socketio.server.manager.is_connected(args[0] if args else None, self.namespace):
                return super().trigger_event(event_name_, *args)
        elif isinstance(event_name_, str) and "_" not in event_name_:  # one spelling: `send-personal-message`
            name = "on_" + event_name_.replace("-", "_")
            if getattr(getattr(self, name, None), "is_event", False):
                return super().trigger_event(name[3:], *args)
        return {"ok": False, "error": {"code": "unknown_event", "message": f"No event {event_name_!r} here."}}

    def connection(self):
        """The current socket's Connection (unauthorized if it has none, e.g. after a revoke)."""
        connection = self.connections.get(request.sid)
        if connection is None:
            raise errors.unauthorized("This connection is not authenticated.")
        return connection

    def on_connect(self, auth=None):
        """Check the client address's connect rate, the token pair and the user's open sockets; refuse with
        connect_error {"code", "message"} (and "retry_after" for rate_limited) when one does not pass.

        Whatever this records (the socket count, rooms, presence in `connected`) is undone when the connect
        is refused after all: a refused socket never disconnects, so nothing else would undo it.
        """
        auth = auth if isinstance(auth, dict) else {}
        sid = request.sid
        try:
            current_app.extensions["chat.socket_limits"].hit_ip("connect", request.remote_addr)
            # One check per Engine.IO connection: the namespaces that join it share it (chat/sockets/shared.py).
            identity, new_access = self.checks.check(self.eio_sid(sid), auth.get("access_token"),
                                                     auth.get("refresh_token"))
            connection = Connection(sid, identity.user_id, identity.username, identity.session_id, identity.hidden)
            self.admit(connection)
            self.connections[sid] = connection
            metrics.socket_connection(self.namespace, +1)  # chat_socket_connections: one per entry in connections
            join_room(rooms.user(connection.user_id))
            join_room(rooms.session(connection.session_id))
            for name, data in self.connected(connection, new_access) or ():
                self.emit(name, data, room=sid)  # what a new socket is told first, to it only
        except Exception as exc:
            self.forget(sid)
            error = errors.from_exception(exc)
            if error is None:
                log.exception("socket connect failed")
                error = errors.ApiError("internal_error", "Connection failed.", 500)
            data = {"code": error.code, "message": error.message}
            if "Retry-After" in error.headers:
                data["retry_after"] = int(error.headers["Retry-After"])
            raise ConnectionRefusedError(error.message, data) from None

    @property
    def checks(self):
        """This process's token checks, one per Engine.IO connection, shared by every namespace."""
        return current_app.extensions["chat.socket_checks"]

    def eio_sid(self, sid):
        """The Engine.IO connection (the WebSocket) that the namespace socket sid rides on."""
        return self.socketio.server.manager.eio_sid_from_sid(sid, self.namespace)

    @property
    def open_sockets(self):
        """Every process's count of open sockets per user, all namespaces together."""
        return current_app.extensions["chat.open_sockets"]

    def admit(self, connection):
        """Count the socket against SOCKET_MAX_PER_USER (0: no cap); refuse too_many_connections over it."""
        cap = current_app.config["SOCKET_MAX_PER_USER"]
        if cap <= 0:
            return
        if self.open_sockets.add(connection.user_id, connection.sid) > cap:
            self.open_sockets.disconnected(connection.user_id, connection.sid)
            raise errors.ApiError("too_many_connections",
                                  f"Too many open connections for this user (at most {cap}); close some first.",
                                  429)

    def forget(self, sid):
        """Undo what a connect recorded for sid (its socket count, then `disconnected`), and forget its Engine.IO
        connection's shared check (the next namespace to join checks in full); never raises."""
        self.checks.drop(self.eio_sid(sid))
        connection = self.connections.pop(sid, None)
        if connection is None:
            return
        metrics.socket_connection(self.namespace, -1)
        try:
            self.disconnected(connection)
        except Exception:  # the socket is gone whatever failed here (an announcement, most likely)
            log.exception("socket cleanup failed")
        finally:
            if current_app.config["SOCKET_MAX_PER_USER"] > 0:
                self.open_sockets.disconnected(connection.user_id, sid)

    def on_disconnect(self, reason=None):
        """Forget the socket; subclasses react in `disconnected`."""
        self.forget(request.sid)

    def connected(self, connection, new_access_token):
        """Hook: the socket passed the check and joined its rooms. Returns what to tell it first: [(event, data)],
        emitted in that order to this socket only (or None)."""

    def disconnected(self, connection):
        """Hook: the socket is gone."""

