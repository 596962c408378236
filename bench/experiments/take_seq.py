"""How a send's `take_seq` costs on SecantusDB as the number of chats grows (the dev store's ceiling).

    python -m bench.experiments.take_seq 100 1000 10000
    python -m bench.experiments.take_seq --unpatched 100 1000 10000   # SecantusDB without the project's patch

Starts a SecantusDB server as wsgi.py does (chat/process/localdb.py, data in a temporary folder), fills `chats`
with N personal chats, then times, one client, one command at a time (MONGO_POOL_SIZE=1, as wsgi.py
runs it): the conditional findAndModify a send makes (chat/chats/repository.py `take_seq`: `_id` plus
membership, not-deleted, not-closed, not-blocked and kind conditions, a pipeline update), the same
on one group chat of 256 members with a read position each (what a fan-out send takes), the same
findAndModify by `_id` alone, and a find_one by `_id`. Prints one JSON line: ms per command (median and
p90) per N, the database process's CPU per command, and the sends/s that the findAndModify alone allows.
"""
import json
import sys
import tempfile
import time
from datetime import datetime, timezone

from pymongo import MongoClient, ReturnDocument

from chat.process.localdb import LocalDatabase

from ..common import proc_cpu_s


def _timed(call, repeat, db_pid):
    times = []
    cpu0 = proc_cpu_s(db_pid)
    for i in range(repeat):
        t = time.perf_counter()
        call(i)
        times.append(time.perf_counter() - t)
    cpu = proc_cpu_s(db_pid) - cpu0
    times.sort()
    return {"median_ms": round(1000 * times[len(times) // 2], 2),
            "p90_ms": round(1000 * times[int(0.9 * len(times))], 2), "db_cpu_ms": round(1000 * cpu / repeat, 2)}


def measure(sizes, repeat=50, patched=True):
    out = {}
    with tempfile.TemporaryDirectory(prefix="bench-takeseq-") as tmp:
        database = LocalDatabase(f"{tmp}/db", patched=patched)
        uri = database.start()
        try:
            client = MongoClient(uri, maxPoolSize=1)
            chats = client.bench.chats
            group = {"_id": "g" * 24, "kind": "group", "members": [f"m{i}" for i in range(256)], "seq": 0,
                     "reads": {f"m{i}": 0 for i in range(256)}, "updated_at": datetime.now(timezone.utc)}
            chats.insert_one(group)
            have = 0
            for n in sizes:
                batch = [{"_id": f"{i:024x}", "kind": "personal", "members": [f"a{i}", f"b{i}"], "seq": 0,
                          "updated_at": datetime.now(timezone.utc)} for i in range(have, n)]
                for start in range(0, len(batch), 1000):
                    chats.insert_many(batch[start:start + 1000])
                have = n

                def chat_id(i, n=n):
                    return f"{(i * 7919) % n:024x}"

                def conditional(i):
                    cid = chat_id(i)
                    member = f"a{int(cid, 16)}"
                    taken = {"$add": ["$seq", 1]}
                    chats.find_one_and_update(
                        {"_id": cid, "members": member, "deleted": {"$ne": True}, "closed": {"$ne": True},
                         "blocked": {"$ne": member}, "kind": "personal"},
                        [{"$set": {"seq": taken, "updated_at": datetime.now(timezone.utc), f"reads.{member}": taken}}],
                        return_document=ReturnDocument.AFTER)

                def group_send(i):
                    taken = {"$add": ["$seq", 1]}
                    chats.find_one_and_update(
                        {"_id": group["_id"], "members": "m7", "deleted": {"$ne": True}, "closed": {"$ne": True},
                         "blocked": {"$ne": "m7"}, "kind": "group"},
                        [{"$set": {"seq": taken, "updated_at": datetime.now(timezone.utc), "reads.m7": taken}}],
                        projection={"reads": False}, return_document=ReturnDocument.AFTER)

                def by_id(i):
                    chats.find_one_and_update({"_id": chat_id(i)}, {"$inc": {"seq": 1}},
                                              return_document=ReturnDocument.AFTER)

                def find(i):
                    chats.find_one({"_id": chat_id(i)})
                reps = max(5, min(repeat, 20000 // n * 5))
                out[n] = {"repeat": reps, "take_seq_conditional": _timed(conditional, reps, database.process.pid),
                          "take_seq_group_256": _timed(group_send, reps, database.process.pid),
                          "find_and_modify_by_id": _timed(by_id, reps, database.process.pid),
                          "find_one_by_id": _timed(find, reps, database.process.pid)}
                out[n]["sends_per_s_bound"] = round(1000 / out[n]["take_seq_conditional"]["median_ms"], 1)
                print(f"# {n} chats: {json.dumps(out[n])}", file=sys.stderr, flush=True)
            client.close()
        finally:
            database.stop()
    return out


if __name__ == "__main__":
    unpatched = "--unpatched" in sys.argv
    sizes = [int(a) for a in sys.argv[1:] if a != "--unpatched"] or [100, 1000, 10000]
    print(json.dumps({"name": "take_seq", "patched": not unpatched,
                      "chats": measure(sorted(sizes), patched=not unpatched)}))
