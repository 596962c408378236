// The open conversation: its header, its messages (read ticks, edits, deletes, replies, reactions, mentions,
// group notes), paging back through history, marking it read, and the messages, reads, reactions and typing
// the server pushes.
import { announce } from "./alerts.js";
import { describe } from "./api.js";
import { entryOf, presenceClass, presenceWords, reloadInbox, renderList, typingWords } from "./chat-list.js";
import { fullDate, withDays } from "./dates.js";
import { $, clock, confirmable, h, notify } from "./dom.js";
import { attachmentList } from "./files.js";
import { decorate, initMessageMenu } from "./message-ui.js";
import { blocks } from "./people.js";
import { contentNodes, initRich, onRedraw, openHistory, quote, reactionRow, togglePicker } from "./rich.js";
import { rememberOpen, waiting } from "./session-store.js";
import { CHAT_NS, call, ready } from "./sockets.js";
import { chatKey, isAdmin, state } from "./state.js";

export const PAGE = 30;
const TYPING_SHOWN_MS = 6000; // a "typing" we hear is shown this long unless renewed or ended
const CATCH_UP_PAGES = 10; // after a reconnect, fetch at most this many pages of what we missed, else start anew
export const PARTNER_GONE = "This account was deleted: you can read the history, but nobody can write here any more.";

// The composer's half of a message's buttons and of leaving a chat. composer.js imports this module, so
// this one cannot import it back: the composer's functions are plugged in here instead.
const composer = { retry() {}, edit() {}, remove() {}, reply() {}, cancelEdit() {}, stopTyping() {}, opened() {} };
let rendered = () => {};

/** `handlers`: {retry(c, m), edit(m), remove(c, m), reply(m), cancelEdit(onlyFor?), stopTyping(), opened(c)}. */
export function plugComposer(handlers) { Object.assign(composer, handlers); }

/** `callback()` runs after every renderConversation (the group panel follows the open chat). */
export function afterRender(callback) { rendered = callback; }

/** Wire the history scroller. */
export function initConversation() {
  $("#load-older").addEventListener("click", loadOlder);
  $("#messages").addEventListener("scroll", () => { if ($("#messages").scrollTop < 60) loadOlder(); });
  onRedraw(renderMessages);
  initRich();
  initMessageMenu();
}

// ---------- opening and closing ----------

/** Open a chat: its newest page of history, then mark it read. `page`: a reply we already have. */
export async function open(kind, id, page = null) {
  composer.cancelEdit();
  composer.stopTyping();
  const entry = kind === "personal" ? state.personal.get(id) : null;
  const closed = entry && entry.Closed ? PARTNER_GONE : null; // the partner deleted their account
  const current = { key: chatKey(kind, id), kind, id, messages: [], hasMore: false, loading: true, closed };
  state.current = current;
  rememberOpen(current);
  composer.opened(current);
  renderList();
  renderConversation();
  $("#composer-input").focus();
  try {
    const reply = page || await fetchPage(current);
    if (state.current !== current) return;
    current.loading = false;
    merge(current, [...reply.Messages, ...waiting(current.key)]);
    current.hasMore = reply.HasMore;
    if (reply.Group) updateGroup(reply.Group);
    renderConversation();
    scrollToEnd();
    markRead();
  } catch (error) {
    if (state.current !== current) return;
    current.loading = false;
    renderConversation();
    notify(describe(error));
  }
}

/** After a reconnect: fetch what the open chat missed (`After` its newest message), keeping what is shown. */
export async function reopen() {
  const c = state.current;
  if (!c || c.catchingUp || c.closed) return;
  const newest = [...c.messages].reverse().find((m) => m.MessageId && !m.system);
  if (!newest) {
    if (!c.loading) open(c.kind, c.id);
    return;
  }
  c.catchingUp = true;
  try {
    let after = newest.MessageId;
    for (let pages = 0; after; pages += 1) {
      if (pages === CATCH_UP_PAGES) return open(c.kind, c.id); // away for long: the newest page, anew
      const reply = await fetchPage(c, null, after);
      if (state.current !== c) return;
      const follow = nearEnd();
      merge(c, reply.Messages);
      if (reply.Group) updateGroup(reply.Group);
      renderMessages();
      if (follow) scrollToEnd();
      after = reply.HasMore && reply.Messages.length ? reply.Messages[reply.Messages.length - 1].MessageId : null;
    }
    markRead();
  } catch (error) {
    if (error.code !== "offline" && state.current === c) notify(describe(error));
  } finally {
    c.catchingUp = false;
  }
}

/** Close the open chat's composer with a reason (kicked out, group deleted). */
export function closeCurrent(reason) {
  const c = state.current;
  if (!c) return;
  c.closed = reason;
  composer.cancelEdit();
  renderConversation();
}

/** Nothing open. */
export function closeConversation() {
  state.current = null;
  rememberOpen(null);
  composer.cancelEdit();
  renderConversation();
  renderList();
}

// A page of chat c's history (Before or After a MessageId, or the newest), once its namespace is connected.
async function fetchPage(c, before, after = null) {
  await ready(CHAT_NS[c.kind]);
  const cursor = before ? { Before: before } : after ? { After: after } : {};
  if (c.kind === "self") return call("/self", "fetch-self-chat", { Limit: PAGE, ...cursor });
  if (c.kind === "group") return call("/group", "fetch-group-chat", { GroupId: c.id, Limit: PAGE, ...cursor });
  const entry = state.personal.get(c.id);
  return call("/personal", "fetch-personal-chat", { Partner: entry.Partner.id, ChatId: c.id, Limit: PAGE, ...cursor });
}

