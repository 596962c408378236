// The session's tokens: the access token in memory only, the refresh token in sessionStorage (per tab, gone
// when the tab closes; never localStorage). The access token is refreshed before it expires.
// Tabs of one browser share one session (docs/security.md): a new tab asks the open ones for the pair over a
// BroadcastChannel. Only one tab per session, the holder of a Web Lock named after the session, ever calls
// /refresh, and it hands each new pair to the others at once: two tabs never present the same refresh token
// (the server ends a session whose refresh token is used twice).
import { ApiError, request } from "./api.js";

const STORE_KEY = "chat.refresh_token";
const AUTH_FAILURES = new Set(["unauthorized", "token_expired", "token_revoked", "invalid_token"]);
const ASK_MS = 400;            // how long a new tab waits for an open tab to hand over the session
const LEADER_WAIT_MS = 10_000; // how long a tab waits for the refreshing tab's new pair
const FRESH_MS = 5000;         // a pair this young is handed over as it is instead of refreshed again

let access = null;
let refresh = null;
let timer = null;
let inflight = null;
let onEnded = () => {};
const channel = typeof BroadcastChannel === "function" ? new BroadcastChannel("chat.session") : null;
let leader = false;   // this tab refreshes the session
let leading = null;   // {sid, known: promise, abort, release}
let waiters = [];     // callbacks for the next pair from the leading tab
let promoted = [];    // callbacks for this tab taking the lead (the leading tab closed, or reloaded)
let adopting = null;  // a new tab's callback for the first pair handed over
let receivedAt = 0;

/** Called with an ApiError when the session cannot go on (refresh refused, revoked elsewhere). */
export function whenEnded(callback) { onEnded = callback; }

/** The pair the socket connect middleware wants. */
export function socketAuth() { return { access_token: access, refresh_token: refresh }; }

export function accessToken() { return access; }

/** Pick up this tab's refresh token after a reload; true when there is one. */
export function restore() {
  refresh = sessionStorage.getItem(STORE_KEY);
  return Boolean(refresh);
}

/** A new tab: ask the open tabs of this browser for their session. Resolves true once a pair is handed over,
 * false when no tab answers within ASK_MS. */
export function adopt() {
  if (!channel) return Promise.resolve(false);
  return new Promise((resolve) => {
    const timeout = setTimeout(() => { adopting = null; resolve(false); }, ASK_MS);
    adopting = (pair) => {
      clearTimeout(timeout);
      adopting = null;
      setTokens(pair.access, pair.refresh);
      resolve(true);
    };
    channel.postMessage({ type: "ask" });
  });
}

function sidOf(token) {
  try { return claims(token).sid || null; } catch (_) { return null; }
}

function share() {
  if (channel && refresh) channel.postMessage({ type: "tokens", access, refresh });
}

if (channel) {
  channel.onmessage = ({ data }) => {
    if (!data) return;
    const mine = Boolean(refresh) && data.sid === sidOf(refresh);
    if (data.type === "ask" && leader && access) share();
    else if (data.type === "tokens" && !refresh && adopting) adopting(data);
    else if (data.type === "tokens" && refresh && sidOf(data.refresh) === sidOf(refresh)) take(data);
    else if (data.type === "need" && mine && leader) {
      if (Date.now() - receivedAt < FRESH_MS) share();
      else refreshNow().catch(() => {});
    } else if (data.type === "end" && mine) {
      end(false);
      onEnded(new ApiError("token_revoked", "You signed out in another tab."));
    }
  };
}

/** A new pair from the leading tab of our session. */
function take(pair) {
  access = pair.access;
  refresh = pair.refresh;
  receivedAt = Date.now();
  sessionStorage.setItem(STORE_KEY, refresh);
  const ready = waiters;
  waiters = [];
  for (const callback of ready) callback();
}

// Take the session's lock if no other tab holds it (known at once); otherwise queue for it, to lead when the
// leading tab closes. Without Web Locks (or with a refresh token we cannot read), this tab leads alone.
function lead() {
  const sid = sidOf(refresh);
  if (leading && leading.sid === sid) return leading.known;
  stepDown();
  if (!sid || !channel || !(navigator.locks && navigator.locks.request)) {
    leader = true;
    return Promise.resolve();
  }
  const name = `chat.refresh.${sid}`;
  const mine = { sid, abort: new AbortController(), release: null };
  const hold = () => {
    if (leading !== mine) return null;
    leader = true;
    schedule();
    for (const wake of promoted.splice(0)) wake();
    return new Promise((release) => { mine.release = release; });
  };
  mine.known = new Promise((known) => {
    navigator.locks.request(name, { ifAvailable: true }, (lock) => {
      known();
      if (lock) return hold();
      navigator.locks.request(name, { signal: mine.abort.signal }, hold).catch(() => {});
      return null;
    });
  });
  leading = mine;
  return mine.known;
}

