"""How groups go out on the wire."""
from ..clock import iso
from ..users.schemas import public_user


def group_out(chat, users_by_id):
    """A `Group`: {"GroupId", "Name", "Description", "Admin", "Members", "CreatedAt"}; members in join order."""
    members = [public_user(users_by_id[m]) for m in chat["members"] if m in users_by_id]
    admin = users_by_id.get(chat.get("admin_id"))
    return {"GroupId": chat["_id"], "Name": chat.get("name", ""), "Description": chat.get("description", ""),
            "Admin": public_user(admin) if admin else None, "Members": members, "CreatedAt": iso(chat["created_at"])}
