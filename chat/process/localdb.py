"""A local database server for development and tests: SecantusDB run as a child process.

With no MONGO_URI, the entry point (`wsgi.py`) starts one of these on a free loopback port with its
data in DATA_DIR (`var/db/`), and the test suite starts one with `:memory:` storage. The application
itself never sees the difference: it is handed a `mongodb://` URI and talks MongoDB's wire protocol,
as it does to MongoDB in production.

SecantusDB is GPL-2.0 and is only ever run as a separate program (its `secantusd-py` command); nothing
here or elsewhere in `chat/` imports it. The one fix this project carries for it (findAndModify's write found
its document by a scan of the collection: `localdb/secantus_point_lookup.py`, GPL-2.0) is a program too: it
patches SecantusDB in the server's own process and then runs `secantusd-py`'s command line. It applies to the
one SecantusDB version it is pinned to; with any other, the server runs unpatched.

The server stops with its owner on every exit path: `stop()` (called from atexit and the signal
handlers in `wsgi.py`), and, should the owner die without running them (`kill -9`), the kernel sends
the server SIGTERM (Linux's parent-death signal), so it shuts down cleanly and its data is kept. A
data directory is held by one owner at a time (an exclusive lock file), so a second `make run` on
the same directory stops with a clear error instead of opening a store that is in use. While it runs, its
URI is written beside the lock (`chat-localdb.uri`), so a command that serves nothing (`flask --app wsgi init-db`)
can use that server instead of failing on the lock. The server's log is `db.log` in the data directory too.
"""
import ctypes
import fcntl
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from pymongo import MongoClient
from pymongo.errors import PyMongoError

COMMAND = "secantusd-py"
log = logging.getLogger(__name__)
PATCH = Path(__file__).resolve().parents[2] / "localdb" / "secantus_point_lookup.py"  # <repo>/localdb/
MEMORY = ":memory:"
LOCK_NAME = "chat-localdb.lock"
URI_NAME = "chat-localdb.uri"  # the running server's URI, beside the lock (present while it serves)
LOG_NAME = "db.log"  # the server's log, in the data directory: one log per data directory
_PR_SET_PDEATHSIG = 1


class LocalDatabaseError(RuntimeError):
    """The local server could not be started (say why, and what to do)."""


class DataDirectoryInUse(LocalDatabaseError):
    """Another process's server holds the data directory; `uri` is that server's (None while it starts)."""

    def __init__(self, message, uri=None):
        super().__init__(message)
        self.uri = uri


def free_port(host="127.0.0.1"):
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def find_command():
    """The `secantusd-py` program: beside this interpreter (the project's virtualenv), else on PATH."""
    search = os.pathsep.join([os.path.dirname(sys.executable), os.environ.get("PATH", "")])
    found = shutil.which(COMMAND, path=search)
    if not found:
        raise LocalDatabaseError(
            f"{COMMAND} was not found: install SecantusDB (`make run` does: pip install -e '.[localdb]'), "
            "or set MONGO_URI to a MongoDB server")
    return found


