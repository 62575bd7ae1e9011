// Which streams a page receives from the media server: everyone's audio, the screens, and a
// bounded number of cameras chosen by pin and by who spoke last.
import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { cameraLayer, chooseStreams, simulcastLayers } from "../src/media/sfu.js";

// A meeting where each of `people` publishes a camera (audio mid "a", video mid "v") and
// `sharing` also publish a screen (video mid "s"); publisher ids are 1, 2, 3…
function meeting(people, { sharing = [] } = {}) {
  const feeds = new Map();
  let id = 0;
  for (const participant of people) {
    id += 1;
    feeds.set(id, { participant, kind: "camera", streams: [{ mid: "a", type: "audio" }, { mid: "v", type: "video" }] });
  }
  for (const participant of sharing) {
    id += 1;
    feeds.set(id, { participant, kind: "screen", streams: [{ mid: "s", type: "video" }] });
  }
  return feeds;
}

// What the page receives, as "participant:camera-video" etc., in a stable order.
function received(feeds, options = {}) {
  const streams = chooseStreams({
    feeds,
    present: new Set([...feeds.values()].map((f) => f.participant)),
    cameraOn: () => true,
    pinned: null,
    lastSpoke: new Map(),
    ...options,
  });
  return streams
    .map(({ feed, mid }) => {
      const { participant, kind, streams: sent } = feeds.get(feed);
      const type = sent.find((s) => s.mid === mid).type;
      return `${participant}:${kind}-${type}`;
    })
    .sort();
}

function videosOf(feeds, options) {
  return received(feeds, options)
    .filter((s) => s.endsWith("camera-video"))
    .map((s) => s.split(":")[0]);
}

function people(count) {
  return Array.from({ length: count }, (_, i) => `p${String(i + 1).padStart(2, "0")}`);
}

describe("the SFU's choice of streams", () => {
  test("a small meeting: every audio and every camera", () => {
    const feeds = meeting(["alice", "bob"]);
    assert.deepEqual(received(feeds, { videos: 9 }), ["alice:camera-audio", "alice:camera-video", "bob:camera-audio", "bob:camera-video"]);
  });

  test("a large meeting: the last to have spoken get the videos, everyone is heard", () => {
    const everyone = people(12);
    const lastSpoke = new Map(everyone.map((p, i) => [p, 1000 + i])); // p12 spoke last
    const feeds = meeting(everyone);
    assert.deepEqual(videosOf(feeds, { videos: 9, lastSpoke }), everyone.slice(3));
    assert.equal(received(feeds, { videos: 9, lastSpoke }).filter((s) => s.endsWith("audio")).length, 12);
  });

  test("the pinned person keeps a video place without speaking", () => {
    const everyone = people(5);
    const lastSpoke = new Map([["p02", 5], ["p03", 4], ["p04", 3]]);
    assert.deepEqual(videosOf(meeting(everyone), { videos: 2, lastSpoke, pinned: "p05" }), ["p02", "p05"]);
  });

  test("screens are always received and take video places from the cameras", () => {
    const everyone = people(4);
    const lastSpoke = new Map([["p01", 4], ["p02", 3], ["p03", 2], ["p04", 1]]);
    const feeds = meeting(everyone, { sharing: ["p04"] });
    assert.deepEqual(videosOf(feeds, { videos: 3, lastSpoke }), ["p01", "p02"]);
    assert.ok(received(feeds, { videos: 3, lastSpoke }).includes("p04:screen-video"));
  });

  test("more screens than places: the screens and no camera", () => {
    const feeds = meeting(["a", "b"], { sharing: ["a", "b"] });
    assert.deepEqual(received(feeds, { videos: 1 }), ["a:camera-audio", "a:screen-video", "b:camera-audio", "b:screen-video"]);
  });

  test("a camera that is off leaves its place to the next one", () => {
    const lastSpoke = new Map([["a", 3], ["b", 2], ["c", 1]]);
    const cameraOn = (p) => p !== "a";
    assert.deepEqual(videosOf(meeting(["a", "b", "c"]), { videos: 2, lastSpoke, cameraOn }), ["b", "c"]);
  });

  test("someone no longer in the meeting is neither seen nor heard", () => {
    const feeds = meeting(["alice", "gone"], { sharing: ["gone"] });
    assert.deepEqual(received(feeds, { present: new Set(["alice"]) }), ["alice:camera-audio", "alice:camera-video"]);
  });

  test("no video places configured: audio and screens only", () => {
    const feeds = meeting(["a", "b"], { sharing: ["b"] });
    assert.deepEqual(received(feeds, { videos: 0 }), ["a:camera-audio", "b:camera-audio", "b:screen-video"]);
  });

  test("no number from the server: nine videos", () => {
    const everyone = people(10);
    for (const videos of [undefined, null]) assert.equal(videosOf(meeting(everyone), { videos }).length, 9);
  });

  test("a feed without streams (all disabled) adds nothing", () => {
    const feeds = new Map([[1, { participant: "a", kind: "camera", streams: [] }]]);
    assert.deepEqual(received(feeds), []);
  });
});

describe("the camera's simulcast layers and the one received", () => {
  test("the data saver sends every layer at a lower bitrate, the same sizes", () => {
    const usual = simulcastLayers();
    const saving = simulcastLayers({ dataSaver: true });
    assert.deepEqual(saving.map((l) => l.rid), ["l", "m", "h"]);
    for (const [index, layer] of saving.entries()) {
      assert.ok(layer.maxBitrate < usual[index].maxBitrate, layer.rid);
      assert.equal(layer.scaleResolutionDownBy, usual[index].scaleResolutionDownBy);
    }
  });

  test("few videos or the pinned one come large, many smaller", () => {
    assert.equal(cameraLayer({ pinned: false, shown: 2 }), 2);
    assert.equal(cameraLayer({ pinned: true, shown: 9 }), 2);
    assert.equal(cameraLayer({ pinned: false, shown: 4 }), 1);
    assert.equal(cameraLayer({ pinned: false, shown: 9 }), 0);
  });

  test("with the data saver every camera comes in the low layer, the pinned one too", () => {
    assert.equal(cameraLayer({ pinned: true, shown: 1, dataSaver: true }), 0);
  });
});
