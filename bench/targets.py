"""The servers under test, each started as its own process and stopped afterwards.

- `real`: `python wsgi.py` exactly as `make run` starts it (gevent; no MONGO_URI, so it starts its own
  SecantusDB server, with DATA_DIR in a fresh temporary folder; dev outbox, rate limits off, cheap argon2
  unless asked otherwise).
- `bare_python`: python-socketio on gevent, no Flask, no database (bench/baselines/bare_python.py).
- `bare_node`: Node.js socket.io (bench/baselines/bare_node.js).
- `cluster`: two real server processes (`python wsgi.py`) sharing one database server and one Redis:
  MONGO_URI's server when it is set, otherwise a SecantusDB server with `:memory:` storage started here
  (bench/cluster_server.py `shared_database`).
"""
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request

from .cluster_server import shared_database
from .common import RESULTS, ROOT, free_port, log, stamp

PY = sys.executable
# BENCH_SERVER_ROOT runs the servers from another checkout (e.g. a local copy with a proposed fix).
SERVER_ROOT = os.environ.get("BENCH_SERVER_ROOT") or str(ROOT)
TARGETS = ("real", "bare_python", "bare_node")

METRICS_TOKEN = "bench-metrics-token"

# What every real-server benchmark runs with: the limits that would throttle a load generator off.
REAL_ENV = {
    "ASYNC_MODE": "gevent", "CHAT_ENV": "development", "LOG_LEVEL": "ERROR", "SMTP_HOST": "",
    # RATELIMIT_ENABLED=false turns off the HTTP limits and the socket event limits (SOCKET_LIMIT_*).
    "ARGON2_TIME_COST": "1", "ARGON2_MEMORY_COST": "1024", "RATELIMIT_ENABLED": "false",
    # No cap on one user's open sockets: capacity gives each of its 100 users up to 100 connections (tabs) of
    # four namespaces each, past the default cap of 60 sockets per user.
    "SOCKET_MAX_PER_USER": "0",
    "MONGO_URI": "", "REDIS_URL": "", "CORS_ORIGINS": "",
    # GET /metrics on, so a scenario can read the server's own database command counts and times.
    "METRICS_TOKEN": METRICS_TOKEN,
}


class Server:
    """A server process: its URLs (one per instance), pid, outbox folder and log."""

    def __init__(self, kind, urls, process, log_path, outbox=None, tmp=None):
        self.kind, self.urls, self.process, self.log_path = kind, urls, process, log_path
        self.outbox, self.tmp = outbox, tmp
        self.seeded = None  # path of the seeded users' tokens (bench/seeded_server.py)
        self.database = None  # a LocalDatabase this server was the last user of, stopped after it
        self.gc_wrapped = False  # under bench/experiments/gcpause.py or commands.py: SIGUSR2 writes a report

    @property
    def url(self):
        return self.urls[0]

    @property
    def pid(self):
        return self.process.pid

    def stop(self):
        if self.process.poll() is None and self.gc_wrapped:
            os.kill(self.process.pid, signal.SIGUSR2)  # bench/experiments/gcpause.py writes its report
            time.sleep(1.0)
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(10)
        if self.database is not None:
            self.database.stop()
            self.database = None
        if self.tmp:
            shutil.rmtree(self.tmp, ignore_errors=True)

    def log_tail(self, lines=30):
        try:
            with open(self.log_path, errors="replace") as handle:
                return "".join(handle.readlines()[-lines:])
        except OSError:
            return ""


def _wait_healthy(server, timeout=300):
    deadline = time.monotonic() + timeout
    pending = list(server.urls)
    while pending and time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"{server.kind} exited with {server.process.returncode}:\n{server.log_tail()}")
        try:
            with urllib.request.urlopen(pending[0] + "/health", timeout=1) as response:
                if response.status == 200:
                    pending.pop(0)
                    continue
        except OSError:
            pass
        time.sleep(0.1)
    if pending:
        server.stop()
        raise RuntimeError(f"{server.kind} did not answer /health within {timeout} s:\n{server.log_tail()}")
    return server


def _spawn(kind, command, env, urls, outbox=None, tmp=None):
    tmp = tmp or tempfile.mkdtemp(prefix=f"bench-{kind}-")
    log_path = os.path.join(tmp, "server.log")
    with open(log_path, "wb") as handle:
        process = subprocess.Popen(command, cwd=SERVER_ROOT, env=env, stdout=handle, stderr=subprocess.STDOUT,
                                   start_new_session=True, preexec_fn=_lift_fd_limit)
    server = _wait_healthy(Server(kind, urls, process, log_path, outbox, tmp))
    server.gc_wrapped = any(w in command for w in ("bench.experiments.gcpause", "bench.experiments.commands"))
    if "bench.experiments.gcpause" in command and os.environ.get("BENCH_GC") == "startup":
        os.kill(process.pid, signal.SIGUSR1)  # bench/experiments/gcpause.py: collect, then gc.freeze()
        time.sleep(1.0)
    return server


