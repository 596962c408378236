// Dates in the conversation: a separator before the first message of each day ("Today", "Yesterday",
// "Monday 3 March", "3 March 2024" for another year), and the full date and time of a message on hover.
import { h } from "./dom.js";

const DAY_MS = 24 * 60 * 60 * 1000;

function startOfDay(date) {
  return new Date(date.getFullYear(), date.getMonth(), date.getDate());
}

/** "Today", "Yesterday", or the date (with the year when it is not this year), in local time. */
export function dayLabel(iso, now = new Date()) {
  const date = new Date(iso);
  const days = Math.round((startOfDay(now) - startOfDay(date)) / DAY_MS);
  if (days === 0) return "Today";
  if (days === 1) return "Yesterday";
  const options = { weekday: "long", day: "numeric", month: "long" };
  if (date.getFullYear() !== now.getFullYear()) options.year = "numeric";
  return date.toLocaleDateString([], options);
}

/** "Monday 3 March 2025 at 14:05:09": for the title of a message's time. */
export function fullDate(iso) {
  if (!iso) return "";
  return new Date(iso).toLocaleString([], { weekday: "long", day: "numeric", month: "long", year: "numeric",
    hour: "2-digit", minute: "2-digit", second: "2-digit" });
}

/** The message list's items with a day separator before each day's first message. `item(m)` draws one;
 * items without a date (group notes, "Loading…") stay with the day before them. */
export function withDays(messages, item) {
  const items = [];
  let day = null;
  for (const m of messages) {
    if (m.CreatedAt) {
      const label = dayLabel(m.CreatedAt);
      if (label !== day) {
        day = label;
        items.push(h("li", { class: "day", role: "separator", "aria-label": label }, h("span", {}, label)));
      }
    }
    items.push(item(m));
  }
  return items;
}
