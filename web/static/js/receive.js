// What the server pushes about chats — new messages, edits and deletes, reactions, typing, reads — applied to
// the chat list and the open conversation; and telling the server how far we have read the open chat.
import { announce } from "./alerts.js";
import { describe } from "./api.js";
import { entryOf, reloadInbox, renderList } from "./chat-list.js";
import { renderHeader } from "./conversation-view.js";
import { notify } from "./dom.js";
import { merge } from "./history.js";
import { composer, nearEnd, renderMessages, scrollToEnd } from "./message-list.js";
import { CHAT_NS, call } from "./sockets.js";
import { chatKey, state } from "./state.js";
import { threadMessageChanged } from "./thread-panel.js";

const TYPING_SHOWN_MS = 6000; // a "typing" we hear is shown this long unless renewed or ended

// ---------- reading ----------

/** Tell the server we have read the open chat up to its newest message (when the page is visible). */
export function markRead() {
  const c = state.current;
  if (!c || c.kind === "self" || c.closed || document.visibilityState !== "visible") return;
  const newest = [...c.messages].reverse().find((m) => m.MessageId && !m.system);
  if (!newest || (c.readSeq || 0) >= newest.Seq) return;
  c.readSeq = newest.Seq;
  const entry = entryOf(c.kind, c.id);
  if (entry && (entry.Unread || entry.UnreadMentions)) {
    entry.Unread = 0;
    entry.UnreadMentions = 0;
    renderList();
  }
  const payload = c.kind === "personal" ? { ChatId: c.id, UpTo: newest.MessageId } : { GroupId: c.id, UpTo: newest.MessageId };
  call(CHAT_NS[c.kind], c.kind === "personal" ? "read-personal-message" : "read-group-message", payload)
    .catch((error) => { if (error.code !== "offline") notify(describe(error)); });
}

/** `read-personal-msg-ack` / `read-group-msg-ack`: our other tab read it, or the partner did (ticks). */
export function readAck(kind, id, readerId, upTo) {
  const entry = entryOf(kind, id);
  if (readerId === state.me.id) {
    if (entry) Object.assign(entry, { Unread: 0, UnreadMentions: 0 });
    renderList();
    return;
  }
  if (kind !== "personal") return;
  const c = state.current;
  let seq = null;
  if (c && c.key === chatKey(kind, id)) {
    const read = c.messages.find((m) => m.MessageId === upTo);
    if (read) seq = read.Seq;
  }
  if (seq === null && entry && entry.LastMessage && entry.LastMessage.MessageId === upTo) seq = entry.LastMessage.Seq;
  if (seq === null) return;
  state.partnerRead.set(id, Math.max(seq, state.partnerRead.get(id) || 0));
  if (c && c.key === chatKey(kind, id)) renderMessages();
}

// ---------- receiving ----------

/** A new message pushed by the server (from the partner, a member, or our own other tab). */
export function received(kind, id, message) {
  typingOff(kind, id, message.Sender.id);
  const entry = entryOf(kind, id);
  announce(kind, id, message, entry);
  if (kind !== "self" && !entry) reloadInbox();
  if (entry) {
    entry.LastMessage = message;
    entry.UpdatedAt = message.CreatedAt;
  }
  const c = state.current;
  if (c && c.key === chatKey(kind, id) && !c.closed) {
    const follow = nearEnd();
    merge(c, [message]);
    renderMessages();
    if (follow) scrollToEnd();
    markRead();
  } else if (entry && message.Sender.id !== state.me.id) {
    entry.Unread = (entry.Unread || 0) + 1;
    if ((message.Mentions || []).includes(state.me.id)) entry.UnreadMentions = (entry.UnreadMentions || 0) + 1;
  }
  renderList();
}

/** An edit or a delete (pushed by the server, or acknowledged to us). */
export function changed(kind, id, message) {
  threadMessageChanged(message); // a reply, or the open thread's root
  if (message.ThreadOf) return; // a thread reply is in no list and not in the conversation
  const entry = entryOf(kind, id);
  if (entry && entry.LastMessage && entry.LastMessage.MessageId === message.MessageId) entry.LastMessage = message;
  const c = state.current;
  if (c && c.key === chatKey(kind, id)) {
    if (c.messages.some((m) => m.MessageId === message.MessageId)) merge(c, [message]);
    if (message.Deleted) {
      composer.cancelEdit(message);
      for (const m of c.messages) {  // replies to it quote nothing any more (fetches say the same)
        if (m.ReplyTo && m.ReplyTo.MessageId === message.MessageId) m.ReplyTo = { ...m.ReplyTo, Excerpt: "", Deleted: true };
      }
    }
    renderMessages();
  }
  renderList();
}

/** `message-reactions`: a message's reactions changed (anyone's, ours from another tab or this one). */
export function reacted(kind, id, messageId, reactions) {
  const entry = entryOf(kind, id);
  if (entry && entry.LastMessage && entry.LastMessage.MessageId === messageId) entry.LastMessage.Reactions = reactions;
  const c = state.current;
  if (!c || c.key !== chatKey(kind, id)) return;
  const message = c.messages.find((m) => m.MessageId === messageId);
  if (!message) return;
  message.Reactions = reactions;
  renderMessages();
}

/** `typing` from someone in a chat: shown for a few seconds unless renewed. */
export function typingOn(kind, id, userId, name) {
  if (!state.me || userId === state.me.id) return;
  const key = chatKey(kind, id);
  const users = state.typing.get(key) || new Map();
  state.typing.set(key, users);
  const known = users.get(userId);
  if (known) clearTimeout(known.timer);
  users.set(userId, { name, timer: setTimeout(() => typingOff(kind, id, userId), TYPING_SHOWN_MS) });
  renderList();
  renderHeader();
}

/** The typing line of someone in a chat ends (they sent, stopped, or went quiet). */
export function typingOff(kind, id, userId) {
  const users = state.typing.get(chatKey(kind, id));
  if (!users || !users.has(userId)) return;
  clearTimeout(users.get(userId).timer);
  users.delete(userId);
  renderList();
  renderHeader();
}
