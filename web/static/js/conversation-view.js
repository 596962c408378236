// The open conversation's pane: its header (who, presence or "typing…", the group's size), its messages, the
// line that replaces the composer in a closed chat, or the empty state when no chat is open.
import { botBadge } from "./bot-badge.js";
import { presenceClass, presenceWords, typingWords } from "./chat-list.js";
import { $ } from "./dom.js";
import { renderMessages } from "./message-list.js";
import { blocks } from "./people.js";
import { isAdmin, state } from "./state.js";

let rendered = () => {};

/** `callback()` runs after every renderConversation (the group panel follows the open chat). */
export function afterRender(callback) { rendered = callback; }

/** The title and status line: who, presence or "typing…", the group's size. */
export function renderHeader() {
  const c = state.current;
  if (!c) return;
  const dot = $("#conv-dot");
  const typing = typingWords(c.key);
  let title = "";
  let status = "";
  let badge = null; // "BOT" beside a bot partner's name
  if (c.kind === "self") {
    title = "Notes to self";
    status = "Only you can see these";
    dot.className = "dot online";
  } else if (c.kind === "personal") {
    const entry = state.personal.get(c.id);
    title = entry ? entry.Partner.username : "";
    badge = entry ? botBadge(entry.Partner) : null;
    status = entry && blocks(entry.Partner.id) ? "blocked" : typing ? "typing…" : entry ? presenceWords(entry.Partner.id) : "";
    dot.className = entry ? presenceClass(entry.Partner.id) : "dot";
  } else {
    const entry = state.groups.get(c.id);
    title = entry ? entry.Name : "Group";
    const size = entry ? `${entry.Members.length} member${entry.Members.length === 1 ? "" : "s"}` : "";
    status = typing || (isAdmin(entry) ? `${size} · you are the admin` : size);
  }
  dot.hidden = c.kind === "group";
  $("#conv-title").replaceChildren(title, ...(badge ? [badge] : []));
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
