"""(13) Catch-up (issue #30, item 6): what a sync costs with 10 changes since the client's Rev, at 100 and at
100,000 messages in one chat, in one run.

    python -m bench.scenarios.sync [DEPTHS...]      (default 100 100000; prints one JSON line)

Runs in its own process (as bench/history.py) and times, per depth, `GET /chats/<id>/changes?since_rev=` through
the app's own test client (the route, its schema, JWT check and JSON, no socket or network) and the service call
`sync-chat` makes after its schema (`MessageService.changes`). The database is a SecantusDB server with `:memory:`
storage that this process starts (chat/process/localdb.py), or MONGO_URI's server when set (a database of its own,
dropped at the end). Messages are seeded straight into `messages` as a send stores them (`rev`/`revs` included:
message n at Rev n, the chat at Rev = Seq = depth). Then 10 real changes go through the service (4 sends, 3 edits, 2
reactions, 1 deletion) and the client syncs from the Rev it held before them (depth): 10 messages come back.
Two states: `fresh`, right after the changes (their Revs are still listed as in flight for 20 s: the sync
checks them against the range it read, which shows them landed, so no lookup is added: chat/messages/sync.py)
and `settled` (the chat's `pending` list cleared, as 20 s later). Each is timed REPEAT times after a warm-up
call; p50 and p95.
"""
import json
import os
import shutil
import sys
import tempfile
import time
import uuid

SEED_BATCH = 1000
REPEAT = 50


def seed(db, chat_id, sender, count):
    """Messages 1..count of the chat as a send stores them (no ClientId), message n at Rev n."""
    from chat.kernel.clock import utcnow
    from chat.messages.repository import message_id
    now, docs = utcnow(), []
    for seq in range(1, count + 1):
        docs.append({"_id": message_id(chat_id, seq), "chat_id": chat_id, "seq": seq, "sender_id": sender["id"],
                     "sender_name": sender["username"], "content": f"message {seq}", "created_at": now,
                     "edited_at": None, "deleted": False, "client_id": None, "reply_to": None, "reactions": [],
                     "grams": [], "rev": seq, "revs": [seq]})
        if len(docs) == SEED_BATCH:
            db["messages"].insert_many(docs)
            docs = []
    if docs:
        db["messages"].insert_many(docs)
    db["chats"].update_one({"_id": chat_id}, {"$set": {"seq": count, "rev": count}})


def timed(call, repeat=REPEAT):
    """{"n", "p50_ms", "p95_ms", "max_ms"} of call(), after one warm-up call."""
    call()
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        times.append(time.perf_counter() - started)
    times.sort()
    return {"n": repeat, "p50_ms": round(1000 * times[len(times) // 2], 2),
            "p95_ms": round(1000 * times[int(len(times) * .95)], 2), "max_ms": round(1000 * times[-1], 2)}


def ten_changes(services, a, b, ref, chat_id, depth):
    """4 sends, 3 edits, 2 reactions and 1 deletion, through the service, on messages near the top."""
    from chat.messages.repository import message_id
    for i in range(4):
        services.messages.send(a, ref, f"new {i}")
    for seq in (depth, depth - 1, depth - 2):
        services.messages.edit(a["id"], message_id(chat_id, seq), f"edited {seq}", ref)
    for seq in (depth - 3, depth - 4):
        services.messages.react(b["id"], message_id(chat_id, seq), "👍", True, ref)
    services.messages.delete(a["id"], message_id(chat_id, depth - 5), ref)


def measure(app, depths):
    """Per depth, in a chat of its own: seed, 10 changes, time the sync fresh and settled."""
    from chat.auth.passwords import Passwords
    from chat.kernel.kinds import ChatRef
    services = app.extensions["chat.services"]
    db = app.extensions["chat.store"].db
    users = services.auth.user_repo

    def person(name):
        doc = users.create(name, f"{name}@bench.test", Passwords(1, 1024).hash("x" * 12))
        users.mark_verified(doc["_id"])
        return {"id": str(doc["_id"]), "username": name}
    b = person("sync_reader")  # the syncing client, in a chat of its own with a writer per depth
    http = app.test_client()
    token = http.post("/login", json={"login": b["username"], "password": "x" * 12}).get_json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    rows = []
    for depth in depths:
        a = person(f"sync_writer{depth}")
        ref = ChatRef.personal(partner_id=b["id"])
        chat, _page, _more = services.messages.page(a, ref)
        started = time.perf_counter()
        seed(db, chat["_id"], a, depth)
        seed_s = round(time.perf_counter() - started, 2)
        ten_changes(services, a, b, ChatRef.personal(chat["_id"]), chat["_id"], depth)
        url = f"/chats/{chat['_id']}/changes?since_rev={depth}"
        answer = http.get(url, headers=headers).get_json()
        assert len(answer["Messages"]) == 10 and answer["Rev"] == depth + 10 and not answer["HasMore"], answer
        by_b = ChatRef.personal(chat["_id"])
        fresh = {"rest": timed(lambda: http.get(url, headers=headers)),
                 "service": timed(lambda: services.messages.changes(b, by_b, depth))}
        db["chats"].update_one({"_id": chat["_id"]}, {"$unset": {"pending": ""}})  # as 20 s later
        settled = {"rest": timed(lambda: http.get(url, headers=headers)),
                   "service": timed(lambda: services.messages.changes(b, by_b, depth))}
        rows.append({"messages_in_chat": depth, "seed_s": seed_s, "changes": 10, "fresh": fresh,
                     "settled": settled})
    first, last = rows[0]["settled"]["rest"]["p50_ms"], rows[-1]["settled"]["rest"]["p50_ms"]
    return {"name": "sync-real", "scenario": "sync", "target": "real", "variant": "localdb",
            "params": {"depths": depths, "changes": 10, "repeat": REPEAT,
                       "store": "SecantusDB (:memory:)" if not os.environ.get("MONGO_URI") else "MONGO_URI"},
            "metrics": {"syncs": rows, "ratio_deep_vs_shallow_rest_p50": round(last / max(0.01, first), 2)}}


def main(depths):
    from chat import create_app
    from chat.process.localdb import MEMORY, LocalDatabase
    outbox = tempfile.mkdtemp(prefix="bench-sync-")
    uri, database = os.environ.get("MONGO_URI", ""), None
    if not uri:
        database = LocalDatabase(MEMORY)
        uri = database.start()
    name = f"bench_sync_{uuid.uuid4().hex[:8]}"
    try:
        app = create_app({"MONGO_URI": uri, "MONGO_DB": name, "LOG_LEVEL": "ERROR", "SMTP_HOST": "",
                          "MAIL_OUTBOX": outbox, "ASYNC_MODE": "threading", "REDIS_URL": "",
                          "RATELIMIT_STORAGE_URI": "memory://", "RATELIMIT_ENABLED": False,
                          "SOCKET_SLOW_CHECK_INTERVAL": 0})
        try:
            out = measure(app, depths)
        finally:
            app.extensions["chat.store"].client.drop_database(name)
            app.extensions["chat.store"].close()
    finally:
        if database is not None:
            database.stop()
        shutil.rmtree(outbox, ignore_errors=True)
    print(json.dumps(out))


if __name__ == "__main__":
    main([int(d) for d in sys.argv[1:]] or [100, 100_000])
