// News of an incoming message besides the list: a polite screen-reader announcement ("alice: hello"), and,
// when switched on in the account page (off by default, remembered by this browser), a short chime made
// with the WebAudio API (no sound file). Muted chats stay silent.
import { $ } from "./dom.js";
import { isMuted, state } from "./state.js";

const KEY = "chat.sound";
let audio = null;

function soundOn() {
  try {
    return window.localStorage.getItem(KEY) === "on";
  } catch (_) {
    return false;
  }
}

/** Wire the sound switch of the account page. */
export function initAlerts() {
  const box = $("#sound-switch");
  if (!box) return;
  box.checked = soundOn();
  box.addEventListener("change", () => {
    try {
      if (box.checked) window.localStorage.setItem(KEY, "on");
      else window.localStorage.removeItem(KEY);
    } catch (_) {
      box.checked = false;
    }
    if (box.checked) chime(); // the switch's click lets the page make sound, and you hear what it is
  });
}

/** Two short rising notes. Returns false when this browser has no WebAudio. */
export function chime() {
  const Context = window.AudioContext || window.webkitAudioContext;
  if (!Context) return false;
  audio = audio || new Context();
  if (audio.state === "suspended") audio.resume().catch(() => {});
  const start = audio.currentTime + 0.01;
  const gain = audio.createGain();
  gain.connect(audio.destination);
  gain.gain.setValueAtTime(0.0001, start);
  gain.gain.exponentialRampToValueAtTime(0.18, start + 0.02);
  gain.gain.exponentialRampToValueAtTime(0.0001, start + 0.35);
  const tone = audio.createOscillator();
  tone.type = "sine";
  tone.frequency.setValueAtTime(660, start);
  tone.frequency.setValueAtTime(990, start + 0.12);
  tone.connect(gain);
  tone.start(start);
  tone.stop(start + 0.4);
  $("#announcer").dataset.chimes = String(Number($("#announcer").dataset.chimes || 0) + 1);
  return true;
}

/** A message arrived from someone else: announce it, and chime when the sound is on and the chat not muted. */
export function announce(kind, id, message, entry) {
  if (!state.me || !message.Sender || message.Sender.id === state.me.id) return;
  const files = (message.Attachments || []).length;
  const text = (message.Content || "").slice(0, 140) || (files ? `${files} file${files === 1 ? "" : "s"}` : "");
  const where = kind === "group" && entry ? ` in ${entry.Name}` : "";
  $("#announcer").textContent = `${message.Sender.username}${where}: ${text}`;
  if (soundOn() && !isMuted(entry)) chime();
}
