// Where a search's terms occur in a message, found the way the server matches (chat/search/grams.py: case folded,
// accents and full-width forms dropped, kana and Hangul kept whole), and the text split on those ranges into
// text nodes and <mark>s: never HTML, whatever the message holds.
import { h } from "./dom.js";

// Kana and Hangul keep their marks (が is not か): the server only composes them.
const COMPOSED = /[\u1100-\u11FF\u3040-\u30FF\u3130-\u318F\u31F0-\u31FF\uAC00-\uD7AF\uFFA0-\uFFDC]/u;

function foldChar(ch) {
  if (COMPOSED.test(ch)) return ch.normalize("NFC");
  return ch.normalize("NFKD").replace(/\p{M}/gu, "").toLowerCase().replace(/ß/g, "ss");
}

/** text folded for search, and for each UTF-16 unit of the folded text the [start, end) of the character of
 * `text` it came from: so a match in the folded text maps back to the original. */
export function fold(text) {
  let folded = "";
  const starts = [];
  const ends = [];
  let at = 0;
  for (const ch of text) {
    const piece = foldChar(ch);
    // A mark folded away (a decomposed accent) belongs with the letter before it.
    for (let k = ends.length - 1; !piece && k >= 0 && ends[k] === at; k -= 1) ends[k] = at + ch.length;
    for (let i = 0; i < piece.length; i += 1) {
      starts.push(at);
      ends.push(at + ch.length);
    }
    folded += piece;
    at += ch.length;
  }
  return { folded, starts, ends };
}

/** The folded terms of a query (split on whitespace), as the server reads them. */
export function terms(query) {
  return [...new Set(fold(query.normalize("NFC")).folded.split(/\s+/).filter(Boolean))];
}

/** The [start, end) ranges of `text` where any term occurs, sorted and merged. */
export function matchRanges(text, wanted) {
  const { folded, starts, ends } = fold(text);
  const ranges = [];
  for (const term of wanted) {
    for (let at = folded.indexOf(term); at >= 0 && term; at = folded.indexOf(term, at + 1)) {
      ranges.push([starts[at], ends[at + term.length - 1]]);
    }
  }
  ranges.sort((a, b) => a[0] - b[0]);
  const merged = [];
  for (const [start, end] of ranges) {
    const last = merged[merged.length - 1];
    if (last && start <= last[1]) last[1] = Math.max(last[1], end);
    else merged.push([start, end]);
  }
  return merged;
}

/** A window of at most `room` characters of text around its first range (with "…" where it was cut), and the
 * ranges moved into it. */
export function excerpt(text, ranges, room = 180) {
  if (text.length <= room) return { text, ranges };
  const first = ranges.length ? ranges[0][0] : 0;
  let start = Math.max(0, first - 40);
  if (start > 0 && /[\uDC00-\uDFFF]/.test(text[start])) start -= 1; // not inside a surrogate pair
  let end = Math.min(text.length, start + room);
  if (end < text.length && /[\uDC00-\uDFFF]/.test(text[end])) end += 1;
  const before = start > 0 ? "…" : "";
  const moved = ranges.filter(([s]) => s >= start && s < end)
    .map(([s, e]) => [s - start + before.length, Math.min(e, end) - start + before.length]);
  return { text: before + text.slice(start, end) + (end < text.length ? "…" : ""), ranges: moved };
}

/** Nodes of text with each range wrapped in <mark> (text nodes only: the text is never parsed as HTML). */
export function highlighted(text, ranges) {
  const nodes = [];
  let at = 0;
  for (const [start, end] of ranges) {
    if (start > at) nodes.push(document.createTextNode(text.slice(at, start)));
    nodes.push(h("mark", {}, text.slice(start, end)));
    at = end;
  }
  if (at < text.length) nodes.push(document.createTextNode(text.slice(at)));
  return nodes;
}
