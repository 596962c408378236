"""The real server with N users seeded straight into its database before it serves (bench only).

    python -m bench.seeded_server COUNT TOKENS.json      (settings from the environment, as wsgi.py)

Signing thousands of users up over HTTP costs four requests per user (signup, the mail, verify,
login) and two argon2 hashes, none of which the capacity, connect-storm and login benchmarks measure,
so they use this instead. It imports `wsgi` (so the app is built, monkey-patched and served exactly as
`python wsgi.py` does; with no MONGO_URI that also starts the local SecantusDB server in DATA_DIR),
inserts COUNT verified users and one session each in bulk, shaped as chat/users/repository.py and
chat/auth/repository.py write them (a session's `_id` is its session id), mints each session's token
pair as /login would, writes them to TOKENS.json, then serves. No server code changes. Only `users`
and `sessions` are written: chats, messages and read positions (`reads` in each chat document) are
made by the scenarios themselves, over the API.

The unique indexes of the seeded collections (today `users`: `username_unique`, `email_unique`) are
dropped while inserting and made again after, which checks them once. Other indexes, the TTL index
on `sessions` included, are left as the server made them.
"""
import json
import sys
import uuid

from bson import ObjectId

import wsgi
from chat.auth.tokens import mint_pair
from chat.kernel.clock import utcnow

PASSWORD = "bench-password-123"


def _bulk(collection, docs):
    """insert_many in chunks, with the collection's unique indexes (if any) dropped meanwhile and remade."""
    unique = {name: info for name, info in collection.index_information().items()
              if name != "_id_" and info.get("unique")}
    for name in unique:
        collection.drop_index(name)
    for start in range(0, len(docs), 5000):
        collection.insert_many(docs[start:start + 5000])
    for name, info in unique.items():
        options = {k: v for k, v in info.items() if k in ("unique", "sparse", "partialFilterExpression")}
        collection.create_index(list(info["key"]), name=name, **options)


def seed(app, count, run):
    services = app.extensions["chat.services"]
    db = app.extensions["chat.store"].db
    password_hash = services.auth.passwords.hash(PASSWORD)
    now = utcnow()
    expires = now + app.config["JWT_REFRESH_TOKEN_EXPIRES"]
    users, sessions, out = [], [], []
    for index in range(count):
        username = f"s{run}_{index}"
        user_id, session_id, jti = ObjectId(), uuid.uuid4().hex, uuid.uuid4().hex
        users.append({"_id": user_id, "username": username, "username_lower": username.lower(),
                      "email": f"{username}@bench.test", "password_hash": password_hash, "verified": True,
                      "created_at": now, "verified_at": now})
        sessions.append({"_id": session_id, "user_id": str(user_id), "refresh_jti": jti, "created_at": now,
                         "expires_at": expires, "revoked_at": None})
        out.append((str(user_id), username, session_id, jti))
    _bulk(db["users"], users)
    _bulk(db["sessions"], sessions)
    with app.app_context():
        return [{"id": user_id, "username": username, **_pair(user_id, session_id, jti)}
                for user_id, username, session_id, jti in out]


def _pair(user_id, session_id, jti):
    pair = mint_pair(user_id, session_id, jti)
    return {"access": pair["access_token"], "refresh": pair["refresh_token"]}


if __name__ == "__main__":
    count, path = int(sys.argv[1]), sys.argv[2]
    tokens = seed(wsgi.app, count, uuid.uuid4().hex[:6])
    with open(path, "w") as handle:
        json.dump(tokens, handle)
    wsgi.main()
