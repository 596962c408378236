"""Data export (issue #38) through live servers with real SMTP: `POST /me/export`, the mail through the outbox, a
single-use link that downloads a zip of the account, its chats' messages and its own uploads (and no other
account's address), a link that expires; the limits and the clean-up on an app of their own."""
import io
import json
import time
import zipfile
from datetime import timedelta

import pytest
import requests

from chat.kernel.clock import utcnow
from conftest import DEADLINE, Accounts, bearer, error_code, snapshot, start_live_server, stop_live_server

pytestmark = pytest.mark.live


@pytest.fixture(scope="module")
def server(smtp, tmp_path_factory):
    """A live server that builds exports within a second."""
    started = start_live_server(smtp, tmp_path_factory.mktemp("export"), EXPORT_POLL_INTERVAL=0.3)
    yield started
    stop_live_server(started)


def call(server, method, path, user, **kwargs):
    return requests.request(method, server.url + path, headers=bearer(user["access"]), timeout=DEADLINE, **kwargs)


def sent(server, sender, path, content, **extra):
    answer = call(server, "POST", path, sender, json={"Content": content, **extra})
    assert answer.status_code == 201, answer.json()
    return answer.json()["Message"]


def uploaded(server, user, name, data):
    answer = call(server, "POST", "/files", user, files={"file": (name, data)})
    assert answer.status_code == 201, answer.json()
    return answer.json()["File"]["FileId"]


def export_link(server, smtp, user):
    """Ask for an export and return the link of its mail."""
    mails = smtp.count(user["email"])
    answer = call(server, "POST", "/me/export", user)
    assert answer.status_code == 202, answer.json()
    assert answer.json()["Export"]["State"] == "pending"
    link = smtp.link(user["email"], count=mails + 1, path="exports/download")
    assert link.startswith(server.url + "/exports/download?token=")
    return link


def test_the_mailed_link_downloads_the_users_data_once(server, smtp, live_socket):
    alice, bob, carol = (server.verified_user() for _ in range(3))
    mine = uploaded(server, alice, "diary.txt", b"alice's own diary")
    theirs = uploaded(server, bob, "bobs.txt", b"bob's file, not alice's upload")
    sent(server, alice, f"/chats/personal/{bob['id']}/messages", "hello bob, here is my diary", Attachments=[mine])
    sent(server, bob, f"/chats/personal/{alice['id']}/messages", "thanks, here is mine", Attachments=[theirs])
    sent(server, alice, "/chats/self/messages", "a note to myself")
    group = live_socket(server, carol, ("/group",)).call("create-group-chat", {
        "Name": "Trio", "Participants": [alice["id"], bob["id"]]}, namespace="/group")["Group"]
    root = sent(server, carol, f"/groups/{group['GroupId']}/messages", "carol writes to the group")
    for who, text in ((bob, "bob replies in a thread"), (alice, "alice too")):  # thread replies: no Seq
        sent(server, who, f"/groups/{group['GroupId']}/messages", text, ThreadOf=root["MessageId"])
    outsider = server.verified_user()
    sent(server, outsider, f"/chats/personal/{carol['id']}/messages", "not in alice's chats")

    link = export_link(server, smtp, alice)
    answer = requests.get(link, timeout=DEADLINE)
    assert answer.status_code == 200, answer.text
    assert answer.headers["Content-Type"] == "application/zip"
    assert "attachment" in answer.headers["Content-Disposition"]
    archive = zipfile.ZipFile(io.BytesIO(answer.content))
    names = archive.namelist()
    account = json.loads(archive.read("account.json"))
    assert account["Id"] == alice["id"] and account["Email"] == alice["email"]
    chats = {json.loads(archive.read(n))["Chat"]["Kind"]: json.loads(archive.read(n))
             for n in names if n.startswith("chats/")}
    assert set(chats) == {"self", "personal", "group"}
    assert [m["Content"] for m in chats["personal"]["Messages"]] == ["hello bob, here is my diary",
                                                                      "thanks, here is mine"]
    assert [m["Seq"] for m in chats["personal"]["Messages"]] == [1, 2]
    assert chats["personal"]["Messages"][0]["Attachments"][0]["FileId"] == mine
    assert [m["Content"] for m in chats["self"]["Messages"]] == ["a note to myself"]
    assert [(m["Content"], m["Seq"], m.get("ThreadOf"), m.get("ThreadSeq")) for m in chats["group"]["Messages"]] == [
        ("carol writes to the group", 1, None, None), ("bob replies in a thread", None, root["MessageId"], 1),
        ("alice too", None, root["MessageId"], 2)]
    assert {m["username"] for m in chats["group"]["Chat"]["Members"]} == {alice["username"], bob["username"],
                                                                          carol["username"]}
    files = [n for n in names if n.startswith("files/")]
    assert files == [f"files/{mine}-diary.txt"] and archive.read(files[0]) == b"alice's own diary"
    everything = b"".join(archive.read(n) for n in names)
    for other in (bob, carol, outsider):
        assert other["email"].encode() not in everything
    assert b"not in alice's chats" not in everything

    # The link works once; the security log tells of the request.
    again = requests.get(link, timeout=DEADLINE)
    assert again.status_code == 400 and again.json()["error"]["code"] == "invalid_token"
    log = call(server, "GET", "/me/security-log", alice).json()["entries"]
    assert "export_requested" in [e["Action"] for e in log]
    bad = requests.get(f"{server.url}/exports/download", params={"token": "not-a-token"}, timeout=DEADLINE)
    assert error_code(bad) == "invalid_token"
    assert error_code(requests.get(f"{server.url}/exports/download", timeout=DEADLINE)) == "validation_error"
    assert requests.post(f"{server.url}/me/export", timeout=DEADLINE).status_code == 401


