"""Incoming and outgoing webhooks of groups (SPEC v3 "Bots, tokens and webhooks")."""
