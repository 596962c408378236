// A preview card under a message's first http(s) link: GET /link-preview, where the server fetches the page (public
// addresses only) and hands back its title, description, site name and an image through its own proxy, so
// this browser never contacts the linked site. Each URL is asked once per page load; a list redrawn before the
// answer came gets the card when it comes.
import { h } from "./dom.js";
import { LINK, safeHref } from "./format.js";
import { authed } from "./session.js";

const previews = new Map(); // url → the preview (or null: none), or the Promise of it

/** The first http or https link of a message's text, or null. */
export function firstLink(text) {
  for (const match of String(text || "").match(LINK) || []) {
    const href = safeHref(match);
    if (href && /^https?:/i.test(href)) return href;
  }
  return null;
}

/** A slot under the message that holds its first link's card once the preview is known (null: no link). */
export function previewCard(text) {
  const url = firstLink(text);
  if (!url) return null;
  const slot = h("div", { class: "link-preview-slot" });
  const known = previews.get(url);
  if (known !== undefined && !(known instanceof Promise)) {
    fill(slot, known);
    return slot;
  }
  const pending = known || authed("GET", `/link-preview?url=${encodeURIComponent(url)}`).catch(() => null);
  if (!known) {
    previews.set(url, pending);
    pending.then((preview) => previews.set(url, preview));
  }
  pending.then((preview) => fill(slot, preview));
  return slot;
}

function fill(slot, preview) {
  if (!preview || !(preview.Title || preview.Description)) return;
  const href = safeHref(preview.Url);
  slot.replaceChildren(h("a", { class: "link-card", href, target: "_blank", rel: "noopener noreferrer" },
    preview.ImageUrl ? h("img", { src: preview.ImageUrl, alt: "", loading: "lazy", referrerpolicy: "no-referrer" })
      : null,
    h("span", { class: "link-card-text" },
      preview.SiteName ? h("small", { class: "link-card-site" }, preview.SiteName) : null,
      preview.Title ? h("strong", { class: "link-card-title" }, preview.Title) : null,
      preview.Description ? h("span", { class: "link-card-description" }, preview.Description) : null)));
}
