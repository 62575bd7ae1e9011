// How the meeting page's picture of the meeting follows the server's numbered events: who
// is in the list and in what state, the chat, the locks, and being removed.
import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { reduce } from "../src/meeting/state.js";

const alice = { id: "u1", name: "Alice", role: "moderator", hand: null, muted: false };
const bob = { id: "u2", name: "Bob", role: "participant", hand: "2026-01-01T10:00:00Z", muted: true };
const carol = { id: "g3", name: "Carol", role: "participant", hand: "2026-01-01T10:01:00Z", guest: true };

function meeting({ you = alice, people = [alice, bob], chat = [], locks = {} } = {}) {
  return { you, participants: new Map(people.map((p) => [p.id, p])), chat, locks };
}

// The state after the events, as the page keeps it (changes applied one after the other;
// `you` and `removed` are for the page to act on, not part of the state).
function after(state, ...events) {
  for (const event of events) {
    const changes = reduce(state, event);
    delete changes.you;
    delete changes.removed;
    delete changes.gone;
    Object.assign(state, changes);
  }
  return state;
}

const names = (state) => [...state.participants.values()].map((p) => p.name);

describe("the meeting's events", () => {
  test("someone joins: they are in the list", () => {
    assert.deepEqual(names(after(meeting(), { kind: "joined", data: carol })), ["Alice", "Bob", "Carol"]);
  });

  test("someone's state changes: their entry is replaced, the others stay", () => {
    const state = after(meeting(), { kind: "updated", data: { ...bob, muted: false, hand: null } });
    assert.deepEqual(state.participants.get("u2"), { ...bob, muted: false, hand: null });
    assert.deepEqual(state.participants.get("u1"), alice);
  });

  test("someone leaves or is removed: they are no longer in the list", () => {
    assert.deepEqual(names(after(meeting(), { kind: "left", data: { id: "u2" } })), ["Alice"]);
    assert.deepEqual(names(after(meeting(), { kind: "removed", data: { id: "u2", ban: true } })), ["Alice"]);
  });

  test("someone unknown leaves: the list is the same", () => {
    assert.deepEqual(names(after(meeting(), { kind: "left", data: { id: "nobody" } })), ["Alice", "Bob"]);
    assert.deepEqual(reduce(meeting(), { kind: "left", data: { id: "nobody" } }), {});
  });

  test("whoever leaves or is removed is named, as the list had them", () => {
    assert.deepEqual(reduce(meeting(), { kind: "left", data: { id: "u2" } }).gone, bob);
    assert.deepEqual(reduce(meeting(), { kind: "removed", data: { id: "u2", ban: false } }).gone, bob);
  });

  test("an event about this page's own person says so; one about another does not", () => {
    const mine = { ...alice, muted: true };
    assert.deepEqual(reduce(meeting(), { kind: "updated", data: mine }).you, mine);
    assert.equal(reduce(meeting(), { kind: "updated", data: { ...bob, muted: false } }).you, undefined);
    assert.equal(reduce(meeting({ you: null }), { kind: "joined", data: alice }).you, undefined); // before the welcome
  });

  test("this page's person removed: with or without a ban", () => {
    assert.deepEqual(reduce(meeting(), { kind: "removed", data: { id: "u1", ban: true } }).removed, { ban: true });
    assert.deepEqual(reduce(meeting(), { kind: "removed", data: { id: "u1" } }).removed, { ban: false });
    assert.equal(reduce(meeting(), { kind: "removed", data: { id: "u2", ban: true } }).removed, undefined);
    assert.equal(reduce(meeting(), { kind: "left", data: { id: "u1" } }).removed, undefined); // leaving is no removal
  });

  test("chat messages add up in order; clearing empties the chat", () => {
    const first = { from: "u1", text: "hello" };
    const second = { from: "u2", text: "hi" };
    const state = after(meeting(), { kind: "chat", data: first }, { kind: "chat", data: second });
    assert.deepEqual(state.chat, [first, second]);
    assert.deepEqual(after(state, { kind: "chat.cleared" }).chat, []);
  });

  test("the locks are replaced as a whole", () => {
    const state = after(meeting({ locks: { chat: true, camera: true } }), { kind: "locks", data: { chat: false, screen: true } });
    assert.deepEqual(state.locks, { chat: false, screen: true });
  });

  test("hands lowered: nobody's hand is up, nothing else changes", () => {
    const state = after(meeting({ people: [alice, bob, carol] }), { kind: "hands.lowered" });
    assert.deepEqual([...state.participants.values()], [alice, { ...bob, hand: null }, { ...carol, hand: null }]);
  });

  test("the state given is left as it was", () => {
    const state = meeting({ people: [alice, bob], chat: [{ text: "old" }] });
    for (const event of [
      { kind: "joined", data: carol },
      { kind: "left", data: { id: "u2" } },
      { kind: "hands.lowered" },
      { kind: "chat", data: { text: "new" } },
    ]) {
      reduce(state, event);
    }
    assert.deepEqual(names(state), ["Alice", "Bob"]);
    assert.equal(bob.hand, "2026-01-01T10:00:00Z");
    assert.deepEqual(state.chat, [{ text: "old" }]);
  });

  test("events for the polls, the shared video or the media change none of this", () => {
    for (const kind of ["poll.started", "poll.results", "video", "media", "none", "something.new"]) {
      assert.deepEqual(reduce(meeting(), { kind, data: { id: "u1" } }), {}, kind);
    }
  });

  test("only what changed is given", () => {
    assert.deepEqual(Object.keys(reduce(meeting(), { kind: "chat", data: { text: "x" } })), ["chat"]);
    assert.deepEqual(Object.keys(reduce(meeting(), { kind: "locks", data: {} })), ["locks"]);
    assert.deepEqual(Object.keys(reduce(meeting(), { kind: "joined", data: carol })), ["participants"]);
  });
});
