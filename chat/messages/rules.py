"""The pure rules of richer messages: what an emoji may be, who `@name` mentions, what a reply quotes.

No database and no transport here: MessageService calls these with what it has already read (a mention is
resolved from the group document the send's own update returned, never by a query per name).
"""
import re
import unicodedata

from ..kernel import errors
from ..kernel.fields import storable

EXCERPT_CHARS = 120  # a reply quotes the first 120 characters of the replied-to content
MAX_EMOJI = 20  # distinct emoji on one message
REACTION_USERS = 20  # UserIds listed per emoji (Count has them all)
EMOJI_MAX_CHARS = 32
HISTORY_MAX = 100  # earlier versions kept per message (the oldest go first beyond this)

# `@name` not preceded by a word character, a dot, a hyphen or another `@` (so `bob@example.org` mentions
# nobody); usernames are 3–32 of [A-Za-z0-9_.-] (chat/auth/schemas.py).
MENTION = re.compile(r"(?<![\w.@-])@([A-Za-z0-9_.-]{3,40})")
# Characters an emoji sequence is built with besides symbols: joiners, variation selectors, keycaps, tags.
EMOJI_JOINERS = frozenset("\u200d\u20e3\ufe0e\ufe0f") | frozenset(map(chr, range(0xE0020, 0xE0080)))
EMOJI_PUNCTUATION = frozenset("\u203c\u2049\u3030\u303d")  # ‼ ⁉ 〰 〽 are emoji but not symbols


def clean_emoji(emoji):
    """The emoji, or validation_error: 1..32 characters, no whitespace, no letters, at least one symbol (digits,
    `#` and `*` only as keycaps). It is stored as given, so the same emoji always compares equal."""
    problem = None
    if not isinstance(emoji, str) or not 1 <= len(emoji) <= EMOJI_MAX_CHARS or not storable(emoji):
        problem = f"One emoji, 1 to {EMOJI_MAX_CHARS} characters."
    else:
        categories = [unicodedata.category(ch) for ch in emoji]
        keycap = "\u20e3" in emoji
        symbol = any(c in ("So", "Sk") or ch in EMOJI_PUNCTUATION for ch, c in zip(emoji, categories)) or keycap
        stray = any(ch not in EMOJI_JOINERS and (ch.isspace() or c[0] in "LZC" or (c[0] == "N" and not keycap))
                    for ch, c in zip(emoji, categories))
        if stray or not symbol:
            problem = "One emoji (no letters, digits or spaces)."
    if problem:
        raise errors.validation_error({"Emoji": [problem]})
    return emoji


def mentioned(content, group, sender_id):
    """The ids of the group's current members that content mentions as `@username` (case-insensitive), each
    once, in order of first mention, never the sender, nor a member who has blocked the sender. `group` is the
    group document (its `names` map of member ids to usernames, its `members`, and its `blocks` between members,
    chat/groups/repository.py). A name followed by punctuation (`@bob.` or `@bob-`) still counts."""
    blockers = {pair.get("by") for pair in group.blocks if pair.get("of") == sender_id}
    members = set(group.members) - blockers

    by_name = {name.lower(): user_id for user_id, name in group.names.items() if user_id in members}
    found = {}
    for token in MENTION.findall(content):
        token = token.lower()
        while token and token not in by_name and token[-1] in ".-":
            token = token[:-1]
        user_id = by_name.get(token)
        if user_id is not None and user_id != sender_id:
            found.setdefault(user_id, True)
    return list(found)


def reply_of(message):
    """What a reply keeps of the message it answers: {"id", "sender_id", "sender_name", "excerpt", "deleted"}."""
    return {"id": message["_id"], "sender_id": message["sender_id"], "sender_name": message["sender_name"],
            **({"sender_bot": True} if message.get("sender_bot") else {}),
            "excerpt": message["content"][:EXCERPT_CHARS], "deleted": False}


def versions(message):
    """Every version of a message, oldest first: the earlier ones kept by edits, then the current one; none for a
    deleted message. Each is {"Content", "EditedAt"}, EditedAt being when that version was written (None for the
    original)."""
    if message.get("deleted"):
        return []
    return [*message.get("history", []), {"content": message["content"], "edited_at": message.get("edited_at")}]