def _die_with_parent():
    """In the child, before exec: ask the kernel for SIGTERM when the parent dies (Linux only)."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    except (OSError, AttributeError):
        pass


class LocalDatabase:
    """One SecantusDB server process: `start()` returns its URI, `stop()` ends it (idempotent)."""

    def __init__(self, storage, host="127.0.0.1", port=None, log_path=None, patched=True, test_commands=False):
        self.patched = patched  # run through localdb/secantus_point_lookup.py (False: plain secantusd-py)
        # Tests only: `--enable-test-commands`, MongoDB's `configureFailPoint` (tests/test_failpoints.py). Off
        # otherwise, as in mongod: anyone reaching the port could arm a fail point that breaks every command.
        self.test_commands = test_commands
        self.storage = storage if storage == MEMORY else str(Path(storage).resolve())
        self.host = host
        self.port = port
        self.log_path = log_path
        self.process = None
        self._lock_file = None

    @property
    def uri(self):
        return f"mongodb://{self.host}:{self.port}/?directConnection=true"

    @property
    def persistent(self):
        return self.storage != MEMORY

    def start(self, timeout=30.0):
        """Start the server and wait until it answers a ping. Returns its URI.

        Call it from a thread that lives as long as the server should: Linux sends the parent-death signal
        when the thread that started the child ends, not only the process.
        """
        command = find_command()
        if self.persistent:
            Path(self.storage).mkdir(parents=True, exist_ok=True)
            self._lock()
        self.port = self.port or free_port(self.host)
        if self.log_path is None:
            self.log_path = (Path(self.storage) / LOG_NAME) if self.persistent else os.devnull
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                [*self._program(command), "--host", self.host, "--port", str(self.port),
                 "--storage-path", self.storage, "--log-level", "WARNING",
                 *(["--enable-test-commands"] if self.test_commands else [])],
                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                # Its own session: a Ctrl-C in the terminal reaches the app, which stops the server in order.
                start_new_session=True, preexec_fn=_die_with_parent)
        try:
            self._wait_until_ready(timeout)
        except BaseException:
            self.stop()
            raise
        if self.persistent:
            (Path(self.storage) / URI_NAME).write_text(self.uri + "\n")
        return self.uri

    def _program(self, command):
        """The server's command line before its options: the patch run by the interpreter of `secantusd-py`
        (from its `#!` line), or `secantusd-py` itself when unpatched or when that line is not a plain path."""
        if not self.patched:
            return [command]
        if not PATCH.is_file():
            log.warning("local database: %s is missing, so SecantusDB runs unpatched (sends slow down as chats "
                        "grow: docs/performance.md)", PATCH)
            return [command]
        with open(command, "rb") as script:
            first = script.readline().decode(errors="replace").strip()
        interpreter = first[2:].strip() if first.startswith("#!") else ""
        if not interpreter or " " in interpreter or not os.access(interpreter, os.X_OK):
            return [command]
        return [interpreter, str(PATCH)]

    def _lock(self):
        path = Path(self.storage) / LOCK_NAME
        handle = open(path, "a+")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            owner = handle.read().strip() or "another process"
            handle.close()
            raise DataDirectoryInUse(
                f"the data directory {self.storage} is in use by {owner}; stop that server first, "
                "or set DATA_DIR to another directory", self._running_uri()) from None
        (Path(self.storage) / URI_NAME).unlink(missing_ok=True)  # a URI left by a killed owner is no server's
        handle.seek(0)
        handle.truncate()
        handle.write(f"process {os.getpid()}\n")
        handle.flush()
        self._lock_file = handle

    def _running_uri(self):
        """The URI the lock holder wrote once its server answered, or None (not yet, or an old layout)."""
        path = Path(self.storage) / URI_NAME
        return (path.read_text().strip() or None) if path.is_file() else None

    def _unlock(self):
        """Forget the URI file, then let the data directory go (the URI is never there without the lock)."""
        if self._lock_file is not None:
            if self.persistent:
                (Path(self.storage) / URI_NAME).unlink(missing_ok=True)
            self._lock_file.close()
            self._lock_file = None

    def _wait_until_ready(self, timeout):
        deadline = time.monotonic() + timeout
        client = MongoClient(self.uri, serverSelectionTimeoutMS=250, connectTimeoutMS=250)
        try:
            while True:
                if self.process.poll() is not None:
                    raise LocalDatabaseError(
                        f"{COMMAND} exited with code {self.process.returncode}; see {self.log_path}")
                try:
                    client.admin.command("ping")
                    return
                except PyMongoError:
                    if time.monotonic() > deadline:
                        raise LocalDatabaseError(f"{COMMAND} did not answer within {timeout:.0f} s; "
                                                 f"see {self.log_path}") from None
                    time.sleep(0.05)
        finally:
            client.close()

    def stop(self, timeout=15.0):
        """SIGTERM (the server checkpoints and closes its files), SIGKILL if it does not exit in time."""
        process, self.process = self.process, None
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout)
        self._unlock()

    def kill(self):
        """SIGKILL, as a crash would (tests of durability)."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(15)
        self.process = None
        self._unlock()
