// The open chat's messages as data: pages of history fetched from the server (the newest, Before the oldest
// shown as the user scrolls up), merged in the server's order; catch-ups by Rev (`sync-chat`: every change since
// the Rev of the last answer); and the notes about a group shown in place.
import { describe } from "./api.js";
import { $, notify } from "./dom.js";
import { renderMessages, scrollToEnd } from "./message-list.js";
import { CHAT_NS, call, ready } from "./sockets.js";
import { chatKey, state } from "./state.js";
import { threadMessageChanged } from "./thread-panel.js";

export const PAGE = 30;

/** A page of chat c's history (Before or After a MessageId, or the newest), once its namespace is connected. */
export async function fetchPage(c, before, after = null) {
  await ready(CHAT_NS[c.kind]);
  const cursor = before ? { Before: before } : after ? { After: after } : {};
  if (c.kind === "self") return call("/self", "fetch-self-chat", { Limit: PAGE, ...cursor });
  if (c.kind === "group") return call("/group", "fetch-group-chat", { GroupId: c.id, Limit: PAGE, ...cursor });
  const entry = state.personal.get(c.id);
  return call("/personal", "fetch-personal-chat", { Partner: entry.Partner.id, ChatId: c.id, Limit: PAGE, ...cursor });
}

/** `sync-chat` on chat c from SinceRev (a catch-up: what changed since, in Rev order), once connected. */
export async function fetchChanges(c, sinceRev) {
  await ready(CHAT_NS[c.kind]);
  const target = c.kind === "self" ? {} : c.kind === "group" ? { GroupId: c.id } : { ChatId: c.id };
  return call(CHAT_NS[c.kind], "sync-chat", { ...target, SinceRev: sinceRev });
}

/** Apply a sync answer's messages to chat c: the ones it shows (at least as new as what it holds), and any it
 * does not hold from its oldest shown on (the pages shown are contiguous, so such a message is new to us, even
 * below one of ours that an outbox send stored while the sync was on its way); a deletion empties the quotes of
 * replies to it, as the server did. Changes to messages older than the pages shown are left to those pages. */
export function applyChanges(c, messages) {
  for (const reply of messages.filter((m) => m.ThreadOf)) threadMessageChanged(reply); // the thread panel's
  messages = messages.filter((m) => !m.ThreadOf); // thread replies are not in the timeline
  const held = new Map(c.messages.filter((m) => m.MessageId).map((m) => [m.MessageId, m]));
  const seqs = c.messages.filter((m) => m.MessageId && !m.system).map((m) => m.Seq);
  const oldest = seqs.length ? Math.min(...seqs) : 0;
  const fresh = messages.filter((m) => (held.has(m.MessageId) ? (m.Rev ?? 0) >= (held.get(m.MessageId).Rev ?? 0)
    : m.Seq >= oldest));
  merge(c, fresh);
  for (const gone of messages.filter((m) => m.Deleted)) {
    for (const m of c.messages) {
      if (m.ReplyTo && m.ReplyTo.MessageId === gone.MessageId) m.ReplyTo = { ...m.ReplyTo, Excerpt: "", Deleted: true };
    }
  }
}

/** The page before the oldest message shown (the user scrolled up), keeping what is in view where it was. */
export async function loadOlder() {
  const c = state.current;
  if (!c || !c.hasMore || c.loadingOlder || c.loading) return;
  const oldest = c.messages.find((m) => m.MessageId);
  if (!oldest) return;
  c.loadingOlder = true;
  const box = $("#messages");
  const fromBottom = box.scrollHeight - box.scrollTop;
  try {
    const reply = await fetchPage(c, oldest.MessageId);
    if (state.current !== c) return;
    merge(c, reply.Messages);
    c.hasMore = reply.HasMore;
    renderMessages();
    box.scrollTop = box.scrollHeight - fromBottom;
  } catch (error) {
    notify(describe(error));
  } finally {
    c.loadingOlder = false;
  }
}

// Messages in Seq order (the server's order); ones still sending go last, notes about the group in place.
function order(m) { return m.Seq ?? Number.MAX_SAFE_INTEGER; }

/** Put `messages` into chat `c`, replacing the ones it has (by MessageId, or ClientId while sending). */
export function merge(c, messages) {
  for (const message of messages) {
    const at = c.messages.findIndex((m) => (m.MessageId && m.MessageId === message.MessageId)
      || (!m.MessageId && message.ClientId && m.ClientId === message.ClientId));
    if (at >= 0) c.messages[at] = message;
    else c.messages.push(message);
  }
  c.messages.sort((a, b) => order(a) - order(b));
}

/** A note in the open group ("alice added carol"): shown in this session, after the newest message. */
export function systemLine(kind, id, text) {
  const c = state.current;
  if (!c || c.key !== chatKey(kind, id)) return;
  const seqs = c.messages.filter((m) => m.Seq !== undefined && !m.pending).map((m) => m.Seq);
  c.messages.push({ system: true, text, Seq: (seqs.length ? Math.max(...seqs) : 0) + 0.5 });
  c.messages.sort((a, b) => order(a) - order(b));
  renderMessages();
  scrollToEnd();
}

/** A fetch's copy of the group (its members, its admin) replaces the listed one. */
export function updateGroup(group) {
  const entry = state.groups.get(group.GroupId);
  if (entry) Object.assign(entry, group);
}
