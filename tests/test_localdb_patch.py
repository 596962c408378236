"""The SecantusDB patch the local database runs with (localdb/secantus_point_lookup.py, GPL-2.0, its own process).

Unpatched, a findAndModify whose query names `_id` and more (a send's Seq update) walks the whole collection on
its write: its cost grows with the number of chats. The patch makes that write a point lookup. These tests
start servers of their own, patched and not, and fail when an upgrade of SecantusDB no longer needs the patch
(the unpatched cost no longer grows), or when the patch no longer applies (the patched cost grows again).
"""
import statistics
import time

import pytest
from pymongo import MongoClient, ReturnDocument

from chat.process.localdb import MEMORY, PATCH, LocalDatabase

CHATS = 3000


def test_the_patch_is_where_the_local_database_looks_for_it():
    """Not a timing: the path itself (a move of chat/process/localdb.py once made it look in chat/localdb/)."""
    assert PATCH.is_file() and PATCH.parent.name == "localdb" and (PATCH.parents[1] / "wsgi.py").is_file()


def _server(tmp_path, patched):
    log = tmp_path / f"secantusd-{'patched' if patched else 'plain'}.log"
    database = LocalDatabase(MEMORY, log_path=log, patched=patched)
    database.start()
    return database, log


@pytest.fixture(scope="module", params=[True, False], ids=["patched", "unpatched"])
def chats(request, tmp_path_factory):
    """A `chats` collection of CHATS personal chats on a server of its own, patched or not."""
    database, log = _server(tmp_path_factory.mktemp("localdb-patch"), request.param)
    client = MongoClient(database.uri, maxPoolSize=1)
    collection = client.test.chats
    documents = [{"_id": f"{i:024x}", "kind": "personal", "members": [f"a{i}", f"b{i}"], "seq": 0}
                 for i in range(CHATS)]
    for start in range(0, CHATS, 1000):
        collection.insert_many(documents[start:start + 1000])
    yield request.param, collection, log
    client.close()
    database.stop()


def _median_ms(call, repeat=15):
    times = []
    for i in range(repeat):
        start = time.perf_counter()
        call(i)
        times.append(time.perf_counter() - start)
    return 1000 * statistics.median(times)


def _conditional_take(collection, i, write=None):
    """A send's Seq update: `_id` with membership conditions, a pipeline update, the document after (or the
    same update by `write`, such as update_one, which SecantusDB always served by `_id`)."""
    number = (i * 7919) % CHATS
    query = {"_id": f"{number:024x}", "members": f"a{number}", "deleted": {"$ne": True}, "kind": "personal"}
    change = [{"$set": {"seq": {"$add": ["$seq", 1]}}}]
    if write is not None:
        return write(query, change)
    return collection.find_one_and_update(query, change, return_document=ReturnDocument.AFTER)


@pytest.mark.serial  # a ratio of medians: alone, not beside other tests
def test_the_patch_is_what_makes_a_conditional_find_and_modify_a_point_lookup(chats):
    patched, collection, log = chats
    update = _median_ms(lambda i: _conditional_take(collection, i, collection.update_one))
    conditional = _median_ms(lambda i: _conditional_take(collection, i))
    ratio = conditional / update
    if patched:
        assert "findAndModify point-lookup patch applied" in log.read_text(), log.read_text()
        assert ratio < 3, f"patched: {conditional:.2f} ms against {update:.2f} ms for update_one"
    else:
        assert ratio > 5, (f"unpatched SecantusDB no longer scans on this findAndModify ({conditional:.2f} ms "
                           f"against {update:.2f} ms for update_one): remove localdb/secantus_point_lookup.py")


def test_the_patched_write_still_applies_the_whole_query(chats):
    _patched, collection, _log = chats
    fresh = collection.database.fresh
    fresh.insert_many([{"_id": f"c{i}", "kind": "personal", "members": [f"a{i}"], "seq": 0} for i in range(10)])
    assert fresh.find_one_and_update({"_id": "c7", "members": "not-a-member"}, {"$inc": {"seq": 1}}) is None
    assert fresh.find_one({"_id": "c7", "$and": [{"members": "not-a-member"}]}) is None
    assert fresh.update_one({"_id": "c7", "$and": [{"kind": "group"}]}, {"$inc": {"seq": 1}}).matched_count == 0
    taken = fresh.find_one_and_update({"_id": "c7", "members": "a7", "kind": "personal"},
                                      [{"$set": {"seq": {"$add": ["$seq", 1]}}}], return_document=ReturnDocument.AFTER)
    assert taken["_id"] == "c7" and taken["seq"] == 1
    assert [doc["_id"] for doc in fresh.find({"seq": {"$gt": 0}})] == ["c7"]
