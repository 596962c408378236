// Attachments: picking files (the attach button, dropping files on the conversation, pasting images into the
// message box), uploading them with their progress (POST /files), and showing a message's files: image
// previews that open the full image in a viewer, cards with name, size and a download link for the rest.
import { ApiError, SERVER, describe, fromEnvelope } from "./api.js";
import { $, h, notify } from "./dom.js";
import * as session from "./session.js";

const MAX_FILES = 10;      // per message (the server's limit)
const MAX_BYTES = 10 * 1024 * 1024;
const THUMB = 320;         // the longest side of a thumbnail
let tray = [];             // {key, file, name, size, progress, File?, error?, xhr?}
let nextKey = 1;

/** Wire the attach button, drag and drop on the conversation, and pasting images into the message box. */
export function initFiles() {
  const input = $("#attach-input");
  $("#attach").addEventListener("click", () => input.click());
  input.addEventListener("change", () => { addFiles(input.files); input.value = ""; });
  for (const zone of [$("#messages"), $("#composer")]) {
    zone.addEventListener("dragover", (event) => {
      if (!hasFiles(event.dataTransfer) || $("#composer").hidden) return;
      event.preventDefault();
      event.dataTransfer.dropEffect = "copy";
      $("#conversation").classList.add("dropping");
    });
    zone.addEventListener("dragleave", () => $("#conversation").classList.remove("dropping"));
    zone.addEventListener("drop", (event) => {
      $("#conversation").classList.remove("dropping");
      if (!hasFiles(event.dataTransfer) || $("#composer").hidden) return;
      event.preventDefault();
      addFiles(event.dataTransfer.files);
    });
  }
  $("#composer-input").addEventListener("paste", (event) => {
    const images = [...(event.clipboardData ? event.clipboardData.files : [])].filter((f) => f.type.startsWith("image/"));
    if (!images.length) return;
    event.preventDefault();
    addFiles(images.map((f, i) => (f.name && f.name !== "image.png" ? f
      : new File([f], `pasted-${new Date().toISOString().slice(0, 19).replace(/[:T]/g, "-")}${i ? `-${i}` : ""}.${extension(f.type)}`,
        { type: f.type }))));
  });
  $("#image-viewer-close").addEventListener("click", () => $("#image-viewer").close());
  $("#image-viewer").addEventListener("click", (event) => {
    if (event.target === $("#image-viewer")) $("#image-viewer").close();  // a click beside the image
  });
}

function hasFiles(transfer) { return Boolean(transfer) && [...transfer.types].includes("Files"); }

function extension(type) { return { "image/jpeg": "jpg", "image/gif": "gif", "image/webp": "webp" }[type] || "png"; }

