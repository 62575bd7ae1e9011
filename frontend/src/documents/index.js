// The meeting page's documents (a bundle of its own, loaded only there): the shared notes,
// and the stage with presentations and the whiteboard.
import { _ } from "../i18n.js";
import { Board } from "./board.js";
import { Notes } from "./notes.js";

let noticeTimer = null;

function notice(text) {
  const box = document.getElementById("documents-notice");
  box.textContent = text;
  box.hidden = false;
  clearTimeout(noticeTimer);
  noticeTimer = setTimeout(() => {
    box.hidden = true;
  }, 8000);
}

function wirePanel() {
  const toggle = document.getElementById("notes-button");
  const panel = document.getElementById("notes-panel");
  const layout = document.querySelector(".meeting-body");
  const set = (open) => {
    panel.hidden = !open;
    toggle.setAttribute("aria-pressed", open ? "true" : "false");
    layout.classList.toggle("with-notes", open);
  };
  toggle.addEventListener("click", () => set(panel.hidden));
  panel.querySelector("#notes-close").addEventListener("click", () => {
    set(false);
    toggle.focus();
  });
  toggle.title = _("Shared notes");
}

// Start once the person is in the meeting: the pre-join screen is gone.
function whenJoined(start) {
  const prejoin = document.getElementById("prejoin");
  if (!prejoin || prejoin.hidden) {
    start();
    return;
  }
  const observer = new MutationObserver(() => {
    if (prejoin.hidden) {
      observer.disconnect();
      start();
    }
  });
  observer.observe(prejoin, { attributes: true, attributeFilter: ["hidden"] });
}

const root = /** @type {HTMLElement} */ (document.querySelector("[data-documents]"));
if (root) {
  wirePanel();
  whenJoined(() => {
    const slug = root.dataset.slug;
    new Notes({ root: document.getElementById("notes-panel"), slug, notice });
    new Board({ root: document.getElementById("board"), slug, notice });
  });
}
