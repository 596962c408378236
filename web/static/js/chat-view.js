// The chat list and the open conversation: history, sending, ticks, typing, edit and delete.
import { describe } from "./api.js";
import { $, clientId, clock, debounce, h, initial, notify, shortTime } from "./dom.js";
import { renderPanel } from "./groups.js";
import * as session from "./session.js";
import { call, signal } from "./sockets.js";
import { activity, chatKey, isAdmin, presenceOf, state } from "./state.js";

const PAGE = 30;
const TYPING_SHOWN_MS = 6000;   // a "typing" we hear is shown this long unless renewed or ended
const TYPING_RESEND_MS = 3000;  // while typing, tell the others again this often
const TYPING_IDLE_MS = 2500;    // a pause this long ends "typing"
const NS = { self: "/self", personal: "/personal", group: "/group" };

let editing = null;
let typingChat = null;
let typingSentAt = 0;
let typingIdle = null;

/** Wire the sidebar search, the composer and the history scroller. */
export function initChat() {
  const search = $("#user-search");
  search.addEventListener("input", debounce(() => searchUsers(search.value), 250));
  search.addEventListener("keydown", (event) => { if (event.key === "Escape") clearSearch(); });
  document.addEventListener("click", (event) => { if (!event.target.closest(".search")) clearSearch(); });
  $("#composer").addEventListener("submit", (event) => { event.preventDefault(); submit(); });
  const input = $("#composer-input");
  input.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) { event.preventDefault(); submit(); }
    if (event.key === "Escape" && editing) cancelEdit();
  });
  input.addEventListener("input", typed);
  $("#cancel-edit").addEventListener("click", cancelEdit);
  $("#load-older").addEventListener("click", loadOlder);
  $("#messages").addEventListener("scroll", () => { if ($("#messages").scrollTop < 60) loadOlder(); });
}

// ---------- the chat list ----------

function entryOf(kind, id) {
  return kind === "personal" ? state.personal.get(id) : kind === "group" ? state.groups.get(id) : null;
}

function presenceClass(userId) {
  const p = presenceOf(userId);
  return p.Online ? (p.Away ? "dot away" : "dot online") : "dot";
}

function presenceWords(userId) {
  const p = presenceOf(userId);
  if (p.Online) return p.Away ? "away" : "online";
  return p.LastSeen ? `offline, last seen ${shortTime(p.LastSeen)}` : "offline";
}

function typingWords(key) {
  const users = state.typing.get(key);
  if (!users || !users.size) return "";
  const names = [...users.values()].map((u) => u.name);
  return names.length === 1 ? `${names[0]} is typing…` : `${names.join(", ")} are typing…`;
}

function preview(kind, entry) {
  const last = entry.LastMessage;
  if (!last) return kind === "group" ? "New group" : "No messages yet";
  const who = last.Sender && last.Sender.id === state.me.id ? "You: " : kind === "group" ? `${last.Sender.username}: ` : "";
  return who + (last.Deleted ? "message deleted" : last.Content);
}

/** Draw the list: notes to self first, then personal and group chats, most recent activity first. */
export function renderList() {
  if (!state.me) return;
  const rows = [
    ...[...state.personal.values()].map((entry) => ({ kind: "personal", id: entry.ChatId, entry })),
    ...[...state.groups.values()].map((entry) => ({ kind: "group", id: entry.GroupId, entry })),
  ].sort((a, b) => activity(b.entry).localeCompare(activity(a.entry)));
  const selfKey = chatKey("self", state.me.id);
  const items = [listItem(selfKey, "Notes to self", h("span", { class: "avatar self" }, "✎"),
    "Only you can see these", "", 0, () => open("self", state.me.id))];
  for (const { kind, id, entry } of rows) {
    const key = chatKey(kind, id);
    const name = kind === "personal" ? entry.Partner.username : entry.Name;
    const avatar = kind === "personal"
      ? h("span", { class: "avatar" }, initial(name), h("span", { class: presenceClass(entry.Partner.id),
        title: presenceWords(entry.Partner.id) }))
      : h("span", { class: "avatar group" }, initial(name));
    const typing = typingWords(key);
    items.push(listItem(key, name, avatar, typing || preview(kind, entry), shortTime(activity(entry)),
      entry.Unread || 0, () => open(kind, id), Boolean(typing)));
  }
  $("#chat-list").replaceChildren(...items);
  const unread = rows.reduce((sum, row) => sum + (row.entry.Unread || 0), 0);
  document.title = unread ? `(${unread}) Chat` : "Chat";
}

