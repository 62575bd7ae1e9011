// The meeting's menus: popovers (the browser's top layer, light dismiss, Escape) opened by a
// button, placed beside it, and walked with the arrow keys as a menu is.
import { element } from "../dom.js";

const ITEMS = '[role="menuitem"]:not([hidden]):not([disabled]), [role="menuitemradio"]:not([hidden]), [role="menuitemcheckbox"]:not([hidden]), button.reaction';

/**
 * Put a popover beside its opener: above it when the opener is low on the screen (the control
 * bar), below it otherwise, and inside the window.
 * @param {HTMLElement} menu
 * @param {HTMLElement} anchor
 */
function place(menu, anchor) {
  const box = anchor.getBoundingClientRect();
  const width = menu.offsetWidth;
  const height = menu.offsetHeight;
  const margin = 8;
  let left = Math.min(Math.max(margin, box.left + box.width / 2 - width / 2), window.innerWidth - width - margin);
  let top = box.top > window.innerHeight / 2 ? box.top - height - margin : box.bottom + margin;
  top = Math.min(Math.max(margin, top), window.innerHeight - height - margin);
  left = Math.max(margin, left);
  menu.style.left = `${left}px`;
  menu.style.top = `${top}px`;
}

export class Menus {
  constructor() {
    // One menu for the rows of the participants list, filled when it opens.
    this.dynamic = element("div", { className: "menu", attrs: { popover: "", role: "menu", id: "person-actions" } });
    document.querySelector('[data-mode="meeting"]').append(this.dynamic);
    this.opener = null;
    for (const menu of /** @type {NodeListOf<HTMLElement>} */ (document.querySelectorAll(".menu[popover]"))) this.wire(menu);
  }

  /** @param {HTMLElement} menu */
  wire(menu) {
    const openerOf = () => (menu === this.dynamic ? this.opener : document.querySelector(`[popovertarget="${menu.id}"]`));
    // The opener says at once whether its menu is open ("beforetoggle" comes before the change).
    menu.addEventListener("beforetoggle", (event) => {
      const opener = openerOf();
      if (opener) opener.setAttribute("aria-expanded", String(/** @type {ToggleEvent} */ (event).newState === "open"));
    });
    menu.addEventListener("toggle", (event) => {
      const open = /** @type {ToggleEvent} */ (event).newState === "open";
      const opener = openerOf();
      if (open) {
        if (opener) place(menu, /** @type {HTMLElement} */ (opener));
        const first = /** @type {HTMLElement | null} */ (menu.querySelector(ITEMS));
        if (first) first.focus();
      } else if (opener && menu.contains(document.activeElement)) {
        /** @type {HTMLElement} */ (opener).focus();
      }
    });
    menu.addEventListener("keydown", (event) => {
      const items = /** @type {HTMLElement[]} */ ([...menu.querySelectorAll(ITEMS)]);
      const at = items.indexOf(/** @type {HTMLElement} */ (document.activeElement));
      const step = { ArrowDown: 1, ArrowRight: 1, ArrowUp: -1, ArrowLeft: -1 }[event.key];
      if (step) {
        event.preventDefault();
        items[(at + step + items.length) % items.length].focus();
      } else if (event.key === "Home" || event.key === "End") {
        event.preventDefault();
        items[event.key === "Home" ? 0 : items.length - 1].focus();
      }
    });
    // Choosing an item closes its menu (check boxes stay open: several locks at once).
    menu.addEventListener("click", (event) => {
      const item = /** @type {HTMLElement} */ (event.target).closest(ITEMS);
      if (item && item.getAttribute("role") !== "menuitemcheckbox") menu.hidePopover();
    });
  }

  /**
   * Open the rows' menu beside `anchor` with these items.
   * @param {HTMLElement} anchor
   * @param {string} label
   * @param {{ label: string, run: () => void, danger?: boolean }[]} items
   */
  openFor(anchor, label, items) {
    if (this.dynamic.matches(":popover-open")) this.dynamic.hidePopover();
    this.opener = anchor;
    this.dynamic.setAttribute("aria-label", label);
    this.dynamic.replaceChildren(
      ...items.map(({ label: text, run, danger }) => {
        const button = element("button", { className: danger ? "danger" : "", text, attrs: { type: "button", role: "menuitem" } });
        button.addEventListener("click", run);
        return button;
      }),
    );
    this.dynamic.showPopover();
  }

  closeAll() {
    for (const menu of /** @type {NodeListOf<HTMLElement>} */ (document.querySelectorAll(".menu[popover]"))) {
      if (menu.matches(":popover-open")) menu.hidePopover();
    }
  }
}
