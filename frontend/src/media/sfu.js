// Media through the SFU (Janus VideoRoom): this browser publishes its camera and microphone
// once (with simulcast), its screen as a publisher of its own, and receives, on one
// subscriber connection, the audio of everyone and the video of a bounded number of people:
// the pinned one, the screens, and the last to have spoken.
//
// Parley gives the way in (`config`: the node's WebSocket, a short-lived token, the room and a
// join token of this participant's own) and a new one whenever asked: when the token nears
// its end, and when anything breaks (Janus restarted, the node moved): then everything starts
// again from a fresh config, by itself.
//
// The same interface as the mesh (mesh.js): sync, signal, localChanged, reconnected,
// setIceServers, audioLevels, close; and setPinned here.

const KEEPALIVE_MS = 25000;
const REQUEST_TIMEOUT_MS = 10000;
const RETRY_MS = [500, 1000, 2000, 4000, 5000];
// After this long in "disconnected", a connection is taken for lost and everything restarts.
const DISCONNECTED_GRACE_MS = 5000;
// The video choice changes at most this often (speakers take turns quickly).
const CHOICE_INTERVAL_MS = 1500;
const TALKING_LEVEL = 0.04;
// Simulcast layers of the camera: Janus passes each subscriber the one it asks for.
const SIMULCAST = [
  { rid: "l", scaleResolutionDownBy: 4, maxBitrate: 150_000 },
  { rid: "m", scaleResolutionDownBy: 2, maxBitrate: 400_000 },
  { rid: "h", scaleResolutionDownBy: 1, maxBitrate: 1_200_000 },
];
// With the data saver each layer is capped lower (and the camera captures less: local.js).
const DATA_SAVER_BITRATES = { l: 80_000, m: 150_000, h: 300_000 };

// The camera's simulcast layers as this browser sends them.
export function simulcastLayers({ dataSaver = false } = {}) {
  return SIMULCAST.map((layer) => (dataSaver ? { ...layer, maxBitrate: DATA_SAVER_BITRATES[layer.rid] } : { ...layer }));
}

// Which layer (0 low … 2 high) to receive a camera in: large when few are shown or it is
// pinned; the lowest with the data saver, whatever the rest.
export function cameraLayer({ pinned, shown, dataSaver = false }) {
  if (dataSaver) return 0;
  if (pinned || shown <= 2) return 2;
  return shown <= 6 ? 1 : 0;
}

function transaction() {
  return Array.from(crypto.getRandomValues(new Uint8Array(9)), (b) => b.toString(16).padStart(2, "0")).join("");
}

// One Janus session over its WebSocket API: requests matched to answers by transaction.
class JanusSession {
  constructor(url, token, { onEvent, onClose }) {
    this.url = url;
    this.token = token;
    this.onEvent = onEvent;
    this.onClose = onClose;
    this.pending = new Map();
    this.id = null;
    this.closed = false;
  }

  open() {
    return new Promise((resolve, reject) => {
      const ws = (this.ws = new WebSocket(this.url, "janus-protocol"));
      ws.onopen = async () => {
        try {
          const created = await this.request({ janus: "create" });
          this.id = created.data.id;
          this.keepalive = setInterval(() => this.request({ janus: "keepalive", session_id: this.id }, { ackEnds: true }).catch(() => {}), KEEPALIVE_MS);
          resolve(this);
        } catch (error) {
          reject(error);
        }
      };
      ws.onerror = () => reject(new Error("media server unreachable"));
      ws.onclose = () => this.gone();
      ws.onmessage = ({ data }) => this.receive(JSON.parse(data));
    });
  }

