// The open conversation: opening a chat (its newest page of history, then marking it read), catching up after
// a reconnect, and closing it. Its pieces: conversation-view.js draws the pane, message-list.js the messages,
// history.js fetches and merges pages, receive.js applies what the server pushes.
import { describe } from "./api.js";
import { renderList } from "./chat-list.js";
import { renderConversation } from "./conversation-view.js";
import { $, notify } from "./dom.js";
import { applyChanges, fetchChanges, fetchPage, loadOlder, merge, updateGroup } from "./history.js";
import { initMessageMenu } from "./message-ui.js";
import { composer, nearEnd, renderMessages, scrollToEnd } from "./message-list.js";
import { markRead } from "./receive.js";
import { initRich, onRedraw } from "./rich.js";
import { rememberOpen, waiting } from "./session-store.js";
import { chatKey, state } from "./state.js";
import { closeThreadOf } from "./thread-panel.js";

const CATCH_UP_PAGES = 10; // after a reconnect, fetch at most this many pages of changes, else start anew
export const PARTNER_GONE = "This account was deleted: you can read the history, but nobody can write here any more.";

/** Wire the history scroller. */
export function initConversation() {
  $("#load-older").addEventListener("click", loadOlder);
  $("#messages").addEventListener("scroll", () => { if ($("#messages").scrollTop < 60) loadOlder(); });
  onRedraw(renderMessages);
  initRich();
  initMessageMenu();
}

/** Open a chat: its newest page of history, then mark it read. `page`: a reply we already have. */
export async function open(kind, id, page = null) {
  closeThreadOf(kind, id);
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
    // The Rev to catch up from: the newest of the page's, then the first sync's answer (SPEC v3 catch-up)
    current.rev = Math.max(0, ...reply.Messages.map((m) => m.Rev ?? 0));
    await reopen();
  } catch (error) {
    if (state.current !== current) return;
    current.loading = false;
    renderConversation();
    notify(describe(error));
  }
}

/** On every (re)connect: `sync-chat` the open chat from the Rev of its last answer — new messages, edits,
 * deletions and reactions made while we were away — keeping what is shown. Pushes never move that Rev. Only
 * the open chat holds messages: another one is fetched anew (its newest page, then a sync) when opened, and
 * the lists the server sends on every connect bring each chat's Rev, LastMessage and Unread as they are now. */
export async function reopen() {
  const c = state.current;
  if (!c || c.catchingUp || c.closed) return;
  if (c.rev === undefined) {
    if (!c.loading) open(c.kind, c.id);
    return;
  }
  c.catchingUp = true;
  try {
    for (let pages = 0, more = true; more; pages += 1) {
      if (pages === CATCH_UP_PAGES) return open(c.kind, c.id); // away for long: the newest page, anew
      const reply = await fetchChanges(c, c.rev);
      if (state.current !== c) return;
      const follow = nearEnd();
      applyChanges(c, reply.Messages);
      c.rev = reply.Rev;
      more = reply.HasMore;
      renderMessages();
      if (follow) scrollToEnd();
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
