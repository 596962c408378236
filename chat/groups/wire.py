"""How groups go out on the wire."""
from ..clock import iso


def group_member(chat, user_id):
    """The `User` {"id", "username"} of one of the group's members, from the names the group keeps."""
    return {"id": user_id, "username": chat["names"][user_id]}


def group_out(chat):
    """A `Group`: {"GroupId", "Name", "Description", "Admin", "Members", "CreatedAt"}; members in join order.

    The group document keeps its members' usernames (`names`), so this needs no lookup.
    """
    admin_id = chat.get("admin_id")
    return {"GroupId": chat["_id"], "Name": chat.get("name", ""), "Description": chat.get("description", ""),
            "Admin": group_member(chat, admin_id) if admin_id else None,
            "Members": [group_member(chat, m) for m in chat["members"]], "CreatedAt": iso(chat["created_at"])}
