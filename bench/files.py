"""Attachments under load: uploads and downloads of a 1 MiB file, MB/s, and the server's memory while 20 run at
once, next to a bare gevent server moving the same bytes (bench/baselines/bare_files.py) in the same run.

    python -m bench.files            # ~1 minute; writes bench/results/files-<time>.json (docs/performance.md)

For each target: 20 uploads one after another, then 20 downloads one after another (MB/s of one stream);
then ROUNDS rounds of 20 uploads at once and of 20 downloads at once (aggregate MB/s, each request's latency),
sampling the server process's RSS every 20 ms (its peak, against its RSS when idle just before). The real
server is `python wsgi.py` as `make run` starts it (gevent, its own SecantusDB in a temporary folder: the
database runs as a separate process whose memory is not counted here); 20 users, each uploading its own files
(`POST /files`, multipart) and downloading them with its Bearer token (`GET /files/<id>`). The file is a
1 MiB PDF (`%PDF-` and random bytes: no image decoding). The load generator is this process (threads and
requests) on the same machine: both share its cores.
"""
import email
import email.policy
import glob
import os
import re
import statistics
import threading
import time

import requests

from . import targets
from .common import free_port, log, machine, percentiles, rss_kib, versions, write_result

SIZE = 1024 * 1024
CONCURRENT = 20
ROUNDS = int(os.environ.get("BENCH_FILES_ROUNDS", "5"))
BODY = b"%PDF-1.4\n" + os.urandom(SIZE - 9)
MB = 1_000_000
PASSWORD = "bench-password-123"
LINK = re.compile(r"https?://\S+/verify\?token=[\w-]+")


def verification_link(outbox, address):
    """The link of the verification mail the dev outbox holds for address (bench/accounts.py reads it alike,
    but needs aiohttp, the bench extra; this benchmark needs only what `make install` brings)."""
    deadline = time.monotonic() + 30  # the mail worker writes it shortly after the signup's answer
    while not (paths := glob.glob(os.path.join(outbox, f"*-{address.replace('@', '_at_')}.eml"))):
        assert time.monotonic() < deadline, f"no verification mail for {address}"
        time.sleep(0.05)
    path = max(paths)
    with open(path, "rb") as handle:
        message = email.message_from_binary_file(handle, policy=email.policy.default)
    return LINK.search(message.get_body(("plain",)).get_content()).group(0)


def real_users(server, count):
    """count verified, logged-in users of the real server, through signup, the mail's link and login."""
    users = []
    for i in range(count):
        name, address = f"f{i}{os.getpid()}", f"f{i}{os.getpid()}@bench.test"
        signed = requests.post(f"{server.url}/signup", json={"username": name, "email": address,
                                                           "password": PASSWORD}, timeout=30)
        assert signed.status_code == 201, signed.text
        assert requests.get(verification_link(server.outbox, address), headers={"Accept": "application/json"},
                            timeout=30).status_code == 200
        login = requests.post(f"{server.url}/login", json={"login": name, "password": PASSWORD}, timeout=30).json()
        users.append({"Authorization": f"Bearer {login['access_token']}"})
    return users


def upload(server, headers):
    started = time.perf_counter()
    response = requests.post(f"{server.url}/files", files={"file": ("bench.pdf", BODY, "application/pdf")},
                             headers=headers, timeout=120)
    assert response.status_code == 201, response.text
    return time.perf_counter() - started, response.json()["File"]["FileId"]


def download(server, headers, path):
    started = time.perf_counter()
    with requests.get(f"{server.url}{path}", headers=headers, timeout=120, stream=True) as response:
        assert response.status_code == 200, response.status_code
        got = sum(len(piece) for piece in response.iter_content(256 * 1024))
    assert got == SIZE, got
    return time.perf_counter() - started


class RssSampler:
    """The peak VmRSS of a process while running, sampled every 20 ms."""

    def __init__(self, pid):
        self.pid, self.peak, self._stop = pid, 0, threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        while not self._stop.is_set():
            self.peak = max(self.peak, rss_kib(self.pid) or 0)
            time.sleep(0.02)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()


def at_once(work, count):
    """Run work(i) for i in range(count) in threads started together; (wall seconds, [each one's result])."""
    results, gate = [None] * count, threading.Barrier(count + 1)

    def run(i):
        gate.wait()
        results[i] = work(i)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    started = time.perf_counter()
    gate.wait()
    for thread in threads:
        thread.join()
    return time.perf_counter() - started, results


def measure(server, users, path_of):
    """The figures of one target: sequential and concurrent MB/s, latencies and peak RSS."""
    out = {}
    for phase in ("upload", "download"):
        files = [upload(server, users[i % len(users)])[1] for i in range(CONCURRENT)] if phase == "download" else []
        one = (lambda i: upload(server, users[i])[0]) if phase == "upload" else \
            (lambda i: download(server, users[i], path_of(files[i])))
        started = time.perf_counter()
        for i in range(CONCURRENT):
            one(i)
        sequential = time.perf_counter() - started
        idle = rss_kib(server.pid)
        walls, each = [], []
        with RssSampler(server.pid) as sampler:
            for _ in range(ROUNDS):
                wall, times = at_once(one, CONCURRENT)
                walls.append(wall)
                each.extend(times)
        out[phase] = {
            "sequential_mb_s": round(CONCURRENT * SIZE / sequential / MB, 1),
            "concurrent_mb_s": round(ROUNDS * CONCURRENT * SIZE / sum(walls) / MB, 1),
            "round_s_median": round(statistics.median(walls), 3),
            "latency_ms": percentiles(each),
            "rss_idle_mib": round(idle / 1024, 1), "rss_peak_mib": round(sampler.peak / 1024, 1),
        }
        log(server.kind, phase, out[phase])
    return out


def main():
    record = {"machine": machine(), "versions": versions(), "size": SIZE, "concurrent": CONCURRENT, "rounds": ROUNDS}
    real = targets.start("real")
    try:
        users = real_users(real, CONCURRENT)
        record["real"] = measure(real, users, lambda file_id: f"/files/{file_id}")
    finally:
        real.stop()
    port = free_port()
    bare = targets._spawn("bare_files", [targets.PY, "bench/baselines/bare_files.py", str(port)],
                          {k: v for k, v in os.environ.items() if not k.startswith("BENCH_")},
                          [f"http://127.0.0.1:{port}"])
    try:
        record["bare"] = measure(bare, [{}] * CONCURRENT, lambda _file_id: f"/files/{SIZE}")
    finally:
        bare.stop()
    record["ratio"] = {phase: {key: round(record["real"][phase][key] / record["bare"][phase][key], 2)
                               for key in ("sequential_mb_s", "concurrent_mb_s")}
                       for phase in ("upload", "download")}
    write_result("files", record)


if __name__ == "__main__":
    main()
