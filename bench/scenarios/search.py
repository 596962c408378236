"""(12) Search (issue #32): a two-term `GET /search` for a member of 50 chats among 1,000 chats of 100,000 messages,
and what computing the grams adds to a send.

    python -m bench.scenarios.search [MESSAGES CHATS MEMBER_OF]   (default 100000 1000 50; prints one JSON line)

Runs in its own process (as bench/history.py) and times the service call `GET /search` makes
(`SearchService.search`, after the query string's schema), so no HTTP or load generator is in the figure.
The database is a SecantusDB server this process starts (chat/process/localdb.py) as `make run` does: on disk, in
a data directory of its own (BENCH_SEARCH_DATA, default /tmp/searchbench-data; it must not exist, and is removed
at the end), with a WiredTiger cache of BENCH_SEARCH_CACHE (`--cache-size`, default 6G: the server's own default of
1 GB stalls the seeding at about 50,000 messages, docs/performance.md, Search; `default` leaves the flag off); or
MONGO_URI's server when set (a database of its own, dropped at the end). BENCH_SEARCH_STORE=memory runs the server
with `:memory:` storage instead (WiredTiger in-memory: the data and its indexes must all fit in the cache, else
WT_CACHE_FULL, which the client sees as InternalError). The server's log goes to BENCH_SEARCH_LOG (default
/tmp/searchbench-db.log, kept; its last lines are printed when a seeding write fails); each progress line gives the
server's resident memory (its cache is most of it).

Chats are groups inserted straight into `chats`, the searching user a member of MEMBER_OF of them; messages are
inserted straight into `messages` as chat/messages/service.py stores them, `grams` included (chat/search/grams.py),
evenly over the chats, each of 6..14 words drawn from a vocabulary of 5,000 made-up words with a Zipf-like
frequency (random.Random(32): the same every run). The `messages_search` index is in place while seeding, as in
production. The seeding writes through a client of its own with no socket timeout (w:1, SEED_BATCH messages per
`insert_many`), not the app's (10 s socket timeout, j:true): a batch that waits on the server's eviction is slow
seeding, not a failed benchmark. BENCH_SEARCH_SEED_S caps the seeding's seconds: past it the seeding stops, the
record says how many messages it reached (`params.seeded`, `partial`), and the queries run over those.
Queries (on the app's own client, as production): 20 two-term queries (a frequent word's first 4 letters and a
rarer whole word; a pair that matches nothing; two frequent words), each run 5 times; p50 and p95 over all, with
the results and candidates read. The grams' cost: `grams(content)` per seeded message (mean, p95) and for the
4,000-character worst case.
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
from pathlib import Path

from pymongo.errors import PyMongoError

SEED_BATCH = int(os.environ.get("BENCH_SEARCH_BATCH", "200"))  # ~60 grams each: ~12,000 index keys per batch
VOCABULARY = 5000
PROGRESS_EVERY = 10_000
DEFAULT_CACHE = "6G"  # the server's WiredTiger cache; ~20 MB per 1,000 messages seeded (2.0 GB at 100,000)


def words(rng):
    """The vocabulary, most frequent first (its Zipf weights go with it)."""
    made = set()
    while len(made) < VOCABULARY:
        made.add("".join(rng.choice(string.ascii_lowercase + "éè") for _ in range(rng.randint(3, 10))))
    vocab = sorted(made)
    rng.shuffle(vocab)
    return vocab, [1 / (rank + 1) for rank in range(VOCABULARY)]


def log_tail(path, lines=40):
    """The server log's last lines (where SecantusDB writes an InternalError's real cause), or ""."""
    try:
        return "\n".join(Path(path).read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def server_rss(pid):
    """The server process's resident memory in MB (its WiredTiger cache is most of it), or None."""
    try:
        with open(f"/proc/{pid}/status") as status:
            return next(int(line.split()[1]) // 1024 for line in status if line.startswith("VmRSS:"))
    except (OSError, StopIteration, TypeError):
        return None


def seed(db, messages, chats, member_of, user_id, rng, vocab, weights, cap_s=None, server_log=None, server_pid=None):
    """The chats (group documents) and messages. Returns a dict: seconds, messages seeded, grams µs per message
    (mean, p95), the insert_many latencies (p50, max) and whether the cap stopped it."""
    from chat.kernel.clock import utcnow
    from chat.messages.repository import message_id
    from chat.search.grams import grams
    started = time.perf_counter()
    db["chats"].insert_many([{"_id": f"benchgroup{i:05d}", "kind": "group", "name": f"group {i}",
                              "members": [user_id if i < member_of else "someone", f"other{i}"], "seq": 0}
                             for i in range(chats)])
    now, docs, costs, writes = utcnow(), [], [], []
    seeded, stopped, last = 0, False, (started, 0)

    def write():
        at = time.perf_counter()
        try:
            db["messages"].insert_many(docs)
        except PyMongoError as error:
            print(f"# search: insert_many after {seeded} messages failed: {type(error).__name__}: {error}\n"
                  f"# server log ({server_log}), last lines:\n{log_tail(server_log) if server_log else ''}",
                  file=sys.stderr, flush=True)
            raise
        writes.append(time.perf_counter() - at)

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
            write()
            seeded, docs = n + 1, []
            if seeded % PROGRESS_EVERY == 0:
                now_s = time.perf_counter()
                recent = (seeded - last[1]) / (now_s - last[0])
                overall = seeded / (now_s - started)
                left = (messages - seeded) / recent
                print(f"# search: {seeded} messages after {now_s - started:.0f} s ({time.strftime('%H:%M:%S')}; "
                      f"{recent:.0f}/s over the last {PROGRESS_EVERY}, {overall:.0f}/s overall; the rest at the last "
                      f"rate: {left / 60:.0f} min; slowest insert_many so far {max(writes):.2f} s; load "
                      f"{os.getloadavg()[0]:.2f}; server RSS {server_rss(server_pid)} MB)", file=sys.stderr, flush=True)
                last = (now_s, seeded)
            if cap_s is not None and time.perf_counter() - started > cap_s and seeded < messages:
                print(f"# search: seeding stopped at its cap of {cap_s:.0f} s with {seeded} of {messages} messages",
                      file=sys.stderr, flush=True)
                stopped = True
                break
    if docs and not stopped:
        write()
        seeded = messages
    costs.sort()
    writes.sort()
    return {"seconds": round(time.perf_counter() - started, 1), "seeded": seeded, "partial": stopped,
            "grams": {"mean_us": round(1e6 * sum(costs) / len(costs), 1),
                      "p95_us": round(1e6 * costs[int(len(costs) * .95)], 1)},
            "insert_many_s": {"n": len(writes), "p50": round(writes[len(writes) // 2], 3),
                              "p95": round(writes[int(len(writes) * .95)], 3), "max": round(writes[-1], 3)}}


def queries(vocab):
    """20 two-term queries: 16 of a frequent word's first 4 letters and a rarer whole word, 2 of two frequent
    words, 2 that match nothing."""
    frequent = [w for w in vocab[:50] if len(w) >= 4]
    out = [f"{frequent[i % len(frequent)][:4]} {vocab[200 + 37 * i]}" for i in range(16)]
    out += [f"{vocab[0]} {vocab[1]}", f"{vocab[2]} {vocab[3]}", "zzqx qqzz", "xyzzy plugh"]
    return out


def footprint(db):
    """What the server says `messages` and its indexes take (collStats), or {} when it does not say. Only with
    BENCH_SEARCH_COLLSTATS=1: SecantusDB sums the index sizes by reading every entry under its store lock (minutes at
    100,000 messages, every other command waiting)."""
    if os.environ.get("BENCH_SEARCH_COLLSTATS") != "1":
        return {}
    try:
        stats = db.command("collStats", "messages")
    except PyMongoError:
        return {}
    sizes = stats.get("indexSizes") or {}
    return {key: stats[key] for key in ("count", "size", "storageSize", "totalIndexSize") if key in stats} | (
        {"messages_search_bytes": sizes["messages_search"]} if "messages_search" in sizes else {})


def measure(app, seed_db, messages, chats, member_of, cap_s=None, server_log=None, server_pid=None):
    from chat.search import service as search_service
    from chat.search.grams import grams
    services = app.extensions["chat.services"]
    rng = random.Random(32)
    vocab, weights = words(rng)
    user_id = "benchsearcher"
    seeded = seed(seed_db, messages, chats, member_of, user_id, rng, vocab, weights, cap_s, server_log,
                  server_pid)
    print(f"# search: {seeded['seeded']} messages in {chats} chats seeded in {seeded['seconds']} s",
          file=sys.stderr, flush=True)
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
            "params": {"messages": messages, "seeded": seeded["seeded"], "partial": seeded["partial"],
                       "chats": chats, "member_of": member_of, "limit": 20, "batch": search_service.BATCH,
                       "scan_batches": search_service.SCAN_BATCHES, "seed_batch": SEED_BATCH,
                       "seed_s": seeded["seconds"]},
            "metrics": {"query_ms": {"n": len(times), "p50": round(1000 * times[len(times) // 2], 1),
                                     "p95": round(1000 * times[int(len(times) * .95)], 1),
                                     "max": round(1000 * times[-1], 1)},
                        "failed_queries": failed, "queries": rows, "grams_per_send": seeded["grams"],
                        "grams_4000_worst_ms": worst_ms, "seed_insert_many_s": seeded["insert_many_s"],
                        "footprint": footprint(seed_db)}}


def local_database(storage, log_path, cache_size):
    """A LocalDatabase (the app's own launcher), with `--cache-size` when asked."""
    from chat.process.localdb import LocalDatabase

    class Database(LocalDatabase):
        def _program(self, command):  # options may come in any order: the launcher's own follow these
            return [*super()._program(command), *(["--cache-size", cache_size] if cache_size else [])]

    return Database(storage, log_path=log_path)


def main(messages=100_000, chats=1000, member_of=50):
    from pymongo import MongoClient

    from chat import create_app
    from chat.process.localdb import MEMORY
    outbox = tempfile.mkdtemp(prefix="bench-search-")
    uri, database, data_dir = os.environ.get("MONGO_URI", ""), None, None
    store = os.environ.get("BENCH_SEARCH_STORE", "disk")
    server_log = os.environ.get("BENCH_SEARCH_LOG", "/tmp/searchbench-db.log")
    cap = os.environ.get("BENCH_SEARCH_SEED_S")
    load_start = os.getloadavg()
    started_at = time.strftime("%Y-%m-%d %H:%M:%S %Z")
    if not uri:
        if store == "memory":
            storage = MEMORY
        else:
            data_dir = Path(os.environ.get("BENCH_SEARCH_DATA", "/tmp/searchbench-data"))
            if data_dir.exists():
                raise SystemExit(f"{data_dir} exists: remove it (an earlier run's data?) or set BENCH_SEARCH_DATA")
            storage = str(data_dir)
        cache = os.environ.get("BENCH_SEARCH_CACHE", DEFAULT_CACHE)
        database = local_database(storage, server_log, "" if cache == "default" else cache)
        uri = database.start()
    name = f"bench_search_{uuid.uuid4().hex[:8]}"
    seeder = MongoClient(uri, socketTimeoutMS=None, tz_aware=True, appname="bench-search-seed")
    try:
        app = create_app({"MONGO_URI": uri, "MONGO_DB": name, "LOG_LEVEL": "ERROR", "SMTP_HOST": "",
                          "MAIL_OUTBOX": outbox, "ASYNC_MODE": "threading", "REDIS_URL": "",
                          "RATELIMIT_STORAGE_URI": "memory://", "SOCKET_SLOW_CHECK_INTERVAL": 0})
        try:
            record = measure(app, seeder[name], messages, chats, member_of, float(cap) if cap else None,
                             *((server_log, database.process.pid) if database is not None else ()))
            record["params"]["store"] = "mongo_uri" if database is None else store
            if database is not None:
                record["params"]["cache_size"] = os.environ.get("BENCH_SEARCH_CACHE", DEFAULT_CACHE)
            record["params"]["started"] = started_at
            record["params"]["ended"] = time.strftime("%Y-%m-%d %H:%M:%S %Z")
            record["params"]["load_avg_start"] = [round(x, 2) for x in load_start]
            record["params"]["load_avg_end"] = [round(x, 2) for x in os.getloadavg()]
            if database is not None:
                record["metrics"]["server_rss_mb"] = server_rss(database.process.pid)
            if data_dir is not None:
                record["metrics"]["data_dir_bytes"] = sum(p.stat().st_size for p in data_dir.rglob("*")
                                                          if p.is_file())
            print(json.dumps(record), flush=True)
        finally:
            if database is None:  # MONGO_URI's server keeps it otherwise (ours goes with its process)
                app.extensions["chat.store"].client.drop_database(name)
            app.extensions["chat.store"].close()
    finally:
        seeder.close()
        if database is not None:
            database.stop()
        if data_dir is not None:
            shutil.rmtree(data_dir, ignore_errors=True)
        shutil.rmtree(outbox, ignore_errors=True)


if __name__ == "__main__":
    main(*[int(arg) for arg in sys.argv[1:4]])
