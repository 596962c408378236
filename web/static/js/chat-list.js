// The chat list in the sidebar: notes to self, then personal and group chats by latest activity, with
// previews, unread badges, presence dots and "typing…"; and presence and typing put into words.
import { describe } from "./api.js";
import { $, debounce, h, initial, notify, shortTime } from "./dom.js";
import * as session from "./session.js";
import { activity, chatKey, isMuted, presenceOf, state } from "./state.js";
import { botBadge } from "./bot-badge.js";

let choose = () => {};

/** `callback(kind, id)` runs when an entry is clicked (or Enter is pressed on it). */
export function onChoose(callback) { choose = callback; }

/** The list entry of a personal or group chat (none for notes to self). */
export function entryOf(kind, id) {
  return kind === "personal" ? state.personal.get(id) : kind === "group" ? state.groups.get(id) : null;
}

export function presenceClass(userId) {
  const p = presenceOf(userId);
  return p.Online ? (p.Away ? "dot away" : "dot online") : "dot";
}

export function presenceWords(userId) {
  const p = presenceOf(userId);
  if (p.Online) return p.Away ? "away" : "online";
  return p.LastSeen ? `offline, last seen ${shortTime(p.LastSeen)}` : "offline";
}

export function typingWords(key) {
  const users = state.typing.get(key);
  if (!users || !users.size) return "";
  const names = [...users.values()].map((u) => u.name);
  return names.length === 1 ? `${names[0]} is typing…` : `${names.join(", ")} are typing…`;
}

function preview(kind, entry) {
  const last = entry.LastMessage;
  if (!last) return kind === "group" ? "New group" : "No messages yet";
  const who = last.Sender && last.Sender.id === state.me.id ? "You: " : kind === "group" ? `${last.Sender.username}: ` : "";
  const files = (last.Attachments || []).map((f) => f.Name).join(", ");  // a message of files only: their names
  return who + (last.Deleted ? "message deleted" : last.Content || (files && `📎 ${files}`));
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
    "Only you can see these", "", 0, () => choose("self", state.me.id))];
  for (const { kind, id, entry } of rows) {
    const key = chatKey(kind, id);
    const name = kind === "personal" ? entry.Partner.username : entry.Name;
    const avatar = kind === "personal"
      ? h("span", { class: "avatar" }, initial(name), h("span", { class: presenceClass(entry.Partner.id),
        title: presenceWords(entry.Partner.id) }))
      : h("span", { class: "avatar group" }, initial(name));
    const typing = typingWords(key);
    const title = kind === "group" && entry.Public
      ? [name, h("span", { class: "tag", title: "Public group: anyone can find and join it" }, "public")]
      : kind === "personal" && entry.Partner.Bot ? [name, botBadge(entry.Partner)] : name;
    const muted = isMuted(entry) ? h("span", { class: "muted-icon", title: "Muted", "aria-label": "Muted" }, "🔕")
      : null;
    items.push(listItem(key, muted ? [].concat(title, muted) : title, avatar, typing || preview(kind, entry),
      shortTime(activity(entry)), entry.Unread || 0, () => choose(kind, id), Boolean(typing), entry.UnreadMentions || 0));
  }
  const focused = document.activeElement && document.activeElement.closest("#chat-list li");
  $("#chat-list").replaceChildren(...items);
  if (focused) { // redrawn: the entry that had focus keeps it (a keyboard user does not land on <body>)
    const again = items.find((li) => li.dataset.key === focused.dataset.key);
    if (again) again.focus({ preventScroll: true });
  }
  const unread = rows.reduce((sum, row) => sum + (row.entry.Unread || 0), 0);
  document.title = unread ? `(${unread}) Chat` : "Chat";
}

function listItem(key, name, avatar, text, time, unread, onOpen, typing = false, mentions = 0) {
  const active = state.current && state.current.key === key;
  return h("li", {
    class: active ? "active" : null, dataset: { key }, tabindex: 0, role: "button",
    "aria-current": active ? "true" : null, onclick: onOpen,
    onkeydown: (event) => { if (event.key === "Enter") onOpen(); },
  }, avatar, h("div", { class: "entry" },
    h("div", { class: "top" }, h("span", { class: "name" }, name), h("span", { class: "time" }, time)),
    h("div", { class: "bottom" }, h("span", { class: typing ? "preview typing" : "preview" }, text),
      mentions > 0 ? h("span", { class: "badge mention", title: `${mentions} unread mention${mentions === 1 ? "" : "s"}`,
        "aria-label": `${mentions} unread mentions` }, "@") : null,
      unread > 0 ? h("span", { class: "badge", title: `${unread} unread` }, unread > 99 ? "99+" : unread) : null)));
}

/** Keep a personal chat's list entry, and what we know of its partner's presence. */
export function addPersonal(entry) {
  state.personal.set(entry.ChatId, entry);
  // The partner's stored read position: read ticks survive a reload (read acks move it on from there).
  const read = Math.max(entry.PartnerRead || 0, state.partnerRead.get(entry.ChatId) || 0);
  if (read) state.partnerRead.set(entry.ChatId, read);
  state.presence.set(entry.Partner.id, { ...presenceOf(entry.Partner.id), Online: Boolean(entry.Partner.Online) });
}

/** A chat we had not heard of (someone wrote to us first): reload the inbox over REST. */
export const reloadInbox = debounce(async () => {
  try {
    const inbox = await session.authed("GET", "/chats?per_page=100");
    for (const entry of inbox.entries) {
      if (entry.Kind === "personal" && !state.personal.has(entry.ChatId)) addPersonal(entry);
      else if (entry.Kind === "group" && !state.groups.has(entry.GroupId)) state.groups.set(entry.GroupId, entry);
    }
    renderList();
  } catch (error) {
    notify(describe(error));
  }
}, 200);
