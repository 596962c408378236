// Small DOM helpers: build elements (text is always text, never HTML), notices, times.

export const $ = (selector, root = document) => root.querySelector(selector);

/** h("li", {class: "x", onclick: fn}, "text", child) → an element. */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (key === "class") el.className = value;
    else if (key === "dataset") Object.assign(el.dataset, value);
    else if (key.startsWith("on")) el.addEventListener(key.slice(2), value);
    else el.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : String(child));
  }
  return el;
}

let noticeTimer = null;

/** Show a message at the top of the page: errors stay until dismissed or replaced, news fades. */
export function notify(text, kind = "error") {
  const box = $("#notice");
  $("#notice-text").textContent = text;
  box.className = kind === "error" ? "notice" : "notice info";
  box.hidden = false;
  clearTimeout(noticeTimer);
  noticeTimer = setTimeout(() => { box.hidden = true; }, kind === "error" ? 12_000 : 5000);
}

export function clearNotice() { $("#notice").hidden = true; }

/** Show or clear a form's error line. */
export function formError(form, text) {
  const line = form.querySelector(".form-error");
  line.textContent = text || "";
  line.hidden = !text;
}

const sameDay = (a, b) => a.toDateString() === b.toDateString();

/** "14:05" for a message. */
export function clock(iso) {
  return iso ? new Date(iso).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" }) : "";
}

/** "14:05" today, "22 Nov" before: for the chat list. */
export function shortTime(iso) {
  if (!iso) return "";
  const date = new Date(iso);
  return sameDay(date, new Date()) ? clock(iso) : date.toLocaleDateString([], { day: "numeric", month: "short" });
}

/** Make `button` ask first (no browser dialog): the first click swaps its label for `question` for a few
 * seconds, and a second click within them calls `act`. Returns the button. */
export function confirmable(button, question, act, ms = 4000) {
  const label = button.textContent;
  let timer = null;
  const disarm = () => {
    clearTimeout(timer);
    timer = null;
    button.textContent = label;
    button.classList.remove("confirm");
  };
  button.addEventListener("click", () => {
    if (timer) {
      disarm();
      act();
      return;
    }
    button.textContent = question;
    button.classList.add("confirm");
    timer = setTimeout(disarm, ms);
  });
  return button;
}

export function debounce(fn, ms) {
  let timer = null;
  return (...args) => { clearTimeout(timer); timer = setTimeout(() => fn(...args), ms); };
}

/** A ClientId for idempotent sends (crypto.randomUUID needs a secure context; this does not). */
export function clientId() {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

export const initial = (name) => (name || "?").trim().charAt(0).toUpperCase() || "?";
