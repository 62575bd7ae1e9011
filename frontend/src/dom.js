// The one DOM helper of the browser code: make an element, draw an icon, keep a keyed list.

/**
 * An element with a class, attributes, text and children.
 * @template {keyof HTMLElementTagNameMap} K
 * @param {K} tag
 * @param {{ className?: string, text?: string, attrs?: Record<string, string> }} [options]
 * @param {(Node | string)[]} [children]
 * @returns {HTMLElementTagNameMap[K]}
 */
export function element(tag, { className, text, attrs } = {}, children = []) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  if (attrs) for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, value);
  if (children.length) node.append(...children);
  return node;
}

const SVG = "http://www.w3.org/2000/svg";

/**
 * One of the meeting page's line icons (the sprite in rooms/_meeting_icons.html), decorative.
 * @param {string} name
 * @returns {SVGSVGElement}
 */
export function icon(name) {
  const svg = document.createElementNS(SVG, "svg");
  svg.setAttribute("class", "icon");
  svg.setAttribute("aria-hidden", "true");
  svg.setAttribute("focusable", "false");
  const use = document.createElementNS(SVG, "use");
  use.setAttribute("href", `#i-${name}`);
  svg.append(use);
  return svg;
}

/**
 * The children of one container, one per key, in a given order. `update` makes a row only for
 * an item it has not seen (or that changed: items are compared by identity, so a reducer's
 * unchanged objects keep their rows) and moves only the rows that are out of place: one
 * changed participant among 500 costs one row, not 500.
 * @template T
 */
export class KeyedList {
  /**
   * @param {HTMLElement} container
   * @param {(item: T) => string} key
   * @param {(item: T) => HTMLElement} render
   */
  constructor(container, key, render) {
    this.container = container;
    this.key = key;
    this.render = render;
    /** @type {Map<string, { item: T, node: HTMLElement }>} */
    this.rows = new Map();
  }

  /** @param {T[]} items in the order to show */
  update(items) {
    const seen = new Set();
    const nodes = [];
    for (const item of items) {
      const id = this.key(item);
      seen.add(id);
      let row = this.rows.get(id);
      if (!row || row.item !== item) {
        const node = this.render(item);
        if (row) row.node.replaceWith(node);
        row = { item, node };
        this.rows.set(id, row);
      }
      nodes.push(row.node);
    }
    for (const [id, row] of this.rows) {
      if (!seen.has(id)) {
        row.node.remove();
        this.rows.delete(id);
      }
    }
    // Walk the wanted order; move a node only where the current one differs.
    // A row that moved down is skipped over here and put back when its turn comes.
    let cursor = this.container.firstChild;
    for (const node of nodes) {
      if (node === cursor) cursor = cursor.nextSibling;
      else if (cursor && node === cursor.nextSibling) cursor = node.nextSibling;
      else this.container.insertBefore(node, cursor);
    }
  }

  /** Render every row again (the language or a role that shows in each row changed). */
  refresh() {
    for (const row of this.rows.values()) {
      const node = this.render(row.item);
      row.node.replaceWith(node);
      row.node = node;
    }
  }

  /** @param {string} id */
  node(id) {
    const row = this.rows.get(id);
    return row ? row.node : null;
  }
}
