"""gunicorn settings for one chat process: `gunicorn -c deploy/gunicorn.conf.py --bind 127.0.0.1:5001 wsgi:app`.

One gevent worker per process (a Socket.IO session lives in the worker that accepted it; run more processes
for more capacity), and a drain on SIGTERM (chat/process/drain.py): /health answers 503, new requests are answered 503
so the proxy sends them to another process, every Socket.IO connection is cut so its client reconnects
elsewhere, and the worker exits once its running requests are done. See docs/operations.md, "Rolling restart".
"""
import signal

worker_class = "gevent"
workers = 1
backlog = 1024  # a storm of reconnecting clients (the same queue `python wsgi.py` listens with)
# Seconds the worker has, once told to stop, to finish the requests that are running. Long-polls and
# WebSockets are cut by the drain at once, so this only bounds REST calls still running.
graceful_timeout = 15
# Several masters on one host would share gunicorn 27's default control socket path.
control_socket_disable = True


def post_worker_init(worker):
    """Drain on SIGTERM: gunicorn's own handler stops the accept loop; ours first drains the app
    (chat/process/drain.py)."""
    import gevent

    from chat.process.drain import begin

    stop = worker.handle_exit

    def drain_then_stop(signum, frame):
        gevent.spawn(begin, worker.wsgi)
        stop(signum, frame)
    signal.signal(signal.SIGTERM, drain_then_stop)
