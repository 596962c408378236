"""Record the database commands an app really sends: a pymongo CommandListener on the app's own client.

`record_commands(monkeypatch)` makes every Store built afterwards (chat/db.py `Store.__init__`) create its
MongoClient with a listener attached, and returns that listener: a CommandLog of every command started
by those clients, minus the driver's own connection and monitoring chatter (handshakes, pings,
authentication, session clean-up), which costs the application nothing per operation.
"""
import copy
import threading
from collections import Counter

from pymongo import MongoClient
from pymongo.monitoring import CommandListener

import chat.db

BACKGROUND_APPNAME = "chat-background"

# The driver's own commands: connection handshakes, monitoring, authentication and session clean-up.
DRIVER_COMMANDS = frozenset({"hello", "ismaster", "ping", "endsessions", "saslstart", "saslcontinue",
                             "authenticate", "getnonce", "buildinfo", "getlasterror"})


class Command:
    """One command the application sent: its name, collection and body (a copy)."""

    def __init__(self, name, database, body):
        self.name, self.database, self.body = name, database, body
        target = body.get(name)
        self.collection = target if isinstance(target, str) else None

    def __repr__(self):
        return f"{self.name} {self.collection}"


class CommandLog(CommandListener):
    """Every command started by the clients it listens to (thread-safe)."""

    def __init__(self):
        self._lock = threading.Lock()
        self._commands = []

    def started(self, event):
        if event.command_name.lower() in DRIVER_COMMANDS:
            return
        command = Command(event.command_name, event.database_name, copy.deepcopy(dict(event.command)))
        with self._lock:
            self._commands.append(command)

    def succeeded(self, event):
        pass

    def failed(self, event):
        pass

    @property
    def commands(self):
        with self._lock:
            return list(self._commands)

    def clear(self):
        with self._lock:
            self._commands.clear()

    def measure(self, operation):
        """(operation's result, [Command]) for the commands operation sends, and only those."""
        self.clear()
        result = operation()
        return result, self.commands


def summary(commands):
    """`find users, findAndModify chats, insert messages` -> a Counter text, for messages and reports."""
    counts = Counter(repr(command) for command in commands)
    return ", ".join(f"{n}x {what}" if n > 1 else what for what, n in counts.items()) or "nothing"


def record_commands(monkeypatch):
    """A CommandLog listening to the request client of every Store built from now on in this test (not to its
    background client: push workers, the digest sweep and the mail worker run on their own, chat/db.py)."""
    log = CommandLog()

    def listened_client(*args, **kwargs):
        if kwargs.get("appname") != BACKGROUND_APPNAME:  # the work off the request path is not the request's
            kwargs["event_listeners"] = [*kwargs.get("event_listeners", ()), log]
        return MongoClient(*args, **kwargs)

    monkeypatch.setattr(chat.db, "MongoClient", listened_client)
    return log
