"""Attachments (SPEC v2, "Messages grow"): real multipart uploads over HTTP to the real server process, sends with
`Attachments` over python-socketio and REST, real downloads with `Range`, `ETag` and signed URLs, and the hostile
cases (a PNG that is really HTML, a decompression bomb, FILE_MAX_BYTES + 1, someone else's file, a kicked member,
expired and forged URLs). The quota and the 24-hour clean-up run on an app of their own with the test client."""
import io
import struct
import threading
import time
import zlib
from datetime import timedelta

import pytest
import requests
from PIL import Image

from chat.files.urls import THUMBNAIL, UrlSigner
from chat.kernel.config import DEV_SECRET
from conftest import bearer

pytestmark = pytest.mark.live
S, P, G = "/self", "/personal", "/group"
EVERY = ("/", S, P, G)
MAX = 10 * 1024 * 1024


def png(width=640, height=480, color=(200, 30, 30), mode="RGB"):
    out = io.BytesIO()
    Image.new(mode, (width, height), color).save(out, "PNG")
    return out.getvalue()


def jpeg_with_exif(width=800, height=600):
    exif = Image.Exif()
    exif[0x010F] = "SecretCamera"  # Make
    out = io.BytesIO()
    Image.new("RGB", (width, height), (10, 120, 200)).save(out, "JPEG", exif=exif)
    return out.getvalue()


PDF = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj 2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj "
       b"3 0 obj<</Type/Page/MediaBox[0 0 200 200]/Parent 2 0 R>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n")


def png_chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def bomb(side=30000):
    """A PNG of side×side pixels that is a few kilobytes: its rows are all zeros."""
    header = png_chunk(b"IHDR", struct.pack(">IIBBBBB", side, side, 8, 0, 0, 0, 0))
    rows = zlib.compress(b"\0" * (side + 1) * 64, 9)  # enough rows for a decoder to get going
    return b"\x89PNG\r\n\x1a\n" + header + png_chunk(b"IDAT", rows) + png_chunk(b"IEND", b"")


def upload(server, user, data, name="file.bin", content_type="application/octet-stream", timeout=30):
    return requests.post(f"{server.url}/files", files={"file": (name, data, content_type)},
                         headers=bearer(user["access"]), timeout=timeout)


def uploaded(server, user, data, **kwargs):
    response = upload(server, user, data, **kwargs)
    assert response.status_code == 201, response.text
    return response.json()["File"]


def get(server, path, user=None, **kwargs):
    headers = kwargs.pop("headers", {})
    if user is not None:
        headers.update(bearer(user["access"]))
    return requests.get(server.url + path, headers=headers, timeout=30, **kwargs)


def call(sock, namespace, event, data):
    ack = sock.call(event, data, namespace=namespace)
    assert ack.get("ok") is True, (event, ack)
    return ack


def code(response):
    return response.json()["error"]["code"]


@pytest.fixture
def trio(live_server, smtp, live_socket):
    """alice, bob and carol with sockets; alice and bob's personal chat; a group of alice (admin) and bob."""
    alice, bob, carol = (live_server.signup_verify_login(smtp) for _ in range(3))
    socks = {u["id"]: live_socket(live_server, u, EVERY) for u in (alice, bob, carol)}
    chat_id = call(socks[alice["id"]], P, "fetch-personal-chat", {"Partner": bob["id"]})["ChatId"]
    group = call(socks[alice["id"]], G, "create-group-chat", {"Name": "files", "Participants": [bob["id"]]})
    return (alice, bob, carol), socks, chat_id, group["Group"]["GroupId"]


# Upload, send, download

