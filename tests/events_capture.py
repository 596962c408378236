"""What the services announce, seen without a socket (as Zulip's `capture_send_event_calls`).

`captured_events` builds the app's services again, on the app's own database, around a `RecordingPublisher`
(chat/events.py is the port; the app's own services keep announcing to Socket.IO). A service test makes its
calls through them and asserts what was announced, in order, with what.
"""
import pytest

from chat.events import Publisher
from chat.services import build_services


class RecordingPublisher(Publisher):
    """Records every announcement as (name, fields)."""

    def __init__(self):
        self.calls = []

    def publish(self, name, **fields):
        self.calls.append((name, fields))

    def names(self):
        """The names announced so far, in order."""
        return [name for name, _fields in self.calls]

    def one(self, name):
        """The fields of the one announcement of that name (fails unless there is exactly one)."""
        found = [fields for called, fields in self.calls if called == name]
        assert len(found) == 1, f"{name} announced {len(found)} times: {self.names()}"
        return found[0]

    def clear(self):
        self.calls.clear()


@pytest.fixture
def captured_events(app):
    """(services, recorder): services on the app's database that announce to a RecordingPublisher."""
    recorder = RecordingPublisher()
    store = app.extensions["chat.store"]
    return build_services(app.config, store.db, events=recorder, background_db=store.background_db), recorder
