"""Slow consumers: a client that stops reading must not make the server buffer without bound.

Engine.IO queues every outgoing packet per connection; a client that never reads lets that queue
grow for as long as others talk to it. Every SOCKET_SLOW_CHECK_INTERVAL seconds this closes the
connections with more than SOCKET_MAX_QUEUED packets waiting (they reconnect and catch up from
history with `After`, like any client that lost its connection).
"""
import logging

log = logging.getLogger(__name__)


def close_slow_consumers(eio_server, max_queued):
    """Close every connection with more than max_queued packets waiting; returns how many."""
    closed = 0
    for eio_sid, socket in list(eio_server.sockets.items()):
        queue = getattr(socket, "queue", None)
        waiting = queue.qsize() if queue is not None else 0
        if waiting > max_queued:
            log.warning("closing a slow consumer (%s): %d packets waiting", eio_sid, waiting)
            socket.close(wait=False, abort=True)
            closed += 1
    return closed


def watch_slow_consumers(socketio, max_queued, interval):
    """Start the background check (interval 0 turns it off)."""
    if interval <= 0:
        return

    def watch():
        while True:
            socketio.sleep(interval)
            try:
                close_slow_consumers(socketio.server.eio, max_queued)
            except Exception:  # the watch must outlive any one bad connection
                log.exception("slow-consumer check failed")

    socketio.start_background_task(watch)
