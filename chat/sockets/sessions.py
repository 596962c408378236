"""Ending a session's sockets on every process (logout, refresh-token reuse)."""
from flask import current_app

from .. import rooms
from ..push import NAMESPACES
from .manager import room_command


def close_session_sockets(session_id):
    """Tell the session's sockets why, then disconnect them, in every namespace and process."""
    socketio = current_app.extensions["socketio"]
    for namespace in NAMESPACES:
        socketio.emit("session-ended", {"reason": "session_revoked"}, to=rooms.session(session_id),
                      namespace=namespace)
    room_command(socketio, NAMESPACES, rooms.session(session_id), "disconnect")
