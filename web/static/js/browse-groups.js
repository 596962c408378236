// "Browse groups": the directory of public groups (GET /groups/public), searched by name as one types, a page
// at a time, each with "Join" (`join-group`) or, for groups we are in, "Open".
import { describe } from "./api.js";
import { open } from "./conversation.js";
import { $, debounce, h } from "./dom.js";
import { groupCreated } from "./groups.js";
import * as session from "./session.js";
import { call } from "./sockets.js";

const PER_PAGE = 20;
let shown = { q: "", page: 0, totalPages: 0 }; // what the list holds
let asked = 0; // the newest request: an older answer arriving late is dropped

/** Wire the "Browse groups" button and its dialog. */
export function initBrowse() {
  $("#browse-groups").addEventListener("click", openBrowse);
  $("#browse-close").addEventListener("click", () => $("#browse-dialog").close());
  $("#browse-more").addEventListener("click", () => load(shown.q, shown.page + 1));
  const search = $("#browse-search");
  search.addEventListener("input", debounce(() => load(search.value.trim(), 1), 250));
  search.addEventListener("keydown", (event) => { if (event.key === "Enter") event.preventDefault(); });
}

function openBrowse() {
  $("#browse-search").value = "";
  $("#browse-list").replaceChildren();
  $("#browse-dialog").showModal();
  $("#browse-search").focus();
  load("", 1);
}

/** Page `page` of the groups whose name contains q (all, the largest first, when q is empty). */
async function load(q, page) {
  const ticket = ++asked;
  const query = new URLSearchParams({ page: String(page), per_page: String(PER_PAGE) });
  if (q) query.set("q", q);
  $("#browse-status").textContent = "Searching…";
  let reply;
  try {
    reply = await session.authed("GET", `/groups/public?${query}`);
  } catch (error) {
    if (ticket === asked) $("#browse-status").textContent = describe(error);
    return;
  }
  if (ticket !== asked) return;
  const items = reply.entries.map(entryItem);
  if (page === 1) $("#browse-list").replaceChildren(...items);
  else $("#browse-list").append(...items);
  shown = { q, page, totalPages: reply.state.total_pages };
  const total = reply.state.total;
  $("#browse-status").textContent = total ? `${total} public group${total === 1 ? "" : "s"}${q ? ` matching “${q}”` : ""}`
    : q ? `No public group called “${q}…”` : "No public groups yet.";
  $("#browse-more").hidden = page >= shown.totalPages;
}

function entryItem(entry) {
  const members = `${entry.MemberCount} member${entry.MemberCount === 1 ? "" : "s"}`;
  const button = entry.Joined
    ? h("button", { type: "button", onclick: () => show(entry.GroupId) }, "Open")
    : h("button", { type: "button", class: "primary", onclick: (event) => join(entry, event.target) }, "Join");
  return h("li", { dataset: { group: entry.Name } },
    h("div", { class: "entry" }, h("span", { class: "name" }, entry.Name),
      h("span", { class: "hint" }, entry.Description ? `${members} · ${entry.Description}` : members)),
    button);
}

async function join(entry, button) {
  button.disabled = true;
  try {
    const ack = await call("/group", "join-group", { GroupId: entry.GroupId });
    groupCreated({ Group: ack.Group }); // `group-created` follows too; either may come first
    show(entry.GroupId);
  } catch (error) {
    button.disabled = false;
    $("#browse-status").textContent = describe(error);
  }
}

function show(groupId) {
  $("#browse-dialog").close();
  open("group", groupId);
}
