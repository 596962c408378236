"""How groups go out on the wire."""
from ..kernel.clock import iso


def group_member(chat, user_id):
    """The `User` {"id", "username", "Bot"} of one of the group's members, from the names (and `bots`) the group
    keeps."""
    return {"id": user_id, "username": chat.names[user_id], "Bot": user_id in chat.bots}


def group_out(chat):
    """A `Group`: {"GroupId", "Name", "Description", "Public", "Admin", "Members", "CreatedAt", "Moderators"
    (user ids), "SlowModeSeconds", "RetentionDays"}; members in join order; RetentionDays 0 when the group keeps
    messages as long as the server does.

    The group document keeps its members' usernames (`names`), so this needs no lookup.
    """
    admin_id = chat.admin_id
    return {"GroupId": chat.id, "Name": chat.name, "Description": chat.description,
            "Public": chat.public,
            "Admin": group_member(chat, admin_id) if admin_id else None,
            "Members": [group_member(chat, m) for m in chat.members], "CreatedAt": iso(chat.created_at),
            "Moderators": list(chat.moderators), "SlowModeSeconds": chat.slow_mode,
            "RetentionDays": chat.retention_days}


def directory_entry(row):
    """One entry of `GET /groups/public`: {"GroupId", "Name", "Description", "MemberCount", "Joined"}."""
    return {"GroupId": row["_id"], "Name": row.get("name", ""), "Description": row.get("description", ""),
            "MemberCount": row.get("member_count", 0), "Joined": bool(row.get("joined"))}
