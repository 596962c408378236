"""Search of the messages of the caller's chats (`GET /search`): grams, repository, service, routes."""
