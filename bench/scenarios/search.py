"""(12) Search (issue #32): a two-term `GET /search` for a member of 50 chats among 1,000 chats of 100,000 messages,
and what computing the grams adds to a send.

    python -m bench.scenarios.search [MESSAGES CHATS MEMBER_OF]   (default 100000 1000 50; prints one JSON line)

Runs in its own process (as bench/history.py) and times the service call `GET /search` makes
(`SearchService.search`, after the query string's schema), so no HTTP or load generator is in the figure.
The database is a SecantusDB server with `:memory:` storage that this process starts (chat/process/localdb.py), or
MONGO_URI's server when set (a database of its own, dropped at the end). Chats are groups inserted straight into
`chats`, the searching user a member of MEMBER_OF of them; messages are inserted straight into `messages` as
chat/messages/service.py stores them, `grams` included (chat/search/grams.py), evenly over the chats, each of 6..14
words drawn from a vocabulary of 5,000 made-up words with a Zipf-like frequency (random.Random(32): the same every
run). The `messages_search` index is in place while seeding, as in production.
Queries: 20 two-term queries (a frequent word's first 4 letters and a rarer whole word; a pair that matches
nothing; two frequent words), each run 5 times; p50 and p95 over all, with the results and candidates read.
The grams' cost: `grams(content)` per seeded message (mean, p95) and for the 4,000-character worst case.
"""
import json
import os
import random
import shutil
import string
import sys
import tempfile
import time
import uuid

from pymongo.errors import PyMongoError

SEED_BATCH = 200  # messages per insert_many: each carries ~60 grams, so ~12,000 index keys per batch
VOCABULARY = 5000


def words(rng):
    """The vocabulary, most frequent first (its Zipf weights go with it)."""
    made = set()
    while len(made) < VOCABULARY:
        made.add("".join(rng.choice(string.ascii_lowercase + "éè") for _ in range(rng.randint(3, 10))))
    vocab = sorted(made)
    rng.shuffle(vocab)
    return vocab, [1 / (rank + 1) for rank in range(VOCABULARY)]


def seed(db, messages, chats, member_of, user_id, rng, vocab, weights):
    """The chats (group documents) and messages; returns (seconds, grams µs per message: mean, p95)."""
    from chat.kernel.clock import utcnow
    from chat.messages.repository import message_id
    from chat.search.grams import grams
    started = time.perf_counter()
    db["chats"].insert_many([{"_id": f"benchgroup{i:05d}", "kind": "group", "name": f"group {i}",
                              "members": [user_id if i < member_of else "someone", f"other{i}"], "seq": 0}
                             for i in range(chats)])
    now, docs, costs = utcnow(), [], []
    for n in range(messages):
        chat_id, seq = f"benchgroup{n % chats:05d}", n // chats + 1
        content = " ".join(rng.choices(vocab, weights, k=rng.randint(6, 14)))
        at = time.perf_counter()
        found = grams(content)
        costs.append(time.perf_counter() - at)
        docs.append({"_id": message_id(chat_id, seq), "chat_id": chat_id, "seq": seq, "sender_id": f"other{n % 7}",
                     "sender_name": "other", "content": content, "created_at": now, "edited_at": None,
                     "deleted": False, "client_id": None, "reply_to": None, "reactions": [], "grams": found,
                     "rev": seq, "revs": [seq]})
        if len(docs) == SEED_BATCH:
            db["messages"].insert_many(docs)
            docs = []
            if (n + 1) % 10_000 == 0:
                print(f"# search: {n + 1} messages after {time.perf_counter() - started:.0f} s", file=sys.stderr,
                      flush=True)
    if docs:
        db["messages"].insert_many(docs)
    costs.sort()
    return round(time.perf_counter() - started, 1), {"mean_us": round(1e6 * sum(costs) / len(costs), 1),
                                                     "p95_us": round(1e6 * costs[int(len(costs) * .95)], 1)}


