"""Client managers that can act on every process's sockets in a room.

Socket.IO can emit to a room on every process (through the message queue) but cannot
disconnect a room, or move a room's sockets into or out of another room. These managers add
that: a command sent with `room_command()` travels like an emit (local delivery, and the Redis
queue when REDIS_URL is set) and is carried out by each process on its own sockets; it never
reaches a client.
"""
import socketio

COMMAND_EVENT = "__room-command__"


def _run_command(manager, namespace, room, command):
    for sid, _eio_sid in list(manager.get_participants(namespace, room)):
        op = command.get("op")
        if op == "disconnect":
            manager.server.disconnect(sid, namespace=namespace, ignore_queue=True)
        elif op == "leave":
            manager.basic_leave_room(sid, namespace, command["room"])
        elif op == "join":
            manager.basic_enter_room(sid, namespace, command["room"])


class LocalManager(socketio.Manager):
    """One process: room commands act on this process's sockets."""

    def emit(self, event, data, namespace, room=None, skip_sid=None, callback=None, to=None, **kwargs):
        if event == COMMAND_EVENT:
            return _run_command(self, namespace or "/", to or room, data)
        return super().emit(event, data, namespace, room=room, skip_sid=skip_sid, callback=callback, to=to,
                            **kwargs)


class RedisQueueManager(socketio.RedisManager):
    """Several processes: room commands are published and carried out by every process."""

    def _handle_emit(self, message):
        if message.get("event") == COMMAND_EVENT:
            data = message["data"]
            command = data[0] if isinstance(data, list) else data
            return _run_command(self, message.get("namespace") or "/", message.get("room"), command)
        return super()._handle_emit(message)


def make_manager(redis_url):
    """The client manager for the settings: Redis-backed when redis_url is set."""
    if redis_url:
        return RedisQueueManager(redis_url, channel="chat-socketio")
    return LocalManager()


def room_command(socketio_server, namespaces, room, op, target_room=None):
    """On every process, make each socket in room (in each namespace) disconnect, join or leave target_room."""
    command = {"op": op}
    if target_room:
        command["room"] = target_room
    for namespace in namespaces:
        socketio_server.emit(COMMAND_EVENT, command, to=room, namespace=namespace)
