// What each browser sends in a peer-to-peer meeting: one copy per person, so less of each
// as the meeting grows.
import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { cameraEncoding, screenEncoding, setupDeadline } from "../src/media/mesh.js";

describe("the camera's encoding by the number of people it sends to", () => {
  test("one or two people get full resolution", () => {
    assert.deepEqual(cameraEncoding(1), { maxBitrate: 1_200_000, scaleResolutionDownBy: 1 });
    assert.deepEqual(cameraEncoding(2), { maxBitrate: 700_000, scaleResolutionDownBy: 1 });
  });

  test("three people get a smaller picture, four and more a quarter of it", () => {
    assert.deepEqual(cameraEncoding(3), { maxBitrate: 450_000, scaleResolutionDownBy: 1.5 });
    assert.deepEqual(cameraEncoding(4), { maxBitrate: 250_000, scaleResolutionDownBy: 2 });
    assert.deepEqual(cameraEncoding(20), { maxBitrate: 250_000, scaleResolutionDownBy: 2 });
  });

  test("no one yet (a connection being set up) is treated as one", () => {
    assert.deepEqual(cameraEncoding(0), cameraEncoding(1));
  });

  test("each copy gets no better as the meeting grows", () => {
    for (let peers = 1; peers < 12; peers += 1) {
      const [now, next] = [cameraEncoding(peers), cameraEncoding(peers + 1)];
      assert.ok(next.maxBitrate <= now.maxBitrate, `${peers + 1} people get no more than ${peers}`);
      assert.ok(next.scaleResolutionDownBy >= now.scaleResolutionDownBy);
    }
  });
});

describe("the screen's encoding", () => {
  test("sharp for one or two people, lighter beyond", () => {
    assert.deepEqual(screenEncoding(1), { maxBitrate: 1_500_000 });
    assert.deepEqual(screenEncoding(2), { maxBitrate: 1_500_000 });
    assert.deepEqual(screenEncoding(3), { maxBitrate: 800_000 });
    assert.deepEqual(screenEncoding(10), { maxBitrate: 800_000 });
  });

  test("a screen is never sent at less than a camera", () => {
    for (let peers = 1; peers < 12; peers += 1) assert.ok(screenEncoding(peers).maxBitrate >= cameraEncoding(peers).maxBitrate);
  });
});

describe("the data saver", () => {
  test("caps each copy of the camera lower, whatever the size of the meeting", () => {
    for (let peers = 1; peers < 8; peers += 1) {
      const saving = cameraEncoding(peers, { dataSaver: true });
      assert.ok(saving.maxBitrate <= 150_000);
      assert.ok(saving.maxBitrate <= cameraEncoding(peers).maxBitrate);
      assert.equal(saving.scaleResolutionDownBy, cameraEncoding(peers).scaleResolutionDownBy);
    }
  });
});

describe("setupDeadline", () => {
  test("someone who never answers is tried ever more rarely, up to two minutes", () => {
    const waits = [0, 1, 2, 3, 4, 5].map((attempt) => setupDeadline(attempt));
    assert.deepEqual(waits, [12000, 24000, 48000, 96000, 120000, 120000]);
  });

  test("someone who answered but did not connect is tried again soon", () => {
    assert.equal(setupDeadline(4, { heard: true }), 12000);
  });
});
