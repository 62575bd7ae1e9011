// The stage: a presentation's page (or a blank whiteboard page) that everyone sees, and a
// drawing layer over it kept in the room's "board" Yjs document, one array of strokes per
// page. The presenter (a moderator) moves between pages; the server enforces who may draw.
import * as Y from "yjs";
import { csrfToken } from "../csrf.js";
import { _ } from "../i18n.js";
import { element } from "../dom.js";
import { DocSocket } from "./socket.js";

const ACCEPT = ".pdf,.png,.jpg,.jpeg,.pptx,.odp,.docx,.odt";
const COLOURS = ["#1d2330", "#c0392b", "#2856d8", "#1e8c4d", "#d98a00", "#ffffff"];
// Stroke widths in thousandths of the page's width.
const WIDTHS = { thin: 2, medium: 5, thick: 10 };
const POINTER_MS = 40;
// Refusals the meeting page explains itself (or that pass on reconnection): no notice here.
const QUIET = new Set(["not_in_meeting", "meeting_ended"]);
const ERASE_RADIUS = 0.012;


function round(value) {
  return Math.round(Math.min(1, Math.max(0, value)) * 10000) / 10000;
}

function newId() {
  return Math.random().toString(36).slice(2, 10) + Date.now().toString(36);
}

// Draw `strokes` on a 2D context of `width` × `height` pixels (the page's box).
export function drawStrokes(context, strokes, width, height) {
  for (const stroke of strokes) {
    const points = stroke.points || [];
    if (points.length < 2) continue;
    const lineWidth = Math.max(1, ((stroke.width || WIDTHS.medium) / 1000) * width);
    context.save();
    context.strokeStyle = stroke.color || COLOURS[0];
    context.fillStyle = stroke.color || COLOURS[0];
    context.lineWidth = lineWidth;
    context.lineCap = "round";
    context.lineJoin = "round";
    const x = (i) => points[i] * width;
    const y = (i) => points[i + 1] * height;
    switch (stroke.tool) {
      case "highlighter":
        context.globalAlpha = 0.35;
        context.lineWidth = lineWidth * 3;
        context.lineCap = "square";
      // falls through: drawn as a pen line
      case "pen": {
        context.beginPath();
        context.moveTo(x(0), y(0));
        for (let i = 2; i < points.length; i += 2) context.lineTo(x(i), y(i));
        if (points.length === 2) context.lineTo(x(0) + 0.1, y(0));
        context.stroke();
        break;
      }
      case "line":
      case "arrow": {
        const end = points.length - 2;
        context.beginPath();
        context.moveTo(x(0), y(0));
        context.lineTo(x(end), y(end));
        context.stroke();
        if (stroke.tool === "arrow") {
          const angle = Math.atan2(y(end) - y(0), x(end) - x(0));
          const head = Math.max(10, lineWidth * 4);
          context.beginPath();
          context.moveTo(x(end), y(end));
          context.lineTo(x(end) - head * Math.cos(angle - Math.PI / 6), y(end) - head * Math.sin(angle - Math.PI / 6));
          context.lineTo(x(end) - head * Math.cos(angle + Math.PI / 6), y(end) - head * Math.sin(angle + Math.PI / 6));
          context.closePath();
          context.fill();
        }
        break;
      }
      case "rectangle": {
        const end = points.length - 2;
        context.strokeRect(x(0), y(0), x(end) - x(0), y(end) - y(0));
        break;
      }
      case "ellipse": {
        const end = points.length - 2;
        context.beginPath();
        context.ellipse((x(0) + x(end)) / 2, (y(0) + y(end)) / 2, Math.abs(x(end) - x(0)) / 2, Math.abs(y(end) - y(0)) / 2, 0, 0, 2 * Math.PI);
        context.stroke();
        break;
      }
      case "text": {
        const size = Math.max(12, lineWidth * 5);
        context.font = `${size}px sans-serif`;
        context.textBaseline = "top";
        context.fillText(String(stroke.text || "").slice(0, 500), x(0), y(0));
        break;
      }
      default:
        break;
    }
    context.restore();
  }
}

function distanceToSegment(px, py, ax, ay, bx, by) {
  const dx = bx - ax;
  const dy = by - ay;
  const length = dx * dx + dy * dy;
  const t = length ? Math.max(0, Math.min(1, ((px - ax) * dx + (py - ay) * dy) / length)) : 0;
  return Math.hypot(px - (ax + t * dx), py - (ay + t * dy));
}

