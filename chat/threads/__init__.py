"""Threads (SPEC v3 "Threads"): replies kept out of the main timeline, their summary on the root, followers."""