/** "12 KB", "3.4 MB". */
export function size(bytes) {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${Math.round(bytes / 1024)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

/** Put files in the tray above the message box and start uploading them. */
export function addFiles(files) {
  for (const file of files) {
    if (tray.length >= MAX_FILES) {
      notify(`At most ${MAX_FILES} files per message.`);
      break;
    }
    const item = { key: nextKey++, file, name: file.name || "file", size: file.size, progress: 0 };
    if (file.size > MAX_BYTES) item.error = `Larger than ${size(MAX_BYTES)}.`;
    tray.push(item);
    if (!item.error) upload(item);
  }
  renderTray();
}

async function upload(item) {
  try {
    let token = session.accessToken() || await session.refreshNow().then(() => session.accessToken());
    try {
      item.File = await post(item, token);
    } catch (error) {
      if (error.code !== "token_expired") throw error;
      await session.refreshNow();
      token = session.accessToken();
      item.File = await post(item, token);
    }
  } catch (error) {
    if (error.code !== "aborted") item.error = describe(error);
  }
  renderTray();
}

/** One multipart POST /files, with upload progress (fetch has none): resolves with the `File`. */
function post(item, token) {
  return new Promise((resolve, reject) => {
    const form = new FormData();
    form.append("file", item.file, item.name);
    const xhr = new XMLHttpRequest();
    item.xhr = xhr;
    item.progress = 0;
    xhr.open("POST", SERVER + "/files");
    xhr.setRequestHeader("Accept", "application/json");
    xhr.setRequestHeader("Authorization", `Bearer ${token}`);
    xhr.upload.addEventListener("progress", (event) => {
      if (event.lengthComputable) {
        item.progress = event.loaded / event.total;
        renderTray();
      }
    });
    xhr.addEventListener("load", () => {
      let body = null;
      try { body = JSON.parse(xhr.responseText); } catch (_) { body = null; }
      if (xhr.status === 201 && body && body.File) resolve(body.File);
      else reject(fromEnvelope(body, xhr.status));
    });
    xhr.addEventListener("error", () => reject(new ApiError("network", "The upload failed: check the connection.")));
    xhr.addEventListener("abort", () => reject(new ApiError("aborted", "Cancelled.")));
    xhr.send(form);
  });
}

function removeItem(item) {
  if (item.xhr && !item.File && !item.error) item.xhr.abort();
  tray = tray.filter((other) => other !== item);
  renderTray();
}

function renderTray() {
  const list = $("#attachment-tray");
  list.hidden = !tray.length;
  list.replaceChildren(...tray.map((item) => {
    const status = item.error ? item.error : item.File ? size(item.size) : `${Math.round(item.progress * 100)} %`;
    return h("li", { class: item.error ? "upload failed" : item.File ? "upload done" : "upload busy",
      dataset: { name: item.name } },
    h("span", { class: "upload-name", title: item.name }, item.name),
    item.File || item.error ? null : h("progress", { max: 1, value: item.progress, "aria-label": `Uploading ${item.name}` }),
    h("span", { class: "upload-status" }, status),
    h("button", { type: "button", class: "link", "aria-label": `Remove ${item.name}`, onclick: () => removeItem(item) }, "✕"));
  }));
}

/** What the next send carries: {files: [File], busy}. busy: some uploads are still going. */
export function readyFiles() {
  return { files: tray.filter((item) => item.File).map((item) => item.File),
    busy: tray.some((item) => !item.File && !item.error) };
}

/** Empty the tray (after a send took its files). */
export function clearTray() {
  tray = [];
  renderTray();
}

function fitted(f) {
  if (!f.Width || !f.Height) return {};
  const scale = Math.min(1, THUMB / Math.max(f.Width, f.Height));
  return { width: Math.max(1, Math.round(f.Width * scale)), height: Math.max(1, Math.round(f.Height * scale)) };
}

function openViewer(f) {
  $("#image-viewer-img").src = SERVER + f.Url;
  $("#image-viewer-img").alt = f.Name;
  $("#image-viewer-name").textContent = `${f.Name} (${size(f.Size)})`;
  $("#image-viewer-download").href = SERVER + f.Url;
  $("#image-viewer-download").setAttribute("download", f.Name);
  $("#image-viewer").showModal();
}

/** A message's files: previews of images (a click opens the full image) and cards for the rest. */
export function attachmentList(files) {
  if (!files || !files.length) return null;
  return h("div", { class: "attachments" }, files.map((f) => {
    if (f.ThumbnailUrl) {
      return h("button", { type: "button", class: "attachment image", title: `${f.Name} (${size(f.Size)}): open`,
        onclick: () => openViewer(f) },
      h("img", { src: SERVER + f.ThumbnailUrl, alt: f.Name, loading: "lazy", ...fitted(f) }));
    }
    return h("div", { class: "attachment file" },
      h("span", { class: "file-icon", "aria-hidden": "true" }, f.ContentType === "application/pdf" ? "PDF" : "TXT"),
      h("span", { class: "file-name", title: f.Name }, f.Name),
      h("span", { class: "file-size" }, size(f.Size)),
      h("a", { class: "file-download", href: SERVER + f.Url, download: f.Name }, "Download"));
  }));
}
