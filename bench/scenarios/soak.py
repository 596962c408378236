"""(13) Soak (issue 37): the server as shipped for a long run at half its saturation rate, clients coming and going.

`python -m bench.soak` (BENCH_SOAK_MINUTES, default 30). The server is the production entry:
`gunicorn -c deploy/gunicorn.conf.py wsgi:app` (one gevent worker; with no MONGO_URI it starts its own SecantusDB,
data in a temporary folder), with the real server's benchmark settings (bench/targets.py REAL_ENV).

`pairs` pairs of browser-like clients (bench/clients.py) send `rate` personal messages/s in total (default 57,
half of the 114 msgs/s saturation in docs/performance.md), open loop, measured minute by minute: each minute is
one phase whose acks and deliveries are matched by ClientId (lost, duplicated). Meanwhile `churn` more clients
connect every `churn_every_s` seconds with the web client's namespaces and leave `churn_stay_s` later.
After each minute: the worker's and the database's RSS and open file descriptors, and the minute's p99.
"""
import asyncio
import os
import tempfile
from pathlib import Path

from ..clients import Client
from ..common import ROOT, env_int, free_port, log, rss_kib
from ..drive import open_loop
from ..targets import PY, REAL_ENV, _spawn
from .base import connect_all, pairs_of, personal_routes, save, users_for

WEB_NAMESPACES = ["/", "/self", "/personal", "/group"]


def start_gunicorn():
    """The production entry on a free port (bench/targets.py's Server, so the usual stop applies)."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    tmp = tempfile.mkdtemp(prefix="bench-soak-")
    env = {k: v for k, v in os.environ.items() if not k.startswith("BENCH_")}
    env.update(REAL_ENV)
    env.update(PUBLIC_URL=url, MAIL_OUTBOX=os.path.join(tmp, "outbox"), MONGO_DB="bench",
               DATA_DIR=os.path.join(tmp, "db"))
    gunicorn = str(Path(PY).with_name("gunicorn"))
    log(f"starting gunicorn (deploy/gunicorn.conf.py) on {url}")
    return _spawn("real", [gunicorn, "-c", str(ROOT / "deploy" / "gunicorn.conf.py"), "--bind",
                           f"127.0.0.1:{port}", "wsgi:app"], env, [url], os.path.join(tmp, "outbox"), tmp)


def open_fds(pid):
    try:
        return len(os.listdir(f"/proc/{pid}/fd"))
    except OSError:
        return None


def children(pid):
    """The processes directly under pid (the gunicorn worker under its master, SecantusDB under the worker)."""
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            pass
    return found


def sample(master):
    """RSS (MiB) and open descriptors of the worker and of the database server it started."""
    worker = (children(master) or [None])[0]
    database = (children(worker) or [None])[0] if worker else None
    return {"worker_rss_mib": round(rss_kib(worker) / 1024, 1) if worker else None,
            "worker_fds": open_fds(worker) if worker else None,
            "db_rss_mib": round(rss_kib(database) / 1024, 1) if database else None,
            "db_fds": open_fds(database) if database else None}


async def churn(pool, users, url, every_s, stay_s, stop, counts):
    """Clients that connect with the web client's namespaces, stay a while and leave, until stop is set."""
    while not stop.is_set():
        batch = [Client(user, WEB_NAMESPACES, pool.http, pool.tracker) for user in users]
        results = await asyncio.gather(*(c.connect(url) for c in batch), return_exceptions=True)
        counts["connected"] += sum(1 for r in results if not isinstance(r, Exception))
        counts["failed"] += sum(1 for r in results if isinstance(r, Exception))
        try:
            await asyncio.wait_for(stop.wait(), stay_s)
        except asyncio.TimeoutError:
            pass
        await asyncio.gather(*(c.close() for c in batch))
        counts["left"] += len(batch)
        try:
            await asyncio.wait_for(stop.wait(), max(0.0, every_s - stay_s))
        except asyncio.TimeoutError:
            pass


async def run(minutes, pairs, rate, churn_clients, churn_every_s, churn_stay_s):
    from ..clients import Pool
    server, pool = start_gunicorn(), Pool()
    try:
        users, _ = await users_for(server, pairs * 2 + churn_clients)
        clients, _ = await connect_all(pool, server, users[:pairs * 2], ["/personal"])
        routes = await personal_routes(pairs_of(clients))
        stop, counts = asyncio.Event(), {"connected": 0, "failed": 0, "left": 0}
        churning = asyncio.ensure_future(churn(pool, users[pairs * 2:], server.url, churn_every_s, churn_stay_s,
                                               stop, counts))
        timeline = [{"minute": 0, **sample(server.pid)}]
        log(f"soak: minute 0 {timeline[0]}")
        for minute in range(1, minutes + 1):
            phase = await open_loop(routes, rate, 60, pool.tracker, f"m{minute}", drain=10)
            row = {"minute": minute, "sent": phase["sent"], "acked": phase["acked"], "lost": phase["lost"],
                   "duplicated": phase["duplicated"], "ack_errors": phase["ack_errors"],
                   "ack_p99_ms": phase["ack_ms"].get("p99"), "e2e_p99_ms": phase["e2e_ms"].get("p99"),
                   "churn_connected": counts["connected"], "churn_failed": counts["failed"], **sample(server.pid)}
            timeline.append(row)
            log(f"soak: {row}")
        stop.set()
        await churning
        totals = {key: sum(row.get(key, 0) for row in timeline[1:]) for key in
                  ("sent", "acked", "lost", "duplicated", "ack_errors")}
        params = {"minutes": minutes, "pairs": pairs, "rate": rate, "churn_clients": churn_clients,
                  "churn_every_s": churn_every_s, "churn_stay_s": churn_stay_s, "entry": "gunicorn deploy/"}
        return save("soak", "real", f"{minutes}min", params, {"totals": totals, "churn": counts,
                                                               "timeline": timeline}, server)
    finally:
        await pool.close()
        server.stop()


def main():
    """Sizes from the environment: BENCH_SOAK_MINUTES (30), _PAIRS (50), _RATE (57), _CHURN (20 clients every
    _CHURN_EVERY_S 10 s, staying _CHURN_STAY_S 5 s)."""
    return asyncio.run(run(env_int("BENCH_SOAK_MINUTES", 30), env_int("BENCH_SOAK_PAIRS", 50),
                           env_int("BENCH_SOAK_RATE", 57), env_int("BENCH_SOAK_CHURN", 20),
                           env_int("BENCH_SOAK_CHURN_EVERY_S", 10), env_int("BENCH_SOAK_CHURN_STAY_S", 5)))