function touches(stroke, px, py) {
  const p = stroke.points || [];
  if (stroke.tool === "text") return Math.abs(px - p[0]) < 0.05 && py - p[1] > -0.01 && py - p[1] < 0.04;
  if (["rectangle", "ellipse"].includes(stroke.tool)) {
    const [x0, y0, x1, y1] = [p[0], p[1], p[p.length - 2], p[p.length - 1]];
    const edges = [[x0, y0, x1, y0], [x1, y0, x1, y1], [x1, y1, x0, y1], [x0, y1, x0, y0]];
    return edges.some(([a, b, c, d]) => distanceToSegment(px, py, a, b, c, d) < ERASE_RADIUS);
  }
  for (let i = 0; i + 3 < p.length; i += 2) {
    if (distanceToSegment(px, py, p[i], p[i + 1], p[i + 2], p[i + 3]) < ERASE_RADIUS) return true;
  }
  return p.length === 2 && Math.hypot(px - p[0], py - p[1]) < ERASE_RADIUS;
}

export class Board {
  constructor({ root, slug, notice }) {
    this.root = root;
    this.slug = slug;
    this.notice = notice;
    this.state = { can_write: false, locked: true, role: "participant", stage: null, presentations: [] };
    this.tool = "pen";
    this.colour = COLOURS[1];
    this.width = WIDTHS.medium;
    this.drawing = null;
    this.strokes = null;
    this.undo = null;
    this.pageKey = null;
    this.lastPointer = 0;
    this.surface = root.querySelector("#board-surface");
    this.image = root.querySelector("#board-image");
    this.canvas = root.querySelector("#board-canvas");
    this.wire();
    this.connect();
    new ResizeObserver(() => this.redraw()).observe(this.surface);
  }

  connect() {
    this.socket = new DocSocket(`/r/${this.slug}/yjs/board`, {
      onControl: (message) => this.control(message),
      onSynced: () => this.show(),
    });
    this.socket.awareness.on("change", () => this.renderPointers());
    window.parleyBoard = this; // for the browser's console (and tests)
    this.pageKey = null;
  }

  get presenter() {
    return Boolean(this.state.you && this.state.you.presenter);
  }

  get current() {
    const stage = this.state.stage;
    if (!stage || stage.presentation === null) return null;
    return this.state.presentations.find((item) => item.id === stage.presentation) || null;
  }

  control(message) {
    switch (message.type) {
      case "state":
        this.state = message;
        this.show();
        break;
      case "progress": {
        const item = this.state.presentations.find((p) => p.id === message.presentation);
        if (item) {
          item.done = message.done;
          item.pages = message.pages;
          item.sizes[message.done - 1] = message.size;
          this.show();
        }
        break;
      }
      case "rejected":
        // A stroke of ours was refused (drawing was closed meanwhile): start again from the
        // server's copy, so what is shown is what everyone sees.
        this.notice(message.message);
        this.socket.destroy();
        this.connect();
        break;
      case "error":
        if (!QUIET.has(message.code)) this.notice(message.message);
        break;
      default:
        break;
    }
  }

