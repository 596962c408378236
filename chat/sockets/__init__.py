"""Socket.IO namespaces: `/` (session and presence), `/self`, `/personal`, `/group`."""


def register_namespaces(socketio):
    """Attach every namespace handler to the app's Socket.IO server."""