  gone() {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.keepalive);
    for (const { reject, timer } of this.pending.values()) {
      clearTimeout(timer);
      reject(new Error("media server connection closed"));
    }
    this.pending.clear();
    this.onClose();
  }

  // Resolves with the answer: "success", or the plugin's "event" for asynchronous requests.
  request(body, { ackEnds = false } = {}) {
    if (this.closed) return Promise.reject(new Error("media server connection closed"));
    const id = transaction();
    const message = { ...body, transaction: id, token: this.token };
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`no answer to ${body.janus}`));
      }, REQUEST_TIMEOUT_MS);
      this.pending.set(id, { resolve, reject, timer, ackEnds });
      this.ws.send(JSON.stringify(message));
    });
  }

  receive(message) {
    const waiting = message.transaction && this.pending.get(message.transaction);
    if (message.janus === "ack" && waiting) {
      // Asynchronous plugin requests are acked first; trickles and keepalives end there.
      if (waiting.ackEnds) this.settle(message.transaction, message);
      return;
    }
    if (waiting && (message.janus === "success" || message.janus === "error" || message.janus === "event")) {
      const data = message.plugindata && message.plugindata.data;
      if (message.janus === "error") this.settle(message.transaction, null, new Error(message.error.reason));
      else if (data && data.error) this.settle(message.transaction, null, Object.assign(new Error(data.error), { code: data.error_code }));
      else this.settle(message.transaction, message);
      return;
    }
    this.onEvent(message);
  }

  settle(id, message, error = null) {
    const waiting = this.pending.get(id);
    if (!waiting) return;
    this.pending.delete(id);
    clearTimeout(waiting.timer);
    if (error) waiting.reject(error);
    else waiting.resolve(message);
  }

  // Requests answered by a bare ack (trickle, keepalive).
  notify(body) {
    const id = transaction();
    this.ws.send(JSON.stringify({ ...body, transaction: id, token: this.token, session_id: this.id }));
  }

  async attach(opaqueId) {
    const answer = await this.request({ janus: "attach", plugin: "janus.plugin.videoroom", session_id: this.id, opaque_id: opaqueId });
    return answer.data.id;
  }

  message(handle, body, jsep) {
    return this.request({ janus: "message", session_id: this.id, handle_id: handle, body, ...(jsep ? { jsep } : {}) });
  }

  trickle(handle, candidate) {
    if (this.closed) return;
    this.notify({ janus: "trickle", handle_id: handle, candidate: candidate || { completed: true } });
  }

  close() {
    if (this.closed) return;
    try {
      this.ws.send(JSON.stringify({ janus: "destroy", session_id: this.id, transaction: transaction(), token: this.token }));
    } catch {
      // Already gone.
    }
    this.closed = true;
    clearInterval(this.keepalive);
    this.ws.close();
  }
}

function describe(display) {
  try {
    const parsed = JSON.parse(display || "{}");
    if (typeof parsed.p === "string" && (parsed.k === "camera" || parsed.k === "screen")) return parsed;
  } catch {
    // Not one of ours.
  }
  return null;
}

/**
 * What one publisher sends: a participant's camera (with their microphone) or screen.
 * @typedef {{ participant: string, kind: "camera" | "screen", streams: { mid: string, type: string }[] }} Feed
 */

/**
 * The streams a page receives: the audio of everyone present, their screens, and the cameras
 * (those that are on) in the video places the screens leave: the pinned one first, then the
 * last to have spoken. `videos` is the server's number of places (9 when it gives none).
 * @param {object} choice
 * @param {Map<number, Feed>} choice.feeds publisher id -> what it sends
 * @param {Set<string>} choice.present the other participants in the meeting
 * @param {(participant: string) => boolean} choice.cameraOn
 * @param {string | null} choice.pinned
 * @param {Map<string, number>} choice.lastSpoke participant -> when they last spoke (ms)
 * @param {number | null} [choice.videos]
 * @returns {{ feed: number, mid: string }[]}
 */