  // What is on the stage: the page, its drawings, the controls this person may use.
  show() {
    const stage = this.state.stage;
    const visible = Boolean(stage && stage.visible);
    this.root.hidden = !visible;
    document.dispatchEvent(new CustomEvent("parley:content", { detail: { kind: "board", shown: visible } }));
    this.renderDocuments();
    if (!visible) return;
    const item = this.current;
    const total = item ? item.pages || 0 : stage.blank_pages;
    const page = stage.page;
    const key = item ? `p${item.id}-${page}` : `w-${page}`;
    this.root.dataset.page = String(page);
    this.root.dataset.pageKey = key;
    const title = item ? item.name : _("Whiteboard");
    this.root.querySelector("#board-title").textContent = title;
    this.root.querySelector("#board-page").textContent = total
      ? _("Page %(page)s of %(total)s", { page, total })
      : _("Page %(page)s", { page });
    const progress = this.root.querySelector("#board-progress");
    const failed = this.root.querySelector("#board-failed");
    failed.hidden = !(item && item.status === "failed");
    if (item && item.status === "failed") failed.textContent = item.error;
    const ready = !item || item.done >= page;
    progress.hidden = ready || (item && item.status === "failed");
    if (!ready && item) {
      progress.querySelector("span").textContent = item.pages
        ? _("Preparing the pages: %(done)s of %(total)s ready…", { done: item.done, total: item.pages })
        : _("Preparing the document…");
      const bar = progress.querySelector("progress");
      bar.max = item.pages || 1;
      bar.value = item.done;
    }
    if (item && ready) {
      const source = `/r/${this.slug}/documents/${item.id}/pages/${page}`;
      if (this.image.getAttribute("src") !== source) {
        this.image.src = source;
        this.image.alt = _("Page %(page)s of %(name)s", { page, name: item.name });
      }
      const size = item.sizes[page - 1];
      if (size) this.surface.style.aspectRatio = `${size[0]} / ${size[1]}`;
      this.image.hidden = false;
    } else {
      this.image.hidden = true;
      this.image.removeAttribute("src");
      this.surface.style.aspectRatio = "16 / 9";
    }
    this.surface.classList.toggle("blank", !item);
    // Presenter's controls
    for (const node of this.root.querySelectorAll("[data-presenter-only]")) node.hidden = !this.presenter;
    this.root.querySelector("#board-previous").disabled = page <= 1;
    this.root.querySelector("#board-next").disabled = item ? page >= (item.pages || 1) : false;
    this.root.querySelector("#board-next").textContent = !item && page >= total ? _("New page") : _("Next");
    this.root.querySelector("#board-draw-open input").checked = !this.state.locked;
    const download = this.root.querySelector("#board-download");
    download.hidden = !(item && (item.downloadable || this.presenter));
    if (item) download.href = `/r/${this.slug}/documents/${item.id}/original`;
    const allow = this.root.querySelector("#board-allow-download");
    allow.hidden = !(item && this.presenter);
    allow.querySelector("input").checked = Boolean(item && item.downloadable);
    this.root.querySelector("#board-tools").hidden = !this.state.can_write;
    this.root.querySelector("#board-clear").hidden = !this.presenter;
    const hint = this.root.querySelector("#board-hint");
    hint.hidden = this.state.can_write;
    hint.textContent = _("The presenter has not opened drawing to participants.");
    this.surface.classList.toggle("can-draw", this.state.can_write);
    this.renderThumbnails(item, page);
    this.bindPage(key);
  }

  bindPage(key) {
    if (key === this.pageKey && this.strokes) {
      this.redraw();
      return;
    }
    if (this.strokes) this.strokes.unobserve(this._observer);
    if (this.undo) this.undo.destroy();
    this.pageKey = key;
    this.strokes = this.socket.doc.getArray(`page:${key}`);
    this._observer = () => this.redraw();
    this.strokes.observe(this._observer);
    this.undo = new Y.UndoManager(this.strokes);
    this.redraw();
  }

  redraw() {
    const rect = this.surface.getBoundingClientRect();
    const ratio = window.devicePixelRatio || 1;
    const width = Math.max(1, Math.round(rect.width * ratio));
    const height = Math.max(1, Math.round(rect.height * ratio));
    if (this.canvas.width !== width || this.canvas.height !== height) {
      this.canvas.width = width;
      this.canvas.height = height;
    }
    const context = this.canvas.getContext("2d");
    context.clearRect(0, 0, width, height);
    const strokes = this.strokes ? this.strokes.toArray() : [];
    drawStrokes(context, strokes, width, height);
    if (this.drawing) drawStrokes(context, [this.drawing], width, height);
    this.root.dataset.strokes = String(strokes.length);
    this.canvas.setAttribute(
      "aria-label",
      strokes.length ? _("Drawings on this page: %(count)s", { count: strokes.length }) : _("No drawings on this page"),
    );
  }

  renderThumbnails(item, page) {
    const strip = this.root.querySelector("#board-thumbnails");
    if (!item || !this.presenter) {
      strip.hidden = true;
      strip.replaceChildren();
      return;
    }
    strip.hidden = false;
    const wanted = `${item.id}:${item.done}:${page}`;
    if (strip.dataset.key === wanted) return;
    strip.dataset.key = wanted;
    const buttons = [];
    for (let number = 1; number <= item.done; number += 1) {
      const button = element("button", {
        className: `thumb${number === page ? " current" : ""}`,
        attrs: { type: "button", "aria-label": _("Go to page %(page)s", { page: number }), "aria-current": number === page ? "page" : "false" },
      });
      button.append(element("img", { attrs: { src: `/r/${this.slug}/documents/${item.id}/thumbs/${number}`, alt: "", loading: "lazy" } }));
      button.append(element("span", { text: String(number) }));
      button.addEventListener("click", () => this.socket.control({ type: "stage.page", page: number }));
      buttons.push(button);
    }
    strip.replaceChildren(...buttons);
  }

