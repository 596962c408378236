"""Two real server processes sharing one database server and one Redis, for the scale-out benchmark.

    python -m bench.cluster_server PORT_A PORT_B      (settings from the environment, REDIS_URL required)

Each instance is `python wsgi.py`, as `make run` starts it, on its own port, with the same MONGO_URI,
MONGO_DB and REDIS_URL, like tests/cluster.py. The database is MONGO_URI's server when it is set;
otherwise one SecantusDB server with `:memory:` storage (chat/process/localdb.py) that lives as long as the
instances. bench/targets.py (`start_cluster`) does the same inside the benchmark runner, with
`shared_database()`; this command is for running the pair by hand. Ctrl-C or SIGTERM stops the
instances, then the database server.
"""
import os
import signal
import subprocess
import sys

from .common import ROOT


def shared_database():
    """(uri, local): MONGO_URI when set (local is None), else a started LocalDatabase(":memory:") and its URI.

    The caller stops `local` once every instance using it has stopped.
    """
    uri = os.environ.get("MONGO_URI", "")
    if uri:
        return uri, None
    from chat.process.localdb import MEMORY, LocalDatabase
    local = LocalDatabase(MEMORY)
    return local.start(), local


def main(ports):
    if not os.environ.get("REDIS_URL"):
        raise SystemExit("REDIS_URL is required")
    uri, local = shared_database()
    instances = []
    try:
        for port in ports:
            url = f"http://127.0.0.1:{port}"
            env = dict(os.environ, MONGO_URI=uri, PORT=str(port), HOST="127.0.0.1", PUBLIC_URL=url)
            instances.append(subprocess.Popen([sys.executable, "wsgi.py"], cwd=ROOT, env=env))
            print(f"instance on {url} (database {uri})", flush=True)
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
        for instance in instances:
            instance.wait()
    except KeyboardInterrupt:
        pass
    finally:
        for instance in instances:
            if instance.poll() is None:
                instance.terminate()
        for instance in instances:
            try:
                instance.wait(10)
            except subprocess.TimeoutExpired:
                instance.kill()
                instance.wait(10)
        if local is not None:
            local.stop()


if __name__ == "__main__":
    main([int(p) for p in sys.argv[1:]])
