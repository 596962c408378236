// The message box under the open chat: sending (and retrying), replying, editing and deleting one's own
// messages, `@` suggestions of group members, and telling the others we are typing.
import { describe } from "./api.js";
import { $, clientId, notify } from "./dom.js";
import { clearTray, initFiles, readyFiles } from "./files.js";
import { initMentionInput } from "./mention-input.js";
import { scrollToEnd } from "./message-list.js";
import { deliver } from "./outbox.js";
import { changed } from "./receive.js";
import { replyOf } from "./rich.js";
import * as session from "./session.js";
import { draft, saveDraft } from "./session-store.js";
import { CHAT_NS, call, signal } from "./sockets.js";
import { state } from "./state.js";

export { deliver } from "./outbox.js";

const TYPING_RESEND_MS = 3000;  // while typing, tell the others again this often
const TYPING_IDLE_MS = 2500;    // a pause this long ends "typing"

let editing = null;
let replying = null; // the message the next send answers
let typingChat = null;
let typingSentAt = 0;
let typingIdle = null;

/** Wire the message box: Enter sends, Shift+Enter is a new line, Escape cancels an edit. */
export function initComposer() {
  $("#composer").addEventListener("submit", (event) => { event.preventDefault(); submit(); });
  const input = $("#composer-input");
  const suggestions = initMentionInput(input, $("#mention-suggestions"), () => {
    const c = state.current;
    const group = c && c.kind === "group" ? state.groups.get(c.id) : null;
    return group ? group.Members.filter((u) => u.id !== state.me.id) : [];
  });
  input.addEventListener("keydown", (event) => {
    if (suggestions.handles(event)) return;
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) { event.preventDefault(); submit(); }
    if (event.key === "Escape" && editing) cancelEdit();
    else if (event.key === "Escape" && replying) cancelReply();
  });
  input.addEventListener("input", typed);
  input.addEventListener("input", () => {
    if (state.current && !editing) saveDraft(state.current.key, input.value);
  });
  $("#cancel-edit").addEventListener("click", () => cancelEdit());
  $("#cancel-reply").addEventListener("click", () => cancelReply());
  initFiles();
}

/** A chat was opened: its draft (if any) goes in the box. */
export function loadDraft(c) {
  if (!editing) $("#composer-input").value = c ? draft(c.key) : "";
}

// ---------- replying ----------

/** Answer a message: its quote shows above the box until the next send (or Cancel). */
export function startReply(m) {
  cancelEdit();
  replying = { chat: state.current && state.current.key, quote: replyOf(m) };
  $("#replying-name").textContent = m.Sender.username;
  $("#replying-text").textContent = replying.quote.Excerpt;
  $("#replying").hidden = false;
  $("#composer-input").focus();
}

/** Forget the message we were answering. */
export function cancelReply() {
  replying = null;
  $("#replying").hidden = true;
}

// ---------- typing ----------

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
    signal(CHAT_NS[c.kind], "typing", idPayload(c));
    typingChat = c;
    typingSentAt = now;
  }
  clearTimeout(typingIdle);
  typingIdle = setTimeout(stopTyping, TYPING_IDLE_MS);
}

/** Tell the chat we were typing in that we stopped. */
export function stopTyping() {
  clearTimeout(typingIdle);
  if (typingChat) signal(CHAT_NS[typingChat.kind], "done-typing", idPayload(typingChat));
  typingChat = null;
  typingSentAt = 0;
}

// ---------- sending ----------

function submit() {
  const c = state.current;
  const input = $("#composer-input");
  const content = input.value.trim();
  const { files, busy } = editing ? { files: [], busy: false } : readyFiles();
  if (!c || c.closed || (!content && !files.length)) return;
  if (editing) {
    saveEdit(c, editing, content);
    return;
  }
  if (busy) {
    notify("Some files are still uploading: send when they are done (or remove them).", "info");
    return;
  }
  input.value = "";
  saveDraft(c.key, "");
  clearTray();
  stopTyping();
  const pending = { ClientId: clientId(), Content: content, Sender: { ...state.me }, CreatedAt: new Date().toISOString(),
    ReplyTo: replying && replying.chat === c.key ? replying.quote : null, Reactions: [], Mentions: [],
    Attachments: files };
  cancelReply();
  c.messages.push(pending);
  deliver(c, pending);
  scrollToEnd();
}

// ---------- editing and deleting ----------

/** Put one of our messages in the box to edit it. */
export function startEdit(m) {
  stopTyping();
  cancelReply();
  editing = m;
  $("#editing").hidden = false;
  const input = $("#composer-input");
  input.value = m.Content;
  input.focus();
}

/** Stop editing (only if it is `onlyFor`, when given: a message just deleted) and empty the box. Without
 * `onlyFor` (another chat opened, this one closed) a reply in progress is dropped too. */
export function cancelEdit(onlyFor = null) {
  if (!onlyFor) cancelReply();
  if (!editing || (onlyFor && editing.MessageId !== onlyFor.MessageId)) return;
  editing = null;
  $("#editing").hidden = true;
  $("#composer-input").value = state.current ? draft(state.current.key) : ""; // back to what was being written
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

/** Delete one of our messages, for everyone. */
export async function removeMessage(c, m) {
  try {
    const ack = c.kind === "personal"
      ? await call("/personal", "delete-personal-message", { ChatId: c.id, MessageId: m.MessageId })
      : await session.authed("DELETE", `/messages/${encodeURIComponent(m.MessageId)}`);
    changed(c.kind, c.id, ack.Message);
  } catch (error) {
    notify(describe(error));
  }
}