def test_an_image_goes_up_is_sent_over_a_socket_and_comes_down_with_range_etag_and_a_signed_url(live_server, trio):
    (alice, bob, carol), socks, chat_id, _group = trio
    image = png(640, 480)
    # The type comes from the bytes, whatever the client says.
    file = uploaded(live_server, alice, image, name="../../etc/holiday.txt", content_type="text/html")
    assert file["ContentType"] == "image/png" and file["Size"] == len(image) and file["Name"] == "holiday.txt"
    assert (file["Width"], file["Height"]) == (640, 480)
    assert file["Url"].startswith(f"/files/{file['FileId']}?expires=")
    assert file["ThumbnailUrl"].startswith(f"/files/{file['FileId']}/thumbnail?expires=")

    sent = call(socks[alice["id"]], P, "send-personal-message",
                {"ChatId": chat_id, "Content": "", "Attachments": [file["FileId"]], "ClientId": "f1"})["Message"]
    assert sent["Content"] == "" and [a["FileId"] for a in sent["Attachments"]] == [file["FileId"]]
    pushed = socks[bob["id"]].wait_for("receive-personal-message", P)["Message"]
    [shown] = pushed["Attachments"]
    assert {k: shown[k] for k in ("FileId", "Name", "ContentType", "Size", "Width", "Height")} == \
        {k: file[k] for k in ("FileId", "Name", "ContentType", "Size", "Width", "Height")}
    # A repeated ClientId answers the stored message; the file is not attached twice.
    again = call(socks[alice["id"]], P, "send-personal-message",
                 {"ChatId": chat_id, "Content": "", "Attachments": [file["FileId"]], "ClientId": "f1"})["Message"]
    assert again["MessageId"] == sent["MessageId"]

    # The partner downloads it with a Bearer token and with the signed URL (no header at all).
    whole = get(live_server, f"/files/{file['FileId']}", bob)
    assert whole.status_code == 200 and whole.content == image
    assert whole.headers["Content-Type"] == "image/png"
    assert whole.headers["X-Content-Type-Options"] == "nosniff"
    assert whole.headers["Content-Disposition"].startswith("inline;")
    assert "sandbox" in whole.headers["Content-Security-Policy"]
    etag = whole.headers["ETag"]
    assert get(live_server, f"/files/{file['FileId']}", bob, headers={"If-None-Match": etag}).status_code == 304
    part = get(live_server, f"/files/{file['FileId']}", bob, headers={"Range": "bytes=100-299"})
    assert part.status_code == 206 and part.content == image[100:300]
    assert part.headers["Content-Range"] == f"bytes 100-299/{len(image)}"
    tail = get(live_server, f"/files/{file['FileId']}", bob, headers={"Range": "bytes=-10"})
    assert tail.status_code == 206 and tail.content == image[-10:]
    stale = get(live_server, f"/files/{file['FileId']}", bob, headers={"Range": "bytes=0-9", "If-Range": '"other"'})
    assert stale.status_code == 200 and stale.content == image  # If-Range of another version: the whole file
    fresh = get(live_server, f"/files/{file['FileId']}", bob, headers={"Range": "bytes=0-9", "If-Range": etag})
    assert fresh.status_code == 206 and fresh.content == image[:10]
    beyond = get(live_server, f"/files/{file['FileId']}", bob, headers={"Range": f"bytes={len(image) + 5}-"})
    assert beyond.status_code == 416 and beyond.headers["Content-Range"] == f"bytes */{len(image)}"
    assert get(live_server, shown["Url"]).content == image
    thumb = get(live_server, shown["ThumbnailUrl"])
    assert thumb.status_code == 200 and thumb.headers["Content-Type"] == "image/jpeg"
    with Image.open(io.BytesIO(thumb.content)) as small:
        assert small.size == (320, 240)

    # Someone in neither chat: 404, as for a file that does not exist.
    for path in (f"/files/{file['FileId']}", f"/files/{file['FileId']}/thumbnail", "/files/0123456789abcdef01234567",
                 "/files/not-an-id"):
        refused = get(live_server, path, carol)
        assert refused.status_code == 404 and code(refused) == "not_found", path
    assert get(live_server, f"/files/{file['FileId']}").status_code == 401


