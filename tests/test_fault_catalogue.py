"""The database server stopped and started again while people chat: nothing acknowledged is lost or doubled.

The real server process runs on a database server of its own (a SecantusDB on a data directory, on a
fixed port), which the test stops with SIGTERM in the middle of a stream of sends and starts again on
the same port and data. Clients do what a good client does: a send answered `unavailable` (or not
answered) is sent again with the same ClientId until it is acknowledged. Afterwards the history holds
every acknowledged message exactly once, in the order acknowledged, and the partner received each once;
the server resumed by itself, without a restart.
"""
import threading
import time

import pytest
import socketio

from chat.process.localdb import LocalDatabase, free_port
from conftest import start_live_server, stop_live_server

pytestmark = pytest.mark.live
P = "/personal"
MESSAGES = 40
OUTAGE_S = 2.0


@pytest.fixture
def own_database(tmp_path):
    database = LocalDatabase(tmp_path / "db", port=free_port(), log_path=tmp_path / "db.log")
    database.start()
    yield database
    database.stop()


def send_until_acknowledged(sock, chat_id, content, client_id, deadline):
    """Send, and send again with the same ClientId after `unavailable` or no answer, until acknowledged."""
    while time.monotonic() < deadline:
        try:
            ack = sock.call("send-personal-message", {"ChatId": chat_id, "Content": content, "ClientId": client_id},
                            P, timeout=5)
        except socketio.exceptions.TimeoutError:
            continue
        if ack["ok"]:
            return ack["Message"]
        assert ack["error"]["code"] == "unavailable", ack
        time.sleep(0.2)
    raise AssertionError(f"{client_id} was never acknowledged")


def test_a_database_restart_mid_stream_loses_and_doubles_nothing(own_database, smtp, tmp_path, live_socket):
    server = start_live_server(smtp, tmp_path, MONGO_URI=own_database.uri, MONGO_TIMEOUT_MS=500)
    try:
        accounts = server.accounts(smtp)
        alice, bob = accounts.user(), accounts.user()
        sender, receiver = live_socket(server, alice, [P]), live_socket(server, bob, [P])
        chat_id = sender.call("fetch-personal-chat", {"Partner": bob["id"]}, P)["ChatId"]

        acknowledged, deadline = [], time.monotonic() + 120
        third_sent = threading.Event()

        def stream():
            for number in range(MESSAGES):
                if number == MESSAGES // 3:
                    third_sent.set()
                acknowledged.append(send_until_acknowledged(sender, chat_id, f"message {number}", f"c{number}",
                                                            deadline))
        sending = threading.Thread(target=stream)
        sending.start()
        assert third_sent.wait(60)
        # Stopped and started from this (the main) thread: the server gets the parent-death signal when the
        # thread that started it ends (chat/process/localdb.py).
        own_database.stop()
        time.sleep(OUTAGE_S)
        own_database.start()
        sending.join(120)
        assert not sending.is_alive()

        assert len({m["MessageId"] for m in acknowledged}) == MESSAGES
        seqs = [m["Seq"] for m in acknowledged]
        assert seqs == sorted(seqs), "acknowledged in Seq order"
        page = sender.call("fetch-personal-chat", {"Partner": bob["id"], "Limit": 100}, P)
        assert [(m["MessageId"], m["Content"]) for m in page["Messages"]] == \
            [(m["MessageId"], m["Content"]) for m in acknowledged]
        receiver.wait_for("receive-personal-message", P, match=lambda d: d["Message"]["ClientId"] == f"c{MESSAGES - 1}")
        receiver.sync()
        delivered = [d["Message"]["MessageId"] for d in receiver.received("receive-personal-message", P)]
        assert sorted(delivered) == sorted(m["MessageId"] for m in acknowledged), "each delivered exactly once"
        assert "Traceback" not in server.log()
    finally:
        stop_live_server(server)
