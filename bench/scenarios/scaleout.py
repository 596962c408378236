"""(7) Scale-out: what the Redis message queue costs.

Part 1, two server processes sharing Redis and one database server (bench/targets.py
`start_cluster`): pairs come in three kinds at once, both on instance A, both on B, and split A↔B, all
at the same fixed rate; latency is labelled `same` (A–A, B–B) or `cross` (A–B). Same load, same
moment, same database: the difference is the hop through the other instance's Redis subscription.
Part 2, one real server process at the same rate with and without REDIS_URL: what the queue costs
when every emit goes out through Redis and back in, with no second instance at all.
The app CPU is both processes' in part 1 (summed) and the one process's in part 2 (its database's apart),
so deliveries per app CPU-second compare two processes with Redis against one without.
"""
import os

from .. import targets
from ..clients import Pool
from ..common import CpuMeter, cpu_per_delivery
from ..drive import open_loop
from .base import pairs_of, personal_routes, running, save, users_for


async def _connect(pool, users, url):
    clients = pool.make(users, ["/personal"])
    connected, errors = await pool.connect(clients, url)
    if connected < len(clients):
        raise RuntimeError(f"only {connected}/{len(clients)} connected: {errors}")
    return clients


async def cluster(pairs, rate, duration):
    redis = targets.Redis()
    servers = targets.start_cluster(redis.url)
    server = servers[0]
    pool = Pool()
    try:
        # q same-instance pairs (half on A, half on B) and q cross-instance pairs.
        q = max(2, pairs // 4 * 2)
        users, provision_s = await users_for(server, 4 * q)
        a_url, b_url = server.urls[0], (servers[1].url if len(servers) > 1 else server.urls[1])
        same_a = await _connect(pool, users[:q], a_url)
        same_b = await _connect(pool, users[q:2 * q], b_url)
        cross_a = await _connect(pool, users[2 * q::2], a_url)
        cross_b = await _connect(pool, users[2 * q + 1::2], b_url)
        routes_same = await personal_routes(pairs_of(same_a) + pairs_of(same_b))
        routes_cross = await personal_routes(list(zip(cross_a, cross_b)))
        kinds = {id(r): "same" for r in routes_same} | {id(r): "cross" for r in routes_cross}
        routes = [r for pair in zip(routes_same, routes_cross) for r in pair]
        meters = [CpuMeter(s.pid) for s in servers]
        result = await open_loop(routes, rate, duration, pool.tracker, "scale", tag=lambda r: kinds[id(r)])
        readings = [m.read() for m in meters]
        # The app CPU of both processes together: the throughput per app CPU-second is compared with one process's.
        result.update(readings[0], server_cpu_s=round(sum(r["server_cpu_s"] for r in readings), 3),
                      server_cpu_pct=round(sum(r["server_cpu_pct"] for r in readings), 1),
                      server_cpu_s_each=[r["server_cpu_s"] for r in readings])
        cpu_per_delivery(result)
        by_tag = result["e2e_ms_by_tag"]
        metrics = {"mixed": result, "p99_ratio_cross_vs_same": round(by_tag["cross"]["p99"] / by_tag["same"]["p99"], 2)}
        params = {"pairs": len(routes) // 2, "rate": rate, "duration_s": duration, "provision_s": provision_s,
                  "instances": "two processes, " + ("MONGO_URI's database" if os.environ.get("MONGO_URI")
                                                    else "one SecantusDB server (:memory:)")}
        return save("scaleout", "cluster", "mixed", params, metrics, server)
    finally:
        await pool.close()
        for s in servers:
            s.stop()
        redis.stop()


async def single(pairs, rate, duration, with_redis):
    redis = targets.Redis() if with_redis else None
    try:
        settings = {"REDIS_URL": redis.url} if redis else {}
        async with running("real", **settings) as (server, pool):
            users, _ = await users_for(server, 2 * pairs)
            clients = await _connect(pool, users, server.url)
            routes = await personal_routes(pairs_of(clients))
            meter = CpuMeter(server.pid)
            result = cpu_per_delivery({**await open_loop(routes, rate, duration, pool.tracker, "single"),
                                       **meter.read()})
            return save("scaleout", "real", "redis" if redis else "noredis",
                        {"pairs": pairs, "rate": rate, "duration_s": duration, "redis": bool(redis)},
                        {"single": result}, server)
    finally:
        if redis:
            redis.stop()