def test_a_pdf_over_rest_is_served_as_an_attachment_and_a_message_may_carry_several_files(live_server, trio):
    (alice, bob, _carol), socks, _chat_id, group = trio
    pdf = uploaded(live_server, alice, PDF, name="report é.pdf", content_type="image/png")
    note = uploaded(live_server, alice, "plain words\n".encode(), name="notes.txt")
    assert (pdf["ContentType"], note["ContentType"]) == ("application/pdf", "text/plain")
    assert "Width" not in pdf and "ThumbnailUrl" not in pdf
    response = requests.post(f"{live_server.url}/groups/{group}/messages", headers=bearer(alice["access"]),
                             json={"Content": "two files", "Attachments": [pdf["FileId"], note["FileId"]]},
                             timeout=10)
    assert response.status_code == 201, response.text
    message = response.json()["Message"]
    assert [a["Name"] for a in message["Attachments"]] == ["report é.pdf", "notes.txt"]
    assert socks[bob["id"]].wait_for("receive-group-message", G)["Message"]["MessageId"] == message["MessageId"]
    served = get(live_server, f"/files/{pdf['FileId']}", bob)
    assert served.status_code == 200 and served.content == PDF
    assert served.headers["Content-Type"] == "application/pdf"
    assert served.headers["Content-Disposition"] == \
        "attachment; filename=\"report e.pdf\"; filename*=UTF-8''report%20%C3%A9.pdf"
    text = get(live_server, f"/files/{note['FileId']}", bob)
    assert text.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert text.headers["Content-Disposition"].startswith("attachment;")
    # The history shows them too, with fresh URLs; the edit keeps them.
    page = get(live_server, f"/groups/{group}/messages", bob).json()
    assert [a["FileId"] for a in page["Messages"][-1]["Attachments"]] == [pdf["FileId"], note["FileId"]]
    edited = requests.patch(f"{live_server.url}/messages/{message['MessageId']}", json={"Content": "renamed"},
                            headers=bearer(alice["access"]), timeout=10).json()["Message"]
    assert edited["Content"] == "renamed" and len(edited["Attachments"]) == 2


def test_jpeg_thumbnails_carry_no_metadata(live_server, trio):
    (alice, *_), _socks, _chat_id, _group = trio
    photo = jpeg_with_exif()
    file = uploaded(live_server, alice, photo, name="photo.jpg")
    assert file["ContentType"] == "image/jpeg"
    thumb = get(live_server, file["ThumbnailUrl"]).content
    assert b"SecretCamera" in photo and b"SecretCamera" not in thumb and b"Exif" not in thumb


# Who may attach and read what

def test_attachments_are_the_senders_own_unattached_uploads_each_once(live_server, trio):
    (alice, bob, _carol), socks, chat_id, _group = trio
    mine = uploaded(live_server, alice, png(8, 8))
    theirs = uploaded(live_server, bob, png(8, 8))
    sock = socks[alice["id"]]

    def refused(attachments, content="x"):
        ack = sock.call("send-personal-message", {"ChatId": chat_id, "Content": content, "Attachments": attachments},
                        namespace=P)
        assert ack["error"]["code"] == "validation_error", ack
        return ack["error"]["fields"]

    assert "Attachments" in refused([theirs["FileId"]])
    assert "Attachments" in refused([mine["FileId"], mine["FileId"]])
    assert "Attachments" in refused(["0123456789abcdef01234567"])
    assert "Attachments" in refused([mine["FileId"]] * 11)
    assert "Attachments" in refused([])
    assert "Content" in sock.call("send-personal-message", {"ChatId": chat_id, "Content": " "},
                                  namespace=P)["error"]["fields"]
    # Refused sends claimed nothing: the file is still free to send, once.
    call(sock, P, "send-personal-message", {"ChatId": chat_id, "Content": "", "Attachments": [mine["FileId"]]})
    assert "Attachments" in refused([mine["FileId"]])
    # bob's own file is still his to send (the refusal above did not take it).
    call(socks[bob["id"]], P, "send-personal-message", {"ChatId": chat_id, "Content": "",
                                                        "Attachments": [theirs["FileId"]]})


