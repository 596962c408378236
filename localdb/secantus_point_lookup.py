# SPDX-License-Identifier: GPL-2.0-only
#
# A patch to SecantusDB (GPL-2.0), carried by this project and applied only to the SecantusDB server process
# that chat/process/localdb.py starts. This file is licensed under the GPL-2.0, like the program it patches. The chat
# application (MIT) never imports it, or SecantusDB: it only runs this file as a separate program.
"""Run `secantusd-py` with one fix: findAndModify's write finds its document by `_id`, not by a scan.

    python localdb/secantus_point_lookup.py --host 127.0.0.1 --port 27017 --storage-path var/db

findAndModify in SecantusDB 0.7.0b3 first finds the document its query matches (by the `_id` index when the
query names `_id`), then writes it with the filter `{"_id": <matched id>, "$and": [<query>]}`, so that a writer
who changed the document in between makes the write match nothing. The write path asks
`Storage._try_index_id_keys` for candidates, which gives up on any filter with a top-level `$` key, so that
write walks the whole collection: a send's Seq update cost 4.4 ms at 100 chats and 89 ms at 5,000.

The fix: for that one shape, `{"_id": X, "$and": [...]}`, the candidates are those of `{"_id": X}` (a point
lookup). The caller decodes each candidate and applies the whole filter to it (`_candidates_iter`'s contract),
so the `$and` is still checked; only the scan is gone. It applies to the exact version pinned below: another
version runs unpatched (tests/test_localdb_patch.py fails when an upgrade no longer needs the patch, or when
the patched function is gone).
"""
import sys
from importlib.metadata import version

PINNED = "0.7.0b3"


def apply():
    """Patch Storage._try_index_id_keys in this process. True when applied (the pinned version only)."""
    if version("SecantusDB") != PINNED:
        return False
    from secantus.storage import Storage

    unpatched = Storage._try_index_id_keys

    def _try_index_id_keys(self, db, coll, filter, *, collation=None):
        if isinstance(filter, dict) and len(filter) == 2 and "_id" in filter and "$and" in filter:
            return unpatched(self, db, coll, {"_id": filter["_id"]}, collation=collation)
        return unpatched(self, db, coll, filter, collation=collation)

    Storage._try_index_id_keys = _try_index_id_keys
    return True


def main():
    """Apply the patch, say so in the server's log, and run SecantusDB's own command line."""
    applied = apply()
    print(f"chat localdb: findAndModify point-lookup patch {'applied' if applied else 'NOT applied'} "
          f"(SecantusDB {version('SecantusDB')}, pinned {PINNED})", file=sys.stderr, flush=True)
    from secantus.cli import main as secantusd
    sys.argv[0] = "secantusd-py"
    return secantusd()


if __name__ == "__main__":
    sys.exit(main())
