// Two-factor sign-in: on the account page, enrolment (the QR code the server drew as SVG, so no QR service sees
// the secret; the key to type instead; a first code) with the recovery codes shown once and a download, and turning
// it off; at sign-in, the code the server asks for after a right password (`otp_required`).
import { describe, request } from "./api.js";
import { busy } from "./busy.js";
import { $, formError, h } from "./dom.js";
import * as session from "./session.js";

let pending = null; // the sign-in waiting for its code: {mfaToken, done(body), expired(text)}

/** Wire the account page's section and the sign-in code form (once, at start). */
export function initTwoFactor() {
  $("#otp-form").addEventListener("submit", sendCode);
  $("#twofactor-setup-form").addEventListener("submit", setup);
  $("#twofactor-enable-form").addEventListener("submit", enable);
  $("#twofactor-disable-form").addEventListener("submit", disable);
  $("#recovery-download").addEventListener("click", download);
}

// Sign-in

/** After a right password for an account with 2FA: ask for a code. `done(body)` gets the login answer;
 * `expired(text)` runs when the sign-in must start again (the mfa_token expired, was used, or had five wrong codes). */
export function askForCode(mfaToken, done, expired) {
  pending = { mfaToken, done, expired };
  const form = $("#otp-form");
  form.reset();
  formError(form, "");
  form.elements.Code.focus();
}

async function sendCode(event) {
  event.preventDefault();
  const form = event.target;
  if (!pending) return;
  const button = form.querySelector("button[type=submit]");
  button.disabled = true;
  formError(form, "");
  try {
    const body = await request("POST", "/login/2fa", {
      body: { mfa_token: pending.mfaToken, Code: form.elements.Code.value.trim() },
    });
    const { done } = pending;
    pending = null;
    form.reset();
    done(body);
  } catch (error) {
    if (error.code === "unauthorized") {
      const { expired } = pending;
      pending = null;
      expired("This sign-in has expired. Enter your password again.");
    } else {
      formError(form, error.code === "invalid_otp" ? "That code is not right, or was used already." : describe(error));
      form.elements.Code.select();
    }
  } finally {
    button.disabled = false;
  }
}

// The account page

const PARTS = ["#twofactor-setup-form", "#twofactor-enable-form", "#twofactor-recovery", "#twofactor-disable-form"];

/** Show the section as the account is: `on` says whether 2FA is on (GET /me's TwoFactor). */
export function showTwoFactor(on) {
  for (const part of PARTS) {
    const el = $(part);
    el.hidden = part !== (on ? "#twofactor-disable-form" : "#twofactor-setup-form");
    if (el.tagName === "FORM") {
      el.reset();
      formError(el, "");
    }
  }
  $("#recovery-codes").replaceChildren();
  $("#twofactor-status").textContent = on
    ? "On: signing in asks for a code from your authenticator app (or a recovery code)."
    : "Off: signing in asks for your password only.";
}

/** The words for a failed two-factor step: a wrong password or code said plainly, anything else as api.js says it. */
function explainOtp(error) {
  return error.code === "invalid_credentials" ? "That password is not right."
    : error.code === "invalid_otp" ? "That code is not right, or was used already." : describe(error);
}

function setup(event) {
  event.preventDefault();
  const form = event.target;
  return busy(form, async () => {
    const body = await session.authed("POST", "/me/2fa/setup", { password: form.elements.password.value });
    form.reset();
    form.hidden = true;
    $("#twofactor-qr").src = body.QrCode;
    $("#twofactor-secret").textContent = body.Secret;
    $("#twofactor-enable-form").hidden = false;
    $("#twofactor-enable-form").elements.Code.focus();
  }, explainOtp);
}

function enable(event) {
  event.preventDefault();
  const form = event.target;
  return busy(form, async () => {
    const body = await session.authed("POST", "/me/2fa/enable", { Code: form.elements.Code.value.trim() });
    showTwoFactor(true);
    // Shown this once: the server keeps only their hashes.
    $("#recovery-codes").replaceChildren(...body.RecoveryCodes.map((code) => h("li", {}, h("code", {}, code))));
    $("#twofactor-secret").textContent = "";
    $("#twofactor-qr").removeAttribute("src");
    $("#twofactor-recovery").hidden = false;
  }, explainOtp);
}

function disable(event) {
  event.preventDefault();
  const form = event.target;
  return busy(form, async () => {
    await session.authed("POST", "/me/2fa/disable", {
      password: form.elements.password.value, Code: form.elements.Code.value.trim(),
    });
    showTwoFactor(false);
  }, explainOtp);
}

/** Save the recovery codes as a text file (made here; nothing is fetched). */
function download() {
  const codes = [...document.querySelectorAll("#recovery-codes code")].map((code) => code.textContent);
  const text = "Recovery codes: each one signs you in once, instead of a code from your app.\n\n"
    + codes.join("\n") + "\n";
  const link = h("a", { href: URL.createObjectURL(new Blob([text], { type: "text/plain" })),
    download: "recovery-codes.txt" });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(link.href), 0);
}
