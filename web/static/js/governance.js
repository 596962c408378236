// The account page's data governance: the security log (sign-ins with their address and device, failed sign-ins,
// password, address, two-factor and session changes, newest first) and "Download my data" (POST /me/export: the
// server mails a single-use link once the zip is ready).
import { describe } from "./api.js";
import { device } from "./device.js";
import { $, formError, h } from "./dom.js";
import * as session from "./session.js";

const PER_PAGE = 20;
const ACTIONS = {
  sign_in: "Signed in", sign_in_failed: "Failed sign-in", session_ended: "Signed out",
  sessions_ended: "Other devices signed out", two_factor_enabled: "Two-factor sign-in turned on",
  two_factor_disabled: "Two-factor sign-in turned off", password_changed: "Password changed",
  password_reset: "Password reset by mail", email_changed: "Email address changed",
  export_requested: "Data export asked for",
};
let shown = 0; // the log's pages shown so far

/** Wire the two sections. */
export function initGovernance() {
  $("#export-data").addEventListener("click", requestExport);
  $("#security-more").addEventListener("click", () => loadLog(shown + 1));
}

/** The account page opened: the newest page of the log, and the export's status line cleared. */
export function showGovernance() {
  say($("#export"), "");
  formError($("#export"), "");
  $("#security-entries").replaceChildren();
  loadLog(1);
}

function say(box, text) {
  const line = box.querySelector(".form-done");
  line.textContent = text || "";
  line.hidden = !text;
}

const when = (iso) => new Date(iso).toLocaleString([], { dateStyle: "medium", timeStyle: "short" });

async function loadLog(page) {
  const box = $("#security-log");
  formError(box, "");
  try {
    const { entries, state } = await session.authed("GET", `/me/security-log?page=${page}&per_page=${PER_PAGE}`);
    if (page === 1) $("#security-entries").replaceChildren();
    $("#security-entries").append(...entries.map(entryItem));
    shown = page;
    $("#security-more").hidden = page >= state.total_pages;
  } catch (error) {
    formError(box, describe(error));
  }
}

function entryItem(entry) {
  const where = [entry.Address, entry.UserAgent && device(entry.UserAgent)].filter(Boolean).join(" · ");
  return h("li", { dataset: { action: entry.Action }, class: entry.Action === "sign_in_failed" ? "warn" : null,
    title: entry.UserAgent || "" },
    h("b", {}, ACTIONS[entry.Action] || entry.Action),
    h("span", { class: "hint" }, ` ${when(entry.At)}${where ? ` · ${where}` : ""}`));
}

async function requestExport() {
  const box = $("#export");
  const button = $("#export-data");
  button.disabled = true;
  formError(box, "");
  say(box, "");
  try {
    await session.authed("POST", "/me/export");
    say(box, "We are putting your data together. A mail with a download link will follow; the link works once, "
      + "for a day.");
    await loadLog(1);
  } catch (error) {
    if (error.code === "export_running") say(box, "Your data is being put together already; its mail will follow.");
    else formError(box, describe(error));
  } finally {
    button.disabled = false;
  }
}
