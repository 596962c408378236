// Notifications for when no tab of the chat is open: the service worker (/sw.js) that shows the server's Web
// Pushes, the account page's "Enable notifications" switch (subscribe / unsubscribe this browser) and its
// email digest setting, and opening the chat a clicked notification names.
import { describe, request } from "./api.js";
import { open } from "./conversation.js";
import { $ } from "./dom.js";
import * as session from "./session.js";
import { state } from "./state.js";

let registration = null;

const pushSupported = () => "serviceWorker" in navigator && "PushManager" in window && "Notification" in window;

/** Register the service worker, wire the account page's controls, and open a chat named by a notification. */
export function initNotifications() {
  $("#push-switch").addEventListener("change", (event) => setPush(event.target.checked));
  $("#email-notifications").addEventListener("change", (event) => saveEmail(event.target.value));
  $("#open-account").addEventListener("click", loadSettings);
  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register("sw.js").then((made) => {
      registration = made;
      document.documentElement.dataset.serviceWorker = "registered";
    }).catch(() => { document.documentElement.dataset.serviceWorker = "failed"; });
    navigator.serviceWorker.addEventListener("message", (event) => {
      if (event.data && event.data.type === "open-chat") openWhenListed(event.data.chat);
    });
  }
  const wanted = new URLSearchParams(window.location.search).get("open");
  if (wanted) {
    window.history.replaceState(null, "", window.location.pathname);
    const colon = wanted.indexOf(":"); // a personal chat's id holds a colon itself
    openWhenListed({ kind: wanted.slice(0, colon), id: wanted.slice(colon + 1) });
  }
}

/** Open a chat once the lists the server sends on connect hold it (a notification opened a new tab). */
function openWhenListed(chat, tries = 50) {
  if (!chat || !["personal", "group"].includes(chat.kind) || !chat.id) return;
  const lists = chat.kind === "group" ? state.groups : state.personal;
  if (lists.has(chat.id)) {
    $("#account-view").hidden = true;
    $("#chat-view").hidden = false;
    open(chat.kind, chat.id);
  } else if (tries > 0) {
    setTimeout(() => openWhenListed(chat, tries - 1), 200);
  }
}

function say(text, isError = false) {
  const box = $("#notifications");
  const line = box.querySelector(isError ? ".form-error" : ".form-done");
  const other = box.querySelector(isError ? ".form-done" : ".form-error");
  other.hidden = true;
  line.textContent = text;
  line.hidden = !text;
}

function keyBytes(base64url) {
  const padded = (base64url + "===".slice((base64url.length + 3) % 4)).replace(/-/g, "+").replace(/_/g, "/");
  return Uint8Array.from(atob(padded), (c) => c.charCodeAt(0));
}

function sameKey(subscription, key) {
  const had = subscription.options && subscription.options.applicationServerKey;
  if (!had) return true;
  const a = new Uint8Array(had), b = keyBytes(key);
  return a.length === b.length && a.every((byte, i) => byte === b[i]);
}

/** The account page opened: show the email setting, and whether this browser gets pushes (renewing a
 * subscription made with an old server key). */
async function loadSettings() {
  say("");
  const toggle = $("#push-switch");
  toggle.disabled = !pushSupported();
  $("#push-hint").textContent = pushSupported()
    ? "Messages that arrive while no tab of the chat is open show up as notifications of this browser."
    : "This browser cannot show notifications of the chat.";
  try {
    $("#email-notifications").value = (await session.authed("GET", "/me/settings")).EmailNotifications;
  } catch (error) {
    say(describe(error), true);
  }
  if (!pushSupported() || !registration) return;
  const subscription = await registration.pushManager.getSubscription();
  toggle.checked = Boolean(subscription) && Notification.permission === "granted";
  if (toggle.checked) {
    const { PublicKey } = await request("GET", "/push/public-key");
    if (!sameKey(subscription, PublicKey)) await setPush(true);
  }
}

/** PATCH /me/settings with the chosen email setting. */
async function saveEmail(value) {
  try {
    const saved = await session.authed("PATCH", "/me/settings", { EmailNotifications: value });
    $("#email-notifications").value = saved.EmailNotifications;
    say(saved.EmailNotifications === "off" ? "No more emails about unread messages." : "Email setting saved.");
  } catch (error) {
    say(describe(error), true);
  }
}

/** Subscribe this browser (asking for permission first) or unsubscribe it. */
async function setPush(on) {
  const toggle = $("#push-switch");
  toggle.disabled = true;
  try {
    if (on) await subscribe();
    else await unsubscribe();
    say(on ? "Notifications are on for this browser." : "Notifications are off for this browser.");
  } catch (error) {
    toggle.checked = !on;
    const why = typeof error.code === "string" ? describe(error) : error.message; // ours, or the browser's
    say(`Notifications could not be turned ${on ? "on" : "off"}: ${why}`, true);
  } finally {
    toggle.disabled = !pushSupported();
  }
}

async function subscribe() {
  if (!registration) registration = await navigator.serviceWorker.ready;
  const permission = await Notification.requestPermission();
  if (permission !== "granted") throw new Error("the browser did not allow notifications for this site");
  const { PublicKey } = await request("GET", "/push/public-key");
  let subscription = await registration.pushManager.getSubscription();
  if (subscription && !sameKey(subscription, PublicKey)) {
    await subscription.unsubscribe();
    subscription = null;
  }
  subscription = subscription || await registration.pushManager.subscribe({
    userVisibleOnly: true, applicationServerKey: keyBytes(PublicKey),
  });
  await session.authed("POST", "/me/push-subscriptions", subscription.toJSON());
}

async function unsubscribe() {
  const subscription = registration && await registration.pushManager.getSubscription();
  if (!subscription) return;
  try {
    await session.authed("DELETE", "/me/push-subscriptions", { endpoint: subscription.endpoint });
  } catch (error) {
    if (error.code !== "not_found") throw error;
  }
  await subscription.unsubscribe();
}

/** Signing out: this browser stops getting the account's pushes (the next person here must not see them). */
export async function forgetPush() {
  try {
    await unsubscribe();
  } catch (_) {
    // The server could not be told: the browser's subscription ends anyway, so its pushes are dropped.
    const subscription = registration && await registration.pushManager.getSubscription().catch(() => null);
    if (subscription) await subscription.unsubscribe().catch(() => {});
  }
}