function listItem(key, name, avatar, text, time, unread, onOpen, typing = false) {
  const active = state.current && state.current.key === key;
  return h("li", {
    class: active ? "active" : null, dataset: { key }, tabindex: 0, role: "button",
    "aria-current": active ? "true" : null, onclick: onOpen,
    onkeydown: (event) => { if (event.key === "Enter") onOpen(); },
  }, avatar, h("div", { class: "entry" },
    h("div", { class: "top" }, h("span", { class: "name" }, name), h("span", { class: "time" }, time)),
    h("div", { class: "bottom" }, h("span", { class: typing ? "preview typing" : "preview" }, text),
      unread > 0 ? h("span", { class: "badge", title: `${unread} unread` }, unread > 99 ? "99+" : unread) : null)));
}

/** The lists the server sends on connect replace what we had. */
export function setPersonalList(list) {
  state.personal.clear();
  for (const entry of list || []) {
    state.personal.set(entry.ChatId, entry);
    state.presence.set(entry.Partner.id, { ...presenceOf(entry.Partner.id), Online: Boolean(entry.Partner.Online) });
  }
  renderList();
  renderHeader();
}

export function setGroupList(list) {
  state.groups.clear();
  for (const entry of list || []) state.groups.set(entry.GroupId, entry);
  renderList();
  renderHeader();
  renderPanel();
}

/** `presence` {UserId, Online, Away?, LastSeen}. */
export function presenceChanged(data) {
  const before = presenceOf(data.UserId);
  state.presence.set(data.UserId, { Online: Boolean(data.Online), Away: Boolean(data.Online && data.Away),
    LastSeen: data.LastSeen || before.LastSeen });
  for (const entry of state.personal.values()) {
    if (entry.Partner.id === data.UserId) entry.Partner.Online = Boolean(data.Online);
  }
  renderList();
  renderHeader();
}

// A chat we had not heard of (someone wrote to us first): reload the inbox over REST.
const reloadInbox = debounce(async () => {
  try {
    const inbox = await session.authed("GET", "/chats?per_page=100");
    for (const entry of inbox.entries) {
      if (entry.Kind === "personal" && !state.personal.has(entry.ChatId)) {
        state.personal.set(entry.ChatId, entry);
        state.presence.set(entry.Partner.id, { ...presenceOf(entry.Partner.id), Online: Boolean(entry.Partner.Online) });
      } else if (entry.Kind === "group" && !state.groups.has(entry.GroupId)) {
        state.groups.set(entry.GroupId, entry);
      }
    }
    renderList();
  } catch (error) {
    notify(describe(error));
  }
}, 200);

// ---------- the conversation ----------

