"""(5) History: the time of a Limit=20 page as one chat grows from 100 to 100,000 messages.

    python -m bench.history [DEPTHS...]      (default 100 100000; prints one JSON line)

Runs in its own process and times the service call the socket handler makes
(`MessageService.history`, what `fetch-personal-chat` runs after its checks), so no socket or
load generator is in the figure. The database is a SecantusDB server with `:memory:` storage that this
process starts for itself (chat/process/localdb.py), or MONGO_URI's server when it is set (then in a database
of its own, dropped at the end); either way the app talks MongoDB's wire protocol through pymongo, as
it does in production. Messages are seeded straight into the collection with the ids the server gives
them (`message_id(chat_id, seq)`, "<chat_id>:<seq>"); the only secondary index of `messages`
(`messages_client_key`, sparse) holds only messages sent with a ClientId, so seeding does not touch
it. Pages: the newest, one 100 messages back, and the oldest (a cursor ~all the way back); then three
sends at that depth without a ClientId and three with one.
A page is one `_id $in` lookup of the page's computed ids (≤ Limit of them; chat/messages/repository.py
`in_range`) after a read of the chat; the cursor's Seq is read from its MessageId, with no lookup. Both
are served by the `_id` index, so neither should grow with the chat. A send is one update of the chat
and one insert.
"""
import json
import os
import shutil
import sys
import tempfile
import time
import uuid

# Messages per insert_many while seeding: SecantusDB took over the app's 10-s socket timeout for 5,000.
SEED_BATCH = 1000


def seed(db, chat, sender, start, count):
    """Messages start+1 .. start+count of the chat, as MessageService.send stores them (no ClientId)."""
    from chat.kernel.clock import utcnow
    from chat.messages.repository import message_id
    messages = db["messages"]
    now = utcnow()
    docs = []
    for seq in range(start + 1, start + count + 1):
        docs.append({"_id": message_id(chat["_id"], seq), "chat_id": chat["_id"], "seq": seq,
                     "sender_id": sender["id"], "sender_name": sender["username"],
                     "content": f"message {seq}", "created_at": now, "edited_at": None, "deleted": False,
                     "client_id": None})
        if len(docs) == SEED_BATCH:
            messages.insert_many(docs)
            docs = []
    if docs:
        messages.insert_many(docs)
    db["chats"].update_one({"_id": chat["_id"]}, {"$set": {"seq": start + count}})
    return db["chats"].find_one({"_id": chat["_id"]})


def timed(call, repeat):
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        result = call()
        times.append(time.perf_counter() - started)
    times.sort()
    return result, {"n": repeat, "p50_ms": round(1000 * times[len(times) // 2], 2),
                    "max_ms": round(1000 * times[-1], 2), "min_ms": round(1000 * times[0], 2)}


def main(depths):
    from chat import create_app
    from chat.process.localdb import MEMORY, LocalDatabase
    outbox = tempfile.mkdtemp(prefix="bench-history-")
    uri, database = os.environ.get("MONGO_URI", ""), None
    if not uri:
        database = LocalDatabase(MEMORY)
        uri = database.start()
    name = f"bench_history_{uuid.uuid4().hex[:8]}"
    store = (("localdb", "SecantusDB (:memory:), started by bench/history.py") if database
             else ("mongo_uri", "MONGO_URI"))
    try:
        app = create_app({"MONGO_URI": uri, "MONGO_DB": name, "LOG_LEVEL": "ERROR", "SMTP_HOST": "",
                          "MAIL_OUTBOX": outbox, "ASYNC_MODE": "threading", "REDIS_URL": "",
                          "RATELIMIT_STORAGE_URI": "memory://", "SOCKET_SLOW_CHECK_INTERVAL": 0})
        try:
            out = measure(app, depths, store)
        finally:
            app.extensions["chat.store"].client.drop_database(name)
            app.extensions["chat.store"].close()
    finally:
        if database is not None:
            database.stop()
        shutil.rmtree(outbox, ignore_errors=True)
    print(json.dumps(out))


def measure(app, depths, store):
    """The record: for each depth, the page and send timings."""
    from chat.auth.passwords import Passwords
    from chat.kernel.kinds import ChatRef
    from chat.messages.repository import message_id
    services = app.extensions["chat.services"]
    db = app.extensions["chat.store"].db
    users = services.auth.user_repo
    people = []
    for name in ("hist_a", "hist_b"):
        doc = users.create(name, f"{name}@bench.test", Passwords(1, 1024).hash("x" * 12))
        users.mark_verified(doc["_id"])
        people.append({"id": str(doc["_id"]), "username": name})
    a, b = people
    ref = ChatRef.personal(partner_id=b["id"])
    chat, _page, _more = services.messages.page(a, ref)
    page_of, send = services.messages.page, services.messages.send

    def history(chat, _user_id, before=None, limit=20):
        return page_of(a, ref, before=before, limit=limit)[1:]
    results, stored = [], 0
    for depth in depths:
        started = time.perf_counter()
        chat = seed(db, chat, a, stored, depth - stored)
        seed_s = time.perf_counter() - started
        stored = depth
        repeat = 20 if depth <= 10_000 else 5
        page, newest = timed(lambda: history(chat, a["id"], limit=20), repeat)
        back = message_id(chat["_id"], max(1, depth - 100))
        _, back100 = timed(lambda: history(chat, a["id"], before=back, limit=20), repeat)
        oldest = message_id(chat["_id"], min(depth, 21))
        _, deepest = timed(lambda: history(chat, a["id"], before=oldest, limit=20), repeat)
        _, one_send = timed(lambda: send(a, ref, "one more"), 3)
        # As the socket handler sends, with a ClientId: the message carries its client_key (same insert).
        _, send_client_id = timed(lambda: send(a, ref, "one more", uuid.uuid4().hex), 3)
        stored += 6
        results.append({"messages_in_chat": depth, "seed_s": round(seed_s, 2), "page_newest": newest,
                        "page_100_back": back100, "page_oldest": deepest, "send": one_send,
                        "send_client_id": send_client_id,
                        "page_size": len(page[0])})
    return {"name": "history-real", "scenario": "history", "target": "real", "variant": store[0],
            "params": {"limit": 20, "depths": depths, "store": store[1],
                       "lookup": "_id $in of the page's computed ids (message_id(chat_id, seq))"},
            "metrics": {"pages": results,
                        "ratio_newest_deep_vs_shallow": round(results[-1]["page_newest"]["p50_ms"]
                                                              / max(0.01, results[0]["page_newest"]["p50_ms"]), 1)}}


if __name__ == "__main__":
    main([int(d) for d in sys.argv[1:]] or [100, 100_000])
