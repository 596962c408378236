// The colour theme: the system's (prefers-color-scheme) unless the person chose the other one with the
// moon button, which this browser remembers (localStorage "chat.theme"). A classic script loaded in <head>,
// so that <html data-theme> is set before anything is drawn (no flash of the light theme).
"use strict";

(function theme() {
  const KEY = "chat.theme";
  const dark = window.matchMedia("(prefers-color-scheme: dark)");
  const COLOURS = { light: "#2459d6", dark: "#161b22" };

  function chosen() {
    try {
      return window.localStorage.getItem(KEY);
    } catch (_) {
      return null; // storage refused (private mode): the system's theme
    }
  }

  function current() {
    const value = chosen();
    return value === "dark" || value === "light" ? value : (dark.matches ? "dark" : "light");
  }

  function apply() {
    const name = current();
    document.documentElement.dataset.theme = name;
    const meta = document.querySelector('meta[name="theme-color"]');
    if (meta) meta.content = COLOURS[name];
    const button = document.getElementById("theme-toggle");
    if (button) {
      button.setAttribute("aria-pressed", name === "dark" ? "true" : "false");
      button.textContent = name === "dark" ? "☀" : "☾";
    }
  }

  /** Switch to the other theme; choosing the system's own again forgets the choice (it follows the system). */
  function toggle() {
    const next = current() === "dark" ? "light" : "dark";
    try {
      if (next === (dark.matches ? "dark" : "light")) window.localStorage.removeItem(KEY);
      else window.localStorage.setItem(KEY, next);
    } catch (_) {
      document.documentElement.dataset.theme = next;
      return;
    }
    apply();
  }

  apply();
  dark.addEventListener("change", apply);
  window.addEventListener("storage", (event) => { if (event.key === KEY) apply(); }); // another tab chose
  document.addEventListener("DOMContentLoaded", () => {
    apply();
    const button = document.getElementById("theme-toggle");
    if (button) button.addEventListener("click", toggle);
  });
}());