export function chooseStreams({ feeds, present, cameraOn, pinned, lastSpoke, videos }) {
  const cameras = [...feeds.values()].filter((f) => f.kind === "camera" && present.has(f.participant) && cameraOn(f.participant));
  const order = cameras
    .map((f) => f.participant)
    .sort((a, b) => (a === pinned ? -1 : b === pinned ? 1 : (lastSpoke.get(b) || 0) - (lastSpoke.get(a) || 0)));
  const screens = [...feeds.values()].filter((f) => f.kind === "screen" && present.has(f.participant));
  const shown = new Set(order.slice(0, Math.max(0, (videos ?? 9) - screens.length)));
  const wanted = [];
  for (const [id, feed] of feeds) {
    if (!present.has(feed.participant)) continue;
    for (const stream of feed.streams) {
      if (stream.type === "audio" || (stream.type === "video" && (feed.kind === "screen" || shown.has(feed.participant)))) {
        wanted.push({ feed: id, mid: stream.mid });
      }
    }
  }
  return wanted;
}

export class SfuTransport {
  constructor({ selfId, local, config, fetchConfig, iceServers = [], onMedia, onStatus = /** @type {(status: string) => void} */ (() => {}), onPeerState = () => {} }) {
    this.selfId = selfId;
    this.local = local;
    this.config = config;
    this.fetchConfig = fetchConfig;
    this.iceServers = iceServers;
    this.onMedia = onMedia;
    this.onStatus = onStatus;
    this.onPeerState = onPeerState;
    this.peers = new Map(); // kept empty: the mesh's; tests and the page look at `feeds`
    this.feeds = new Map(); // publisher id -> { participant, kind, streams: [{mid, type}] }
    this.wanted = new Set(); // participants present in the meeting
    this.lastSpoke = new Map();
    this.pinned = null;
    /** @type {(participant: string) => boolean} */
    this.cameraOn = () => true; // the meeting page says whose camera is on
    this.generation = 0;
    this.closed = false;
    this.retries = 0;
    this.queue = Promise.resolve();
    this.remoteStreams = new Map(); // "participant:kind" -> MediaStream
    this.needsConfig = !config;
    this.start();
  }

  // Everything from the beginning: a Janus session, the publisher, the subscriber.
  async start() {
    const generation = ++this.generation;
    this.teardown();
    try {
      if (this.needsConfig) this.config = await this.fetchConfig();
      this.needsConfig = true;
      if (generation !== this.generation || this.closed) return;
      const janus = this.config.janus;
      this.session = await new JanusSession(janus.url, janus.token, {
        onEvent: (message) => this.event(generation, message),
        onClose: () => this.broken(generation, "closed"),
      }).open();
      if (generation !== this.generation) return this.session.close();
      await this.publish(generation);
      this.retries = 0;
      this.onStatus("connected");
      this.scheduleRefresh(generation);
    } catch (error) {
      console.warn("media server:", error);
      this.broken(generation, error.message);
    }
  }

