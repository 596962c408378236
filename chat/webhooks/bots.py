"""The bot user an incoming webhook posts as: a bot user (`"Bot": true`, chat/bots/) owned by the admin who made
the webhook, with no password, no address and no token of its own; it goes with its webhook.
"""
import re
import secrets

from ..users.repository import DuplicateUser

ATTEMPTS = 3  # a clash of 6 random hex digits after the same name is rare; three tries make it rarer still


def bot_username(name):
    """A free-looking username after the webhook's name: its letters, digits, '_', '.', '-' (at most 24), a dash
    and 6 random hex digits, so that two hooks of the same name get two users."""
    base = re.sub(r"[^A-Za-z0-9_.-]+", "-", name).strip("-.")[:24] or "webhook"
    return f"{base}-{secrets.token_hex(3)}"


def create_webhook_bot(users, name, owner_id):
    """Insert the bot user of a webhook named name, owned by owner_id (users: the UserRepository); returns its user
    document."""
    for attempt in range(ATTEMPTS):
        try:
            return users.insert_bot(owner_id, bot_username(name))
        except DuplicateUser:
            if attempt == ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")


def delete_webhook_bot(users, bot_id):
    """Remove a webhook's bot user (its messages keep their sender's name)."""
    users.remove(bot_id)
