"""Image decoding never freezes the server (issue #26, item 1): uploads of images that are tiny on disk and huge
decoded go to a bounded pool of real threads, so the real server process keeps answering while two are decoded;
a full pool answers 503 with Retry-After; a memory budget (pixels × bytes per pixel of the mode, × 4 for WebP)
and a pixel limit of 20 million refuse from the header, before anything is decoded."""
import io
import threading
import time

import pytest
import requests
from PIL import Image

from chat.kernel.concurrency import Busy, Lane
from chat.kernel.config import Config
from conftest import bearer

SIDE = 4096  # the largest square WebP the default memory budget lets through: 16.7 million pixels, 256 MiB


def encoded(mode, size, fmt="PNG", color=7):
    out = io.BytesIO()
    Image.new(mode, size, color).save(out, fmt, **({"lossless": True} if fmt == "WEBP" else {}))
    return out.getvalue()


def upload(server_url, user, data, name="image.bin", timeout=60):
    return requests.post(f"{server_url}/files", files={"file": (name, data, "application/octet-stream")},
                         headers=bearer(user["access"]), timeout=timeout)


def client_upload(client, user, data, name="image.bin"):
    return client.post("/files", data={"file": (io.BytesIO(data), name)}, headers=bearer(user["access"]),
                       content_type="multipart/form-data")


def stored_files(app):
    return app.extensions["chat.store"].db["files.files"].count_documents({})


@pytest.mark.live
@pytest.mark.serial  # every probe under 0.5 s: alone, not beside other tests
def test_two_bombs_uploaded_at_once_do_not_stop_the_server_answering(live_server, smtp):
    """At the default settings: each of these took the event loop for 0.6 to 0.9 s when it was decoded there."""
    user = live_server.signup_verify_login(smtp)
    bombs = {"webp": encoded("RGB", (SIDE, SIDE), "WEBP", (200, 30, 30)), "png": encoded("RGBA", (SIDE, SIDE))}
    assert len(bombs["webp"]) < 2_000 and len(bombs["png"]) < 100_000
    answers = {}

    def send(name):
        answers[name] = upload(live_server.url, user, bombs[name], name=f"bomb.{name}")

    senders = [threading.Thread(target=send, args=(name,)) for name in bombs]
    for sender in senders:
        sender.start()
    probes, deadline = [], time.monotonic() + 120
    while any(sender.is_alive() for sender in senders) and time.monotonic() < deadline:
        started = time.monotonic()
        assert requests.get(f"{live_server.url}/health", timeout=30).status_code == 200
        probes.append(time.monotonic() - started)
    for sender in senders:
        sender.join(10)
    assert len(probes) >= 5, probes  # the decoding took long enough to be probed throughout
    assert max(probes) < 0.5, sorted(probes)[-5:]
    for answer in answers.values():
        assert answer.status_code == 201, answer.text
        file = answer.json()["File"]
        assert (file["Width"], file["Height"]) == (SIDE, SIDE)
        thumb = requests.get(live_server.url + file["ThumbnailUrl"], timeout=10)
        assert thumb.status_code == 200 and Image.open(io.BytesIO(thumb.content)).size == (320, 320)


def test_a_full_decoding_pool_answers_503_with_retry_after_and_stores_nothing(make_app, smtp):
    from conftest import Accounts
    app = make_app(FILE_DECODE_WORKERS=1, FILE_DECODE_QUEUE=0)
    client = app.test_client()
    alice = Accounts(client, smtp).user()
    lane = app.extensions["chat.services"].files.images.lane
    busy, release = threading.Event(), threading.Event()

    def occupy():  # another upload's decoding, as long as the test wants
        busy.set()
        assert release.wait(30)

    holder = threading.Thread(target=lane.run, args=(occupy,))
    holder.start()
    try:
        assert busy.wait(10)
        refused = client_upload(client, alice, encoded("RGB", (64, 64)))
        assert refused.status_code == 503, refused.get_json()
        assert refused.get_json()["error"]["code"] == "unavailable" and refused.headers["Retry-After"] == "5"
        assert "images" in refused.get_json()["error"]["message"]
        assert stored_files(app) == 0
        # Files that need no decoding are not held up.
        assert client_upload(client, alice, b"plain words\n", name="a.txt").status_code == 201
    finally:
        release.set()
        holder.join(10)
    assert client_upload(client, alice, encoded("RGB", (64, 64))).status_code == 201


def test_a_lane_runs_so_many_at_once_and_refuses_beyond_its_queue():
    lane = Lane(workers=2, waiting=0)
    started = [threading.Event(), threading.Event()]
    release = threading.Event()
    results = []

    def work(index):
        started[index].set()
        assert release.wait(30)
        return index

    threads = [threading.Thread(target=lambda i=i: results.append(lane.run(work, i))) for i in range(2)]
    for thread in threads:
        thread.start()
    assert all(event.wait(10) for event in started)  # both run at once
    with pytest.raises(Busy):
        lane.run(work, 9)
    release.set()
    for thread in threads:
        thread.join(10)
    assert sorted(results) == [0, 1]
    with pytest.raises(ZeroDivisionError):  # the function's own exception reaches the caller
        lane.run(lambda: 1 / 0)


def test_the_memory_budget_counts_the_bytes_per_pixel_of_the_mode_and_format(make_app, smtp):
    from conftest import Accounts
    app = make_app(FILE_DECODE_MAX_BYTES=1_000_000)
    client = app.test_client()
    alice = Accounts(client, smtp).user()
    # A million pixels: one byte each in grey fits the budget, four in colour do not.
    assert client_upload(client, alice, encoded("L", (1000, 1000))).status_code == 201
    refused = client_upload(client, alice, encoded("RGB", (1000, 1000)))
    assert refused.status_code == 415 and refused.get_json()["error"]["code"] == "unsupported_media_type"
    assert "MiB of memory" in refused.get_json()["error"]["message"]
    # A WebP's decoder takes four times the image: 90 000 pixels × 16 bytes is over, as a PNG (× 4) it is not.
    assert client_upload(client, alice, encoded("RGB", (300, 300), "WEBP")).status_code == 415
    assert client_upload(client, alice, encoded("RGB", (300, 300))).status_code == 201
    # A JPEG is decoded at half its size for its thumbnail: 500 × 500 × 4 bytes fit.
    photo = client_upload(client, alice, encoded("RGB", (1000, 1000), "JPEG", (10, 120, 200)))
    assert photo.status_code == 201 and photo.get_json()["File"]["Width"] == 1000
    assert stored_files(app) == 3


@pytest.mark.live
def test_the_default_pixel_limit_is_20_million(live_server, smtp):
    assert Config({}).FILE_MAX_PIXELS == 20_000_000
    user = live_server.signup_verify_login(smtp)
    at_limit = upload(live_server.url, user, encoded("L", (5000, 4000)))
    assert at_limit.status_code == 201, at_limit.text
    assert at_limit.json()["File"]["Width"] == 5000
    over = upload(live_server.url, user, encoded("L", (5000, 4001)))
    assert over.status_code == 415 and over.json()["error"]["code"] == "unsupported_media_type"
    assert "at most 20000000 pixels" in over.json()["error"]["message"]
    # The WebP of the finding: 1.9 KB, 7000 × 7000, refused from its header.
    finding = upload(live_server.url, user, encoded("RGB", (7000, 7000), "WEBP"))
    assert finding.status_code == 415 and "at most 20000000 pixels" in finding.json()["error"]["message"]