  broken(generation, why) {
    if (generation !== this.generation || this.closed) return;
    this.generation += 1; // what belongs to the broken attempt stops here
    this.onStatus("reconnecting");
    const delay = RETRY_MS[Math.min(this.retries, RETRY_MS.length - 1)];
    this.retries += 1;
    console.info(`media server connection lost (${why}); again in ${delay} ms`);
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => this.start(), delay);
  }

  teardown() {
    clearTimeout(this.refreshTimer);
    for (const pc of [this.publisher && this.publisher.pc, this.screenPublisher && this.screenPublisher.pc, this.subscriber && this.subscriber.pc]) {
      if (pc) pc.close();
    }
    this.publisher = null;
    this.screenPublisher = null;
    this.subscriber = null;
    if (this.session) this.session.close();
    this.session = null;
    this.feeds.clear();
    for (const [key, stream] of this.remoteStreams) {
      const [participant, kind] = key.split(":");
      this.onMedia(participant, kind, null, stream);
    }
    this.remoteStreams.clear();
  }

  // A new token before this one ends (Janus checks it on every request, keepalives too).
  scheduleRefresh(generation) {
    const janus = this.config.janus;
    const lifetime = janus.expires_at * 1000 - Date.now();
    this.refreshTimer = setTimeout(async () => {
      if (generation !== this.generation) return;
      try {
        const fresh = await this.fetchConfig();
        if (generation !== this.generation) return;
        if (!fresh.janus || fresh.janus.node !== janus.node || fresh.janus.room !== janus.room) {
          // The meeting moved to another node: go there.
          this.config = fresh;
          this.needsConfig = false;
          this.start();
          return;
        }
        this.config = fresh;
        this.session.token = fresh.janus.token;
        this.scheduleRefresh(generation);
      } catch {
        this.broken(generation, "token refresh failed");
      }
    }, Math.max(5000, lifetime / 2));
  }

  newConnection(generation, handle) {
    const pc = new RTCPeerConnection({ iceServers: this.iceServers, bundlePolicy: "max-bundle" });
    pc.onicecandidate = ({ candidate }) => {
      if (generation === this.generation && this.session) this.session.trickle(handle, candidate && candidate.toJSON());
    };
    let timer = null;
    pc.onconnectionstatechange = () => {
      clearTimeout(timer);
      if (generation !== this.generation) return;
      if (pc.connectionState === "failed") this.broken(generation, "connection failed");
      else if (pc.connectionState === "disconnected") {
        timer = setTimeout(() => pc.connectionState === "disconnected" && this.broken(generation, "connection lost"), DISCONNECTED_GRACE_MS);
      }
    };
    return pc;
  }

  async joinAs(generation, kind) {
    const handle = await this.session.attach(`parley-${kind}-${this.selfId}`);
    const janus = this.config.janus;
    const answer = await this.session.message(handle, {
      request: "join",
      ptype: "publisher",
      room: janus.room,
      token: janus.join_token,
      display: JSON.stringify({ p: this.selfId, k: kind }),
    });
    return { handle, joined: answer.plugindata.data };
  }

  // The camera and microphone, published from the start (tracks come and go by replaceTrack).
  async publish(generation) {
    const { handle, joined } = await this.joinAs(generation, "camera");
    if (this.config.publish === false) {
      // Off a webinar's stage: in the room to hear of its publishers, sending nothing.
      this.publisher = { handle, pc: null, id: joined.id, privateId: joined.private_id, senders: null };
      this.addFeeds(joined.publishers || []);
      return;
    }
    const pc = this.newConnection(generation, handle);
    const audio = pc.addTransceiver("audio", { direction: "sendonly", streams: [this.local.camera] });
    const video = pc.addTransceiver("video", { direction: "sendonly", streams: [this.local.camera], sendEncodings: simulcastLayers(this.local.choices) });
    this.dataSaver = Boolean(this.local.choices.dataSaver);
    this.publisher = { handle, pc, id: joined.id, privateId: joined.private_id, senders: { audio: audio.sender, camera: video.sender } };
    this.applyLocal();
    await pc.setLocalDescription(await pc.createOffer());
    const answer = await this.session.message(handle, { request: "publish" }, pc.localDescription.toJSON());
    if (generation !== this.generation) return;
    await pc.setRemoteDescription(answer.jsep);
    this.addFeeds(joined.publishers || []);
    await this.syncScreen(generation);
  }

  async syncScreen(generation) {
    if (this.publisher && !this.publisher.senders) return;
    const track = this.local.screenTrack;
    if (track && !this.screenPublisher) {
      const placeholder = (this.screenPublisher = { track });
      const { handle, joined } = await this.joinAs(generation, "screen");
      if (generation !== this.generation) return;
      const pc = this.newConnection(generation, handle);
      pc.addTransceiver(track, { direction: "sendonly", streams: [this.local.screen], sendEncodings: [{ maxBitrate: 1_500_000 }] });
      Object.assign(placeholder, { handle, pc, id: joined.id });
      await pc.setLocalDescription(await pc.createOffer());
      const answer = await this.session.message(handle, { request: "publish" }, pc.localDescription.toJSON());
      if (generation === this.generation) await pc.setRemoteDescription(answer.jsep);
    } else if (!track && this.screenPublisher && this.screenPublisher.pc) {
      const { handle, pc } = this.screenPublisher;
      this.screenPublisher = null;
      pc.close();
      await this.session.message(handle, { request: "leave" }).catch(() => {});
      this.session.request({ janus: "detach", session_id: this.session.id, handle_id: handle }).catch(() => {});
    } else if (track && this.screenPublisher && this.screenPublisher.pc && this.screenPublisher.track !== track) {
      // Another screen, window or tab: same publisher, new track.
      this.screenPublisher.track = track;
      const sender = this.screenPublisher.pc.getSenders()[0];
      if (sender) await sender.replaceTrack(track);
    }
  }

  applyLocal() {
    if (!this.publisher || !this.publisher.senders) return;
    const { senders } = this.publisher;
    for (const [role, sender] of Object.entries(senders)) {
      const track = this.local.track(role);
      if (sender.track !== track) sender.replaceTrack(track).catch(() => {});
    }
    const dataSaver = Boolean(this.local.choices.dataSaver);
    if (dataSaver !== this.dataSaver) {
      // Turned on or off in the settings: less sent, the low layer received (or back).
      this.dataSaver = dataSaver;
      this.encode();
      this.chooseLayers();
    }
  }

  // Cap the camera's layers as the data saver says, on the sender as it is (no renegotiation).
  encode() {
    const sender = this.publisher.senders.camera;
    const parameters = sender.getParameters();
    if (!parameters.encodings || parameters.encodings.length === 0) return;
    const layers = simulcastLayers(this.local.choices);
    for (const encoding of parameters.encodings) {
      const layer = layers.find((l) => l.rid === encoding.rid);
      if (layer) encoding.maxBitrate = layer.maxBitrate;
    }
    sender.setParameters(parameters).catch((error) => console.warn("media server: encoding", error));
  }

  // Janus tells of publishers arriving and leaving; the subscription follows.
  event(generation, message) {
    if (generation !== this.generation) return;
    if (message.janus === "hangup" || message.janus === "detached") {
      const mine = [this.publisher, this.subscriber].some((p) => p && p.handle === message.sender);
      if (mine) this.broken(generation, message.reason || message.janus);
      return;
    }
    if (message.janus === "trickle") {
      const target = [this.publisher, this.screenPublisher, this.subscriber].find((p) => p && p.handle === message.sender && p.pc);
      const candidate = message.candidate;
      if (target && candidate && !candidate.completed) target.pc.addIceCandidate(candidate).catch(() => {});
      return;
    }
    if (message.janus !== "event" || !message.plugindata) return;
    const data = message.plugindata.data || {};
    if (data.publishers) this.addFeeds(data.publishers);
    const gone = data.leaving || data.unpublished;
    if (gone && gone !== "ok") {
      // Janus drops what we received of it by itself; the subscription forgets it too.
      this.feeds.delete(gone);
      if (this.subscriber) this.subscriber.current = new Set([...this.subscriber.current].filter((k) => !k.startsWith(`${gone}/`)));
      this.resubscribe();
    }
    if (data.videoroom === "destroyed") this.broken(generation, "room destroyed");
    if (message.jsep && this.subscriber && message.sender === this.subscriber.handle) {
      // Janus renegotiates a subscription on its own (a publisher left): answer it.
      this.enqueue(() => this.answer(generation, message.jsep, data.streams));
    }
  }

  addFeeds(publishers) {
    let changed = false;
    for (const publisher of publishers) {
      const who = describe(publisher.display);
      if (!who || who.p === this.selfId) continue;
      this.feeds.set(publisher.id, { participant: who.p, kind: who.k, streams: (publisher.streams || []).filter((s) => !s.disabled) });
      changed = true;
    }
    if (changed) this.resubscribe();
  }

  // The streams this page should receive now: all audio, some videos.
  choose() {
    return chooseStreams({
      feeds: this.feeds,
      present: this.wanted,
      cameraOn: this.cameraOn,
      pinned: this.pinned,
      lastSpoke: this.lastSpoke,
      videos: this.config.videos,
    });
  }

  enqueue(step) {
    this.queue = this.queue.then(step).catch((error) => console.warn("subscription:", error));
    return this.queue;
  }

  resubscribe() {
    clearTimeout(this.choiceTimer);
    this.choiceTimer = setTimeout(() => this.enqueue(() => this.subscribe(this.generation)), 50);
  }

  async subscribe(generation) {
    if (generation !== this.generation || !this.session || !this.publisher) return;
    const wanted = this.choose();
    const key = (s) => `${s.feed}/${s.mid}`;
    if (!this.subscriber) {
      if (wanted.length === 0) return;
      const handle = await this.session.attach(`parley-subscriber-${this.selfId}`);
      const pc = this.newConnection(generation, handle);
      pc.ontrack = () => this.collect();
      this.subscriber = { handle, pc, streams: [], current: new Set(wanted.map(key)) };
      const janus = this.config.janus;
      try {
        const answer = await this.session.message(handle, {
          request: "join",
          ptype: "subscriber",
          room: janus.room,
          token: janus.join_token,
          private_id: this.publisher.privateId,
          streams: wanted,
        });
        await this.answer(generation, answer.jsep, answer.plugindata.data.streams);
      } catch (error) {
        // A feed left in between, say: a new subscription in a moment, with what is there.
        if (this.subscriber && this.subscriber.handle === handle) this.subscriber = null;
        pc.close();
        this.session.request({ janus: "detach", session_id: this.session.id, handle_id: handle }).catch(() => {});
        this.retrySubscription(generation);
        throw error;
      }
      return;
    }
    const current = this.subscriber.current;
    const next = new Set(wanted.map(key));
    const subscribe = wanted.filter((s) => !current.has(key(s)));
    const unsubscribe = [...current].filter((k) => !next.has(k)).map((k) => {
      const [feed, mid] = k.split("/");
      return { feed: Number(feed), mid };
    });
    if (subscribe.length === 0 && unsubscribe.length === 0) return;
    this.subscriber.current = next;
    const body = { request: "update" };
    if (subscribe.length) body.subscribe = subscribe;
    if (unsubscribe.length) body.unsubscribe = unsubscribe;
    let answer;
    try {
      answer = await this.session.message(this.subscriber.handle, body);
    } catch (error) {
      if (this.subscriber) this.subscriber.current = current;
      this.retrySubscription(generation);
      throw error;
    }
    if (answer.jsep) await this.answer(generation, answer.jsep, answer.plugindata.data.streams);
    else if (answer.plugindata.data.streams) {
      this.subscriber.streams = answer.plugindata.data.streams;
      this.collect();
    }
  }

  retrySubscription(generation) {
    setTimeout(() => generation === this.generation && this.resubscribe(), 1000);
  }

  async answer(generation, jsep, streams) {
    if (generation !== this.generation || !this.subscriber) return;
    const pc = this.subscriber.pc;
    if (streams) this.subscriber.streams = streams;
    await pc.setRemoteDescription(jsep);
    await pc.setLocalDescription(await pc.createAnswer());
    await this.session.message(this.subscriber.handle, { request: "start" }, pc.localDescription.toJSON());
    this.collect();
    this.chooseLayers();
  }

  // Build each participant's streams from what the subscriber connection receives now.
  collect() {
    if (!this.subscriber) return;
    const transceivers = new Map(this.subscriber.pc.getTransceivers().map((t) => [t.mid, t]));
    const tracks = new Map(); // "participant:kind" -> [tracks]
    for (const stream of this.subscriber.streams || []) {
      if (!stream.active && stream.active !== undefined) continue;
      const feed = this.feeds.get(stream.feed_id);
      const transceiver = transceivers.get(stream.mid);
      if (!feed || !transceiver || !transceiver.receiver.track) continue;
      const key = `${feed.participant}:${feed.kind}`;
      if (!tracks.has(key)) tracks.set(key, []);
      tracks.get(key).push(transceiver.receiver.track);
    }
    for (const [key, stream] of this.remoteStreams) {
      if (tracks.has(key)) continue;
      this.remoteStreams.delete(key);
      const [participant, kind] = key.split(":");
      this.onMedia(participant, kind, null, stream);
    }
    for (const [key, list] of tracks) {
      const [participant, kind] = key.split(":");
      let stream = this.remoteStreams.get(key);
      const same = stream && stream.getTracks().length === list.length && list.every((t) => stream.getTracks().includes(t));
      if (same) continue;
      stream = new MediaStream(list);
      this.remoteStreams.set(key, stream);
      this.onMedia(participant, kind, stream);
    }
  }

  // Which simulcast layer each received camera comes in: large when few are shown.
  chooseLayers() {
    if (!this.subscriber) return;
    const videos = (this.subscriber.streams || []).filter((s) => s.type === "video" && this.feeds.get(s.feed_id) && this.feeds.get(s.feed_id).kind === "camera");
    const dataSaver = Boolean(this.local.choices.dataSaver);
    const layer = (s) => cameraLayer({ pinned: this.feeds.get(s.feed_id).participant === this.pinned, shown: videos.length, dataSaver });
    const streams = videos.map((s) => ({ mid: s.mid, substream: layer(s) }));
    if (streams.length) this.session.message(this.subscriber.handle, { request: "configure", streams }).catch(() => {});
  }

  // The meeting page's interface

  sync(ids) {
    this.wanted = new Set(ids.filter((id) => id !== this.selfId));
    this.resubscribe();
  }

  signal() {
    // Peer-to-peer signalling has no use here.
  }

  localChanged() {
    this.applyLocal();
    const generation = this.generation;
    if (this.publisher) this.enqueue(() => this.syncScreen(generation));
  }

  reconnected() {
    // The meeting socket came back; Janus has its own connection, watched on its own.
  }

  restart() {
    this.start();
  }

  setIceServers(servers) {
    this.iceServers = servers;
  }

  setPinned(id) {
    if (this.pinned === id) return;
    this.pinned = id;
    this.resubscribe();
  }

  async audioLevels() {
    const levels = new Map();
    if (!this.subscriber || this.subscriber.pc.connectionState !== "connected") return levels;
    const byMid = new Map((this.subscriber.streams || []).map((s) => [s.mid, s]));
    for (const stats of (await this.subscriber.pc.getStats()).values()) {
      if (stats.type !== "inbound-rtp" || stats.kind !== "audio" || typeof stats.audioLevel !== "number") continue;
      const stream = byMid.get(stats.mid);
      const feed = stream && this.feeds.get(stream.feed_id);
      if (!feed) continue;
      levels.set(feed.participant, Math.max(levels.get(feed.participant) || 0, stats.audioLevel));
    }
    // The last to speak get the videos, re-chosen now and then.
    const now = Date.now();
    for (const [id, level] of levels) {
      if (level > TALKING_LEVEL) this.lastSpoke.set(id, now);
    }
    if (now - (this.chosenAt || 0) > CHOICE_INTERVAL_MS) {
      this.chosenAt = now;
      const current = this.subscriber.current;
      const chosen = this.choose().map((s) => `${s.feed}/${s.mid}`);
      if (chosen.length !== current.size || chosen.some((k) => !current.has(k))) this.resubscribe();
    }
    return levels;
  }

  close() {
    this.closed = true;
    this.generation += 1;
    clearTimeout(this.retryTimer);
    clearTimeout(this.choiceTimer);
    this.teardown();
  }
}
