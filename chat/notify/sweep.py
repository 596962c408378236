"""The digest sweep: which users a digest may be due for, found from the chats instead of marked per message.

A message costs its members' digests nothing when it is sent (chat/notify/service.py `plan`). Each pass of the
digest loop (chat/notify/digest.py `send_due`) first sweeps: it reads the chats with activity since its last
pass (`updated_at`, index `chats_by_activity`; every send sets it), and for each member computes what a
message used to mark one by one:
- unread messages (the member's read position `reads.<member>` behind the chat's Seq) beyond what their last
  digest covered (`digested.<chat id>`), in a personal or group chat that is neither deleted nor muted by them;
  in a group, messages from someone they blocked (the group's `blocks`) do not count;
- who is away now (a member online is here and reads it; the digest loop looks again at the next activity);
- their EmailNotifications: `off` none, `mentions` personal chats, and groups only with an unread mention.
Such a user gets `due_at` = the chat's last activity + NOTIFY_EMAIL_DELAY, unless a digest is pending already
(`due_at` set: that one lists every unread chat when it goes out, and a claimed one is never moved).

Each pass looks back OVERLAP before where the last one stopped (`notify_sweep.swept_to`, shared by every
process), so a send whose write landed just after a pass read the chats is still seen; the first pass ever
looks back FIRST_LOOKBACK. A pass costs a fixed handful of commands plus one mentions query per user with the
`mentions` setting, whatever the number of messages since the last one.
"""
from datetime import timedelta

from ..chats.mute import is_muted
from ..chats.service import stored_beyond
from ..kernel.clock import as_utc
from . import threads as thread_digest

OVERLAP = timedelta(seconds=60)
FIRST_LOOKBACK = timedelta(hours=1)


def sweep(repo, message_repo, online, delay, now, threads=None):
    """Mark due the digests of the users away with unread messages in a chat active since the last pass (see
    the module), or with unread replies in a thread they follow (threads: the thread repository,
    chat/notify/threads.py). Returns how many users were marked."""
    last = repo.swept_to()
    since = as_utc(last) - OVERLAP if last is not None else now - delay - FIRST_LOOKBACK
    unread = _unread_by_member(repo.active_chats(since, now), now)
    if unread:
        here = online(list(unread))
        unread = {user: chats for user, chats in unread.items() if not here.get(user)}
    states = repo.states(unread) if unread else {}
    due = {}
    for user, chats in unread.items():
        state = states.get(user) or {}
        if state.get("due_at") is not None:
            continue  # pending (or being sent): it lists every unread chat when it goes out
        chats = _beyond_covered(user, chats, state.get("digested") or {})
        chats = [(chat, since) for chat, since in chats if _not_only_blocked(repo, user, chat, since)]
        chats = _by_setting(message_repo, user, chats, state.get("email") or "all")
        if chats:
            due[user] = min(as_utc(chat.updated_at) for chat, _since in chats) + delay
    if threads is not None:
        for user, when in thread_digest.due(threads, repo, online, delay, since, now).items():
            due[user] = min(due.get(user, when), when)
    repo.mark_due(due)
    repo.advance_sweep(now)
    return len(due)


def _unread_by_member(chats, now):
    """{member: [chat]} of the members with unread messages in each live personal or group chat they did not
    mute."""
    unread = {}
    for chat in chats:
        if chat.is_self or chat.deleted:
            continue
        reads = chat.reads
        for member in chat.members:
            if stored_beyond(chat, reads.get(member, 0)) and not is_muted(chat, member, now):
                unread.setdefault(member, []).append(chat)
    return unread


def _beyond_covered(user, chats, covered):
    """[(chat, since)]: the chats with messages beyond both the user's read position and their last digest."""
    found = [(chat, max(chat.reads.get(user, 0), covered.get(chat.id, 0))) for chat in chats]
    return [(chat, since) for chat, since in found if stored_beyond(chat, since)]


def _not_only_blocked(repo, user, chat, since):
    """False when every message of the group beyond since is from someone the user blocked (those make no digest
    due): a lookup only for a member who blocked someone in the group."""
    blocked = {pair.get("of") for pair in chat.blocks if pair.get("by") == user}
    return not blocked or repo.sent_by_others(chat.id, since, chat.seq, blocked)


def _by_setting(message_repo, user, chats, setting):
    """The chats that count for the user's EmailNotifications."""
    if setting == "off":
        return []
    if setting != "mentions":
        return chats
    groups = {chat.id: since for chat, since in chats if chat.is_group}
    mentioned = message_repo.count_mentions(user, groups) if groups else {}
    return [(chat, since) for chat, since in chats if not chat.is_group or mentioned.get(chat.id)]
