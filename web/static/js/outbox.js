// Sending messages, and the outbox. A message written while offline (or whose send went unanswered) stays in
// its chat as "sending…", is kept in localStorage (a reload keeps it too) and goes out again, with the same
// ClientId, when the connection returns: the server stores a ClientId once, so it is delivered exactly once.
import { describe } from "./api.js";
import { entryOf, renderList } from "./chat-list.js";
import { notify } from "./dom.js";
import { merge } from "./history.js";
import { nearEnd, renderMessages, scrollToEnd } from "./message-list.js";
import { blockedNotice } from "./people.js";
import { outbox, saveOutbox } from "./session-store.js";
import { CHAT_NS, call, connected } from "./sockets.js";
import { state } from "./state.js";

// Failures that say nothing about the message itself: it waits and goes out again.
const TRANSIENT = new Set(["offline", "timeout", "unavailable", "network", "rate_limited"]);
const RETRY_MS = 5000; // a send refused for a while (database away, rate limit) while still connected
const sending = new Set(); // ClientIds with a send in flight from this tab
let retryTimer = null;

function stored({ pending, failed, ...message }) { return message; }

function keep(c, message) {
  const entries = outbox().filter((e) => e.message.ClientId !== message.ClientId);
  entries.push({ key: c.key, kind: c.kind, id: c.id, message: stored(message) });
  saveOutbox(entries);
}

function drop(clientId) { saveOutbox(outbox().filter((e) => e.message.ClientId !== clientId)); }

/** Send (or send again: the same ClientId never stores a message twice) and show how it went. Until the server
 * answers, the message is in the outbox; a definite refusal shows it as not sent, with Retry. */
export async function deliver(c, pending) {
  pending.pending = true;
  pending.failed = null;
  keep(c, pending);
  if (state.current === c) renderMessages();
  if (sending.has(pending.ClientId)) return;
  sending.add(pending.ClientId);
  try {
    const payload = { Content: pending.Content, ClientId: pending.ClientId };
    if (pending.ReplyTo) payload.ReplyTo = pending.ReplyTo.MessageId;
    const files = pending.Attachments || [];
    if (files.length) payload.Attachments = files.map((f) => f.FileId);
    const ack = c.kind === "self" ? await call("/self", "send-self-message", payload)
      : c.kind === "personal" ? await call("/personal", "send-personal-message", { ChatId: c.id, ...payload })
        : await call("/group", "send-group-message", { GroupId: c.id, ...payload });
    drop(pending.ClientId);
    pending.pending = false;
    blockedNotice(c, false);
    merge(c, [ack.Message]);
    c.readSeq = Math.max(c.readSeq || 0, ack.Message.Seq);
    const entry = entryOf(c.kind, c.id);
    if (entry) {
      entry.LastMessage = ack.Message;
      entry.UpdatedAt = ack.Message.CreatedAt;
    }
    renderList();
  } catch (error) {
    if (TRANSIENT.has(error.code)) {
      if (error.code === "rate_limited") notify(`${describe(error)} It goes out then.`, "info"); // slow mode too
      // Offline: it goes out when the namespace connects again (flush). Connected: try again soon.
      if (connected(CHAT_NS[c.kind])) {
        clearTimeout(retryTimer);
        retryTimer = setTimeout(flush, RETRY_MS);
      }
    } else {
      drop(pending.ClientId);
      pending.pending = false;
      pending.failed = describe(error);
      if (error.code === "blocked") blockedNotice(c, true);
    }
  } finally {
    sending.delete(pending.ClientId);
  }
  if (state.current === c) {
    renderMessages();
    if (nearEnd()) scrollToEnd();
  }
}

/** Send what the outbox holds, oldest first, for every chat whose namespace is connected. Tabs of one browser
 * take turns (a Web Lock), so they do not send the same message at once; the ClientId covers the rest. */
export function flush() {
  if (!state.me) return Promise.resolve();
  const run = async () => {
    for (const entry of outbox()) {
      if (!state.me || !connected(CHAT_NS[entry.kind]) || sending.has(entry.message.ClientId)) continue;
      const open = state.current && state.current.key === entry.key ? state.current : null;
      const c = open || { key: entry.key, kind: entry.kind, id: entry.id, messages: [] };
      if (c.messages.some((m) => m.MessageId && m.ClientId === entry.message.ClientId)) {
        drop(entry.message.ClientId); // it arrived meanwhile (sent by another tab)
        continue;
      }
      let message = c.messages.find((m) => m.ClientId === entry.message.ClientId);
      if (!message) {
        message = { ...entry.message };
        c.messages.push(message);
      }
      await deliver(c, message);
    }
  };
  const locks = navigator.locks && navigator.locks.request;
  return locks ? navigator.locks.request(`chat.outbox.${state.me.id}`, run) : run();
}
