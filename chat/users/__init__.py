"""Users: the account documents, `/me`, `/users/search` and `/users/<id>`."""
