// The web client's entry point: sign-in, then the four sockets and what they push.
import { initAccount } from "./account.js";
import { describe } from "./api.js";
import { initBrowse } from "./browse-groups.js";
import { initAuth, resetLinkOpened, showAuth } from "./auth-view.js";
import * as chat from "./chat-view.js";
import { $, clearNotice, notify } from "./dom.js";
import { initGroupSettings } from "./group-settings.js";
import * as groups from "./groups.js";
import { initMessageSearch, resetMessageSearch } from "./message-search.js";
import { acceptInvite, initModeration, pinned } from "./moderation.js";
import { forgetPush, initNotifications } from "./notifications.js";
import { returnFromSso } from "./oidc.js";
import { flush } from "./outbox.js";
import { initReportDialog } from "./report-dialog.js";
import * as session from "./session.js";
import { forgetAll } from "./session-store.js";
import * as sockets from "./sockets.js";
import { reset, state } from "./state.js";
import * as threads from "./threads.js";

const REFUSED_AUTH = new Set(["unauthorized", "token_expired", "token_revoked"]);
let signingOut = false;
let hadHello = false;
let connectionNotice = null; // the text of a "cannot connect" notice, taken down once connected
const lastRetry = new Map();
const lastReconnect = new Map();

function events() {
  const me = () => state.me.id;
  const ended = () => endSession("You were signed out: this session was ended (signed out elsewhere, or the "
    + "sign-in was used twice).");
  return {
    "/": {
      "user-id": hello,
      "personal-chat-list": (d) => chat.setPersonalList(d.PersonalChatList),
      "group-chat-list": (d) => { chat.setGroupList(d.GroupChatList); chat.restoreOpen(); },
      presence: chat.presenceChanged,
      "session-ended": ended,
    },
    "/self": {
      "receive-self-message": (d) => chat.received("self", me(), d.Message),
      "self-message-edited": (d) => chat.changed("self", me(), d.Message),
      "self-message-deleted": (d) => chat.changed("self", me(), d.Message),
      "message-reactions": (d) => chat.reacted("self", me(), d.MessageId, d.Reactions),
      "thread-message": (d) => threads.threadMessage("self", me(), d.Message),
      "thread-updated": (d) => threads.threadUpdated("self", me(), d),
      "session-ended": ended,
    },
    "/personal": {
      "receive-personal-message": (d) => chat.received("personal", d.ChatId, d.Message),
      "read-personal-msg-ack": (d) => chat.readAck("personal", d.ChatId, d.ReaderId, d.UpTo),
      typing: (d) => chat.typingOn("personal", d.ChatId, d.UserId, d.UserName),
      "done-typing": (d) => chat.typingOff("personal", d.ChatId, d.UserId),
      "personal-message-edited": (d) => chat.changed("personal", d.ChatId, d.Message),
      "personal-message-deleted": (d) => chat.changed("personal", d.ChatId, d.Message),
      "message-reactions": (d) => chat.reacted("personal", d.ChatId, d.MessageId, d.Reactions),
      "message-pinned": (d) => pinned("personal", d.ChatId, d),
      "thread-message": (d) => threads.threadMessage("personal", d.ChatId, d.Message),
      "thread-updated": (d) => threads.threadUpdated("personal", d.ChatId, d),
      "session-ended": ended,
    },
    "/group": {
      ...groups.handlers,
      "receive-group-message": (d) => chat.received("group", d.GroupId, d.Message),
      "read-group-msg-ack": (d) => chat.readAck("group", d.GroupId, d.ReaderId, d.UpTo),
      typing: (d) => chat.typingOn("group", d.GroupId, d.UserId, d.UserName),
      "done-typing": (d) => chat.typingOff("group", d.GroupId, d.UserId),
      "group-message-edited": (d) => chat.changed("group", d.GroupId, d.Message),
      "group-message-deleted": (d) => chat.changed("group", d.GroupId, d.Message),
      "message-reactions": (d) => chat.reacted("group", d.GroupId, d.MessageId, d.Reactions),
      "message-pinned": (d) => pinned("group", d.GroupId, d),
      "thread-message": (d) => threads.threadMessage("group", d.GroupId, d.Message),
      "thread-updated": (d) => threads.threadUpdated("group", d.GroupId, d),
      "session-ended": ended,
    },
  };
}

/** `user-id` {userId, userName, AccessToken?}: who we are; a minted AccessToken replaces ours. */
function hello(data) {
  if (data.AccessToken) session.setTokens(data.AccessToken);
  state.me = { id: data.userId, username: data.userName };
  $("#me-name").textContent = data.userName;
  chat.renderList();
  if (hadHello) chat.reopen(); // back after a disconnect: fetch what we missed, keeping what is shown
  hadHello = true;
  threads.refresh(); // the Threads badge
  flush(); // what was written while offline (or before a reload) goes out now
  acceptInvite(); // an invite link this tab was opened with (moderation.js)
}

/** Show the chat screen and connect. `user` is known after a login, not after a reload. */
function enterChat(user) {
  clearNotice();
  reset();
  hadHello = false;
  if (user) state.me = { id: user.id, username: user.username };
  $("#me-name").textContent = user ? user.username : "";
  $("#auth-view").hidden = true;
  $("#chat-view").hidden = false;
  chat.renderConversation();
  if (state.me) chat.renderList();
  sockets.open({ events: events(), refused, disconnected, status, connected });
  status();
}

