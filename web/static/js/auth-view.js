// Sign in, create an account, "check your email", send the link again; "forgot password?" and the form
// that a reset link opens when the mail points at this client (CLIENT_URL/reset-password?token=…).
import { describe, request } from "./api.js";
import { busy } from "./busy.js";
import { $, formError } from "./dom.js";
import { showProviders } from "./oidc.js";
import * as session from "./session.js";
import { askForCode } from "./twofactor.js";

let devOutbox = null;
let signedIn = () => {};
let resetToken = null;
const FORMS = ["login", "signup", "forgot", "reset", "otp"];
const BAD_RESET_LINK = "This link does not work: it is unknown, was used already, has expired, or a newer link "
  + "replaced it. Ask for a new one with “Forgot password?”.";

/** Wire the forms; `onSignedIn(user)` runs after a successful login. */
export function initAuth(onSignedIn) {
  signedIn = onSignedIn;
  $("#tab-login").addEventListener("click", () => showForm("login"));
  $("#tab-signup").addEventListener("click", () => showForm("signup"));
  $("#login-form").addEventListener("submit", login);
  $("#signup-form").addEventListener("submit", signup);
  $("#resend-form").addEventListener("submit", resend);
  $("#to-login").addEventListener("click", () => showAuth());
  $("#to-forgot").addEventListener("click", openForgot);
  $("#forgot-back").addEventListener("click", () => showForm("login"));
  $("#forgot-form").addEventListener("submit", forgot);
  $("#reset-form").addEventListener("submit", reset);
  $("#otp-back").addEventListener("click", () => showForm("login"));
  takeResetLink();
  showProviders(); // "Sign in with …" buttons (oidc.js)
  // In development the server writes mails to a folder instead of sending them; say where.
  request("GET", "/client-config").then((config) => { devOutbox = config.devOutbox || null; }).catch(() => {});
}

/** Show the sign-in screen, with an optional line of news on top. */
export function showAuth(info = "") {
  $("#chat-view").hidden = true;
  $("#account-view").hidden = true;
  $("#integrations-view").hidden = true;
  $("#auth-view").hidden = false;
  $("#check-email").hidden = true;
  $("#auth-forms").hidden = false;
  setInfo(info);
  showForm(resetToken ? "reset" : "login");
}

/** True while a reset link opened in this client waits for its new password. */
export function resetLinkOpened() { return Boolean(resetToken); }

// A reset link opened in this client (a host that serves index.html for /reset-password): keep its token
// for the reset form, and take it out of the address bar and the history.
function takeResetLink() {
  const params = new URLSearchParams(window.location.search);
  if (!/\/reset-password\/?$/.test(window.location.pathname) || !params.get("token")) return;
  resetToken = params.get("token");
  window.history.replaceState(null, "", window.location.pathname.replace(/reset-password\/?$/, ""));
}

function setInfo(text) {
  $("#auth-info").textContent = text || "";
  $("#auth-info").hidden = !text;
}

function showForm(which) {
  for (const name of ["login", "signup"]) {
    // "Forgot password?" and the reset form belong to signing in.
    const selected = name === which || (name === "login" && ["forgot", "reset", "otp"].includes(which));
    $(`#tab-${name}`).setAttribute("aria-selected", String(selected));
  }
  for (const name of FORMS) {
    $(`#${name}-form`).hidden = name !== which;
    formError($(`#${name}-form`), "");
  }
  const first = $(`#${which}-form input`);
  if (first) first.focus();
}

function showCheckEmail(address, info = "") {
  $("#auth-forms").hidden = true;
  $("#check-email").hidden = false;
  setInfo(info);
  $("#check-email-address").textContent = address || "your address";
  $("#resend-form").elements.email.value = address || "";
  formError($("#resend-form"), "");
  $("#dev-outbox").hidden = !devOutbox;
  $("#dev-outbox-path").textContent = devOutbox || "";
}


function login(event) {
  event.preventDefault();
  const form = event.target;
  const data = Object.fromEntries(new FormData(form));
  const enter = (body) => {
    session.setTokens(body.access_token, body.refresh_token);
    form.reset();
    signedIn(body.user);
  };
  return busy(form, async () => {
    try {
      enter(await request("POST", "/login", { body: { login: data.login.trim(), password: data.password } }));
    } catch (error) {
      if (error.code === "otp_required") { // 2FA: the code form (twofactor.js), then in
        showForm("otp");
        askForCode(error.mfaToken, enter, (text) => { showForm("login"); setInfo(text); });
        return;
      }
      if (error.code !== "email_not_verified") throw error;
      const address = data.login.includes("@") ? data.login.trim() : "";
      showCheckEmail(address, describe(error));
    }
  });
}

function signup(event) {
  event.preventDefault();
  const form = event.target;
  const data = Object.fromEntries(new FormData(form));
  return busy(form, async () => {
    const body = await request("POST", "/signup", {
      body: { username: data.username.trim(), email: data.email.trim(), password: data.password },
    });
    form.reset();
    $("#login-form").elements.login.value = body.user.username;
    showCheckEmail(body.user.email, body.email_sent === false
      ? "Your account is created, but the mail could not be sent just now: ask for it again below." : "");
  });
}

function resend(event) {
  event.preventDefault();
  const form = event.target;
  const address = form.elements.email.value.trim();
  return busy(form, async () => {
    await request("POST", "/resend", { body: { email: address } });
    $("#check-email-address").textContent = address;
    setInfo("If that address has an account that is not confirmed yet, a new link is on its way. "
      + "Earlier links no longer work.");
  });
}

function openForgot() {
  const login = $("#login-form").elements.login.value.trim();
  setInfo("");
  showForm("forgot");
  if (login.includes("@")) $("#forgot-form").elements.email.value = login;
}

function forgot(event) {
  event.preventDefault();
  const form = event.target;
  const address = form.elements.email.value.trim();
  return busy(form, async () => {
    await request("POST", "/password/forgot", { body: { email: address } });
    form.reset();
    showForm("login");
    setInfo(`If an account uses that address, a link is on its way to ${address}. `
      + "Open it to choose a new password; only the newest link works.");
  });
}

function reset(event) {
  event.preventDefault();
  const form = event.target;
  return busy(form, async () => {
    try {
      const password = form.elements.password.value;
      await request("POST", "/password/reset", { body: { token: resetToken, password } });
    } catch (error) {
      if (error.code !== "invalid_token") throw error;
      resetToken = null;
      showForm("forgot");
      setInfo(BAD_RESET_LINK);
      return;
    }
    resetToken = null;
    form.reset();
    showForm("login");
    setInfo("Your password is changed, and every device that was signed in is signed out. "
      + "Sign in with the new password.");
  });
}
