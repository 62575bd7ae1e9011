// Shared notes: a rich-text editor (Tiptap) on the room's Yjs document, with everyone's
// named, coloured cursors. Moderators lock it for participants; the server enforces the lock.
import { Editor } from "@tiptap/core";
import Collaboration from "@tiptap/extension-collaboration";
import CollaborationCaret from "@tiptap/extension-collaboration-caret";
import StarterKit from "@tiptap/starter-kit";
import { _ } from "../i18n.js";
import { DocSocket } from "./socket.js";

// Refusals the meeting page explains itself (or that pass on reconnection): no notice here.
const QUIET = new Set(["not_in_meeting", "meeting_ended"]);
const SAFE_LINK = /^(https?:\/\/|mailto:)/i;

function caret(user) {
  const cursor = document.createElement("span");
  cursor.className = "collaboration-carets__caret";
  cursor.style.borderColor = user.color || "#5f6b7a";
  const label = document.createElement("span");
  label.className = "collaboration-carets__label";
  label.style.backgroundColor = user.color || "#5f6b7a";
  label.textContent = user.name || "?";
  cursor.append(label);
  return cursor;
}

export class Notes {
  constructor({ root, slug, notice }) {
    this.root = root;
    this.slug = slug;
    this.notice = notice;
    this.state = { can_write: false, locked: false, role: "participant", you: null };
    this.editor = null;
    this.socket = null;
    this.surface = root.querySelector("#notes-editor");
    this.wire();
    this.connect();
  }

  connect() {
    this.socket = new DocSocket(`/r/${this.slug}/yjs/notes`, {
      onControl: (message) => this.control(message),
      onStatus: (status) => this.status(status),
    });
    window.parleyNotes = this; // for the browser's console (and tests)
    this.build();
  }

  build() {
    if (this.editor) this.editor.destroy();
    this.surface.replaceChildren();
    this.editor = new Editor({
      element: this.surface,
      editable: this.state.can_write,
      extensions: [
        StarterKit.configure({
          undoRedo: false,
          link: { openOnClick: false, autolink: true, protocols: ["mailto"], HTMLAttributes: { rel: "noopener noreferrer nofollow", target: "_blank" } },
        }),
        Collaboration.configure({ document: this.socket.doc, field: "default" }),
        CollaborationCaret.configure({ provider: this.socket, user: { name: "", color: "#5f6b7a" }, render: caret }),
      ],
      editorProps: {
        attributes: { "aria-label": _("Shared notes"), "aria-multiline": "true", role: "textbox", class: "notes-text" },
      },
      onTransaction: () => this.renderToolbar(),
    });
  }

  // A change of ours was refused (the notes were locked meanwhile): start again from the
  // server's copy, so what is shown is what everyone sees.
  reset(message) {
    this.notice(message);
    this.socket.destroy();
    this.socket = null;
    this.connect();
  }

  control(message) {
    if (message.type === "state") {
      this.state = message;
      if (this.editor) this.editor.setEditable(message.can_write);
      this.render();
    } else if (message.type === "rejected") {
      this.reset(message.message);
    } else if (message.type === "error" && !QUIET.has(message.code)) {
      this.notice(message.message);
    }
  }

  status(status) {
    const box = this.root.querySelector("#notes-status");
    box.hidden = status === "connected";
    if (status === "reconnecting") box.textContent = _("Reconnecting…");
    if (status === "ended") box.textContent = _("You are no longer in this meeting.");
  }

  render() {
    const moderator = this.state.role === "moderator";
    const lock = this.root.querySelector("#notes-lock");
    lock.hidden = !moderator;
    lock.querySelector("input").checked = this.state.locked;
    const hint = this.root.querySelector("#notes-locked");
    hint.hidden = !this.state.locked;
    hint.textContent = moderator
      ? _("Locked: only moderators can edit the notes.")
      : _("A moderator has locked the notes: you can read them, not edit them.");
    this.root.querySelector("#notes-toolbar").hidden = !this.state.can_write;
    this.root.classList.toggle("read-only", !this.state.can_write);
    this.renderToolbar();
  }

  renderToolbar() {
    if (!this.editor) return;
    for (const button of this.root.querySelectorAll("[data-format]")) {
      const [name, level] = button.dataset.format.split(":");
      const active = level ? this.editor.isActive(name, { level: Number(level) }) : this.editor.isActive(name);
      button.setAttribute("aria-pressed", active ? "true" : "false");
    }
  }

  wire() {
    const run = (format) => {
      const chain = this.editor.chain().focus();
      switch (format) {
        case "bold":
          return chain.toggleBold().run();
        case "italic":
          return chain.toggleItalic().run();
        case "heading:1":
          return chain.toggleHeading({ level: 1 }).run();
        case "heading:2":
          return chain.toggleHeading({ level: 2 }).run();
        case "bulletList":
          return chain.toggleBulletList().run();
        case "orderedList":
          return chain.toggleOrderedList().run();
        case "link": {
          if (this.editor.isActive("link")) return chain.unsetLink().run();
          const href = window.prompt(_("Address of the link (https://…)"), "https://");
          if (!href) return false;
          if (!SAFE_LINK.test(href.trim())) {
            this.notice(_("A link must start with https://, http:// or mailto:."));
            return false;
          }
          return chain.extendMarkRange("link").setLink({ href: href.trim() }).run();
        }
        case "undo":
          return chain.undo().run();
        case "redo":
          return chain.redo().run();
        default:
          return false;
      }
    };
    for (const button of this.root.querySelectorAll("[data-format], [data-history]")) {
      button.addEventListener("click", () => {
        if (this.editor) run(button.dataset.format || button.dataset.history);
      });
    }
    this.root.querySelector("#notes-lock input").addEventListener("change", (event) => {
      this.socket.control({ type: "lock", locked: event.target.checked });
    });
  }
}
