// The thread panel beside the conversation (SPEC v3 threads): a root message, its replies (fetch-thread, oldest
// first, "Load earlier replies" by ThreadSeq), a box that sends into the thread (a send with ThreadOf), live
// replies and edits (`thread-message`, `…-message-edited|deleted` of a reply), and read-thread while it is shown.
// Also the reply count drawn under a root in the conversation ("3 replies"), which opens the panel.
import { describe } from "./api.js";
import { $, clientId, clock, h, notify } from "./dom.js";
import { CHAT_NS, call, ready } from "./sockets.js";
import { state } from "./state.js";

const PAGE = 30;
let open = null; // {kind, id, root, replies: [Message], hasMore}

const target = (kind, id) => (kind === "self" ? {} : kind === "group" ? { GroupId: id } : { ChatId: id });
const SEND = { self: "send-self-message", personal: "send-personal-message", group: "send-group-message" };

/** Wire the panel's close button and its reply box (Enter sends, Shift+Enter: a new line). */
export function initThreadPanel() {
  $("#thread-close").addEventListener("click", closeThread);
  $("#thread-older").addEventListener("click", loadEarlier);
  $("#thread-composer").addEventListener("submit", (event) => { event.preventDefault(); send(); });
  $("#thread-input").addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey) { event.preventDefault(); send(); }
  });
}

/** "3 replies" under a root with replies; "Reply in thread" for a stored top-level message without any. */
export function threadLink(c, m) {
  if (!m.MessageId || m.ThreadOf || m.pending || m.failed || m.system) return null;
  const count = m.Thread ? m.Thread.ReplyCount : 0;
  if (!count && (m.Deleted || c.closed)) return null;
  const label = count ? `${count} ${count === 1 ? "reply" : "replies"}` : "Reply in thread";
  return h("button", { type: "button", class: count ? "thread-link link" : "thread-link link quiet",
    onclick: () => openThread(c.kind, c.id, m) }, label);
}

/** Open the thread of root (a top-level Message) of chat (kind, id) in the panel. */
export async function openThread(kind, id, root) {
  open = { kind, id, root, replies: [], hasMore: false };
  const mine = open;
  $("#thread-panel").hidden = false;
  render();
  try {
    await ready(CHAT_NS[kind]);
    const page = await call(CHAT_NS[kind], "fetch-thread", { ...target(kind, id), MessageId: root.MessageId, Limit: PAGE });
    if (open !== mine) return;
    Object.assign(open, { root: page.Root, replies: page.Messages, hasMore: page.HasMore });
    render();
    markThreadRead();
    $("#thread-input").focus();
  } catch (error) {
    notify(describe(error));
  }
}

export function closeThread() {
  open = null;
  $("#thread-panel").hidden = true;
}

/** The chat (kind, id) is no longer shown: its thread panel goes too. */
export function closeThreadOf(kind, id) { if (open && !(open.kind === kind && open.id === id)) closeThread(); }

async function loadEarlier() {
  if (!open || !open.replies.length) return;
  const mine = open;
  const page = await call(CHAT_NS[mine.kind], "fetch-thread", { ...target(mine.kind, mine.id),
    MessageId: mine.root.MessageId, Before: mine.replies[0].MessageId, Limit: PAGE }).catch((e) => notify(describe(e)));
  if (!page || open !== mine) return;
  mine.replies = [...page.Messages, ...mine.replies];
  mine.hasMore = page.HasMore;
  render();
}

async function send() {
  const input = $("#thread-input");
  const content = input.value.trim();
  if (!open || !content) return;
  const mine = open;
  input.value = "";
  try {
    const ack = await call(CHAT_NS[mine.kind], SEND[mine.kind], { ...target(mine.kind, mine.id), Content: content,
      ClientId: clientId(), ThreadOf: mine.root.MessageId });
    if (open === mine) put(ack.Message);
  } catch (error) {
    if (open === mine && !input.value) input.value = content;
    notify(describe(error));
  }
}

/** Put a reply into the open thread (new, or a newer state of one shown), in ThreadSeq order. */
function put(message) {
  const at = open.replies.findIndex((m) => m.MessageId === message.MessageId);
  if (at >= 0) open.replies[at] = message;
  else open.replies.push(message);
  open.replies.sort((a, b) => a.ThreadSeq - b.ThreadSeq);
  render();
}

/** `thread-message`: a reply in chat (kind, id); shown when its thread is open. */
export function replyArrived(kind, id, message) {
  if (!open || open.kind !== kind || open.id !== id || message.ThreadOf !== open.root.MessageId) return;
  put(message);
  markThreadRead();
}

/** An edit or a deletion of a reply (the chat's usual pushes), or of the open thread's root. */
export function threadMessageChanged(message) {
  if (!open) return;
  if (message.MessageId === open.root.MessageId) { open.root = message; render(); }
  else if (message.ThreadOf === open.root.MessageId) put(message);
}

/** `thread-updated`: the open thread's root has a new summary. */
export function summaryChanged(messageId, thread) {
  if (open && open.root.MessageId === messageId) { open.root = { ...open.root, Thread: thread }; render(); }
}

function markThreadRead() {
  if (!open || document.visibilityState !== "visible" || !open.replies.length) return;
  call(CHAT_NS[open.kind], "read-thread", { ...target(open.kind, open.id), MessageId: open.root.MessageId })
    .then(() => document.dispatchEvent(new CustomEvent("thread-read")))
    .catch((error) => { if (error.code !== "offline") notify(describe(error)); });
}

function item(m) {
  const mine = state.me && m.Sender.id === state.me.id;
  return h("li", { class: ["msg", mine && "mine", m.Deleted && "deleted"].filter(Boolean).join(" "),
    dataset: { id: m.MessageId } },
  h("div", { class: "author" }, m.Sender.username),
  h("div", { class: "text" }, m.Deleted ? "This message was deleted." : m.Content),
  h("div", { class: "meta" }, h("time", { datetime: m.CreatedAt }, clock(m.CreatedAt))));
}

function render() {
  if (!open) return;
  const count = open.root.Thread ? open.root.Thread.ReplyCount : 0;
  $("#thread-title").textContent = count ? `Thread · ${count} ${count === 1 ? "reply" : "replies"}` : "Thread";
  $("#thread-root").replaceChildren(item(open.root));
  $("#thread-older").hidden = !open.hasMore;
  $("#thread-list").replaceChildren(...open.replies.map(item));
  $("#thread-composer").hidden = Boolean(open.root.Deleted);
  const list = $("#thread-list");
  list.scrollTop = list.scrollHeight;
}