/** A namespace (re)connected: the outbox goes out, and a notice that we could not connect comes down. */
function connected() {
  flush();
  if (connectionNotice && $("#notice-text").textContent === connectionNotice) clearNotice();
  connectionNotice = null;
}

function status() {
  const online = sockets.allConnected();
  $("#conn-dot").className = online ? "dot online" : "dot";
  $("#conn-dot").title = online ? "Connected" : "Not connected";
  $("#conn-text").textContent = online ? "" : "connecting…";
}

// connect_error: a refusal by the server's token check (err.data.code) gets one retry with fresh tokens;
// a network failure is retried by Socket.IO itself.
async function refused(ns, socket, err) {
  const code = err && err.data && err.data.code;
  if (socket.active) return;
  if (REFUSED_AUTH.has(code) && code !== "token_revoked" && Date.now() - (lastRetry.get(ns) || 0) > 10_000) {
    lastRetry.set(ns, Date.now());
    try {
      await session.refreshNow();
      socket.connect();
    } catch (error) {
      if (error.code === "network") notify(describe(error));
    }
    return;
  }
  if (REFUSED_AUTH.has(code)) endSession(`The server refused the connection: ${err.message}`);
  else {
    connectionNotice = `Cannot connect to the chat server: ${err.message}${code ? ` (${code})` : ""}`;
    notify(connectionNotice);
  }
}

function disconnected(ns, socket, reason) {
  status();
  // The server closed this namespace (not a network failure): reconnect once in a while; a revoked
  // session is then refused and ends here.
  if (reason === "io server disconnect" && !signingOut && Date.now() - (lastReconnect.get(ns) || 0) > 10_000) {
    lastReconnect.set(ns, Date.now());
    socket.connect();
  }
}

function leave() {
  sockets.close();
  resetMessageSearch();
  reset();
  chat.renderConversation();
  $("#chat-list").replaceChildren();
  document.title = "Chat";
}

/** The session cannot go on: back to sign-in, saying why. */
function endSession(reason) {
  if (signingOut) return;
  leave();
  session.end();
  showAuth();
  notify(reason);
}

/** A request that ends this very session on the server (deleting the account): its `session-ended` push is
 * expected, not news. When `work` succeeds, back to sign-in with `info`; when it fails, nothing changes. */
async function endedBy(work, info) {
  signingOut = true;
  try {
    await work();
  } catch (error) {
    signingOut = false;
    if (!session.accessToken()) endSession(describe(error)); // the session ended meanwhile (refresh refused)
    throw error;
  }
  leave();
  session.end();
  showAuth(info);
  signingOut = false;
}

async function signOut() {
  signingOut = true;
  await forgetPush(); // while still signed in: this browser stops getting the account's pushes
  forgetAll(); // drafts, the outbox and the open chat of this user stay nowhere in this browser
  leave();
  await session.logout();
  showAuth("You have signed out.");
  signingOut = false;
}

function start() {
  $("#notice-close").addEventListener("click", clearNotice);
  initAuth(enterChat);
  chat.initChat();
  groups.initGroups();
  initBrowse();
  initMessageSearch();
  initModeration(); // pins, member roles, invite links (remembers ?invite= before anything else reads the URL)
  initGroupSettings();
  initReportDialog();
  threads.initThreads();
  initAccount({ endSession: endedBy });
  initNotifications(); // the service worker, the notification switch and the email setting
  $("#logout").addEventListener("click", signOut);
  session.whenEnded((error) => endSession(describe(error)));
  document.addEventListener("visibilitychange", () => {
    if (!state.me) return;
    const visible = document.visibilityState === "visible";
    sockets.signal("/", visible ? "active-app" : "background-app", {});
    if (visible) chat.markRead();
  });

  if (typeof window.io !== "function") {
    showAuth();
    notify("The Socket.IO client did not load (static/vendor/socket.io.min.js): run `make web` on the server.");
    return;
  }
  const params = new URLSearchParams(window.location.search);
  const verified = params.get("verified") === "1";
  if (verified) window.history.replaceState(null, "", window.location.pathname);
  if (returnFromSso(enterChat, showAuth)) return; // back from a "Sign in with …" provider: its own sign-in
  // A reset link opened in a signed-in tab shows its form; signing in afterwards replaces the old session.
  if (!resetLinkOpened() && session.restore()) {
    // A reload: this tab's refresh token gets a new access token (from the tab that keeps the session
    // when another tab of it is open), then we connect.
    session.refreshNow().then(() => enterChat()).catch((error) => {
      if (error.code === "network") notify(describe(error));
      showAuth(error.code === "network" ? "" : "Your session has ended; please sign in again.");
    });
  } else if (!resetLinkOpened()) {
    // A new tab: signed in already when another tab of this browser hands over its session.
    session.adopt().then((adopted) => {
      if (adopted) enterChat();
      else showAuth(verified ? "Your email address is confirmed. Sign in to start chatting." : "");
    });
  } else {
    showAuth(verified ? "Your email address is confirmed. Sign in to start chatting." : "");
  }
}

start();
