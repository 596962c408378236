// How a message is reached without a mouse: its menu (Reply, React, Edit, Delete) opens on a tap, a
// long press, or Enter, not only on hover; each message is one Tab stop (↑/↓ move between messages, Enter
// opens the menu and lets Tab reach its buttons, Escape closes it); focus survives a redraw of the list.
import { $ } from "./dom.js";

const LONG_PRESS_MS = 450;
const CONTROLS = "button, a[href], input, select, textarea, video, audio, [tabindex]";
let openId = null;      // the data-id of the message whose menu is open
let focused = null;     // {el, id, inside} where focus last was in the list (restored when a redraw removed it)
let press = null;       // {timer, x, y} of a touch that may become a long press
let swallowClick = false;

const messages = () => [...$("#message-list").querySelectorAll("li.msg")];
const byId = (id) => messages().find((li) => li.dataset.id === id);

/** Wire the message list's taps, long presses and keys. */
export function initMessageMenu() {
  const list = $("#message-list");
  list.addEventListener("click", onClick);
  list.addEventListener("keydown", onKey);
  list.addEventListener("pointerdown", onPointerDown);
  for (const type of ["pointerup", "pointercancel", "pointerleave"]) list.addEventListener(type, cancelPress);
  list.addEventListener("pointermove", (event) => {
    if (press && Math.hypot(event.clientX - press.x, event.clientY - press.y) > 10) cancelPress();
  });
  list.addEventListener("focusin", (event) => {
    const li = event.target.closest("li.msg");
    focused = li ? { el: event.target, id: li.dataset.id, at: messages().indexOf(li), inside: event.target !== li }
      : null;
  });
  list.addEventListener("focusout", (event) => {
    if (event.relatedTarget && !list.contains(event.relatedTarget)) focused = null;
  });
  document.addEventListener("click", (event) => {
    if (openId && !event.target.closest("#message-list li.msg")) setOpen(null);
  });
}

/** After the list was drawn again: one Tab stop per message, the open menu kept, and focus put back. */
export function decorate() {
  for (const li of messages()) {
    const open = li.dataset.id === openId;
    li.tabIndex = 0;
    if (open) li.dataset.menu = "open";
    else delete li.dataset.menu;
    for (const control of li.querySelectorAll(CONTROLS)) control.tabIndex = open ? 0 : -1;
  }
  const active = document.activeElement;
  if (focused && !focused.el.isConnected && (!active || active === document.body)) {
    const li = byId(focused.id) || messages()[focused.at]; // a message being sent gets its id when stored
    if (!li) return;
    const first = focused.inside && openId === focused.id && li.querySelector(".actions button");
    (first || li).focus({ preventScroll: true });
  }
}

function setOpen(id, focusFirst = false) {
  openId = id;
  decorate();
  const li = id && byId(id);
  if (li && focusFirst) {
    const first = li.querySelector(".actions button") || li.querySelector(CONTROLS);
    if (first) first.focus();
  }
}

function onClick(event) {
  const li = event.target.closest("li.msg");
  if (!li) return;
  if (swallowClick) {  // the click that ends a long press
    swallowClick = false;
    event.preventDefault();
    return;
  }
  const control = event.target.closest(CONTROLS);
  if (control && control !== li) return; // a button or link of the message does its own thing
  const selection = window.getSelection();
  if (selection && !selection.isCollapsed && li.contains(selection.anchorNode)) return; // selecting text
  if (!li.querySelector(".actions")) return;
  setOpen(openId === li.dataset.id ? null : li.dataset.id);
}

function onPointerDown(event) {
  cancelPress();
  const li = event.target.closest("li.msg");
  if (event.pointerType === "mouse" || !li || !li.querySelector(".actions")) return;
  press = { x: event.clientX, y: event.clientY, timer: setTimeout(() => {
    press = null;
    swallowClick = true;
    setOpen(li.dataset.id);
    if (navigator.vibrate) navigator.vibrate(15);
  }, LONG_PRESS_MS) };
}

function cancelPress() {
  if (press) clearTimeout(press.timer);
  press = null;
}

function onKey(event) {
  const li = event.target.closest("li.msg");
  if (!li) return;
  if (event.key === "Escape" && openId) {
    event.preventDefault();
    setOpen(null);
    li.focus();
    return;
  }
  if (event.target !== li) return;
  if (event.key === "Enter" || event.key === " ") {
    event.preventDefault();
    if (li.querySelector(".actions")) setOpen(li.dataset.id, true);
  } else if (event.key === "ArrowDown" || event.key === "ArrowUp") {
    event.preventDefault();
    const all = messages();
    const next = all[all.indexOf(li) + (event.key === "ArrowDown" ? 1 : -1)];
    if (next) next.focus();
  }
}
