"""Moderation in groups (SPEC v3): moderators, pins, slow mode, invite links and reports."""
