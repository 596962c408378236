"""The catch-up guarantee under races (SPEC v3): a reader that syncs while two writers on two processes send,
edit, react and delete ends with exactly the server's state.

Two real server processes share one Redis and one database (tests/cluster.py). alice writes through instance A
and bob through instance B, each from its own thread, as fast as they can; bob's other client, on B, calls
`sync-chat` from its last answer's Rev over and over meanwhile and applies each answer. Once the writers stop,
one more sync must leave the reader with exactly what a sync from 0 (and the database) holds: nothing an answer
moved past was left behind by a change still in flight.
"""
import random
import threading

import pytest
import requests

pytestmark = [pytest.mark.live, pytest.mark.redis]
ROUNDS = 60


@pytest.fixture
def cluster(cluster_of):
    return cluster_of()


def writer(server, user, partner_id, seed, failures):
    """Sends, edits, reactions and deletions in a random order, over REST on one instance."""
    rng, session, mine = random.Random(seed), requests.Session(), []
    session.headers["Authorization"] = f"Bearer {user['access']}"
    try:
        for i in range(ROUNDS):
            choice = rng.random()
            if not mine or choice < 0.4:
                answer = session.post(f"{server.url}/chats/personal/{partner_id}/messages",
                                      json={"Content": f"{user['username']} {i}"}, timeout=30)
                mine.append(answer.json()["Message"]["MessageId"])
            elif choice < 0.6:
                answer = session.patch(f"{server.url}/messages/{rng.choice(mine)}", json={"Content": f"edit {i}"},
                                       timeout=30)
            elif choice < 0.85:
                method = session.put if rng.random() < 0.6 else session.delete
                answer = method(f"{server.url}/messages/{rng.choice(mine)}/reactions/{rng.choice('👍🎉')}",
                                timeout=30)
            else:
                answer = session.delete(f"{server.url}/messages/{mine.pop(rng.randrange(len(mine)))}", timeout=30)
            if answer.status_code not in (200, 201, 404, 422):  # 404/422: racing one's own delete
                failures.append(f"{answer.status_code} {answer.text}")
    except Exception as exc:  # reported by the test, not lost in the thread
        failures.append(repr(exc))


def synced(sock, chat_id, state, rev):
    """Apply sync answers from rev until HasMore is false; returns the last answer's Rev."""
    while True:
        ack = sock.call("sync-chat", {"ChatId": chat_id, "SinceRev": rev, "Limit": 7}, "/personal")
        assert ack["ok"] is True, ack
        assert ack["Rev"] >= rev
        for message in ack["Messages"]:
            held = state.get(message["MessageId"])
            if held is None or message["Rev"] >= held["Rev"]:
                state[message["MessageId"]] = message
        rev = ack["Rev"]
        if not ack["HasMore"]:
            return rev


def test_a_reader_syncing_during_two_writers_ends_with_the_servers_state(cluster, smtp, live_socket):
    a, b = cluster
    alice, bob = a.signup_verify_login(smtp), b.signup_verify_login(smtp)
    reader = live_socket(b, bob, ("/personal",))
    chat_id = reader.call("fetch-personal-chat", {"Partner": alice["id"]}, "/personal")["ChatId"]
    failures, state, rev, syncs = [], {}, 0, 0
    writers = [threading.Thread(target=writer, args=(a, alice, bob["id"], 1, failures)),
               threading.Thread(target=writer, args=(b, bob, alice["id"], 2, failures))]
    for thread in writers:
        thread.start()
    while any(thread.is_alive() for thread in writers):
        rev, syncs = synced(reader, chat_id, state, rev), syncs + 1
    for thread in writers:
        thread.join()
    rev = synced(reader, chat_id, state, rev)
    assert not failures, failures[:5]

    fresh = {}
    final = synced(reader, chat_id, fresh, 0)
    assert final == rev and syncs > 5
    assert state == fresh, [k for k in fresh if state.get(k) != fresh[k]][:5]
    stored = {doc["_id"]: doc for doc in a.db()["messages"].find({"chat_id": chat_id})}
    assert set(fresh) == set(stored) and len(stored) > 20
    for message_id, message in fresh.items():
        doc = stored[message_id]
        assert (message["Rev"], message["Deleted"]) == (doc["rev"], doc["deleted"])
        assert message["Content"] == ("" if doc["deleted"] else doc["content"])
        assert sorted((r["Emoji"], r["Count"]) for r in message["Reactions"]) == sorted(
            (emoji, sum(1 for r in doc["reactions"] if r["emoji"] == emoji))
            for emoji in {r["emoji"] for r in doc["reactions"]})
