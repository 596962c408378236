// The layout on a phone (one pane at a time under 700 px: the chat list, or the open chat with a back
// button; the phone's own back button closes the chat too), the app's height following the on-screen
// keyboard (visualViewport), focus on the chat list after sign-in, and the alert settings.
import { initAlerts } from "./alerts.js";
import { closeConversation } from "./conversation.js";
import { $ } from "./dom.js";

const NARROW = window.matchMedia("(max-width: 700px)");
let pushed = false; // a history entry stands for the open chat (narrow screens): Back closes it

function back() {
  const key = document.querySelector("#chat-list li.active")?.dataset.key;
  closeConversation();
  const entry = key && [...document.querySelectorAll("#chat-list li")].find((li) => li.dataset.key === key);
  (entry || $("#chat-list li") || $("#user-search")).focus();
}

function followOpenChat() {
  const open = !$("#conv-header").hidden;
  if (open && !pushed && NARROW.matches) {
    window.history.pushState({ pane: "chat" }, "");
    pushed = true;
  } else if (!open && pushed) {
    pushed = false;
    window.history.back();
  }
}

function lost(element) {
  return !element || element === document.body || element.offsetParent === null;
}

// After sign-in (or a reload) the chat screen appears: focus goes to the chat list, not to <body>.
function focusChats() {
  if ($("#chat-view").hidden || !lost(document.activeElement)) return;
  const first = $("#chat-list li");
  if (first) {
    first.focus();
    return;
  }
  const wait = new MutationObserver(() => {
    wait.disconnect();
    if (!$("#chat-view").hidden && lost(document.activeElement) && $("#chat-list li")) $("#chat-list li").focus();
  });
  wait.observe($("#chat-list"), { childList: true });
}

function fitViewport() {
  const viewport = window.visualViewport;
  if (!viewport || viewport.scale > 1.01) return; // pinch zoom is not the keyboard
  document.documentElement.style.setProperty("--app-height", `${Math.round(viewport.height)}px`);
}

function init() {
  $("#conv-back").addEventListener("click", back);
  window.addEventListener("popstate", () => {
    if (!pushed) return;
    pushed = false;
    back();
  });
  new MutationObserver(followOpenChat).observe($("#conv-header"), { attributes: true, attributeFilter: ["hidden"] });
  new MutationObserver(focusChats).observe($("#chat-view"), { attributes: true, attributeFilter: ["hidden"] });
  if (window.visualViewport) {
    window.visualViewport.addEventListener("resize", fitViewport);
    fitViewport();
  }
  initAlerts();
}

init();