  // The space the room's documents (and the presenter's own) take, asked again whenever the
  // list of documents changes: an upload or a deletion, here or by another moderator.
  async renderUsage(items) {
    const line = document.getElementById("documents-usage");
    if (!line || (this.state.role !== "moderator" && !this.presenter)) return;
    const key = items.map((item) => `${item.id}:${item.size}`).join(",");
    if (this.usageKey === key) return;
    this.usageKey = key;
    try {
      const response = await fetch(`/r/${this.slug}/documents/usage`, { headers: { accept: "application/json" } });
      if (!response.ok || this.usageKey !== key) return;
      const usage = await response.json();
      line.replaceChildren(...usage.lines.flatMap((text, index) => (index ? [element("br"), text] : [text])));
      line.hidden = false;
    } catch {
      this.usageKey = undefined;
    }
  }

  renderDocuments() {
    const list = document.getElementById("documents-list");
    if (!list) return;
    const items = this.state.presentations || [];
    document.getElementById("documents-empty").hidden = items.length > 0;
    this.renderUsage(items);
    const shown = this.state.stage && this.state.stage.visible ? this.state.stage.presentation : undefined;
    list.replaceChildren(
      ...items.map((item) => {
        const row = element("li", { className: "document-item" });
        let status;
        if (item.status === "failed") status = item.error;
        else if (item.status !== "ready") {
          status = item.pages
            ? _("Preparing: %(done)s of %(total)s pages", { done: item.done, total: item.pages })
            : _("Waiting to be prepared…");
        } else status = _("%(count)s pages", { count: item.pages });
        row.append(
          element("span", { className: "document-name", text: item.name }),
          element("span", { className: `document-status${item.status === "failed" ? " error-text" : ""}`, text: status }),
        );
        const actions = element("span", { className: "document-actions" });
        if (item.status !== "failed") {
          const showButton = element("button", {
            className: "button small",
            text: shown === item.id ? _("Shown") : _("Show"),
            attrs: { type: "button", "aria-label": _("Show %(name)s", { name: item.name }) },
          });
          showButton.disabled = shown === item.id;
          showButton.addEventListener("click", () => this.socket.control({ type: "stage.show", presentation: item.id }));
          actions.append(showButton);
        }
        const remove = element("button", {
          className: "button small danger",
          text: _("Delete"),
          attrs: { type: "button", "aria-label": _("Delete %(name)s", { name: item.name }) },
        });
        remove.addEventListener("click", () => {
          if (window.confirm(_("Delete %(name)s for everyone?", { name: item.name }))) {
            this.socket.control({ type: "presentation.delete", presentation: item.id });
          }
        });
        actions.append(remove);
        row.append(actions);
        return row;
      }),
    );
  }

  renderPointers() {
    const layer = this.root.querySelector("#board-pointers");
    const dots = [];
    for (const [client, state] of this.socket.awareness.getStates()) {
      if (client === this.socket.doc.clientID || !state || !state.pointer || !state.user) continue;
      if (!state.user.presenter || state.pointer.page !== this.pageKey) continue;
      const dot = element("span", { className: "pointer", attrs: { "aria-hidden": "true" } }, [element("span", { text: state.user.name })]);
      dot.style.left = `${state.pointer.x * 100}%`;
      dot.style.top = `${state.pointer.y * 100}%`;
      dot.style.setProperty("--pointer", state.user.color || "#c0392b");
      dots.push(dot);
    }
    layer.replaceChildren(...dots);
  }

  position(event) {
    const rect = this.canvas.getBoundingClientRect();
    return [round((event.clientX - rect.left) / rect.width), round((event.clientY - rect.top) / rect.height)];
  }

  erase(x, y) {
    const strokes = this.strokes.toArray();
    const index = strokes.findLastIndex((stroke) => touches(stroke, x, y));
    if (index >= 0) this.socket.doc.transact(() => this.strokes.delete(index, 1));
  }

