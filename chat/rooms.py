"""The only place room names are spelled.

Every socket joins `user:<id>` and `session:<sid>` in its namespace; group members' sockets on
`/group` also join `group:<id>`. Rooms are decided by the server after a check,
never taken from a payload.
"""


def user(user_id):
    return f"user:{user_id}"


def session(session_id):
    return f"session:{session_id}"


def group(group_id):
    return f"group:{group_id}"
