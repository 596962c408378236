"""Two instances of the real app in one gevent process, for the scale-out benchmark.

    python -m bench.cluster_server PORT_A PORT_B      (settings from the environment, REDIS_URL required)

Two server processes cannot share the embedded (in-memory) store, so, like tests/cluster.py, this
builds one app per port, each with its own Socket.IO server and Redis subscription, sharing one
store named `mongomock://bench-cluster`. Each app is served by gevent's WSGI server, as `wsgi.py`
serves one. Both instances share this process's one core: compare them with each other, not with
a lone process.
"""
from gevent import monkey

monkey.patch_all()

import os  # noqa: E402
import sys  # noqa: E402

import gevent  # noqa: E402
from gevent import pywsgi  # noqa: E402

from chat import create_app  # noqa: E402


def main(ports):
    if not os.environ.get("REDIS_URL"):
        raise SystemExit("REDIS_URL is required")
    servers = []
    for port in ports:
        url = f"http://127.0.0.1:{port}"
        app = create_app({"MONGO_URI": "mongomock://bench-cluster", "PORT": port, "HOST": "127.0.0.1",
                          "PUBLIC_URL": url})
        server = pywsgi.WSGIServer(("127.0.0.1", port), app, log=None)
        server.start()
        servers.append(server)
        print(f"instance on {url}", flush=True)
    gevent.wait([gevent.spawn(server.serve_forever) for server in servers])


if __name__ == "__main__":
    main([int(p) for p in sys.argv[1:]])
