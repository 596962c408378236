"""The bot user an incoming webhook posts as: `create_webhook_bot` writes its user document.

A bot is a user with `"Bot": true` and an owner (`OwnerId`), no password and no email, so nobody can sign in as
it; it is `verified` so that the sweep of unverified accounts leaves it alone. Kept apart (and small) so that the
bot users of personal access tokens (`POST /bots`, chat/users) can take its place: it writes the same fields.
"""
import re
import secrets

from ..clock import utcnow

USERNAME_MAX = 32


def bot_username(name):
    """A free-looking username after the webhook's name: its letters, digits, '_', '.', '-' (at most 24), a dash
    and 6 random hex digits, so that two hooks of the same name get two users."""
    base = re.sub(r"[^A-Za-z0-9_.-]+", "-", name).strip("-.")[:24] or "webhook"
    return f"{base}-{secrets.token_hex(3)}"


def create_webhook_bot(db, name, owner_id):
    """Insert the bot user of a webhook named name, owned by owner_id; returns its user document."""
    username = bot_username(name)
    now = utcnow()
    doc = {"username": username, "username_lower": username.lower(), "Bot": True, "OwnerId": str(owner_id),
           "verified": True, "created_at": now, "verified_at": now}
    db["users"].insert_one(doc)
    return doc


def delete_webhook_bot(db, bot_id):
    """Remove a webhook's bot user (its messages keep their sender's name)."""
    db["users"].delete_one({"_id": bot_id, "Bot": True})