function stepDown() {
  leader = false;
  if (!leading) return;
  leading.abort.abort();
  if (leading.release) leading.release();
  leading = null;
}

function claims(token) {
  const part = token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
  return JSON.parse(atob(part.padEnd(Math.ceil(part.length / 4) * 4, "=")));
}

/** Take a new access token (and, from /login or /refresh, a new refresh token). */
export function setTokens(newAccess, newRefresh) {
  access = newAccess;
  receivedAt = Date.now();
  if (newRefresh) {
    refresh = newRefresh;
    sessionStorage.setItem(STORE_KEY, newRefresh);
    lead();
  }
  schedule();
}

// Refresh when four fifths of the token's life (exp - iat) have passed, at most a minute before exp.
// Counting from when the token arrived, not from exp on this machine's clock, keeps a wrong local clock
// from refreshing too late or in a loop.
function schedule() {
  clearTimeout(timer);
  if (!leader) return; // the leading tab refreshes, and hands the pair over
  let life;
  try {
    const { exp, iat } = claims(access);
    life = (exp - (iat || exp - 900)) * 1000;
  } catch (_) {
    return;
  }
  const delay = Math.max(1000, life - Math.min(60_000, life / 5));
  timer = setTimeout(() => {
    refreshNow().catch((error) => {
      if (error.code === "network" || error.code === "rate_limited" || error.status >= 500) {
        timer = setTimeout(schedule, 10_000); // try again soon; the access token may still be good
      }
    });
  }, delay);
}

/** A fresh pair (one request at a time): the leading tab POSTs /refresh (the old refresh token is revoked) and
 * hands the pair to the other tabs; any other tab asks it. Ends the session on 401. */
export function refreshNow() {
  if (!refresh) return Promise.reject(new ApiError("unauthorized", "You are signed out."));
  if (!inflight) {
    inflight = lead().then(() => (leader ? rotate() : fromLeader())).finally(() => { inflight = null; });
  }
  return inflight;
}

function rotate() {
  return request("POST", "/refresh", { token: refresh })
    .then((body) => {
      setTokens(body.access_token, body.refresh_token);
      share();
    })
    .catch((error) => {
      if (AUTH_FAILURES.has(error.code) || error.status === 401 || error.status === 422) {
        end();
        onEnded(new ApiError(error.code, "Your session has ended; please sign in again."));
      }
      throw error;
    });
}

// Ask the leading tab for a fresh pair. Should it close first (or be this very tab before a reload, whose lock
// is being let go), this tab takes the lead and refreshes itself.
function fromLeader() {
  return new Promise((resolve, reject) => {
    const finish = (then) => {
      clearTimeout(timeout);
      waiters = waiters.filter((callback) => callback !== got);
      promoted = promoted.filter((callback) => callback !== led);
      then();
    };
    const got = () => finish(resolve);
    const led = () => finish(() => rotate().then(resolve, reject));
    const timeout = setTimeout(() => finish(() => reject(
      new ApiError("network", "The tab that keeps this session did not answer; try again."))), LEADER_WAIT_MS);
    waiters.push(got);
    promoted.push(led);
    channel.postMessage({ type: "need", sid: sidOf(refresh) });
  });
}

/** An authenticated REST call; an expired access token is refreshed once and the call repeated. */
export async function authed(method, path, body) {
  if (!access) await refreshNow();
  try {
    return await request(method, path, { body, token: access });
  } catch (error) {
    if (error.code !== "token_expired") throw error;
    await refreshNow();
    return request(method, path, { body, token: access });
  }
}

/** POST /logout (this session's access and refresh tokens), then forget both. Never rejects. */
export async function logout() {
  try {
    if (access) {
      const post = () => request("POST", "/logout", { token: access, body: { refresh_token: refresh } });
      await post().catch(async (error) => {
        if (error.code !== "token_expired") throw error;
        await refreshNow();
        await post();
      });
    }
  } catch (_) {
    // Already gone on the server, or unreachable: either way nothing is left here.
  } finally {
    end();
  }
}

/** Forget the tokens in this tab, and (`tell`) in the other tabs of the same session. */
export function end(tell = true) {
  const sid = sidOf(refresh);
  if (tell && channel && sid) channel.postMessage({ type: "end", sid });
  clearTimeout(timer);
  stepDown();
  access = null;
  refresh = null;
  waiters = [];
  promoted = [];
  sessionStorage.removeItem(STORE_KEY);
}