  wire() {
    const canvas = this.canvas;
    canvas.addEventListener("pointerdown", (event) => {
      if (!this.state.can_write || !this.strokes || event.button !== 0) return;
      event.preventDefault();
      const [x, y] = this.position(event);
      if (this.tool === "eraser") {
        this.erasing = true;
        this.erase(x, y);
        return;
      }
      if (this.tool === "text") {
        this.placeText(x, y);
        return;
      }
      canvas.setPointerCapture(event.pointerId);
      this.drawing = { id: newId(), tool: this.tool, color: this.colour, width: this.width, points: [x, y] };
      this.redraw();
    });
    canvas.addEventListener("pointermove", (event) => {
      const [x, y] = this.position(event);
      if (this.presenter && event.timeStamp - this.lastPointer > POINTER_MS) {
        this.lastPointer = event.timeStamp;
        this.socket.awareness.setLocalStateField("pointer", { page: this.pageKey, x, y });
      }
      if (this.erasing) {
        this.erase(x, y);
        return;
      }
      if (!this.drawing) return;
      if (["pen", "highlighter"].includes(this.drawing.tool)) this.drawing.points.push(x, y);
      else this.drawing.points = [this.drawing.points[0], this.drawing.points[1], x, y];
      this.redraw();
    });
    const finish = () => {
      this.erasing = false;
      if (!this.drawing) return;
      const stroke = this.drawing;
      this.drawing = null;
      this.socket.doc.transact(() => this.strokes.push([stroke]));
    };
    canvas.addEventListener("pointerup", finish);
    canvas.addEventListener("pointercancel", finish);
    canvas.addEventListener("pointerleave", () => {
      if (this.presenter) this.socket.awareness.setLocalStateField("pointer", null);
    });

    for (const button of this.root.querySelectorAll("[data-tool]")) {
      button.addEventListener("click", () => {
        this.tool = button.dataset.tool;
        for (const other of this.root.querySelectorAll("[data-tool]")) other.setAttribute("aria-pressed", other === button ? "true" : "false");
      });
    }
    const colours = this.root.querySelector("#board-colours");
    const names = [_("Black"), _("Red"), _("Blue"), _("Green"), _("Orange"), _("White")];
    COLOURS.forEach((colour, index) => {
      const swatch = element("button", {
        className: "swatch",
        attrs: { type: "button", "aria-label": names[index], title: names[index], "aria-pressed": colour === this.colour ? "true" : "false" },
      });
      swatch.style.setProperty("--swatch", colour);
      swatch.addEventListener("click", () => {
        this.colour = colour;
        for (const other of colours.children) other.setAttribute("aria-pressed", other === swatch ? "true" : "false");
      });
      colours.append(swatch);
    });
    this.root.querySelector("#board-width").addEventListener("change", (event) => {
      this.width = WIDTHS[event.target.value] || WIDTHS.medium;
    });
    this.root.querySelector("#board-undo").addEventListener("click", () => this.undo && this.undo.undo());
    this.root.querySelector("#board-redo").addEventListener("click", () => this.undo && this.undo.redo());
    this.root.querySelector("#board-clear").addEventListener("click", () => {
      if (this.strokes && this.strokes.length && window.confirm(_("Clear every drawing on this page?"))) {
        this.socket.doc.transact(() => this.strokes.delete(0, this.strokes.length));
      }
    });
    this.root.querySelector("#board-previous").addEventListener("click", () => {
      this.socket.control({ type: "stage.page", page: this.state.stage.page - 1 });
    });
    this.root.querySelector("#board-next").addEventListener("click", () => {
      const stage = this.state.stage;
      if (!this.current && stage.page >= stage.blank_pages) this.socket.control({ type: "stage.add_page" });
      else this.socket.control({ type: "stage.page", page: stage.page + 1 });
    });
    this.root.querySelector("#board-stop").addEventListener("click", () => this.socket.control({ type: "stage.hide" }));
    this.root.querySelector("#board-draw-open input").addEventListener("change", (event) => {
      this.socket.control({ type: "lock", locked: !event.target.checked });
    });
    this.root.querySelector("#board-allow-download input").addEventListener("change", (event) => {
      if (this.current) this.socket.control({ type: "presentation.download", presentation: this.current.id, allowed: event.target.checked });
    });
    this.root.querySelector("#board-export").addEventListener("click", () => this.exportPng());
    const whiteboard = document.getElementById("show-whiteboard");
    if (whiteboard) whiteboard.addEventListener("click", () => this.socket.control({ type: "stage.show", presentation: null }));
    this.wireUpload();
  }

