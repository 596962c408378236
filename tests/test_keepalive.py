"""REST on a kept-alive connection answers as fast as on a new one (gevent and eventlet, the real process).

With Nagle's algorithm on, gevent's WSGI server sent a response's headers and body as two segments and the
body waited for the client's delayed ACK: every request after the first on a connection took ~45 ms instead of
~3 (docs/performance.md, "Kept-alive REST"). The stall is a timer of the client's kernel (40 ms on Linux), so a
margin of a few milliseconds over twice a new connection's time tells the two apart on any machine.
"""
import statistics
import time

import pytest
import requests

from conftest import start_live_server, stop_live_server

pytestmark = [pytest.mark.live, pytest.mark.serial]  # medians of milliseconds: alone, not beside other tests
SAMPLES = 30


def _medians(url, path, headers=None):
    """The median seconds of `path` on a new connection each time and on one kept-alive session, sampled in
    turn so that both see the same load."""
    kept_alive = requests.Session()
    kept_alive.get(url + path, headers=headers, timeout=10)  # opens the connection it keeps
    new, reused = [], []
    for _ in range(SAMPLES):
        start = time.perf_counter()
        assert requests.get(url + path, headers=headers, timeout=10).ok
        new.append(time.perf_counter() - start)
        start = time.perf_counter()
        assert kept_alive.get(url + path, headers=headers, timeout=10).ok
        reused.append(time.perf_counter() - start)
    return statistics.median(new), statistics.median(reused)


@pytest.fixture(scope="module", params=["gevent", "eventlet"])
def server(request, smtp, tmp_path_factory):
    """The server process under each async mode."""
    process = start_live_server(smtp, tmp_path_factory.mktemp(f"keepalive-{request.param}"),
                                ASYNC_MODE=request.param)
    yield process
    stop_live_server(process)


@pytest.mark.parametrize("path", ["/health", "/me"])
def test_a_kept_alive_connection_answers_within_twice_a_new_ones_time(server, smtp, path):
    headers = None
    if path == "/me":
        headers = {"Authorization": f"Bearer {server.signup_verify_login(smtp)['access']}"}
    new, reused = _medians(server.url, path, headers)
    assert reused <= 2 * new + 0.005, f"kept-alive p50 {reused * 1e3:.1f} ms, new connection {new * 1e3:.1f} ms"
