// The session's tokens: the access token in memory only, the refresh token in sessionStorage (this tab,
// gone when it closes; never localStorage). The access token is refreshed before it expires.
import { ApiError, request } from "./api.js";

const STORE_KEY = "chat.refresh_token";
const AUTH_FAILURES = new Set(["unauthorized", "token_expired", "token_revoked", "invalid_token"]);

let access = null;
let refresh = null;
let timer = null;
let inflight = null;
let onEnded = () => {};

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

function claims(token) {
  const part = token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
  return JSON.parse(atob(part.padEnd(Math.ceil(part.length / 4) * 4, "=")));
}

/** Take a new access token (and, from /login or /refresh, a new refresh token). */
export function setTokens(newAccess, newRefresh) {
  access = newAccess;
  if (newRefresh) {
    refresh = newRefresh;
    sessionStorage.setItem(STORE_KEY, newRefresh);
  }
  schedule();
}

// Refresh when four fifths of the token's life (exp - iat) have passed, at most a minute before exp.
// Counting from when the token arrived, not from exp on this machine's clock, keeps a wrong local clock
// from refreshing too late or in a loop.
function schedule() {
  clearTimeout(timer);
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

/** POST /refresh (one at a time): a new pair, the old refresh token revoked. Ends the session on 401. */
export function refreshNow() {
  if (!refresh) return Promise.reject(new ApiError("unauthorized", "You are signed out."));
  if (!inflight) {
    inflight = request("POST", "/refresh", { token: refresh })
      .then((body) => setTokens(body.access_token, body.refresh_token))
      .catch((error) => {
        if (AUTH_FAILURES.has(error.code) || error.status === 401 || error.status === 422) {
          end();
          onEnded(new ApiError(error.code, "Your session has ended; please sign in again."));
        }
        throw error;
      })
      .finally(() => { inflight = null; });
  }
  return inflight;
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

/** Forget the tokens in this tab. */
export function end() {
  clearTimeout(timer);
  access = null;
  refresh = null;
  sessionStorage.removeItem(STORE_KEY);
}
