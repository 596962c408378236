// Searching messages (GET /search): a panel over the chat list with a search box over every chat, or only the
// open one; results newest first with their chat, sender, date and the matching words marked, "More results"
// through the cursor; a result opens its chat at that message (the page around it, scrolled to and flashed).
// (search.js finds people; this finds messages.)
import { describe } from "./api.js";
import { open } from "./conversation.js";
import { fullDate } from "./dates.js";
import { $, debounce, h, shortTime } from "./dom.js";
import { excerpt, highlighted, matchRanges, terms } from "./highlight.js";
import { fetchPage, merge } from "./history.js";
import { renderMessages } from "./message-list.js";
import { jumpTo } from "./rich.js";
import * as session from "./session.js";
import { chatKey, state } from "./state.js";

const NARROW = window.matchMedia("(max-width: 700px)");
const GAP_PAGES = 10; // pages of newer messages fetched to join a found message to the newest ones
let asked = 0; // the number of the newest search: older answers are dropped
let next = null; // the cursor of the next page of the shown results
let shown = { query: "", chat: null }; // what the shown results answer ("More results" asks the same)
let started = ""; // the query of the newest search started from the box

/** Wire the panel: the sidebar's "Search messages", the open chat's search button, the box, More, close. */
export function initMessageSearch() {
  $("#open-msearch").addEventListener("click", () => show(false));
  $("#conv-search").addEventListener("click", () => show(true));
  $("#msearch-close").addEventListener("click", hide);
  $("#msearch").addEventListener("keydown", (event) => { if (event.key === "Escape") hide(); });
  // Typing searches after a pause, unless Enter searched for the same words meanwhile (a second search of them
  // would start the results anew, dropping a "More results" page asked for in between).
  $("#msearch-input").addEventListener("input", debounce(() => {
    if ($("#msearch-input").value.trim() !== started) search();
  }, 300));
  $("#msearch-form").addEventListener("submit", (event) => { event.preventDefault(); search(); });
  $("#msearch-scope").addEventListener("change", () => search());
  $("#msearch-more").addEventListener("click", () => search(true));
}

/** Signed out: the panel closes and forgets its query and results. */
export function resetMessageSearch() {
  asked += 1;
  next = null;
  shown = { query: "", chat: null };
  started = "";
  $("#msearch-input").value = "";
  $("#msearch-results").replaceChildren();
  $("#msearch-status").textContent = "";
  $("#msearch-more").hidden = true;
  $("#msearch").hidden = true;
}

function chatName(kind, id) {
  if (kind === "self") return "Notes to self";
  if (kind === "group") return state.groups.get(id)?.Name || "A group";
  return state.personal.get(id)?.Partner.username || "A chat";
}

/** Open the panel; `scoped`: search only the open chat. */
function show(scoped) {
  const c = state.current;
  $("#msearch-scope-line").hidden = !c;
  $("#msearch-scope-name").textContent = c ? chatName(c.kind, c.id) : "";
  $("#msearch-scope").checked = Boolean(c && scoped);
  $("#msearch").hidden = false;
  $("#msearch-input").focus();
  if ($("#msearch-input").value.trim()) search();
}

function hide() {
  $("#msearch").hidden = true;
  ($("#conv-header").hidden ? $("#open-msearch") : $("#conv-search")).focus();
}

/** Search for what the box holds (`more`: the next page of the shown results). */
async function search(more = false) {
  const c = state.current;
  const { query, chat } = more ? shown : { query: $("#msearch-input").value.trim(),
    chat: c && $("#msearch-scope").checked && !$("#msearch-scope-line").hidden ? c.id : null };
  const mine = ++asked;
  const status = $("#msearch-status");
  if (!more) {
    started = query;
    next = null;
    $("#msearch-results").replaceChildren();
    $("#msearch-more").hidden = true;
  }
  const wanted = terms(query);
  if (!wanted.length) {
    status.textContent = "";
    return;
  }
  if (wanted.some((term) => [...term].length < 2)) {
    status.textContent = "Type at least 2 letters of each word.";
    return;
  }
  const params = new URLSearchParams({ q: query });
  if (chat) params.set("chat", chat);
  if (more && next) params.set("cursor", next);
  status.textContent = "Searching…";
  let page;
  try {
    page = await session.authed("GET", `/search?${params}`);
  } catch (error) {
    if (mine === asked) status.textContent = describe(error);
    return;
  }
  if (mine !== asked) return; // typed on meanwhile: the newer search answers
  next = page.Next;
  shown = { query, chat };
  $("#msearch-results").append(...page.Results.map((result) => resultItem(result, wanted)));
  $("#msearch-more").hidden = !next;
  const count = $("#msearch-results").children.length;
  status.textContent = count ? `${count}${next ? "+" : ""} message${count === 1 && !next ? "" : "s"} found`
    : `No messages match “${query}”${chat ? " in this chat" : ""}.`;
}

function resultItem(result, wanted) {
  const m = result.Message;
  const kind = result.Kind;
  const id = kind === "self" ? state.me.id : result.GroupId || result.ChatId;
  const content = m.Content || "";
  const part = excerpt(content, matchRanges(content, wanted));
  const name = chatName(kind, id);
  return h("li", { class: "hit", dataset: { id: m.MessageId, chat: chatKey(kind, id) } },
    h("button", { type: "button", onclick: () => goTo(kind, id, m) },
      h("span", { class: "hit-top" }, h("b", { class: "hit-chat" }, name),
        h("time", { datetime: m.CreatedAt, title: fullDate(m.CreatedAt) }, shortTime(m.CreatedAt))),
      kind === "group" || kind === "personal" ? h("span", { class: "hit-sender" }, m.Sender?.username || "") : null,
      h("span", { class: "hit-text" }, highlighted(part.text, part.ranges))));
}

/** Open the chat of a result at its message: the chat's newest page, and when the message is older, the page
 * before it and the pages after it up to what is shown (at most GAP_PAGES: past that, a note marks the gap). */
async function goTo(kind, id, message) {
  if (NARROW.matches) $("#msearch").hidden = true;
  if (!state.current || state.current.key !== chatKey(kind, id)) await open(kind, id);
  const c = state.current;
  if (!c || c.key !== chatKey(kind, id)) return;
  try {
    if (!c.messages.some((m) => m.MessageId === message.MessageId)) await loadAround(c, message);
  } catch (error) {
    $("#msearch-status").textContent = describe(error);
    return;
  }
  if (state.current === c) jumpTo(message.MessageId);
}

async function loadAround(c, message) {
  const held = new Set(c.messages.map((m) => m.MessageId).filter(Boolean));
  const before = await fetchPage(c, message.MessageId);
  const found = [...before.Messages, message];
  let joined = held.size === 0;
  for (let pages = 0, newer = message.MessageId; pages < GAP_PAGES && !joined; pages += 1) {
    const reply = await fetchPage(c, null, newer);
    found.push(...reply.Messages);
    joined = !reply.HasMore || !reply.Messages.length || reply.Messages.some((m) => held.has(m.MessageId));
    newer = reply.Messages.length ? reply.Messages[reply.Messages.length - 1].MessageId : newer;
  }
  if (state.current !== c) return;
  merge(c, found);
  c.hasMore = before.HasMore;
  if (!joined) {
    const last = found[found.length - 1].Seq;
    c.messages.push({ system: true, Seq: last + 0.5,
      text: "Newer messages are not shown here: open the chat from the list to read the latest." });
    c.messages.sort((a, b) => (a.Seq ?? Infinity) - (b.Seq ?? Infinity));
  }
  renderMessages();
}
