// Which tab of a session refreshes it: the holder of a Web Lock named after the session (`chat.refresh.<sid>`).
// The first tab takes it at once; the others queue for it, and one of them leads when the leading tab closes
// (or reloads). Without Web Locks or a BroadcastChannel (or with a refresh token we cannot read), a tab leads
// alone. Also reads a token's claims (its session id).

let leader = false;   // this tab refreshes the session
let leading = null;   // {sid, known: promise, abort, release}
let promoted = [];    // callbacks for this tab taking the lead (the leading tab closed, or reloaded)
let onLead = () => {};

/** A JWT's claims (its payload), unchecked: only to read `exp`, `iat` and `sid`. Throws on a malformed token. */
export function claims(token) {
  const part = token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
  return JSON.parse(atob(part.padEnd(Math.ceil(part.length / 4) * 4, "=")));
}

/** The session id a token carries, or null. */
export function sidOf(token) {
  try { return claims(token).sid || null; } catch (_) { return null; }
}

/** True while this tab leads its session (it alone calls /refresh). */
export function isLeader() { return leader; }

/** `callback()` runs whenever this tab takes the lead from a tab before it (the session's refresh is then due
 * here), before the callbacks of `whenPromoted`. */
export function onLeading(callback) { onLead = callback; }

/** `callback()` runs once when this tab next takes the lead; returns a function that cancels it. */
export function whenPromoted(callback) {
  promoted.push(callback);
  return () => { promoted = promoted.filter((other) => other !== callback); };
}

/** Forget every `whenPromoted` callback (the session ended in this tab). */
export function forgetPromoted() { promoted = []; }

/** Take the lock of the session of `refresh` if no other tab holds it (known at once); otherwise queue for it, to
 * lead when the leading tab closes. `shared`: other tabs can be told (a BroadcastChannel exists). Resolves once
 * it is known whether this tab leads now. */
export function lead(refresh, shared) {
  const sid = sidOf(refresh);
  if (leading && leading.sid === sid) return leading.known;
  stepDown();
  if (!sid || !shared || !(navigator.locks && navigator.locks.request)) {
    leader = true;
    return Promise.resolve();
  }
  const name = `chat.refresh.${sid}`;
  const mine = { sid, abort: new AbortController(), release: null };
  const hold = () => {
    if (leading !== mine) return null;
    leader = true;
    onLead();
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

/** Stop leading (and queueing for) the session: let its lock go to another tab. */
export function stepDown() {
  leader = false;
  if (!leading) return;
  leading.abort.abort();
  if (leading.release) leading.release();
  leading = null;
}
