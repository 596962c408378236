// Threads (SPEC v3): what the server pushes about them, applied to the conversation and the thread panel, and the
// "Threads" view: the threads we follow (GET /threads), most recent reply first, each with its unread replies,
// and a badge with their sum on the sidebar's "Threads" button.
import { describe } from "./api.js";
import { open as openChat } from "./conversation.js";
import { $, debounce, h, notify, shortTime } from "./dom.js";
import { renderMessages } from "./message-list.js";
import * as session from "./session.js";
import { chatKey, state } from "./state.js";
import { initThreadPanel, openThread, replyArrived, summaryChanged } from "./thread-panel.js";

const PER_PAGE = 50;
let asked = 0; // the newest list request: older answers are dropped

/** Wire the "Threads" button and view, the panel, and refresh the badge when a thread was read. */
export function initThreads() {
  initThreadPanel();
  $("#open-threads").addEventListener("click", show);
  $("#threads-close").addEventListener("click", () => { $("#threads-view").hidden = true; });
  document.addEventListener("thread-read", () => refreshSoon());
}

/** `thread-message` {ChatId|GroupId, Message}: a reply; the panel shows it when its thread is open. */
export function threadMessage(kind, id, message) {
  replyArrived(kind, id, message);
  refreshSoon();
}

/** `thread-updated` {ChatId|GroupId, MessageId, Thread}: the root's reply count under it, and in the panel. */
export function threadUpdated(kind, id, data) {
  summaryChanged(data.MessageId, data.Thread);
  const c = state.current;
  if (!c || c.key !== chatKey(kind, id)) return;
  const root = c.messages.find((m) => m.MessageId === data.MessageId);
  if (!root || (root.Rev ?? 0) > (data.Rev ?? 0)) return;
  root.Thread = data.Thread;
  renderMessages();
}

/** Fetch the followed threads: the badge, and the view when it is shown. */
export async function refresh() {
  if (!state.me) return;
  const mine = ++asked;
  try {
    const page = await session.authed("GET", `/threads?per_page=${PER_PAGE}`);
    if (mine !== asked) return;
    const unread = page.entries.reduce((sum, entry) => sum + entry.Unread, 0);
    $("#threads-badge").textContent = String(unread);
    $("#threads-badge").hidden = unread === 0;
    render(page.entries);
  } catch (error) {
    if (error.code !== "network") notify(describe(error));
  }
}

const refreshSoon = debounce(refresh, 300);

function show() {
  $("#threads-view").hidden = false;
  $("#threads-status").textContent = "Loading…";
  refresh();
}

function chatName(kind, id) {
  if (kind === "self") return "Notes to self";
  if (kind === "group") return state.groups.get(id)?.Name || "A group";
  return state.personal.get(id)?.Partner.username || "A chat";
}

function render(entries) {
  $("#threads-status").textContent = entries.length ? "" : "No threads yet: reply in a thread to follow it.";
  $("#threads-list").replaceChildren(...entries.map((entry) => {
    const kind = entry.Kind;
    const id = entry.GroupId || entry.ChatId;
    const root = entry.Root;
    const when = root.Thread && root.Thread.LastReplyAt;
    return h("li", {}, h("button", { type: "button", class: "thread-entry", dataset: { root: root.MessageId },
      onclick: () => go(kind, id, root) },
    h("span", { class: "thread-chat" }, chatName(kind, id)),
    entry.Unread ? h("span", { class: "badge", "aria-label": `${entry.Unread} unread` }, String(entry.Unread)) : null,
    h("span", { class: "thread-excerpt" }, root.Deleted ? "(deleted message)" : `${root.Sender.username}: ${root.Content}`),
    h("span", { class: "hint" }, `${root.Thread ? root.Thread.ReplyCount : 0} replies`,
      when ? ` · ${shortTime(when)}` : "")));
  }));
}

async function go(kind, id, root) {
  $("#threads-view").hidden = true;
  if (!state.current || state.current.key !== chatKey(kind, id)) await openChat(kind, id);
  openThread(kind, id, root);
}
