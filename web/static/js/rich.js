// Richer messages in the open conversation: the quote of a reply (a click jumps to the message it answers),
// reactions under a message with a picker of common emoji (yours highlighted), the text formatted and its
// mentions highlighted, and the versions an edit kept ("edited" opens them).
import { describe } from "./api.js";
import { $, clock, h, notify } from "./dom.js";
import { formatText } from "./format.js";
import * as session from "./session.js";
import { CHAT_NS, call } from "./sockets.js";
import { state } from "./state.js";

export const COMMON_EMOJI = ["👍", "❤️", "😂", "🎉", "😮", "😢"];
const MENTION = /(^|[^\w.@-])@([A-Za-z0-9_.-]{3,40})/g;
let pickerFor = null; // the MessageId whose emoji picker is open
let redraw = () => {};

/** `callback()` draws the open conversation's messages again (after a reaction or the picker changed). */
export function onRedraw(callback) { redraw = callback; }

/** Wire the history dialog's close button. */
export function initRich() {
  $("#history-close").addEventListener("click", () => $("#history-dialog").close());
}

// ---------- replies ----------

/** The quote above a reply: who and what it answers; a click jumps to that message. */
export function quote(reply) {
  if (!reply) return null;
  const text = reply.Deleted ? "Message deleted" : reply.Excerpt;
  return h("button", { type: "button", class: reply.Deleted ? "quote deleted" : "quote",
    title: "Show the message this one answers", dataset: { replyTo: reply.MessageId },
    onclick: () => jumpTo(reply.MessageId) },
  h("b", {}, reply.Sender.username), " ", text);
}

/** Scroll to a message of the open chat and make it flash (or say that it is further back). */
export function jumpTo(messageId) {
  const item = [...document.querySelectorAll("#message-list li.msg")].find((li) => li.dataset.id === messageId);
  if (!item) {
    notify("That message is further back: load older messages to see it.", "info");
    return;
  }
  item.scrollIntoView({ block: "center" });
  item.classList.remove("flash");
  void item.offsetWidth; // restart the animation when it flashes again
  item.classList.add("flash");
}

/** A reply's quote, as the sender sees it before the server answers. */
export function replyOf(m) {
  return { MessageId: m.MessageId, Sender: m.Sender, Excerpt: m.Content.slice(0, 120), Deleted: false };
}

// ---------- mentions ----------

/** A message's text, formatted (format.js), with the users it mentions highlighted (you more than the others). */
export function contentNodes(c, m) {
  if (m.Deleted) return ["Message deleted"];
  if (c.kind !== "group" || !m.Mentions || !m.Mentions.length) return formatText(m.Content);
  const group = state.groups.get(c.id);
  const names = new Map(((group && group.Members) || []).filter((u) => m.Mentions.includes(u.id))
    .map((u) => [u.username.toLowerCase(), u.id]));
  return formatText(m.Content, (text) => mentionNodes(text, names));
}

function mentionNodes(text, names) {
  const nodes = [];
  let at = 0;
  for (const match of text.matchAll(MENTION)) {
    let name = match[2];
    while (name && !names.has(name.toLowerCase()) && /[.-]$/.test(name)) name = name.slice(0, -1);
    const id = names.get(name.toLowerCase());
    if (!id) continue;
    const start = match.index + match[1].length;
    nodes.push(text.slice(at, start),
      h("span", { class: id === state.me.id ? "mention me" : "mention" }, `@${name}`));
    at = start + name.length + 1;
  }
  nodes.push(text.slice(at));
  return nodes;
}

// ---------- reactions ----------

function mine(reaction) { return reaction.UserIds.includes(state.me.id); }

/** The reactions under a message (a click adds or takes back yours) and, when open, the emoji picker. */
export function reactionRow(c, m) {
  const reactions = m.Reactions || [];
  const picker = pickerFor === m.MessageId && !m.Deleted;
  if (!reactions.length && !picker) return null;
  return h("div", { class: "reactions" },
    reactions.map((r) => h("button", {
      type: "button", class: mine(r) ? "reaction mine" : "reaction", "aria-pressed": mine(r) ? "true" : "false",
      title: mine(r) ? "Take back your reaction" : `React with ${r.Emoji}`,
      onclick: () => react(c, m, r.Emoji, !mine(r)),
    }, `${r.Emoji} ${r.Count}`)),
    picker ? h("span", { class: "picker", role: "group", "aria-label": "Pick a reaction" },
      COMMON_EMOJI.map((emoji) => {
        const own = reactions.some((r) => r.Emoji === emoji && mine(r));
        return h("button", { type: "button", class: own ? "mine" : null, "aria-label": `React with ${emoji}`,
          onclick: () => { pickerFor = null; react(c, m, emoji, !own); } }, emoji);
      })) : null);
}

/** Open or close a message's emoji picker. */
export function togglePicker(m) {
  pickerFor = pickerFor === m.MessageId ? null : m.MessageId;
  redraw();
}

async function react(c, m, emoji, on) {
  const where = c.kind === "group" ? { GroupId: c.id } : c.kind === "personal" ? { ChatId: c.id } : {};
  try {
    const ack = await call(CHAT_NS[c.kind], "react-message", { ...where, MessageId: m.MessageId, Emoji: emoji, On: on });
    m.Reactions = ack.Reactions;
  } catch (error) {
    notify(describe(error));
  }
  redraw();
}

// ---------- edit history ----------

/** Show the versions an edit kept of a message, oldest first. */
export async function openHistory(m) {
  try {
    const history = await session.authed("GET", `/messages/${encodeURIComponent(m.MessageId)}/history`);
    const items = history.Versions.map((v, i) => h("li", {},
      h("span", { class: "hint" }, i === 0 ? `Sent ${clock(m.CreatedAt)}` : `Edited ${clock(v.EditedAt)}`,
        i === history.Versions.length - 1 ? " (now)" : ""),
      h("div", { class: "text" }, v.Content)));
    $("#history-list").replaceChildren(...(items.length ? items : [h("li", { class: "hint" }, "Nothing left.")]));
    $("#history-dialog").showModal();
  } catch (error) {
    notify(describe(error));
  }
}
