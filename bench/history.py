"""(5) History: the time of a Limit=20 page as one chat grows from 100 to 100,000 messages.

    python -m bench.history [DEPTHS...]      (default 100 100000; prints one JSON line)

Runs in its own process on the embedded store and times the service call the socket handler makes
(`MessageService.history`, what `fetch-personal-chat` runs after its checks), so no socket or
load generator is in the figure. Messages are seeded straight into the collection with the ids the
server gives them (`message_id(chat_id, seq)`, "<chat_id>:<seq>"); the messages collection has no
secondary indexes to drop or rebuild. Pages: the newest, one 100 messages back, and the oldest (a
cursor ~all the way back); then three sends at that depth without a ClientId and three with one.
A page is one `_id $in` lookup of the page's computed ids (≤ Limit of them; chat/messages/repository.py
`in_range`), after one `_id` lookup of the cursor message: on MongoDB both are served by the `_id`
index, and the embedded store does the same through its `_id` fast path (chat/embedded.py), so
neither should grow with the chat.
"""
import json
import shutil
import sys
import tempfile
import time
import uuid


def seed(db, chat, sender, start, count):
    """Messages start+1 .. start+count of the chat, as MessageService.send stores them (no ClientId)."""
    from chat.clock import utcnow
    from chat.messages.repository import message_id
    messages = db["messages"]
    now = utcnow()
    docs = []
    for seq in range(start + 1, start + count + 1):
        docs.append({"_id": message_id(chat["_id"], seq), "chat_id": chat["_id"], "seq": seq,
                     "sender_id": sender["id"], "sender_name": sender["username"],
                     "content": f"message {seq}", "created_at": now, "edited_at": None, "deleted": False,
                     "client_id": None})
        if len(docs) == 5000:
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
    from chat.auth.passwords import Passwords
    from chat.messages.repository import message_id
    outbox = tempfile.mkdtemp(prefix="bench-history-")
    app = create_app({"MONGO_URI": "", "MONGO_DB": "bench_history", "LOG_LEVEL": "ERROR", "SMTP_HOST": "",
                      "MAIL_OUTBOX": outbox})
    services = app.extensions["chat.services"]
    db = app.extensions["chat.store"].db
    users = services.auth.users
    people = []
    for name in ("hist_a", "hist_b"):
        doc = users.create(name, f"{name}@bench.test", Passwords(1, 1024).hash("x" * 12))
        users.mark_verified(doc["_id"])
        people.append({"id": str(doc["_id"]), "username": name})
    a, b = people
    chat, _partner = services.chats.personal_chat(a["id"], b["id"])
    history = services.messages.history
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
        _, send = timed(lambda: services.messages.send(chat, a, "one more"), 3)
        # As the socket handler sends with a ClientId: its key's lookup and insert too.
        _, send_client_id = timed(lambda: services.messages.send(chat, a, "one more", uuid.uuid4().hex), 3)
        stored += 6
        results.append({"messages_in_chat": depth, "seed_s": round(seed_s, 2), "page_newest": newest,
                        "page_100_back": back100, "page_oldest": deepest, "send": send,
                        "send_client_id": send_client_id,
                        "page_size": len(page[0])})
    out = {"name": "history-real", "scenario": "history", "target": "real", "variant": "embedded",
           "params": {"limit": 20, "depths": depths, "store": "embedded (mongomock)",
                      "lookup": "_id $in of the page's computed ids (message_id(chat_id, seq))"},
           "metrics": {"pages": results,
                       "ratio_newest_deep_vs_shallow": round(results[-1]["page_newest"]["p50_ms"]
                                                             / max(0.01, results[0]["page_newest"]["p50_ms"]), 1)}}
    shutil.rmtree(outbox, ignore_errors=True)
    print(json.dumps(out))


if __name__ == "__main__":
    main([int(d) for d in sys.argv[1:]] or [100, 100_000])
