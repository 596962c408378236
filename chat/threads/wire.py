"""How threads go out on the wire: a root's `Thread` summary, and the answers of fetch-thread, follow-thread,
read-thread and `GET /threads`."""
from ..kernel.kinds import kind_of
from ..messages.schemas import message_out


def thread_page(chat, root, replies, has_more, *, urls):
    """fetch-thread's ack and `GET /messages/<id>/thread`: {"ChatId"|"GroupId", "Root", "Messages", "HasMore"}."""
    kind = kind_of(chat)
    return {kind.id_key: chat.id, "Root": message_out(root, urls, group=kind.room),
            "Messages": [message_out(m, urls, group=kind.room) for m in replies], "HasMore": has_more}


def thread_state(chat, root, **extra):
    """follow-thread's and read-thread's ack: {"ChatId"|"GroupId", "MessageId", ...extra}."""
    return {kind_of(chat).id_key: chat.id, "MessageId": root["_id"], **extra}


def followed_out(total, entries, page, per_page, *, urls):
    """`GET /threads`: {"state", "entries": [{"ChatId"|"GroupId", "Kind", "Root", "Unread"}]}."""
    out = []
    for chat, root, unread in entries:
        kind = kind_of(chat)
        out.append({kind.id_key: chat.id, "Kind": kind.name, "Root": message_out(root, urls, group=kind.room),
                    "Unread": unread})
    return {"state": {"page": page, "per_page": per_page, "total": total,
                      "total_pages": (total + per_page - 1) // per_page}, "entries": out}
