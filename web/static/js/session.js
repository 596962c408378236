// The session's tokens: the access token in memory only, the refresh token in sessionStorage (per tab, gone
// when the tab closes; never localStorage). The access token is refreshed before it expires.
// Tabs of one browser share one session (docs/security.md): a new tab asks the open ones for the pair over a
// BroadcastChannel (session-tabs.js). Only one tab per session, the holder of a Web Lock named after the session
// (session-lead.js), ever calls /refresh, and it hands each new pair to the others at once: two tabs never
// present the same refresh token (the server ends a session whose refresh token is used twice).
import { ApiError, request } from "./api.js";
import { claims, forgetPromoted, isLeader, lead, onLeading, sidOf, stepDown } from "./session-lead.js";
import * as tabs from "./session-tabs.js";

const STORE_KEY = "chat.refresh_token";
const AUTH_FAILURES = new Set(["unauthorized", "token_expired", "token_revoked", "invalid_token"]);
const FRESH_MS = 5000;         // a pair this young is handed over as it is instead of refreshed again

let access = null;
let refresh = null;
let timer = null;
let inflight = null;
let onEnded = () => {};
let receivedAt = 0;

/** Called with an ApiError when the session cannot go on (refresh refused, revoked elsewhere). */
export function whenEnded(callback) { onEnded = callback; }

/** The pair the socket connect middleware wants. */
export function socketAuth() { return { access_token: access, refresh_token: refresh }; }

/** The access token in memory (null before sign-in or a refresh). */
export function accessToken() { return access; }

/** Pick up this tab's refresh token after a reload; true when there is one. */
export function restore() {
  refresh = sessionStorage.getItem(STORE_KEY);
  return Boolean(refresh);
}

/** A new tab: ask the open tabs of this browser for their session. Resolves true once a pair is handed over,
 * false when no tab answers in time. */
export function adopt() {
  return tabs.adopt((pair) => setTokens(pair.access, pair.refresh));
}

function share() {
  if (refresh) tabs.post({ type: "tokens", access, refresh });
}

tabs.listen((data) => {
  const mine = Boolean(refresh) && data.sid === sidOf(refresh);
  if (data.type === "ask" && isLeader() && access) share();
  else if (data.type === "tokens" && !refresh) tabs.handedOver(data);
  else if (data.type === "tokens" && sidOf(data.refresh) === sidOf(refresh)) take(data);
  else if (data.type === "need" && mine && isLeader()) {
    if (Date.now() - receivedAt < FRESH_MS) share();
    else refreshNow().catch(() => {});
  } else if (data.type === "end" && mine) {
    end(false);
    onEnded(new ApiError("token_revoked", "You signed out in another tab."));
  }
});
onLeading(() => schedule());

/** A new pair from the leading tab of our session. */
function take(pair) {
  access = pair.access;
  refresh = pair.refresh;
  receivedAt = Date.now();
  sessionStorage.setItem(STORE_KEY, refresh);
  tabs.arrived();
}

/** Take a new access token (and, from /login or /refresh, a new refresh token). */
export function setTokens(newAccess, newRefresh) {
  access = newAccess;
  receivedAt = Date.now();
  if (newRefresh) {
    refresh = newRefresh;
    sessionStorage.setItem(STORE_KEY, newRefresh);
    lead(refresh, Boolean(tabs.channel));
  }
  schedule();
}

// Refresh when four fifths of the token's life (exp - iat) have passed, at most a minute before exp.
// Counting from when the token arrived, not from exp on this machine's clock, keeps a wrong local clock
// from refreshing too late or in a loop.
function schedule() {
  clearTimeout(timer);
  if (!isLeader()) return; // the leading tab refreshes, and hands the pair over
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
    inflight = lead(refresh, Boolean(tabs.channel))
      .then(() => (isLeader() ? rotate() : tabs.fromLeader(sidOf(refresh), rotate)))
      .finally(() => { inflight = null; });
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
  if (tell && sid) tabs.post({ type: "end", sid });
  clearTimeout(timer);
  stepDown();
  access = null;
  refresh = null;
  tabs.forgetWaiters();
  forgetPromoted();
  sessionStorage.removeItem(STORE_KEY);
}