def queries(vocab):
    """20 two-term queries: 16 of a frequent word's first 4 letters and a rarer whole word, 2 of two frequent
    words, 2 that match nothing."""
    frequent = [w for w in vocab[:50] if len(w) >= 4]
    out = [f"{frequent[i % len(frequent)][:4]} {vocab[200 + 37 * i]}" for i in range(16)]
    out += [f"{vocab[0]} {vocab[1]}", f"{vocab[2]} {vocab[3]}", "zzqx qqzz", "xyzzy plugh"]
    return out


def measure(app, messages, chats, member_of):
    from chat.search import service as search_service
    from chat.search.grams import grams
    services = app.extensions["chat.services"]
    db = app.extensions["chat.store"].db
    rng = random.Random(32)
    vocab, weights = words(rng)
    user_id = "benchsearcher"
    seed_s, per_message = seed(db, messages, chats, member_of, user_id, rng, vocab, weights)
    print(f"# search: {messages} messages in {chats} chats seeded in {seed_s} s", file=sys.stderr, flush=True)
    worst = " ".join(f"{i:04d}" + "".join(rng.choice("abcdéf") for _ in range(4)) for i in range(444))[:4000]
    at = time.perf_counter()
    for _ in range(20):
        grams(worst)
    worst_ms = round(1000 * (time.perf_counter() - at) / 20, 2)
    times, rows, failed = [], [], 0
    for q in queries(vocab):
        try:
            page = services.search.search(user_id, q)  # warm
            for _ in range(5):
                started = time.perf_counter()
                page = services.search.search(user_id, q)
                times.append(time.perf_counter() - started)
        except PyMongoError as error:  # a search past the app's socket timeout: a 503 in production
            failed += 1
            rows.append({"q": q, "error": type(error).__name__})
            print(f"# search: {q!r} failed: {error}", file=sys.stderr, flush=True)
            continue
        rows.append({"q": q, "results": len(page.hits), "more": page.next is not None,
                     "ms": round(1000 * times[-1], 1)})
        print(f"# search: {rows[-1]}", file=sys.stderr, flush=True)
    times = sorted(times) or [float("nan")]
    return {"name": "search-real", "scenario": "search", "target": "real", "variant": "localdb",
            "params": {"messages": messages, "chats": chats, "member_of": member_of, "limit": 20,
                       "batch": search_service.BATCH, "scan_batches": search_service.SCAN_BATCHES, "seed_s": seed_s},
            "metrics": {"query_ms": {"n": len(times), "p50": round(1000 * times[len(times) // 2], 1),
                                     "p95": round(1000 * times[int(len(times) * .95)], 1),
                                     "max": round(1000 * times[-1], 1)},
                        "failed_queries": failed, "queries": rows, "grams_per_send": per_message,
                        "grams_4000_worst_ms": worst_ms}}


def main(messages=100_000, chats=1000, member_of=50):
    from chat import create_app
    from chat.process.localdb import MEMORY, LocalDatabase
    outbox = tempfile.mkdtemp(prefix="bench-search-")
    uri, database = os.environ.get("MONGO_URI", ""), None
    if not uri:
        database = LocalDatabase(MEMORY)
        uri = database.start()
    name = f"bench_search_{uuid.uuid4().hex[:8]}"
    try:
        app = create_app({"MONGO_URI": uri, "MONGO_DB": name, "LOG_LEVEL": "ERROR", "SMTP_HOST": "",
                          "MAIL_OUTBOX": outbox, "ASYNC_MODE": "threading", "REDIS_URL": "",
                          "RATELIMIT_STORAGE_URI": "memory://", "SOCKET_SLOW_CHECK_INTERVAL": 0})
        try:
            print(json.dumps(measure(app, messages, chats, member_of)), flush=True)
        finally:
            if database is None:  # MONGO_URI's server keeps it otherwise (ours goes with its process)
                app.extensions["chat.store"].client.drop_database(name)
            app.extensions["chat.store"].close()
    finally:
        if database is not None:
            database.stop()
        shutil.rmtree(outbox, ignore_errors=True)


if __name__ == "__main__":
    main(*[int(arg) for arg in sys.argv[1:4]])
