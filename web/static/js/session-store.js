// What the client keeps across a reload, per signed-in user: the open chat (this tab: sessionStorage), the
// drafts of every chat and the messages still to send (this browser: localStorage, so every tab and a reload
// see them). Signing out forgets all of it. Storage that is full or refused is treated as empty.
import { state } from "./state.js";

const OPEN = "chat.open";
const DRAFTS = "chat.drafts";
const OUTBOX = "chat.outbox";

const key = (name) => (state.me ? `${name}.${state.me.id}` : null);

function read(store, name, fallback) {
  const at = key(name);
  try {
    const value = at && JSON.parse(store.getItem(at));
    return value ?? fallback;
  } catch (_) {
    return fallback;
  }
}

function write(store, name, value) {
  const at = key(name);
  try {
    if (at) store.setItem(at, JSON.stringify(value));
  } catch (_) {
    // full or refused: it lives in memory for this page only
  }
}

/** The chat open in this tab before a reload: {kind, id} or null. */
export function openChat() { return read(sessionStorage, OPEN, null); }

/** Remember the open chat (null: nothing open). */
export function rememberOpen(c) { write(sessionStorage, OPEN, c ? { kind: c.kind, id: c.id } : null); }

/** The unsent text of a chat ("" when none). */
export function draft(chatKey) { return read(localStorage, DRAFTS, {})[chatKey] || ""; }

/** Keep (or, for empty text, drop) the unsent text of a chat. */
export function saveDraft(chatKey, text) {
  const drafts = read(localStorage, DRAFTS, {});
  if (text.trim()) drafts[chatKey] = text;
  else delete drafts[chatKey];
  write(localStorage, DRAFTS, drafts);
}

/** Messages waiting to be sent: [{key, kind, id, message}] in the order they were written. */
export function outbox() { return read(localStorage, OUTBOX, []); }

export function saveOutbox(entries) { write(localStorage, OUTBOX, entries); }

/** The messages of chat `key` still waiting to be sent, to show as "sending…" when it opens. */
export function waiting(key) {
  return outbox().filter((e) => e.key === key).map((e) => ({ ...e.message, pending: true }));
}

/** Forget what this user left in this browser (signing out). */
export function forgetAll() {
  for (const [store, name] of [[sessionStorage, OPEN], [localStorage, DRAFTS], [localStorage, OUTBOX]]) {
    const at = key(name);
    if (at) store.removeItem(at);
  }
}