def test_a_send_refused_after_the_claim_gives_the_files_back(live_server, trio, smtp):
    (alice, *_), socks, _chat_id, _group = trio
    stranger_group = "0123456789abcdef01234567"
    file = uploaded(live_server, alice, png(8, 8))
    ack = socks[alice["id"]].call("send-group-message", {"GroupId": stranger_group, "Content": "",
                                                         "Attachments": [file["FileId"]]}, namespace=G)
    assert ack["error"]["code"] == "not_found"
    call(socks[alice["id"]], S, "send-self-message", {"Content": "", "Attachments": [file["FileId"]]})


def test_a_kicked_member_cannot_read_files_sent_after_the_kick(live_server, trio):
    (alice, bob, _carol), socks, _chat_id, group = trio
    before = uploaded(live_server, alice, png(16, 16))
    sent = call(socks[alice["id"]], G, "send-group-message",
                {"GroupId": group, "Content": "", "Attachments": [before["FileId"]]})["Message"]
    signed = sent["Attachments"][0]["Url"]
    assert get(live_server, f"/files/{before['FileId']}", bob).status_code == 200
    call(socks[alice["id"]], G, "kickout", {"GroupId": group, "Member": bob["id"]})
    after = uploaded(live_server, alice, png(16, 16))
    call(socks[alice["id"]], G, "send-group-message",
         {"GroupId": group, "Content": "", "Attachments": [after["FileId"]]})
    assert get(live_server, f"/files/{after['FileId']}", bob).status_code == 404
    assert get(live_server, f"/files/{before['FileId']}", bob).status_code == 404  # membership, at serve time
    # A link minted while bob was a member works until it expires (minutes), and only for its own file.
    assert get(live_server, signed).status_code == 200
    query = signed.split("?", 1)[1]
    assert get(live_server, f"/files/{after['FileId']}?{query}").status_code == 404


def test_signed_urls_expire_and_cannot_be_turned_into_another_files(live_server, trio):
    (alice, *_), _socks, _chat_id, _group = trio
    one, other = uploaded(live_server, alice, png(20, 20)), uploaded(live_server, alice, png(21, 21))
    expired = UrlSigner(DEV_SECRET, -120).url(one["FileId"])  # the live server runs with the development secret
    assert get(live_server, expired).status_code == 404
    assert get(live_server, UrlSigner(DEV_SECRET, 600).url(one["FileId"])).status_code == 200
    assert get(live_server, UrlSigner("another secret", 600).url(one["FileId"])).status_code == 404
    query = one["Url"].split("?", 1)[1]
    expires, signature = (pair.split("=", 1)[1] for pair in query.split("&"))
    for forged in (f"/files/{other['FileId']}?{query}",  # another file
                   f"/files/{one['FileId']}/thumbnail?{query}",  # another variant
                   f"/files/{one['FileId']}?expires={int(expires) + 3600}&signature={signature}",  # later
                   f"/files/{one['FileId']}?expires={expires}&signature={signature[:-2]}AA"):
        response = get(live_server, forged)
        assert response.status_code == 404 and code(response) == "not_found", forged
    assert get(live_server, UrlSigner(DEV_SECRET, 600).url(one["FileId"], THUMBNAIL)).status_code == 200


