"""One account's slow push endpoints stall nobody else's pushes (a real server process, PUSH_TIMEOUT 2 s, two push
workers): a user's pushes hold at most one worker, stop at their time budget, skip a host that keeps timing out,
and what they put off is pushed later, never lost nor pushed twice."""
import time

import pytest
import requests
from push_service import BrowserKeys

from chat.notify.fairqueue import FairQueue
from chat.notify.hosts import HostBackoff, host_of
from conftest import bearer, start_live_server, stop_live_server

TIMEOUT, COOLDOWN = 2, 3


@pytest.fixture(scope="module")
def server(smtp, tmp_path_factory):
    live = start_live_server(smtp, tmp_path_factory.mktemp("push_budget"), PUSH_ALLOW_INSECURE_LOCAL=1,
                             PUSH_TIMEOUT=TIMEOUT, PUSH_WORKERS=2, PUSH_USER_BUDGET=3, PUSH_HOST_FAILURES=3,
                             PUSH_HOST_COOLDOWN=COOLDOWN, NOTIFY_DIGEST_POLL=0)
    yield live
    stop_live_server(live)


def subscribe(server, user, endpoint):
    answer = requests.post(f"{server.url}/me/push-subscriptions", json=BrowserKeys().subscription(endpoint),
                           headers=bearer(user["access"]), timeout=10)
    assert answer.status_code == 201, answer.text


def send(server, sender, to, content="hi"):
    answer = requests.post(f"{server.url}/chats/personal/{to['id']}/messages", json={"Content": content},
                           headers=bearer(sender["access"]), timeout=10)
    assert answer.status_code == 201, answer.text


@pytest.mark.live
@pytest.mark.serial  # seconds of wall-clock budget
def test_twenty_tarpit_subscriptions_of_one_user_delay_nobody_elses_push(server, smtp, push_services):
    tarpit, good = push_services("tarpit"), push_services("ok")
    ann, bea, cyd = (server.signup_verify_login(smtp) for _ in range(3))
    for n in range(20):
        subscribe(server, ann, tarpit.endpoint(f"ann{n}"))
    subscribe(server, bea, good.endpoint("bea"))
    send(server, cyd, ann, "one")
    send(server, cyd, ann, "two")  # the old code: both workers then wait 20 × PUSH_TIMEOUT on ann's endpoints
    started = time.monotonic()
    send(server, cyd, bea)
    good.wait_for(1, timeout=3 * TIMEOUT)
    assert time.monotonic() - started < 3 * TIMEOUT


@pytest.mark.live
@pytest.mark.serial  # seconds of wall-clock budget
def test_a_working_endpoint_behind_tarpits_is_pushed_within_the_budget(server, smtp, push_services):
    tarpit, good = push_services("tarpit"), push_services("ok")
    dan, eve = server.signup_verify_login(smtp), server.signup_verify_login(smtp)
    for n in range(19):
        subscribe(server, dan, tarpit.endpoint(f"dan{n}"))
    subscribe(server, dan, good.endpoint("dan"))  # the last one: the old code reached it after 19 timeouts
    started = time.monotonic()
    send(server, eve, dan)
    good.wait_for(1, timeout=4 * TIMEOUT)
    assert time.monotonic() - started < 4 * TIMEOUT  # two timeouts spend the budget (3 s); then it goes first


@pytest.mark.live
@pytest.mark.serial  # seconds of wall-clock budget
def test_pushes_put_off_while_a_host_cools_down_are_pushed_after(server, smtp, push_services):
    flaky = push_services("hang")
    fay, gus = server.signup_verify_login(smtp), server.signup_verify_login(smtp)
    for n in range(5):
        subscribe(server, fay, flaky.endpoint(f"fay{n}"))
    send(server, gus, fay)
    flaky.wait_for(3, timeout=6 * TIMEOUT)  # the third timeout closes the host for COOLDOWN seconds
    third_at = time.monotonic()
    flaky.mode = "ok"  # the host recovers; its two pushes not tried yet must still come
    pushes = flaky.wait_for(5, timeout=TIMEOUT + COOLDOWN + 10)
    assert time.monotonic() - third_at >= TIMEOUT + COOLDOWN - 0.5  # nothing tried while it cooled down
    assert sorted(path for path, _headers, _body in pushes) == [f"/push/fay{n}" for n in range(5)]
    time.sleep(0.5)
    assert len(flaky.pushes) == 5  # none twice


# The parts, in process (their clocks are passed in: no waiting).

class Clock:
    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now


def test_a_host_is_skipped_after_timeouts_in_a_row_until_its_cooldown_ends():
    clock = Clock()
    hosts = HostBackoff(failures=3, cooldown=60, clock=clock)
    host = host_of("https://Push.Example:443/x")
    assert host == host_of("https://push.example:443/y") != host_of("https://push.example:8443/x")
    hosts.timed_out(host)
    hosts.timed_out(host)
    assert hosts.reopens_at(host) is None and hosts.timeouts(host) == 2
    hosts.answered(host)  # an answer forgives
    for _ in range(3):
        hosts.timed_out(host)
    assert hosts.reopens_at(host) == 160
    clock.now = 160
    assert hosts.reopens_at(host) is None  # one try after the cool-down ...
    hosts.timed_out(host)
    assert hosts.reopens_at(host) == 220  # ... and one more timeout closes it again


def test_the_fair_queue_serves_one_job_per_key_at_a_time_in_turns():
    clock = Clock()
    jobs = FairQueue(maxsize=3, clock=clock)
    assert jobs.put("ann", 1) and jobs.put("ann", 2) and jobs.put("bea", 3)
    assert not jobs.put("cyd", 4) and jobs.put("cyd", 4, force=True)  # full, unless derived from accepted work
    assert jobs.get() == ("ann", 1)
    assert jobs.get() == ("bea", 3)
    assert jobs.get() == ("cyd", 4)
    assert jobs.get() is None  # ann's second job waits for the first to be done
    jobs.done("ann")
    assert jobs.get() == ("ann", 2)
    jobs.done("ann")
    assert jobs.put("bea", 5, when=130)
    assert jobs.get() is None  # bea is still busy, and the job is not due
    jobs.done("bea")
    assert jobs.get() is None and len(jobs) == 1
    clock.now = 130
    assert jobs.get() == ("bea", 5)
