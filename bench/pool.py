"""How pymongo's connection pool size (MONGO_POOL_SIZE) changes what the database server does for the app.

Runs as the app runs: gevent, monkey-patched, many greenlets sharing one MongoClient. Each greenlet does
what a send does (one `find_one_and_update` of a chat through an update pipeline, one `insert_one` of a
message) in a closed loop for a fixed time. For each pool size it reports commands per second and the
p50/p99 latency of one send (both commands). The server is a fresh local SecantusDB (`:memory:`) unless
MONGO_URI names one.

    .venv/bin/python -m bench.pool                       # pool sizes 1 2 4 8 16 32 100, 64 greenlets, 8 s each
    BENCH_POOL_SIZES=1,8 BENCH_POOL_WORKERS=16 .venv/bin/python -m bench.pool

Writes bench/results/pool-<time>.json and prints a table.
"""
from gevent import monkey

monkey.patch_all()

import os  # noqa: E402
import time  # noqa: E402

import gevent  # noqa: E402
from pymongo import MongoClient, ReturnDocument  # noqa: E402

from bench.common import env_float, env_int, machine, percentiles, write_result  # noqa: E402
from chat.process.localdb import MEMORY, LocalDatabase  # noqa: E402

SIZES = [int(size) for size in os.environ.get("BENCH_POOL_SIZES", "1,2,4,8,16,32,100").split(",")]
WORKERS = env_int("BENCH_POOL_WORKERS", 64)
SECONDS = env_float("BENCH_POOL_SECONDS", 8)
CHATS = 32


def send_like(db, chat_id, worker):
    """The two commands of a send: take the chat's next Seq (and the sender's read position), insert the message."""
    chat = db.chats.find_one_and_update(
        {"_id": chat_id, "members": "a"},
        [{"$set": {"seq": {"$add": ["$seq", 1]}, "reads.a": {"$add": ["$seq", 1]}}}],
        projection={"reads": 0}, return_document=ReturnDocument.AFTER)
    db.messages.insert_one({"_id": f"{chat_id}:{chat['seq']}", "chat_id": chat_id, "seq": chat["seq"],
                            "sender_id": "a", "content": f"message from worker {worker}",
                            "client_key": f"{chat_id}:a:{worker}:{chat['seq']}"})


def run_one(uri, pool_size):
    client = MongoClient(uri, maxPoolSize=pool_size, tz_aware=True)
    db = client[f"pool_{pool_size}"]
    client.drop_database(db.name)
    db.messages.create_index("client_key", unique=True, sparse=True)
    db.chats.insert_many([{"_id": f"c{i}", "members": ["a", "b"], "seq": 0, "reads": {}} for i in range(CHATS)])
    latencies, deadline = [], time.monotonic() + SECONDS

    def worker(number):
        chat_id = f"c{number % CHATS}"
        while time.monotonic() < deadline:
            started = time.perf_counter()
            send_like(db, chat_id, number)
            latencies.append(time.perf_counter() - started)

    started = time.monotonic()
    gevent.joinall([gevent.spawn(worker, n) for n in range(WORKERS)])
    elapsed = time.monotonic() - started
    sends = len(latencies)
    client.drop_database(db.name)
    client.close()
    spread = percentiles(latencies)
    return {"pool_size": pool_size, "sends": sends, "commands_per_s": round(2 * sends / elapsed, 1),
            "send_p50_ms": spread["p50"], "send_p99_ms": spread["p99"]}


def main():
    uri, server = os.environ.get("MONGO_URI"), None
    if not uri:
        server = LocalDatabase(MEMORY)
        uri = server.start()
    try:
        rows = [run_one(uri, size) for size in SIZES]
    finally:
        if server:
            server.stop()
    store = "MONGO_URI" if server is None else "SecantusDB"
    print(f"{WORKERS} greenlets, {SECONDS:.0f} s per pool size, server: {store}")
    print(f"{'pool':>5} {'commands/s':>11} {'send p50 ms':>12} {'send p99 ms':>12}")
    for row in rows:
        print(f"{row['pool_size']:>5} {row['commands_per_s']:>11} {row['send_p50_ms']:>12} {row['send_p99_ms']:>12}")
    write_result("pool", {"workers": WORKERS, "seconds": SECONDS, "server": "MONGO_URI" if server is None else
                         "SecantusDB :memory:", "machine": machine(), "rows": rows})


if __name__ == "__main__":
    main()
