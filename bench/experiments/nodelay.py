"""Run a server with TCP_NODELAY on every accepted socket, without changing its code.

    python -m bench.experiments.nodelay wsgi.py                          # the real server
    python -m bench.experiments.nodelay bench/baselines/bare_python.py PORT

gevent's WSGI server leaves Nagle's algorithm on. A server that writes two small frames to one
socket in a row (an ack and a push, or two pushes) then holds the second until the client ACKs the
first, and Linux clients delay that ACK by up to 40 ms. This wrapper patches gevent's pywsgi
handler to set TCP_NODELAY, then runs the script as __main__, so the benchmark can measure the
difference; docs/performance.md says how to make it part of wsgi.py.
"""
import runpy
import socket
import sys

from gevent import monkey

monkey.patch_all()

from gevent import pywsgi  # noqa: E402


class NoDelayHandler(pywsgi.WSGIHandler):
    def __init__(self, sock, address, server, rfile=None):
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        super().__init__(sock, address, server, rfile)


pywsgi.WSGIServer.handler_class = NoDelayHandler

if __name__ == "__main__":
    script = sys.argv[1]
    sys.argv = sys.argv[1:]
    sys.path.insert(0, ".")
    runpy.run_path(script, run_name="__main__")
