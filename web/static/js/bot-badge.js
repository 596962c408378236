// The "BOT" badge shown next to a bot user's name (a `User` with `"Bot": true`), wherever a name is shown.
import { h } from "./dom.js";

/** A small "BOT" badge for a bot user; null for people (so it can sit among h()'s children). */
export function botBadge(user) {
  return user && user.Bot ? h("span", { class: "bot-badge", title: "A bot" }, "BOT") : null;
}