def test_deleting_a_message_deletes_its_files(live_server, trio):
    (alice, bob, _carol), socks, chat_id, _group = trio
    file = uploaded(live_server, alice, png(30, 30))
    sent = call(socks[alice["id"]], P, "send-personal-message",
                {"ChatId": chat_id, "Content": "soon gone", "Attachments": [file["FileId"]]})["Message"]
    call(socks[alice["id"]], P, "delete-personal-message", {"ChatId": chat_id, "MessageId": sent["MessageId"]})
    assert get(live_server, f"/files/{file['FileId']}", bob).status_code == 404
    assert get(live_server, f"/files/{file['FileId']}", alice).status_code == 404
    assert get(live_server, sent["Attachments"][0]["Url"]).status_code == 404
    page = get(live_server, f"/chats/personal/{alice['id']}/messages", bob).json()["Messages"]
    assert [m["Attachments"] for m in page if m["MessageId"] == sent["MessageId"]] == [[]]


# Hostile uploads

@pytest.mark.parametrize("data, name", [
    (b"<html><script>alert(1)</script></html>", "cat.png"),
    (b"\n  <!DOCTYPE html><p>hi", "cat.png"),
    (b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>', "logo.svg"),
    (b"\x89PNG\r\n\x1a\n<html><script>alert(1)</script></html>", "cat.png"),  # a PNG signature, then HTML
    (b"MZ\x90\x00\x03\x00\x00\x00" + bytes(range(256)), "setup.exe"),
    (b"text with a NUL\x00 byte", "a.txt"),
    (b"\xff\xfe not utf-8 \xc3\x28", "a.txt"),
    (b"", "empty.txt"),
])
def test_uploads_of_types_not_allowed_are_refused_with_415(live_server, trio, data, name):
    (alice, *_), _socks, _chat_id, _group = trio
    response = upload(live_server, alice, data, name=name, content_type="image/png")
    assert response.status_code == 415 and code(response) == "unsupported_media_type", response.text


def test_a_decompression_bomb_is_refused_before_it_is_decoded(live_server, trio):
    (alice, *_), _socks, _chat_id, _group = trio
    payload = bomb()
    assert len(payload) < 10_000
    started = time.monotonic()
    response = upload(live_server, alice, payload, name="bomb.png")
    assert response.status_code == 415 and code(response) == "unsupported_media_type"
    assert time.monotonic() - started < 5
    assert get(live_server, "/health").status_code == 200


def test_one_byte_over_file_max_bytes_is_413_and_exactly_the_limit_is_stored(live_server, trio):
    (alice, *_), _socks, _chat_id, _group = trio
    response = upload(live_server, alice, b"a" * (MAX + 1), name="big.txt")
    assert response.status_code == 413 and code(response) == "payload_too_large"
    file = uploaded(live_server, alice, b"b" * MAX, name="limit.txt")
    assert file["Size"] == MAX
    # The larger limit is POST /files's own: every other body keeps MAX_BODY_BYTES (64 KiB).
    big_json = requests.post(f"{live_server.url}/chats/self/messages", headers=bearer(alice["access"]),
                             json={"Content": "x" * 70_000}, timeout=10)
    assert big_json.status_code == 413 and code(big_json) == "payload_too_large"


def test_an_upload_must_be_one_part_named_file(live_server, trio):
    (alice, *_), _socks, _chat_id, _group = trio
    wrong_name = requests.post(f"{live_server.url}/files", files={"upload": ("a.txt", b"hi")},
                               headers=bearer(alice["access"]), timeout=10)
    assert wrong_name.status_code == 422 and code(wrong_name) == "validation_error"
    two = requests.post(f"{live_server.url}/files", files=[("file", ("a.txt", b"hi")), ("file", ("b.txt", b"ho"))],
                        headers=bearer(alice["access"]), timeout=10)
    assert two.status_code == 422
    as_json = requests.post(f"{live_server.url}/files", json={"file": "hi"}, headers=bearer(alice["access"]),
                            timeout=10)
    assert as_json.status_code == 422
    assert requests.post(f"{live_server.url}/files", files={"file": ("a.txt", b"hi")}, timeout=10).status_code == 401


def test_a_10_mib_download_does_not_hold_up_other_requests(live_server, trio):
    (alice, *_), _socks, _chat_id, _group = trio
    data = b"%PDF-1.4\n" + bytes(range(256)) * ((MAX - 9) // 256)
    file = uploaded(live_server, alice, data, name="big.pdf")
    assert file["ContentType"] == "application/pdf"
    reading = get(live_server, file["Url"], stream=True)
    first = next(reading.iter_content(64 * 1024))  # the download is under way, and we stop reading
    timings = []
    for _ in range(5):
        started = time.monotonic()
        assert get(live_server, "/health").status_code == 200
        timings.append(time.monotonic() - started)
    rest = first + b"".join(reading.iter_content(1024 * 1024))
    assert rest == data
    assert max(timings) < 1.0, timings


def test_concurrent_downloads_and_uploads_finish(live_server, trio):
    (alice, *_), _socks, _chat_id, _group = trio
    body = b"%PDF-1.4\n" + bytes(range(256)) * 4096  # 1 MiB
    files = [uploaded(live_server, alice, body, name=f"{i}.pdf") for i in range(3)]
    results = []

    def fetch(file):
        results.append(get(live_server, file["Url"]).content == body)

    threads = [threading.Thread(target=fetch, args=(f,)) for f in files * 3]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert results == [True] * len(threads)


# Quota and clean-up, on an app of their own

@pytest.fixture
def small_app(make_app):
    return make_app(FILE_QUOTA_BYTES=3000)


def client_upload(client, user, data, name="a.txt"):
    return client.post("/files", data={"file": (io.BytesIO(data), name)}, headers=bearer(user["access"]),
                       content_type="multipart/form-data")


def test_a_users_stored_total_is_capped_by_the_quota(small_app, smtp):
    from conftest import Accounts
    client = small_app.test_client()
    accounts = Accounts(client, smtp)
    alice, bob = accounts.user(), accounts.user()
    assert client_upload(client, alice, b"a" * 2000).status_code == 201
    refused = client_upload(client, alice, b"a" * 1001)
    assert refused.status_code == 413 and refused.get_json()["error"]["code"] == "quota_exceeded"
    assert client_upload(client, alice, b"a" * 1000).status_code == 201
    assert client_upload(client, bob, b"b" * 2500).status_code == 201  # per user


def test_uploads_never_attached_are_swept_after_24_hours_and_attached_ones_stay(small_app, smtp):
    from conftest import Accounts
    client = small_app.test_client()
    alice = Accounts(client, smtp).user()
    ids = [client_upload(client, alice, f"file {i}".encode()).get_json()["File"]["FileId"] for i in range(3)]
    sent = client.post("/chats/self/messages", json={"Content": "", "Attachments": [ids[0]]},
                       headers=bearer(alice["access"]))
    assert sent.status_code == 201
    db = small_app.extensions["chat.store"].db
    files = small_app.extensions["chat.services"].files
    from bson import ObjectId

    from chat.kernel.clock import utcnow
    db["files.files"].update_many({}, {"$set": {"uploadDate": utcnow() - timedelta(hours=25)}})
    db["files.files"].update_one({"_id": ObjectId(ids[2])}, {"$set": {"uploadDate": utcnow() - timedelta(hours=23)}})
    assert files.sweep_unattached() == 1
    assert files.sweep_unattached() == 0  # a second sweep (another process) finds nothing more
    kept = {str(doc["_id"]) for doc in db["files.files"].find({}, {"_id": 1})}
    assert kept == {ids[0], ids[2]}
    assert db["files.chunks"].count_documents({"files_id": ObjectId(ids[1])}) == 0
    assert client.get(f"/files/{ids[0]}", headers=bearer(alice["access"])).status_code == 200
    # An account deletion removes all of a user's files (FileService.remove_owned_by).
    assert files.remove_owned_by(alice["id"]) == 2
    assert db["files.files"].count_documents({}) == 0 and db["files.chunks"].count_documents({}) == 0
    assert db["thumbnails.files"].count_documents({}) == 0
