// People in control, from the open chat's header: block or unblock the partner of a personal chat (asking
// first), and mute or unmute any chat for a while or until unmuted. A send refused with `blocked` shows a
// notice in the composer (composer.js calls `blockedNotice`).
import { describe } from "./api.js";
import { entryOf, renderList } from "./chat-list.js";
import { $, confirmable, h, notify, shortTime } from "./dom.js";
import * as session from "./session.js";
import { isMuted, state } from "./state.js";

// The durations the mute menu offers, in seconds (null: until unmuted).
const MUTE_FOR = [["For 1 hour", 3600], ["For 8 hours", 8 * 3600], ["For 1 day", 86400], ["For 1 week", 7 * 86400],
  ["Until I unmute", null]];

let changed = () => {};

/** `callback()` runs after a block or an unblock (the header and list show it). */
export function onPeopleChanged(callback) { changed = callback; }

/** Wire the header's mute menu (its items are drawn once). */
export function initPeople() {
  const menu = $("#mute-menu");
  menu.replaceChildren(...MUTE_FOR.map(([label, seconds]) => h("li", {},
    h("button", { type: "button", role: "menuitem", onclick: () => mute(seconds) }, label))));
  $("#mute-toggle").addEventListener("click", () => {
    const entry = currentEntry();
    if (isMuted(entry)) unmute();
    else toggleMenu(menu.hidden);
  });
  document.addEventListener("keydown", (event) => { if (event.key === "Escape") toggleMenu(false); });
}

function toggleMenu(open) {
  $("#mute-menu").hidden = !open;
  $("#mute-toggle").setAttribute("aria-expanded", String(open));
}

function currentEntry() {
  const c = state.current;
  return c ? entryOf(c.kind, c.id) : null;
}

let loading = null; // the one GET /me/blocks in flight

/** Who we block, loaded once a session (the header needs it for personal chats); callers share one request. */
export function loadBlocks() {
  if (state.blocked) return Promise.resolve(state.blocked);
  if (!loading) {
    loading = session.authed("GET", "/me/blocks")
      .then((reply) => {
        state.blocked = new Set(reply.users.map((user) => user.id));
        changed();
        return state.blocked;
      })
      .catch((error) => {
        notify(describe(error));
        return new Set();
      })
      .finally(() => { loading = null; });
  }
  return loading;
}

/** Whether we block this user (as far as we know). */
export function blocks(userId) { return Boolean(state.blocked && state.blocked.has(userId)); }

/** Draw the open chat's menu: Block/Unblock for a personal chat, Mute/Unmute for a personal or group chat,
 * and the composer's "blocked" notice. */
export function renderPeopleMenu() {
  const c = state.current;
  const entry = currentEntry();
  const personal = Boolean(c && c.kind === "personal" && entry && !c.closed);
  const holder = $("#block-holder");
  if (personal && state.blocked === null) loadBlocks();
  if (personal) {
    const partner = entry.Partner;
    const mode = blocks(partner.id) ? "unblock" : "block";
    const shown = holder.firstElementChild;
    // Keep the button when it already says the same (a redraw must not disarm a "Block …?" awaiting its click).
    if (!shown || shown.dataset.partner !== partner.id || shown.dataset.mode !== mode) {
      const button = mode === "unblock"
        ? h("button", { type: "button", id: "block-user", onclick: () => unblock(partner) }, "Unblock")
        : confirmable(h("button", { type: "button", id: "block-user" }, "Block"), `Block ${partner.username}?`,
          () => block(partner));
      button.dataset.partner = partner.id;
      button.dataset.mode = mode;
      holder.replaceChildren(button);
    }
  } else {
    holder.replaceChildren();
  }
  const mutable = Boolean(c && c.kind !== "self" && entry && !c.closed);
  $("#mute-holder").hidden = !mutable;
  if (!mutable) toggleMenu(false);
  const muted = isMuted(entry);
  $("#mute-toggle").textContent = muted ? "Unmute" : "Mute";
  $("#mute-toggle").title = muted ? (entry.MutedUntil ? `Muted until ${shortTime(entry.MutedUntil)}` : "Muted")
    : "Mute notifications from this chat";
  const notice = $("#blocked-notice");
  notice.hidden = !(c && c.blockedNotice);
  notice.textContent = c && c.blockedNotice ? "You can't send messages to this person." : "";
}

/** A send in chat c was refused with `blocked` (shown true): say so in the composer, until a send goes through. */
export function blockedNotice(c, shown) {
  if (Boolean(c.blockedNotice) === shown) return;
  c.blockedNotice = shown;
  if (state.current === c) renderPeopleMenu();
}

async function block(partner) {
  try {
    await loadBlocks(); // a list still loading must not overwrite this change when it arrives
    await session.authed("PUT", `/users/${encodeURIComponent(partner.id)}/block`);
    (state.blocked || (state.blocked = new Set())).add(partner.id);
    notify(`You blocked ${partner.username}. They can no longer write to you.`, "info");
  } catch (error) {
    notify(describe(error));
  }
  changed();
}

async function unblock(partner) {
  try {
    await loadBlocks();
    await session.authed("DELETE", `/users/${encodeURIComponent(partner.id)}/block`);
    if (state.blocked) state.blocked.delete(partner.id);
    notify(`You unblocked ${partner.username}.`, "info");
  } catch (error) {
    notify(describe(error));
  }
  changed();
}

async function mute(seconds) {
  toggleMenu(false);
  const c = state.current;
  if (!c) return;
  const body = seconds === null ? {} : { Until: new Date(Date.now() + seconds * 1000).toISOString() };
  await setMute(c, "PUT", body);
}

async function unmute() {
  const c = state.current;
  if (c) await setMute(c, "DELETE");
}

async function setMute(c, method, body) {
  try {
    const reply = await session.authed(method, `/chats/${encodeURIComponent(c.id)}/mute`, body);
    const entry = entryOf(c.kind, c.id);
    if (entry) Object.assign(entry, { Muted: reply.Muted, MutedUntil: reply.MutedUntil });
  } catch (error) {
    notify(describe(error));
  }
  renderList();
  if (state.current === c) renderPeopleMenu();
}