  placeText(x, y) {
    const text = window.prompt(_("Text to write on the page"));
    if (!text || !text.trim()) return;
    const stroke = { id: newId(), tool: "text", color: this.colour, width: this.width, points: [x, y], text: text.trim().slice(0, 500) };
    this.socket.doc.transact(() => this.strokes.push([stroke]));
  }

  async exportPng() {
    const item = this.current;
    let width = 1600;
    let height = 900;
    if (item && !this.image.hidden && this.image.naturalWidth) {
      width = this.image.naturalWidth;
      height = this.image.naturalHeight;
    }
    const canvas = document.createElement("canvas");
    canvas.width = width;
    canvas.height = height;
    const context = canvas.getContext("2d");
    context.fillStyle = "#ffffff";
    context.fillRect(0, 0, width, height);
    if (item && !this.image.hidden) context.drawImage(this.image, 0, 0, width, height);
    drawStrokes(context, this.strokes ? this.strokes.toArray() : [], width, height);
    const blob = await new Promise((resolve) => canvas.toBlob(resolve, "image/png"));
    const link = element("a", { attrs: { href: URL.createObjectURL(blob), download: `${item ? item.name.replace(/\.[^.]+$/, "") : "whiteboard"}-${this.state.stage.page}.png` } });
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(link.href), 10000);
  }

  wireUpload() {
    const dialog = /** @type {HTMLDialogElement} */ (document.getElementById("upload-dialog"));
    const opener = document.getElementById("present-document");
    if (!dialog || !opener) return;
    const input = /** @type {HTMLInputElement} */ (dialog.querySelector("#upload-file"));
    input.accept = ACCEPT;
    const error = /** @type {HTMLElement} */ (dialog.querySelector("#upload-error"));
    const progress = /** @type {HTMLProgressElement} */ (dialog.querySelector("#upload-progress"));
    const status = /** @type {HTMLElement} */ (dialog.querySelector("#upload-status"));
    const submit = /** @type {HTMLButtonElement} */ (dialog.querySelector("#upload-submit"));
    opener.addEventListener("click", () => {
      error.hidden = true;
      progress.hidden = true;
      status.textContent = "";
      submit.disabled = false;
      input.value = "";
      dialog.showModal();
    });
    dialog.querySelector("#upload-cancel").addEventListener("click", () => {
      if (this.upload) this.upload.abort();
      dialog.close();
    });
    dialog.querySelector("form").addEventListener("submit", (event) => {
      event.preventDefault();
      const file = input.files && input.files[0];
      if (!file) {
        error.textContent = _("Choose a file first.");
        error.hidden = false;
        return;
      }
      error.hidden = true;
      submit.disabled = true;
      progress.hidden = false;
      progress.value = 0;
      status.textContent = _("Uploading…");
      const request = new XMLHttpRequest();
      this.upload = request;
      request.open("POST", `/r/${this.slug}/documents`);
      request.setRequestHeader("X-CSRF-Token", csrfToken());
      request.setRequestHeader("X-Filename", encodeURIComponent(file.name));
      request.setRequestHeader("Content-Type", "application/octet-stream");
      request.upload.addEventListener("progress", (progressEvent) => {
        if (!progressEvent.lengthComputable) return;
        const percent = Math.round((progressEvent.loaded / progressEvent.total) * 100);
        progress.value = percent;
        status.textContent = `${_("Uploading…")} ${percent} %`;
      });
      request.addEventListener("load", () => {
        this.upload = null;
        submit.disabled = false;
        if (request.status === 201) {
          status.textContent = _("Uploaded. The pages are being prepared; the first one shows in a moment.");
          progress.value = 100;
          setTimeout(() => dialog.close(), 800);
          return;
        }
        let message = _("The upload failed. Please try again.");
        try {
          message = JSON.parse(request.responseText).detail || message;
        } catch {
          // The answer was no JSON (a proxy's error page): the general message stands.
        }
        progress.hidden = true;
        status.textContent = "";
        error.textContent = message;
        error.hidden = false;
      });
      request.addEventListener("error", () => {
        this.upload = null;
        submit.disabled = false;
        progress.hidden = true;
        status.textContent = "";
        error.textContent = _("The upload failed. Please try again.");
        error.hidden = false;
      });
      request.send(file);
    });
  }
}