/** Open a chat: its newest page of history, then mark it read. `page`: a reply we already have. */
export async function open(kind, id, page = null) {
  cancelEdit();
  stopTyping();
  const current = { key: chatKey(kind, id), kind, id, messages: [], hasMore: false, loading: true, closed: null };
  state.current = current;
  renderList();
  renderConversation();
  $("#composer-input").focus();
  try {
    const reply = page || await fetchPage(current);
    if (state.current !== current) return;
    current.loading = false;
    merge(current, reply.Messages);
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

/** Start (or continue) a personal chat with a user found by search. */
export async function openPartner(user) {
  const known = [...state.personal.values()].find((entry) => entry.Partner.id === user.id);
  if (known) return open("personal", known.ChatId);
  try {
    const reply = await call("/personal", "fetch-personal-chat", { Partner: user.id, Limit: PAGE });
    if (!state.personal.has(reply.ChatId)) {
      const online = await call("/", "get-online-info", { UserIds: [user.id] }).then((a) => a.Online[user.id])
        .catch(() => false);
      state.presence.set(user.id, { ...presenceOf(user.id), Online: Boolean(online) });
      const messages = reply.Messages;
      state.personal.set(reply.ChatId, {
        ChatId: reply.ChatId, Partner: { ...reply.Partner, Online: Boolean(online) },
        LastMessage: messages.length ? messages[messages.length - 1] : null, Unread: 0,
        UpdatedAt: new Date().toISOString(),
      });
    }
    return open("personal", reply.ChatId, reply);
  } catch (error) {
    notify(describe(error));
  }
}

/** Fetch the open chat again (after a reconnect: what we missed). */
export function reopen() {
  const c = state.current;
  if (c && !c.closed) open(c.kind, c.id);
}

/** Close the open chat's composer with a reason (kicked out, group deleted). */
export function closeCurrent(reason) {
  const c = state.current;
  if (!c) return;
  c.closed = reason;
  if (editing) cancelEdit();
  renderConversation();
}

/** Nothing open. */
export function closeConversation() {
  state.current = null;
  cancelEdit();
  renderConversation();
  renderList();
}

function fetchPage(c, before) {
  const cursor = before ? { Before: before } : {};
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

function merge(c, messages) {
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

function renderHeader() {
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
    status = typing ? "typing…" : entry ? presenceWords(entry.Partner.id) : "";
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
  if (!c) {
    renderPanel();
    return;
  }
  renderHeader();
  renderMessages();
  renderPanel();
}

function renderMessages() {
  const c = state.current;
  if (!c) return;
  $("#load-older").hidden = !c.hasMore;
  const items = c.messages.map((m) => (m.system ? h("li", { class: "system" }, m.text) : messageItem(c, m)));
  if (!items.length) {
    items.push(h("li", { class: "system" }, c.loading ? "Loading…"
      : c.kind === "self" ? "Write notes to yourself here." : "No messages yet. Say hello!"));
  }
  $("#message-list").replaceChildren(...items);
}

function tick(c, m) {
  if (m.pending) return h("span", { class: "tick", title: "Sending" }, "…");
  if (m.failed || c.kind !== "personal") return null;
  const read = (state.partnerRead.get(c.id) || 0) >= m.Seq;
  return h("span", { class: read ? "tick read" : "tick", title: read ? "Read" : "Sent",
    "aria-label": read ? "Read" : "Sent" }, read ? "✓✓" : "✓");
}

function messageItem(c, m) {
  const mine = m.Sender && m.Sender.id === state.me.id;
  const classes = ["msg", mine && "mine", m.Deleted && "deleted", m.failed && "failed"].filter(Boolean).join(" ");
  const canChange = mine && !m.Deleted && !m.pending && !m.failed && !c.closed;
  return h("li", { class: classes, dataset: { id: m.MessageId || m.ClientId, seq: m.Seq ?? "" } },
    c.kind === "group" && !mine ? h("div", { class: "author" }, m.Sender.username) : null,
    h("div", { class: "text" }, m.Deleted ? "Message deleted" : m.Content),
    h("div", { class: "meta" },
      m.EditedAt && !m.Deleted ? h("span", { class: "edited", title: `Edited ${clock(m.EditedAt)}` }, "edited") : null,
      h("time", { datetime: m.CreatedAt }, clock(m.CreatedAt)),
      mine ? tick(c, m) : null),
    m.failed ? h("div", { class: "failed-text" }, `Not sent: ${m.failed} `,
      h("button", { type: "button", class: "link", onclick: () => deliver(c, m) }, "Retry")) : null,
    canChange ? h("div", { class: "actions" },
      h("button", { type: "button", onclick: () => startEdit(m) }, "Edit"), deleteButton(c, m)) : null);
}

function deleteButton(c, m) {
  // Two clicks: the first asks, the second deletes (no browser dialog).
  const button = h("button", { type: "button" }, "Delete");
  let armed = null;
  button.addEventListener("click", () => {
    if (armed) {
      clearTimeout(armed);
      removeMessage(c, m);
      return;
    }
    button.textContent = "Delete for everyone?";
    button.classList.add("confirm");
    armed = setTimeout(() => { armed = null; button.textContent = "Delete"; button.classList.remove("confirm"); }, 4000);
  });
  return button;
}

function nearEnd() {
  const box = $("#messages");
  return box.scrollHeight - box.scrollTop - box.clientHeight < 120;
}

function scrollToEnd() {
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
  if (entry && entry.Unread) {
    entry.Unread = 0;
    renderList();
  }
  const payload = c.kind === "personal" ? { ChatId: c.id, UpTo: newest.MessageId } : { GroupId: c.id, UpTo: newest.MessageId };
  call(NS[c.kind], c.kind === "personal" ? "read-personal-message" : "read-group-message", payload)
    .catch((error) => { if (error.code !== "offline") notify(describe(error)); });
}

/** `read-personal-msg-ack` / `read-group-msg-ack`: our other tab read it, or the partner did (ticks). */
export function readAck(kind, id, readerId, upTo) {
  const entry = entryOf(kind, id);
  if (readerId === state.me.id) {
    if (entry) entry.Unread = 0;
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
  }
  renderList();
}

/** An edit or a delete pushed by the server. */
export function changed(kind, id, message) {
  const entry = entryOf(kind, id);
  if (entry && entry.LastMessage && entry.LastMessage.MessageId === message.MessageId) entry.LastMessage = message;
  const c = state.current;
  if (c && c.key === chatKey(kind, id)) {
    if (c.messages.some((m) => m.MessageId === message.MessageId)) merge(c, [message]);
    if (editing && editing.MessageId === message.MessageId && message.Deleted) cancelEdit();
    renderMessages();
  }
  renderList();
}

// ---------- typing ----------

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

function idPayload(chat) { return chat.kind === "group" ? { GroupId: chat.id } : { ChatId: chat.id }; }

function typed() {
  const c = state.current;
  if (!c || c.kind === "self" || c.closed || editing) return;
  if (!$("#composer-input").value.trim()) {
    stopTyping();
    return;
  }
  const now = Date.now();
  if (!typingChat || typingChat.key !== c.key || now - typingSentAt > TYPING_RESEND_MS) {
    if (typingChat && typingChat.key !== c.key) stopTyping();
    signal(NS[c.kind], "typing", idPayload(c));
    typingChat = c;
    typingSentAt = now;
  }
  clearTimeout(typingIdle);
  typingIdle = setTimeout(stopTyping, TYPING_IDLE_MS);
}

function stopTyping() {
  clearTimeout(typingIdle);
  if (typingChat) signal(NS[typingChat.kind], "done-typing", idPayload(typingChat));
  typingChat = null;
  typingSentAt = 0;
}

// ---------- sending, editing, deleting ----------

function submit() {
  const c = state.current;
  const input = $("#composer-input");
  const content = input.value.trim();
  if (!c || c.closed || !content) return;
  if (editing) {
    saveEdit(c, editing, content);
    return;
  }
  input.value = "";
  stopTyping();
  const pending = { ClientId: clientId(), Content: content, Sender: { ...state.me }, CreatedAt: new Date().toISOString() };
  c.messages.push(pending);
  deliver(c, pending);
  scrollToEnd();
}

// Send (or send again: the same ClientId never stores a message twice) and show how it went.
async function deliver(c, pending) {
  pending.pending = true;
  pending.failed = null;
  if (state.current === c) renderMessages();
  try {
    const payload = { Content: pending.Content, ClientId: pending.ClientId };
    const ack = c.kind === "self" ? await call("/self", "send-self-message", payload)
      : c.kind === "personal" ? await call("/personal", "send-personal-message", { ChatId: c.id, ...payload })
        : await call("/group", "send-group-message", { GroupId: c.id, ...payload });
    pending.pending = false;
    merge(c, [ack.Message]);
    c.readSeq = Math.max(c.readSeq || 0, ack.Message.Seq);
    const entry = entryOf(c.kind, c.id);
    if (entry) {
      entry.LastMessage = ack.Message;
      entry.UpdatedAt = ack.Message.CreatedAt;
    }
    renderList();
  } catch (error) {
    pending.pending = false;
    pending.failed = describe(error);
  }
  if (state.current === c) {
    renderMessages();
    if (nearEnd()) scrollToEnd();
  }
}

function startEdit(m) {
  stopTyping();
  editing = m;
  $("#editing").hidden = false;
  const input = $("#composer-input");
  input.value = m.Content;
  input.focus();
}

function cancelEdit() {
  if (!editing) return;
  editing = null;
  $("#editing").hidden = true;
  $("#composer-input").value = "";
}

async function saveEdit(c, m, content) {
  if (content === m.Content) {
    cancelEdit();
    return;
  }
  try {
    const ack = c.kind === "personal"
      ? await call("/personal", "edit-personal-message", { ChatId: c.id, MessageId: m.MessageId, Content: content })
      : await session.authed("PATCH", `/messages/${encodeURIComponent(m.MessageId)}`, { Content: content });
    cancelEdit();
    changed(c.kind, c.id, ack.Message);
  } catch (error) {
    notify(describe(error));
  }
}

async function removeMessage(c, m) {
  try {
    const ack = c.kind === "personal"
      ? await call("/personal", "delete-personal-message", { ChatId: c.id, MessageId: m.MessageId })
      : await session.authed("DELETE", `/messages/${encodeURIComponent(m.MessageId)}`);
    changed(c.kind, c.id, ack.Message);
  } catch (error) {
    notify(describe(error));
  }
}

// ---------- finding people ----------

function clearSearch() {
  $("#user-search").value = "";
  $("#search-results").hidden = true;
  $("#search-results").replaceChildren();
}

/** GET /users/search?q= → results with a button to start a chat. */
export async function findUsers(query) {
  return (await session.authed("GET", `/users/search?q=${encodeURIComponent(query)}`)).users;
}

async function searchUsers(raw) {
  const query = raw.trim();
  const results = $("#search-results");
  if (!query) {
    clearSearch();
    return;
  }
  try {
    const users = await findUsers(query);
    if ($("#user-search").value.trim() !== query) return;
    results.replaceChildren(...(users.length ? users.map((user) => h("li", {},
      h("span", {}, user.username),
      h("button", { type: "button", onclick: () => { clearSearch(); openPartner(user); } }, "Chat")))
      : [h("li", { class: "none" }, `No one called “${query}…”`)]));
  } catch (error) {
    results.replaceChildren(h("li", { class: "none" }, describe(error)));
  }
  results.hidden = false;
}
