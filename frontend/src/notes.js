// The meeting page's documents (shared notes, presentations, whiteboard) are a heavier bundle
// of their own (frontend/src/documents/), fetched only by the page that has them.
export function initialize() {
  const root = /** @type {HTMLElement} */ (document.querySelector("[data-documents]"));
  if (!root || !root.dataset.script) return;
  const url = root.dataset.script;
  import(url).catch(() => {
    const box = document.getElementById("documents-notice");
    if (box) {
      box.textContent = root.dataset.failed || "";
      box.hidden = false;
    }
  });
}
