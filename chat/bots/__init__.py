"""Bot users: accounts owned by a person, without password or email, that sign in only by token (SPEC v3)."""
