"""The real server with N users seeded straight into its store before it serves (bench only).

    python -m bench.seeded_server COUNT TOKENS.json      (settings from the environment, as wsgi.py)

Signing thousands of users up over HTTP on the embedded store takes minutes (every insert scans the
collection for its unique indexes), so the capacity and connect-storm benchmarks use this instead.
It imports `wsgi` (so the app is built, monkey-patched and served exactly as `python wsgi.py` does),
inserts COUNT verified users and one session each in bulk (unique indexes dropped while inserting,
made again after, which checks them once), mints each session's token pair as /login would, writes
them to TOKENS.json, then serves. No server code changes.
"""
import json
import sys
import uuid

import wsgi
from chat.auth.tokens import mint_pair
from chat.clock import utcnow
from chat.db import INDEXES
from bson import ObjectId

PASSWORD = "bench-password-123"


def _bulk(collection, docs, indexes):
    collection.drop_indexes()
    for start in range(0, len(docs), 5000):
        collection.insert_many(docs[start:start + 5000])
    for model in indexes:
        spec = dict(model.document)
        collection.create_index(list(spec.pop("key").items()), **spec)


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
    _bulk(db["users"], users, INDEXES["users"])
    _bulk(db["sessions"], sessions, INDEXES["sessions"])
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
