// The meeting page's documents (a bundle of its own, loaded only there): the shared notes,
// and the stage with presentations and the whiteboard.
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

// Start once the person is in the meeting: the meeting page says so with `parley:joined`
// (and marks its root, for a bundle that loads after that).
function whenJoined(start) {
  const meeting = /** @type {HTMLElement | null} */ (document.querySelector('[data-mode="meeting"]'));
  if (!meeting || meeting.dataset.joined === "true") start();
  else document.addEventListener("parley:joined", () => start(), { once: true });
}

const root = /** @type {HTMLElement} */ (document.querySelector("[data-documents]"));
if (root) {
  // Each in a task of its own, after the one that let the person in: mounting the editor and
  // the board takes a while, and the room's first frame should not wait for it.
  whenJoined(() => {
    const slug = root.dataset.slug;
    setTimeout(() => {
      new Board({ root: document.getElementById("board"), slug, notice });
      setTimeout(() => new Notes({ root: document.getElementById("notes-panel"), slug, notice }));
    });
  });
}
