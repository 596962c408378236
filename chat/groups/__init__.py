"""Group chats with an admin: create, add-member, kickout, change-admin, leave, delete."""