def test_the_link_stops_working_after_its_lifetime(smtp, tmp_path):
    short = start_live_server(smtp, tmp_path, EXPORT_POLL_INTERVAL=0.3, EXPORT_LINK_TTL=1)
    try:
        user = short.verified_user()
        link = export_link(short, smtp, user)
        time.sleep(1.5)
        late = requests.get(link, timeout=DEADLINE)
        assert late.status_code == 400 and late.json()["error"]["code"] == "invalid_token"
    finally:
        stop_live_server(short)


def test_one_running_export_and_a_daily_limit_and_old_exports_are_swept(make_app, smtp):
    app = make_app(EXPORTS_PER_DAY=2)
    client, db = app.test_client(), app.extensions["chat.store"].db
    exports = app.extensions["chat.services"].exports
    user = Accounts(client, smtp).verified_user()
    assert client.post("/me/export", headers=bearer(user["access"])).status_code == 202
    before = snapshot(db, "exports")
    running = client.post("/me/export", headers=bearer(user["access"]))
    assert running.status_code == 409 and error_code(running) == "export_running"
    assert snapshot(db, "exports") == before
    # Two requests racing past the first check: the unique `running` key lets one in.
    assert exports.repo.create(user["id"]) is None and snapshot(db, "exports") == before
    assert exports.build_due() == 1
    assert client.post("/me/export", headers=bearer(user["access"])).status_code == 202
    assert exports.build_due() == 1
    limited = client.post("/me/export", headers=bearer(user["access"]))
    assert limited.status_code == 429 and error_code(limited) == "rate_limited" and limited.headers["Retry-After"]
    assert db["exports"].count_documents({}) == 2 and db["exports.files"].count_documents({}) == 2

    # The sweep deletes exports older than EXPORT_KEEP, with their zips.
    db["exports"].update_many({}, {"$set": {"created_at": utcnow() - timedelta(seconds=app.config["EXPORT_KEEP"] + 1)}})
    app.extensions["chat.services"].retention.sweep()
    assert db["exports"].count_documents({}) == 0
    assert db["exports.files"].count_documents({}) == 0 and db["exports.chunks"].count_documents({}) == 0


def test_the_zip_is_written_to_gridfs_a_chunk_at_a_time_and_reads_back_with_gridfs(make_app, smtp):
    """GridWriter holds at most one chunk whatever is written to it, and stores GridFS's layout: pymongo's
    GridFSBucket reads an export's zip back whole, with the user's upload in it byte for byte."""
    import base64
    import os

    from gridfs import GridFSBucket

    from chat.files.kinds import CHUNK_SIZE
    from chat.governance.exports_repository import GridWriter
    app = make_app()
    client, db = app.test_client(), app.extensions["chat.store"].db
    writer = GridWriter(db["exports.files"], db["exports.chunks"], "probe.bin", {})
    pieces = [os.urandom(100_000) for _ in range(12)]
    for piece in pieces:
        assert writer.write(piece) == len(piece) and len(writer.pending) < CHUNK_SIZE
    writer.close()
    assert GridFSBucket(db, "exports").open_download_stream(writer._id).read() == b"".join(pieces)

    user = Accounts(client, smtp).verified_user()
    data = base64.b64encode(os.urandom(300_000))  # text that deflates little, under the in-memory upload size
    answer = client.post("/files", data={"file": (io.BytesIO(data), "big.txt")}, headers=bearer(user["access"]),
                         content_type="multipart/form-data")
    assert answer.status_code == 201, answer.get_json()
    assert client.post("/me/export", headers=bearer(user["access"])).status_code == 202
    assert app.extensions["chat.services"].exports.build_due() == 1
    export = db["exports"].find_one({"user_id": user["id"]})
    assert export["state"] == "ready" and db["exports.chunks"].count_documents({"files_id": export["file_id"]}) > 1
    archive = zipfile.ZipFile(io.BytesIO(GridFSBucket(db, "exports").open_download_stream(export["file_id"]).read()))
    big = next(name for name in archive.namelist() if name.endswith("-big.txt"))
    assert archive.read(big) == data
