"""Conversations: self chat, personal chats (one per pair) and the inbox lists."""
