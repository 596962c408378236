"""Where pushes go: the namespace names and the room names, spelled here only.

Namespaces: `/` (session and presence) and one per kind of chat (chat/kernel/kinds.py `KINDS`). Rooms: every socket
joins `user:<id>` and `session:<sid>` in its namespace; group members' sockets on `/group` also join `group:<id>`.
Rooms are decided by the server after a check, never taken from a payload.
"""
from ..kernel.kinds import GROUP, KINDS, PERSONAL, SELF

ROOT_NS = "/"
SELF_NS, PERSONAL_NS, GROUP_NS = (KINDS[kind].namespace for kind in (SELF, PERSONAL, GROUP))
NAMESPACES = (ROOT_NS, SELF_NS, PERSONAL_NS, GROUP_NS)


def user(user_id):
    """The room of every socket of one user (in each namespace)."""
    return f"user:{user_id}"


def session(session_id):
    """The room of every socket of one session (a signed-in device)."""
    return f"session:{session_id}"


def group(group_id):
    """The room of the members' sockets on `/group`."""
    return f"group:{group_id}"
