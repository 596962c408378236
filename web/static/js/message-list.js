// The open chat's messages as a list: each with its author, quote, text, files, reactions, time, read tick and
// buttons (reply, react, edit, delete, retry), day separators between days; and keeping the end in view.
import { fullDate, withDays } from "./dates.js";
import { $, clock, confirmable, h } from "./dom.js";
import { attachmentList } from "./files.js";
import { previewCard } from "./link-preview.js";
import { messageActions, moderationMarks } from "./message-moderation.js";
import { decorate } from "./message-ui.js";
import { contentNodes, openHistory, quote, reactionRow, togglePicker } from "./rich.js";
import { state } from "./state.js";
import { threadLink } from "./thread-panel.js";
import { botBadge } from "./bot-badge.js";

// The composer's half of a message's buttons and of leaving a chat. composer.js imports the conversation's
// modules, so none of them can import it back: the composer's functions are plugged in here instead.
export const composer = {
  retry() {}, edit() {}, remove() {}, reply() {}, cancelEdit() {}, stopTyping() {}, opened() {},
};

/** `handlers`: {retry(c, m), edit(m), remove(c, m), reply(m), cancelEdit(onlyFor?), stopTyping(), opened(c)}. */
export function plugComposer(handlers) { Object.assign(composer, handlers); }

/** Draw the open chat's messages (or what stands for none yet). */
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
    c.kind === "group" && !mine ? h("div", { class: "author" }, m.Sender.username, botBadge(m.Sender)) : null,
    m.Deleted ? null : quote(m.ReplyTo),
    h("div", { class: "text" }, contentNodes(c, m)),
    m.Deleted ? null : attachmentList(m.Attachments),
    m.Deleted || m.pending ? null : previewCard(m.Content),
    reactionRow(c, m),
    threadLink(c, m),
    h("div", { class: "meta" },
      m.EditedAt && !m.Deleted ? h("button", { type: "button", class: "edited link",
        title: `Edited ${clock(m.EditedAt)}: show every version`, onclick: () => openHistory(m) }, "edited") : null,
      h("time", { datetime: m.CreatedAt, title: fullDate(m.CreatedAt) }, clock(m.CreatedAt)),
      mine ? tick(c, m) : null, moderationMarks(m)),
    m.failed ? h("div", { class: "failed-text" }, `Not sent: ${m.failed} `,
      h("button", { type: "button", class: "link", onclick: () => composer.retry(c, m) }, "Retry")) : null,
    stored ? h("div", { class: "actions" },
      h("button", { type: "button", onclick: () => composer.reply(m) }, "Reply"),
      h("button", { type: "button", "aria-label": "React", onclick: () => togglePicker(m) }, "React"),
      canChange ? h("button", { type: "button", onclick: () => composer.edit(m) }, "Edit") : null,
      canChange ? confirmable(h("button", { type: "button" }, "Delete"), "Delete for everyone?",
        () => composer.remove(c, m)) : null,
      messageActions(c, m, (chat, message) => composer.remove(chat, message)))
      : null);
}

/** True when the list is scrolled to (almost) its end: a new message then scrolls it along. */
export function nearEnd() {
  const box = $("#messages");
  return box.scrollHeight - box.scrollTop - box.clientHeight < 120;
}

/** Scroll the list to its newest message. */
export function scrollToEnd() {
  const box = $("#messages");
  box.scrollTop = box.scrollHeight;
}
