"""Accounts and sessions: signup, email verification, login, refresh, logout."""
