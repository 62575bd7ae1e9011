// The protocol client keeps the numbered events in order without a page: events that
// overtake each other are put back in order, and a real gap is asked for once.
import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { MeetingClient } from "../src/meeting/client.js";

function client() {
  const meeting = new MeetingClient("/r/x/live");
  const sent = [];
  const applied = [];
  meeting.send = (message) => sent.push(message);
  meeting.addEventListener("change", (event) => applied.push(/** @type {CustomEvent} */ (event).detail.event.id));
  const you = { id: "a", name: "Ada", role: "moderator" };
  meeting.receive({ type: "welcome", version: 1, you, participants: [you], chat: [], locks: {}, last_event: 10 });
  return { meeting, sent, applied };
}

const chat = (id) => ({ type: "event", id, kind: "chat", data: { id, from: "a", from_name: "Ada", to: null, to_name: null, text: `${id}`, at: "2026-12-02T10:00:00Z" } });

describe("MeetingClient", () => {
  test("events that overtake each other are applied in order, without asking again", () => {
    const { meeting, sent, applied } = client();
    meeting.receive(chat(11));
    meeting.receive(chat(13));
    meeting.receive(chat(12));
    meeting.receive(chat(12));
    assert.deepEqual(applied, [11, 12, 13]);
    assert.deepEqual(meeting.state.chat.map((m) => m.text), ["11", "12", "13"]);
    assert.deepEqual(sent, []);
    meeting.stopWaiting();
  });

  test("a gap that stays is asked for once, from the last event seen", async () => {
    const { meeting, sent, applied } = client();
    meeting.receive(chat(11));
    for (const id of [14, 15, 16, 17]) meeting.receive(chat(id));
    await new Promise((resolve) => setTimeout(resolve, 700));
    assert.deepEqual(applied, [11]);
    assert.deepEqual(sent, [{ type: "hello", last_event: 11 }]);
  });

  test("removal of this page's person ends the meeting for it", () => {
    const { meeting } = client();
    let ended = null;
    meeting.addEventListener("ended", (event) => (ended = /** @type {CustomEvent} */ (event).detail));
    meeting.receive({ type: "event", id: 11, kind: "removed", data: { id: "a", ban: true } });
    assert.deepEqual(ended, { reason: "removed", ban: true });
  });
});
