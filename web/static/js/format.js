// Safe formatting of a message's text: ```code blocks```, `code`, links (http, https and mailto only),
// *bold* and _italic_. Every piece is built as DOM nodes whose text is set as text, never parsed as HTML,
// so "<img src=x onerror=...>" in a message stays those characters.
import { h } from "./dom.js";

const CODE_BLOCK = /```\n?([\s\S]*?)```/g;
const CODE = /`([^`\n]+)`/g;
// A link ends before trailing punctuation ("see https://x.test/a." links https://x.test/a).
export const LINK = /\b(?:https?:\/\/|mailto:)[^\s<>"]*[^\s<>".,:;!?'")\]}]/gi;
const BOLD = /(^|[^\w*])\*(?=\S)([^*\n]*?\S)\*(?![\w*])/g;
const ITALIC = /(^|[^\w_])_(?=\S)([^_\n]*?\S)_(?![\w_])/g;
const SCHEMES = new Set(["http:", "https:", "mailto:"]);

/** The href of a link we may show, or null (another scheme, or not a URL at all). */
export function safeHref(text) {
  try {
    const url = new URL(text);
    return SCHEMES.has(url.protocol) ? url.href : null;
  } catch (_) {
    return null;
  }
}

// Split every string of `pieces` at the matches of `pattern`; make(match) gives the node for one (or null:
// leave it text). With `lead`, the pattern's first group is the character before the match: it stays text.
// Nodes already made pass through untouched.
function split(pieces, pattern, make, lead = false) {
  const out = [];
  for (const piece of pieces) {
    if (typeof piece !== "string") {
      out.push(piece);
      continue;
    }
    let at = 0;
    for (const match of piece.matchAll(pattern)) {
      const node = make(match);
      if (!node) continue;
      out.push(piece.slice(at, match.index + (lead ? match[1].length : 0)), node);
      at = match.index + match[0].length;
    }
    out.push(piece.slice(at));
  }
  return out.filter((piece) => piece !== "");
}

function link(match) {
  const href = safeHref(match[0]);
  return href && h("a", { href, target: "_blank", rel: "noopener noreferrer" }, match[0]);
}

// *bold* and _italic_ (either inside the other); what is left is text for `leaf`.
function emphasis(pieces, leaf) {
  const bold = split(pieces, BOLD, (m) => h("strong", {}, emphasis([m[2]], leaf)), true);
  const both = split(bold, ITALIC, (m) => h("em", {}, emphasis([m[2]], leaf)), true);
  return both.flatMap((piece) => (typeof piece === "string" ? leaf(piece) : [piece]));
}

/** The nodes of a message's text. `leaf(text)` turns plain text into nodes (mentions); code is never
 * passed to it, and links are made before it. */
export function formatText(text, leaf = (t) => [t]) {
  let pieces = split([text], CODE_BLOCK, (m) => h("pre", { class: "code" }, h("code", {}, m[1])));
  pieces = split(pieces, CODE, (m) => h("code", {}, m[1]));
  pieces = split(pieces, LINK, link);
  return emphasis(pieces, leaf);
}