async function loadOlder() {
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

function updateGroup(group) {
  const entry = state.groups.get(group.GroupId);
  if (entry) Object.assign(entry, group);
}

// ---------- drawing ----------

/** The title and status line: who, presence or "typing…", the group's size. */
export function renderHeader() {
  const c = state.current;
  if (!c) return;
  const dot = $("#conv-dot");
  const typing = typingWords(c.key);
  let title = "";
  let status = "";
  if (c.kind === "self") {
    title = "Notes to self";
    status = "Only you can see these";
    dot.className = "dot online";
  } else if (c.kind === "personal") {
    const entry = state.personal.get(c.id);
    title = entry ? entry.Partner.username : "";
    status = entry && blocks(entry.Partner.id) ? "blocked" : typing ? "typing…" : entry ? presenceWords(entry.Partner.id) : "";
    dot.className = entry ? presenceClass(entry.Partner.id) : "dot";
  } else {
    const entry = state.groups.get(c.id);
    title = entry ? entry.Name : "Group";
    const size = entry ? `${entry.Members.length} member${entry.Members.length === 1 ? "" : "s"}` : "";
    status = typing || (isAdmin(entry) ? `${size} · you are the admin` : size);
  }
  dot.hidden = c.kind === "group";
  $("#conv-title").textContent = title;
  $("#conv-status").textContent = status;
  $("#group-info").hidden = c.kind !== "group" || Boolean(c.closed);
}

/** Draw the open chat (or the empty state). */
export function renderConversation() {
  const c = state.current;
  $("#empty-state").hidden = Boolean(c);
  $("#conv-header").hidden = !c;
  $("#messages").hidden = !c;
  $("#composer").hidden = !c || Boolean(c.closed);
  $("#conv-closed").hidden = !(c && c.closed);
  $("#conv-closed").textContent = (c && c.closed) || "";
  if (c) {
    renderHeader();
    renderMessages();
  }
  rendered();
}

export function renderMessages() {
  const c = state.current;
  if (!c) return;
  $("#load-older").hidden = !c.hasMore;
  const items = withDays(c.messages, (m) => (m.system ? h("li", { class: "system" }, m.text) : messageItem(c, m)));
  if (!items.length) {
    items.push(h("li", { class: "system" }, c.loading ? "Loading…"
      : c.kind === "self" ? "Write notes to yourself here." : "No messages yet. Say hello!"));
  }
  $("#message-list").replaceChildren(...items);
  decorate();
}

function tick(c, m) {
  if (m.pending) return h("span", { class: "tick sending", title: "Sending" }, "sending…");
  if (m.failed || c.kind !== "personal") return null;
  const read = (state.partnerRead.get(c.id) || 0) >= m.Seq;
  return h("span", { class: read ? "tick read" : "tick", title: read ? "Read" : "Sent",
    "aria-label": read ? "Read" : "Sent" }, read ? "✓✓" : "✓");
}

function messageItem(c, m) {
  const mine = m.Sender && m.Sender.id === state.me.id;
  const classes = ["msg", mine && "mine", m.Deleted && "deleted", m.failed && "failed"].filter(Boolean).join(" ");
  const stored = !m.Deleted && !m.pending && !m.failed && !c.closed && Boolean(m.MessageId);
  const canChange = mine && stored;
  return h("li", { class: classes, dataset: { id: m.MessageId || m.ClientId, seq: m.Seq ?? "" } },
    c.kind === "group" && !mine ? h("div", { class: "author" }, m.Sender.username) : null,
    m.Deleted ? null : quote(m.ReplyTo),
    h("div", { class: "text" }, contentNodes(c, m)),
    m.Deleted ? null : attachmentList(m.Attachments),
    reactionRow(c, m),
    h("div", { class: "meta" },
      m.EditedAt && !m.Deleted ? h("button", { type: "button", class: "edited link",
        title: `Edited ${clock(m.EditedAt)}: show every version`, onclick: () => openHistory(m) }, "edited") : null,
      h("time", { datetime: m.CreatedAt, title: fullDate(m.CreatedAt) }, clock(m.CreatedAt)),
      mine ? tick(c, m) : null),
    m.failed ? h("div", { class: "failed-text" }, `Not sent: ${m.failed} `,
      h("button", { type: "button", class: "link", onclick: () => composer.retry(c, m) }, "Retry")) : null,
    stored ? h("div", { class: "actions" },
      h("button", { type: "button", onclick: () => composer.reply(m) }, "Reply"),
      h("button", { type: "button", "aria-label": "React", onclick: () => togglePicker(m) }, "React"),
      canChange ? h("button", { type: "button", onclick: () => composer.edit(m) }, "Edit") : null,
      canChange ? confirmable(h("button", { type: "button" }, "Delete"), "Delete for everyone?",
        () => composer.remove(c, m)) : null)
      : null);
}

export function nearEnd() {
  const box = $("#messages");
  return box.scrollHeight - box.scrollTop - box.clientHeight < 120;
}

export function scrollToEnd() {
  const box = $("#messages");
  box.scrollTop = box.scrollHeight;
}

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

export function typingOff(kind, id, userId) {
  const users = state.typing.get(chatKey(kind, id));
  if (!users || !users.has(userId)) return;
  clearTimeout(users.get(userId).timer);
  users.delete(userId);
  renderList();
  renderHeader();
}
