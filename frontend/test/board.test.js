// The whiteboard's drawings, drawn on a fake 2D context that records what the page would
// paint: the shapes, where they land on a page of a given size, their colour and width.
import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { drawStrokes } from "../src/documents/board.js";

// A 2D context that records method calls as [name, ...args] and, with each drawing call
// (stroke, fill, strokeRect, fillText), the style in force.
function recorder() {
  const calls = [];
  const style = { strokeStyle: "#000000", fillStyle: "#000000", lineWidth: 1, lineCap: "butt", lineJoin: "miter", globalAlpha: 1, font: "10px sans-serif", textBaseline: "alphabetic" };
  const saved = [];
  const context = {
    calls,
    style,
    save: () => saved.push({ ...style }),
    restore: () => Object.assign(style, saved.pop()),
  };
  for (const name of ["beginPath", "moveTo", "lineTo", "closePath", "ellipse"]) context[name] = (...args) => calls.push([name, ...args]);
  for (const name of ["stroke", "fill", "strokeRect", "fillText"]) context[name] = (...args) => calls.push([name, ...args, { ...style }]);
  return new Proxy(context, {
    set(target, key, value) {
      if (key in style) style[key] = value;
      else target[key] = value;
      return true;
    },
  });
}

function draw(strokes, width = 1000, height = 500) {
  const context = recorder();
  drawStrokes(context, strokes, width, height);
  return context;
}

const drawn = (context) => context.calls.filter((call) => ["stroke", "fill", "strokeRect", "fillText"].includes(call[0]));
const path = (context) => context.calls.filter((call) => ["moveTo", "lineTo"].includes(call[0])).map(([name, x, y]) => [name, x, y]);

describe("drawing the whiteboard's strokes", () => {
  test("a pen stroke follows its points, scaled to the page", () => {
    const context = draw([{ tool: "pen", color: "#c0392b", width: 5, points: [0.1, 0.2, 0.5, 0.4, 0.9, 1] }]);
    assert.deepEqual(path(context), [["moveTo", 100, 100], ["lineTo", 500, 200], ["lineTo", 900, 500]]);
    const [[name, style]] = drawn(context);
    assert.equal(name, "stroke");
    assert.equal(style.strokeStyle, "#c0392b");
    assert.equal(style.lineWidth, 5); // 5 thousandths of a 1000-pixel page
    assert.equal(style.lineCap, "round");
  });

  test("the width follows the page's size, never under one pixel", () => {
    const stroke = { tool: "pen", width: 10, points: [0, 0, 1, 1] };
    assert.equal(drawn(draw([stroke], 2000, 1000))[0][1].lineWidth, 20);
    assert.equal(drawn(draw([stroke], 50, 50))[0][1].lineWidth, 1);
  });

  test("a stroke without colour or width is black and medium", () => {
    const [[, style]] = drawn(draw([{ tool: "pen", points: [0, 0, 1, 1] }]));
    assert.equal(style.strokeStyle, "#1d2330");
    assert.equal(style.lineWidth, 5);
  });

  test("a tap with the pen leaves a dot", () => {
    const context = draw([{ tool: "pen", points: [0.5, 0.5] }]);
    assert.deepEqual(path(context), [["moveTo", 500, 250], ["lineTo", 500.1, 250]]);
    assert.equal(drawn(context).length, 1);
  });

  test("a stroke with no point, or half of one, is not drawn", () => {
    assert.deepEqual(draw([{ tool: "pen", points: [] }, { tool: "pen", points: [0.5] }, { tool: "pen" }]).calls, []);
  });

  test("the highlighter is wide, square and see-through", () => {
    const [[, style]] = drawn(draw([{ tool: "highlighter", width: 5, points: [0, 0, 1, 0] }]));
    assert.equal(style.globalAlpha, 0.35);
    assert.equal(style.lineWidth, 15);
    assert.equal(style.lineCap, "square");
  });

  test("a line goes from its first point to its last", () => {
    const context = draw([{ tool: "line", points: [0, 0, 0.3, 0.3, 1, 1] }]);
    assert.deepEqual(path(context), [["moveTo", 0, 0], ["lineTo", 1000, 500]]);
    assert.deepEqual(drawn(context).map(([name]) => name), ["stroke"]);
  });

  test("an arrow is a line with a filled head at its end", () => {
    const context = draw([{ tool: "arrow", color: "#2856d8", points: [0, 0.5, 1, 0.5] }]);
    assert.deepEqual(drawn(context).map(([name]) => name), ["stroke", "fill"]);
    const head = path(context).slice(2);
    assert.deepEqual(head[0], ["moveTo", 1000, 250]);
    // The head points right: both its other corners lie behind the tip, one above, one below.
    const [, [, x1, y1], [, x2, y2]] = head;
    assert.ok(x1 < 1000 && x2 < 1000);
    assert.ok(Math.abs(y1 - 250 + (y2 - 250)) < 1e-9 && y1 !== y2);
    assert.equal(drawn(context)[1][1].fillStyle, "#2856d8");
  });

  test("a rectangle spans its two corners, drawn backwards too", () => {
    const [[name, x, y, w, h]] = drawn(draw([{ tool: "rectangle", points: [0.5, 0.5, 0.1, 0.2] }]));
    assert.deepEqual([name, x, y, w, h], ["strokeRect", 500, 250, -400, -150]);
  });

  test("an ellipse fits the box of its two corners", () => {
    const context = draw([{ tool: "ellipse", points: [0.6, 0.8, 0.2, 0.2] }]);
    const [, cx, cy, rx, ry] = context.calls.find(([name]) => name === "ellipse");
    assert.deepEqual([cx, cy, rx, ry].map((n) => Math.round(n * 1000) / 1000), [400, 250, 200, 150]);
    assert.equal(drawn(context).length, 1);
  });

  test("a text is written at its point, at most 500 characters", () => {
    const context = draw([{ tool: "text", width: 5, color: "#1e8c4d", points: [0.25, 0.5], text: "x".repeat(600) }]);
    const [[name, text, x, y, style]] = drawn(context);
    assert.deepEqual([name, text.length, x, y], ["fillText", 500, 250, 250]);
    assert.equal(style.font, "25px sans-serif");
    assert.equal(style.fillStyle, "#1e8c4d");
    assert.equal(drawn(draw([{ tool: "text", width: 2, points: [0, 0], text: "hi" }], 100, 100))[0][4].font, "12px sans-serif");
  });

  test("an unknown tool draws nothing, and styles never leak from one stroke to the next", () => {
    const context = draw([{ tool: "laser", points: [0, 0, 1, 1] }, { tool: "highlighter", points: [0, 0, 1, 1] }, { tool: "pen", points: [0, 0, 1, 1] }]);
    const styles = drawn(context).map(([, style]) => style);
    assert.equal(styles.length, 2);
    assert.equal(styles[1].globalAlpha, 1);
    assert.equal(context.style.globalAlpha, 1); // restored after the last stroke too
  });

  test("strokes are drawn in order, the last on top", () => {
    const context = draw([{ tool: "pen", color: "#111111", points: [0, 0, 1, 1] }, { tool: "rectangle", color: "#222222", points: [0, 0, 1, 1] }]);
    assert.deepEqual(drawn(context).map(([name, ...rest]) => [name, rest.at(-1).strokeStyle]), [["stroke", "#111111"], ["strokeRect", "#222222"]]);
  });
});
