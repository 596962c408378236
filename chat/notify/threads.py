"""Thread replies in the email digest (SPEC v3 "Threads": followers who are away are notified of replies as for
messages). The chat rows of a digest count the main timeline's unread messages (chat/notify/digest.py); a
followed thread with replies beyond the follower's read position (`read-thread`) and beyond what their last digest
covered (`digested.<root id>`: a ThreadSeq) adds a row of its own, never for a chat they muted, and with the
`mentions` setting only for personal chats.

`due` runs in the digest sweep (chat/notify/sweep.py): the follows whose thread had a reply since the last pass
(one range of the `follows_by_reply` index), their roots and chats (two lookups), and the users away among them.
`rows` runs when a digest is composed: the user's most recently replied threads (one range of `follows_by_user`),
their roots, chats and newest replies (three lookups).
"""
from ..chats.mute import is_muted
from ..kernel.clock import as_utc
from .service import excerpt

MOST_THREADS = 20  # threads looked at for one digest


def _unread(threads, follows, covered_of, now, setting_of):
    """[(follow, root, chat, since, unread, top)] of the follows with replies beyond their reader and their last
    digest, in a live chat of the follower's that they did not mute (and, with `mentions`, a personal one)."""
    roots = threads.roots({f["root_id"] for f in follows})
    chats = threads.chats({f["chat_id"] for f in follows})
    found = []
    for follow in follows:
        user, root, chat = follow["user_id"], roots.get(follow["root_id"]), chats.get(follow["chat_id"])
        if root is None or chat is None or chat.deleted or user not in chat.members:
            continue
        if is_muted(chat, user, now) or (setting_of(user) == "mentions" and chat.is_group):
            continue
        top = (root.get("thread") or {}).get("seq", 0)
        since = max(follow.get("read", 0), covered_of(user).get(root["_id"], 0))
        if top > since:
            found.append((follow, root, chat, since, top - follow.get("read", 0), top))
    return found


def due(threads, repo, online, delay, since, now):
    """{user id: when their digest is due} for followers away with unread replies since the sweep's last pass,
    whose digest is not pending already and whose setting is not `off`."""
    follows = [f for f in threads.replied_between(since, now)]
    if not follows:
        return {}
    here = online(list({f["user_id"] for f in follows}))
    follows = [f for f in follows if not here.get(f["user_id"])]
    states = repo.states({f["user_id"] for f in follows}) if follows else {}

    def state(user):
        return states.get(user) or {}
    follows = [f for f in follows if state(f["user_id"]).get("due_at") is None
               and (state(f["user_id"]).get("email") or "all") != "off"]
    found = _unread(threads, follows, lambda user: state(user).get("digested") or {}, now,
                    lambda user: state(user).get("email") or "all")
    marked = {}
    for follow, *_rest in found:
        at = as_utc(follow["last_reply_at"]) + delay
        marked[follow["user_id"]] = min(marked.get(follow["user_id"], at), at)
    return marked


def rows(threads, user_id, state, now, name_of):
    """The digest rows of the user's followed threads with unread replies: {"key": root id, "top": ThreadSeq to
    mark covered, "at", "name", "unread", "newest"}; name_of(chat) names a chat."""
    follows = threads.followed_recent(user_id, MOST_THREADS)
    setting, covered = state.get("email") or "all", state.get("digested") or {}
    found = _unread(threads, follows, lambda _user: covered, now, lambda _user: setting)
    newest = threads.replies_at({root["_id"]: top for _f, root, _c, _s, _u, top in found})
    out = []
    for follow, root, chat, _since, unread, top in found:
        reply = newest.get(root["_id"])
        out.append({"chat": chat, "key": root["_id"], "top": top, "at": follow["last_reply_at"],
                    "name": f"Thread in {name_of(chat)}: {excerpt(root.get('content'))[:60]}", "unread": unread,
                    "newest": None if reply is None or reply.get("deleted")
                    else f"{reply.get('sender_name')}: {excerpt(reply.get('content'))}"})
    return out
