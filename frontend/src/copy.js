// Buttons with `data-copy="<selector>"` copy that element's text (or value) and say so.
import { _ } from "./i18n.js";

async function copyText(text) {
  if (navigator.clipboard && window.isSecureContext) {
    await navigator.clipboard.writeText(text);
    return;
  }
  // Plain-HTTP deployments have no Clipboard API: fall back to a hidden text area.
  const area = document.createElement("textarea");
  area.value = text;
  area.setAttribute("readonly", "");
  area.style.position = "fixed";
  area.style.opacity = "0";
  document.body.append(area);
  area.select();
  document.execCommand("copy");
  area.remove();
}

export function initialize(root = document) {
  root.addEventListener("click", async (event) => {
    const button = /** @type {HTMLElement | null} */ (/** @type {Element} */ (event.target).closest("[data-copy]"));
    if (!button) return;
    const source = /** @type {HTMLElement & { value?: string }} */ (document.querySelector(button.dataset.copy));
    if (!source) return;
    const text = "value" in source && source.value !== undefined ? source.value : source.textContent;
    const label = button.dataset.label || button.textContent;
    button.dataset.label = label;
    try {
      await copyText(text.trim());
      button.textContent = _("Copied!");
      button.classList.add("copied");
    } catch {
      button.textContent = _("Copy failed: select the text and copy it by hand.");
    }
    const status = document.getElementById("copy-status");
    if (status) status.textContent = button.textContent;
    setTimeout(() => {
      button.textContent = label;
      button.classList.remove("copied");
      if (status) status.textContent = "";
    }, 2000);
  });
}
