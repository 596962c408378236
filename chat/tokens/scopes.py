"""The token scopes, and what a route declares about personal access tokens (no Flask here).

Every Bearer route declares, in its `@endpoint` (chat/http.py `Operation.scope`), either the one scope a token
needs to call it or `NO_TOKENS`: account management (password, address, deletion, sessions, 2FA, the tokens
and bots themselves) is for a signed-in person only.
"""
MESSAGES_READ = "messages:read"  # history, changes, search, the inbox, files, looking users up
MESSAGES_WRITE = "messages:write"  # sends, edits, deletes, reactions, read marks, mutes, uploads
GROUPS_READ = "groups:read"  # a group, the public directory
GROUPS_WRITE = "groups:write"  # joining a group (and, with the webhooks, what a group's admin changes)
SCOPES = (MESSAGES_READ, MESSAGES_WRITE, GROUPS_READ, GROUPS_WRITE)
NO_TOKENS = "no-tokens"  # the declaration of a route that refuses every personal access token

PREFIX = "chatpat_"  # every token starts with it: recognisable in logs and by secret scanners, never a JWT


def is_personal_token(value):
    """Whether a presented Bearer value is a personal access token (by its prefix; JWTs start with "eyJ")."""
    return isinstance(value, str) and value.startswith(PREFIX)
