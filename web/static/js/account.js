// The account page: where this account is signed in (and signing those sessions out), changing the
// password or the email address, and deleting the account. Every refusal is shown in words by its form.
import { describe } from "./api.js";
import { device } from "./device.js";
import { $, formError, h } from "./dom.js";
import * as session from "./session.js";
import { state } from "./state.js";
import { initGovernance, showGovernance } from "./governance.js";
import { initIntegrations } from "./integrations.js";
import { initTwoFactor, showTwoFactor } from "./twofactor.js";

const WRONG_PASSWORD = "That password is not right.";
let closeSession = async () => {};

/** Wire the page. `endSession(work, info)` runs `work` (a request that ends this session on the server),
 * then shows the sign-in screen with `info`; it rejects, and stays, when `work` does. */
export function initAccount({ endSession }) {
  closeSession = endSession;
  $("#open-account").addEventListener("click", showAccount);
  $("#account-back").addEventListener("click", backToChats);
  $("#end-other-sessions").addEventListener("click", endOthers);
  $("#password-form").addEventListener("submit", changePassword);
  $("#email-form").addEventListener("submit", changeEmail);
  $("#delete-form").addEventListener("submit", deleteAccount);
  initTwoFactor(); // the two-factor section, and the code asked at sign-in
  initIntegrations(); // tokens and bots, a page of their own reached from this one
  initGovernance(); // the security log and "Download my data"
}

/** Show the account page instead of the chats (the sockets stay connected). */
function showAccount() {
  for (const form of ["#password-form", "#email-form", "#delete-form"]) $(form).reset();
  for (const box of ["#sessions", "#password-form", "#email-form", "#delete-form"]) {
    formError($(box), "");
    done($(box), "");
  }
  $("#chat-view").hidden = true;
  $("#account-view").hidden = false;
  $("#account-title").focus();
  loadProfile();
  loadSessions();
  showGovernance();
}

function backToChats() {
  $("#account-view").hidden = true;
  $("#chat-view").hidden = false;
}

/** Say what a section did, beside it (the page is long: a line at its top could be out of sight). */
function done(box, text) {
  const line = box.querySelector(".form-done");
  if (!line) return;
  line.textContent = text || "";
  line.hidden = !text;
}

/** An account form's error in words: a wrong password says so, whatever the endpoint calls it. */
function sayWhy(form, error) {
  formError(form, error.code === "invalid_credentials" ? WRONG_PASSWORD : describe(error));
}

async function busy(form, work) {
  const button = form.querySelector("button[type=submit]");
  button.disabled = true;
  formError(form, "");
  done(form, "");
  try {
    await work();
  } catch (error) {
    sayWhy(form, error);
  } finally {
    button.disabled = false;
  }
}

async function loadProfile() {
  $("#account-name").textContent = state.me ? state.me.username : "";
  $("#account-email").textContent = "";
  try {
    const { user } = await session.authed("GET", "/me");
    $("#account-name").textContent = user.username;
    $("#account-email").textContent = `(${user.email})`;
    showTwoFactor(user.TwoFactor);
  } catch (_) {
    // The name is a nicety; the sessions list below says what went wrong.
  }
}

// ---------- sessions ----------


const when = (iso) => (iso ? new Date(iso).toLocaleString([], { dateStyle: "medium", timeStyle: "short" })
  : "unknown");

async function loadSessions() {
  const box = $("#sessions");
  try {
    const { sessions } = await session.authed("GET", "/me/sessions");
    renderSessions(sessions);
  } catch (error) {
    formError(box, describe(error));
  }
}

function renderSessions(sessions) {
  // This device first, then the most recently used.
  const sorted = [...sessions].sort((a, b) => Number(b.Current) - Number(a.Current)
    || String(b.LastUsedAt || "").localeCompare(String(a.LastUsedAt || "")));
  $("#session-list").replaceChildren(...sorted.map(sessionItem));
  $("#end-other-sessions").disabled = sorted.every((entry) => entry.Current);
}

function sessionItem(entry) {
  const button = entry.Current ? null : h("button", { type: "button" }, "Sign out");
  if (button) button.addEventListener("click", () => endOne(entry, button));
  return h("li", { class: entry.Current ? "current" : null, dataset: { session: entry.SessionId } },
    h("div", { class: "device" },
      h("b", { title: entry.UserAgent || "" }, device(entry.UserAgent)),
      entry.Current ? h("span", { class: "role" }, "this device") : null,
      h("div", { class: "hint" }, `Signed in ${when(entry.CreatedAt)} · last active ${when(entry.LastUsedAt)}`)),
    button);
}

// Sign one session or all the others out, say so beside the list, and show the list as it is now.
async function endSessions(button, work) {
  const box = $("#sessions");
  button.disabled = true;
  formError(box, "");
  done(box, "");
  try {
    done(box, await work());
  } catch (error) {
    if (error.code === "not_found") done(box, "That session had already ended.");
    else formError(box, describe(error));
  }
  await loadSessions();
}

function endOne(entry, button) {
  return endSessions(button, async () => {
    await session.authed("DELETE", `/me/sessions/${encodeURIComponent(entry.SessionId)}`);
    return `Signed out: ${device(entry.UserAgent)}.`;
  });
}

function endOthers() {
  return endSessions($("#end-other-sessions"), async () => {
    const { ended } = await session.authed("DELETE", "/me/sessions");
    return ended ? `Signed out everywhere else (${ended} ${ended === 1 ? "session" : "sessions"}).`
      : "No other device was signed in.";
  });
}

// ---------- password, email, deletion ----------

function changePassword(event) {
  event.preventDefault();
  const form = event.target;
  const { current_password, new_password } = Object.fromEntries(new FormData(form));
  return busy(form, async () => {
    await session.authed("POST", "/me/password", { current_password, new_password });
    form.reset();
    done(form, "Your password is changed. Every other device signed in to your account was signed out.");
    await loadSessions();
  });
}

function changeEmail(event) {
  event.preventDefault();
  const form = event.target;
  const email = form.elements.email.value.trim();
  const password = form.elements.password.value;
  return busy(form, async () => {
    await session.authed("POST", "/me/email", { email, password });
    form.reset();
    done(form, `We sent a confirmation link to ${email}. Your address changes once you open it; `
      + "until then, the old one stays.");
  });
}

function deleteAccount(event) {
  event.preventDefault();
  const form = event.target;
  const password = form.elements.password.value;
  return busy(form, () => closeSession(() => session.authed("DELETE", "/me", { password }),
    "Your account is deleted. Thank you for chatting here."));
}