def _lift_fd_limit():
    import resource
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def _wrapper(kind):
    """How a Python server is started: plain, or under an experiment's wrapper (bench/experiments/)."""
    if os.environ.get("BENCH_COMMANDS") == "1":
        out = RESULTS / f"commands-{kind}-{stamp()}.json"
        return [PY, "-m", "bench.experiments.commands", str(out)]
    if os.environ.get("BENCH_NODELAY") == "1":
        return [PY, "-m", "bench.experiments.nodelay"]
    if os.environ.get("BENCH_GC") in ("stats", "freeze", "startup"):
        out = RESULTS / f"gcpause-{kind}-{stamp()}.json"
        return [PY, "-m", "bench.experiments.gcpause", f"--{os.environ['BENCH_GC']}", str(out)]
    return [PY]


def _entry_point(env):
    """wsgi.py, or BENCH_WSGI's entry point (e.g. an older wsgi.py written to a folder of its own, for a before
    figure), run from SERVER_ROOT with SERVER_ROOT on its import path."""
    script = os.environ.get("BENCH_WSGI") or "wsgi.py"
    if script != "wsgi.py":
        env["PYTHONPATH"] = os.pathsep.join(p for p in (SERVER_ROOT, env.get("PYTHONPATH")) if p)
        log(f"entry point {script} (BENCH_WSGI)")
    return script


def start(kind, seed=0, **settings):
    """Start a target by name; `settings` are extra environment variables for the real server.

    BENCH_NODELAY=1 runs the server through bench/experiments/nodelay.py (TCP_NODELAY on every
    accepted socket), BENCH_GC=stats|freeze|startup through bench/experiments/gcpause.py (GC pauses
    recorded to bench/results/gcpause-*.json; `freeze` also freezes survivors of full collections,
    `startup` freezes once when the server answers /health), BENCH_COMMANDS=1 through
    bench/experiments/commands.py (database commands counted): experiments, not the server as shipped.
    `seed=N` starts the real server through
    bench/seeded_server.py with N users already in its store."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("BENCH_")}
    wrap = _wrapper(kind)
    if kind == "real":
        tmp = tempfile.mkdtemp(prefix="bench-real-")
        outbox = os.path.join(tmp, "outbox")
        env.update(REAL_ENV)
        # No MONGO_URI (REAL_ENV): wsgi.py starts a SecantusDB server with its data here, stopped with it.
        env.update(PORT=str(port), HOST="127.0.0.1", PUBLIC_URL=url, MAIL_OUTBOX=outbox, MONGO_DB="bench",
                   DATA_DIR=os.path.join(tmp, "db"))
        env.update({k: str(v) for k, v in settings.items()})
        log(f"starting real server on {url} {settings or ''}" + (f" with {seed} seeded users" if seed else ""))
        if not seed:
            return _spawn(kind, [*wrap, _entry_point(env)], env, [url], outbox, tmp)
        tokens = os.path.join(tmp, "tokens.json")
        server = _spawn(kind, [PY, "-m", "bench.seeded_server", str(seed), tokens], env, [url], outbox, tmp)
        server.seeded = tokens
        return server
    if kind == "bare_python":
        log(f"starting bare python-socketio server on {url}")
        return _spawn(kind, [*wrap, "bench/baselines/bare_python.py", str(port)], env, [url])
    if kind == "bare_node":
        log(f"starting bare Node.js socket.io server on {url}")
        return _spawn(kind, ["node", "bench/baselines/bare_node.js", str(port)], env, [url])
    raise ValueError(kind)


def start_cluster(redis_url, count=2, **settings):
    """`count` real server processes (`python wsgi.py`) sharing one database server and one Redis.

    The database server is MONGO_URI's when it is set, otherwise a SecantusDB server with `:memory:`
    storage started here; it is stopped with the last server of the list.
    """
    tmp = tempfile.mkdtemp(prefix="bench-cluster-")
    outbox = os.path.join(tmp, "outbox")
    env = {k: v for k, v in os.environ.items() if not k.startswith("BENCH_")}
    env.update(REAL_ENV)
    env.update(REDIS_URL=redis_url, MAIL_OUTBOX=outbox, MONGO_DB="bench_cluster")
    env.update({k: str(v) for k, v in settings.items()})
    mongo, local = shared_database()
    if local is not None:
        log(f"started a SecantusDB server (:memory:) on {mongo} for the cluster")
    servers = []
    try:
        for _ in range(count):
            port = free_port()
            url = f"http://127.0.0.1:{port}"
            penv = dict(env, MONGO_URI=mongo, PORT=str(port), HOST="127.0.0.1", PUBLIC_URL=url)
            log(f"starting server process on {url} (database {mongo}, Redis {redis_url})")
            servers.append(_spawn("cluster", [PY, "wsgi.py"], penv, [url], outbox, tempfile.mkdtemp(dir=tmp)))
    except BaseException:
        for server in servers:
            server.stop()
        if local is not None:
            local.stop()
        raise
    servers[-1].database = local
    return servers


class Redis:
    """A private redis-server on a free port (no persistence), for the scale-out benchmark."""

    def __init__(self):
        binary = shutil.which("redis-server")
        if binary is None:
            raise RuntimeError("redis-server is not installed (apt-get install redis-server)")
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.dir = tempfile.mkdtemp(prefix="bench-redis-")
        self.process = subprocess.Popen([binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                                         "--appendonly", "no", "--dir", self.dir],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        import redis
        client = redis.Redis.from_url(self.url)
        deadline = time.monotonic() + 10
        while True:
            try:
                client.ping()
                break
            except redis.ConnectionError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        client.close()

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)
        shutil.rmtree(self.dir, ignore_errors=True)
