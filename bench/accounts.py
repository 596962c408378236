"""Users for a benchmark, created fresh for every run (nothing is cached across runs).

Against the real server each user walks the real path over HTTP, concurrently (aiohttp): signup,
the verification link read from the dev outbox folder (MAIL_OUTBOX, the .eml the server wrote),
verify, login. The baselines have no accounts: their users get unsigned tokens of the same shape,
which they read without checking.
"""
import asyncio
import base64
import email
import email.policy
import glob
import json
import os
import re
import uuid

import aiohttp

PASSWORD = "bench-password-123"
MAIL_WAIT_S = 120
LINK = re.compile(r"https?://\S+/verify\?token=[\w-]+")


def fake_user(index, run):
    """A baseline user: an id shaped like an ObjectId and a token whose payload carries it."""
    user_id = f"{run}{index:016x}"[-24:].rjust(24, "0")
    payload = base64.urlsafe_b64encode(json.dumps({"sub": user_id, "name": f"b{index}"}).encode()).rstrip(b"=")
    token = f"e30.{payload.decode()}.x"
    return {"id": user_id, "username": f"b{index}", "access": token, "refresh": token}


def _link(outbox, address):
    paths = glob.glob(os.path.join(outbox, f"*-{address.replace('@', '_at_')}.eml"))
    if not paths:
        return None
    with open(max(paths), "rb") as handle:
        message = email.message_from_binary_file(handle, policy=email.policy.default)
    match = LINK.search(message.get_body(("plain",)).get_content())
    return match.group(0) if match else None


async def _real_user(http, server, username, retries=3):
    url = server.url
    address = f"{username}@bench.test"
    for attempt in range(retries):
        try:
            async with http.post(f"{url}/signup", json={"username": username, "email": address,
                                                       "password": PASSWORD}) as response:
                body = await response.json()
                if response.status != 201:
                    raise RuntimeError(f"signup {response.status}: {body}")
                user_id = body["user"]["id"]
            break
        except aiohttp.ClientError:
            if attempt == retries - 1:
                raise
            await asyncio.sleep(0.5)
    # Mail is queued in the database and written by the server's mail worker (every MAIL_POLL_INTERVAL s).
    link, deadline = None, asyncio.get_running_loop().time() + MAIL_WAIT_S
    while link is None and asyncio.get_running_loop().time() < deadline:
        link = _link(server.outbox, address)
        if link is None:
            await asyncio.sleep(0.25)
    if link is None:
        raise RuntimeError(f"no verification mail for {address} in {server.outbox}")
    async with http.get(link, headers={"Accept": "application/json"}) as response:
        if response.status != 200:
            raise RuntimeError(f"verify {response.status}: {await response.text()}")
    user = {"id": user_id, "username": username, "email": address}
    return await login(http, url, user)


async def login(http, url, user):
    """Log the user in; sets access and refresh tokens on it."""
    async with http.post(f"{url}/login", json={"login": user["username"], "password": PASSWORD}) as response:
        body = await response.json()
        if response.status != 200:
            raise RuntimeError(f"login {response.status}: {body}")
    user.update(access=body["access_token"], refresh=body["refresh_token"])
    return user


def http_session(limit=64):
    return aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=limit),
                                 timeout=aiohttp.ClientTimeout(total=120))


async def provision(server, count, concurrency=48):
    """`count` verified, logged-in users on this server (fake ones for the baselines)."""
    run = uuid.uuid4().hex[:8]
    if getattr(server, "seeded", None):
        with open(server.seeded) as handle:
            seeded = json.load(handle)
        if len(seeded) < count:
            raise RuntimeError(f"{len(seeded)} seeded users, {count} wanted")
        return seeded[:count]
    if server.kind in ("bare_python", "bare_node"):
        return [fake_user(i, run) for i in range(count)]
    semaphore = asyncio.Semaphore(concurrency)

    async def one(index):
        async with semaphore:
            return await _real_user(http, server, f"b{run}_{index}")
    async with http_session(concurrency) as http:
        return await asyncio.gather(*(one(i) for i in range(count)))


def auth(user):
    return {"access_token": user["access"], "refresh_token": user["refresh"]}
