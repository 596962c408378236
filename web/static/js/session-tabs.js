// The other tabs of this browser, over a BroadcastChannel (same origin only): a new tab asks them for the
// session's pair, and a tab that needs a fresh access token asks the leading tab for one and waits for it.
// session.js decides what each message means; this module carries them and keeps who is waiting.
import { ApiError } from "./api.js";
import { whenPromoted } from "./session-lead.js";

const ASK_MS = 400;            // how long a new tab waits for an open tab to hand over the session
const LEADER_WAIT_MS = 10_000; // how long a tab waits for the refreshing tab's new pair

/** The channel the tabs of this origin share (null in a browser without BroadcastChannel). */
export const channel = typeof BroadcastChannel === "function" ? new BroadcastChannel("chat.session") : null;
let waiters = [];     // callbacks for the next pair from the leading tab
let adopting = null;  // a new tab's callback for the first pair handed over

/** Send `message` to the other tabs (nothing without a channel). */
export function post(message) {
  if (channel) channel.postMessage(message);
}

/** `handle(data)` for every message another tab sends. */
export function listen(handle) {
  if (channel) channel.onmessage = ({ data }) => { if (data) handle(data); };
}

/** A new tab: ask the open tabs of this browser for their session, and hand the first pair to `take(pair)`.
 * Resolves true once a pair is handed over, false when no tab answers within ASK_MS. */
export function adopt(take) {
  if (!channel) return Promise.resolve(false);
  return new Promise((resolve) => {
    const timeout = setTimeout(() => { adopting = null; resolve(false); }, ASK_MS);
    adopting = (pair) => {
      clearTimeout(timeout);
      adopting = null;
      take(pair);
      resolve(true);
    };
    post({ type: "ask" });
  });
}

/** A pair another tab handed over while this tab has none: taken if this tab is asking for one. */
export function handedOver(pair) {
  if (adopting) adopting(pair);
}

/** A new pair of our session arrived (and was taken): wake the calls waiting for it. */
export function arrived() {
  const ready = waiters;
  waiters = [];
  for (const callback of ready) callback();
}

/** Forget the calls waiting for a pair (the session ended in this tab). */
export function forgetWaiters() { waiters = []; }

/** Ask the leading tab of session `sid` for a fresh pair. Should it close first (or be this very tab before a
 * reload, whose lock is being let go), this tab takes the lead and calls `rotate()` itself. */
export function fromLeader(sid, rotate) {
  return new Promise((resolve, reject) => {
    let cancelPromotion = () => {};
    const finish = (then) => {
      clearTimeout(timeout);
      waiters = waiters.filter((callback) => callback !== got);
      cancelPromotion();
      then();
    };
    const got = () => finish(resolve);
    const led = () => finish(() => rotate().then(resolve, reject));
    const timeout = setTimeout(() => finish(() => reject(
      new ApiError("network", "The tab that keeps this session did not answer; try again."))), LEADER_WAIT_MS);
    waiters.push(got);
    cancelPromotion = whenPromoted(led);
    post({ type: "need", sid });
  });
}
