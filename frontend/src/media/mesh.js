// Peer-to-peer media: one RTCPeerConnection per other participant (a full mesh), with
// "perfect negotiation" so either side may renegotiate at any time without glare.
// Signalling rides on the meeting socket (`signal` messages, relayed by the server).
//
// A transport (this one, or the SFU's) offers: sync(people), signal(message), localChanged(),
// reconnected(), restart(id), setIceServers(servers), audioLevels(), close(). It reports
// remote media through `onMedia(participantId, kind, stream | null)`, kind "camera" or
// "screen".

const ROLES = ["audio", "camera", "screen"];
// After this long "disconnected", a connection is restarted rather than left to recover.
const DISCONNECTED_GRACE_MS = 4000;
// A connection not up after this long (a signal lost on the way) starts again from scratch.
const SETUP_DEADLINE_MS = 12000;
// The longest wait before trying again with someone who has never answered.
const SETUP_DEADLINE_MAX_MS = 120000;

// How long a connection has to come up before it starts again. Someone who answered but did
// not connect (a signal lost on the way) gets a new try soon; someone who never answered
// (a page that hangs, a client without media) gets ever rarer ones: each try costs this page
// a new connection and an offer, which would otherwise come back every few seconds.
export function setupDeadline(attempt, { heard = false } = {}) {
  if (heard) return SETUP_DEADLINE_MS;
  return Math.min(SETUP_DEADLINE_MS * 2 ** attempt, SETUP_DEADLINE_MAX_MS);
}

function randomId() {
  return Array.from(crypto.getRandomValues(new Uint8Array(8)), (b) => b.toString(16).padStart(2, "0")).join("");
}

// The data saver's ceiling for each copy of the camera (its capture is smaller too: local.js).
const DATA_SAVER_BITRATE = 150_000;

// What each camera sends, by the number of people it sends to: a mesh uploads one copy each.
// The data saver (a person's choice in the settings) caps each copy lower still.
export function cameraEncoding(peers, { dataSaver = false } = {}) {
  const encoding = peersEncoding(peers);
  if (dataSaver) encoding.maxBitrate = Math.min(encoding.maxBitrate, DATA_SAVER_BITRATE);
  return encoding;
}

function peersEncoding(peers) {
  if (peers <= 1) return { maxBitrate: 1_200_000, scaleResolutionDownBy: 1 };
  if (peers === 2) return { maxBitrate: 700_000, scaleResolutionDownBy: 1 };
  if (peers <= 3) return { maxBitrate: 450_000, scaleResolutionDownBy: 1.5 };
  return { maxBitrate: 250_000, scaleResolutionDownBy: 2 };
}

// What a shared screen sends: sharper than a camera, less so when it goes to many.
export function screenEncoding(peers) {
  return { maxBitrate: peers <= 2 ? 1_500_000 : 800_000 };
}

class Peer {
  // `initiate`: this side makes the first offer. At first contact only the impolite side
  // does, and the polite one answers with its tracks: two offers crossing at the very start
  // make Chromium roll back an offer still being made, after which it gathers no candidate.
  constructor(transport, id, { remoteSession = null, initiate = false, attempt = 0 } = {}) {
    this.transport = transport;
    this.id = id;
    // Session ids tell this connection from an earlier one with the same person (a reload).
    this.session = randomId();
    this.remoteSession = remoteSession;
    this.polite = transport.selfId < id;
    this.makingOffer = false;
    this.ignoreOffer = false;
    this.senders = {};
    this.remoteKinds = {};
    this.remoteStreams = new Map(); // stream id -> MediaStream
    this.queue = Promise.resolve();
    this.disconnectedTimer = null;
    this.attempt = attempt; // tries in a row with no answer from the other side
    this.heard = false; // a signal came from the other side
    const pc = (this.pc = new RTCPeerConnection({ iceServers: transport.iceServers, bundlePolicy: "max-bundle" }));
    this.started = false;
    pc.onnegotiationneeded = () => this.negotiate();
    pc.onicecandidate = ({ candidate }) => {
      if (candidate) this.send({ candidate: candidate.toJSON() });
    };
    pc.ontrack = ({ track, streams }) => this.receive(track, streams[0]);
    pc.onconnectionstatechange = () => this.watch();
    this.deadline = setTimeout(() => {
      if (transport.peers.get(id) === this && pc.connectionState !== "connected") transport.restart(id);
    }, setupDeadline(attempt));
    if (initiate) this.start();
  }

  // Put our tracks on the connection; a data channel makes it negotiate even without media.
  start() {
    if (this.started) return;
    this.started = true;
    this.channel = this.pc.createDataChannel("parley");
    this.applyLocal();
  }

  send(fields) {
    this.transport.send({ type: "signal", to: this.id, session: this.session, to_session: this.remoteSession || undefined, ...fields });
  }

  async negotiate() {
    try {
      this.makingOffer = true;
      await this.pc.setLocalDescription();
      this.send({ description: this.pc.localDescription.toJSON(), streams: this.transport.local.streamKinds() });
    } catch (error) {
      console.warn("negotiation failed", error);
    } finally {
      this.makingOffer = false;
    }
  }

  // Signals are handled one at a time, in order: each step awaits the browser.
  handle(message) {
    if (!this.heard) {
      this.heard = true;
      if (this.attempt > 0 && this.pc.connectionState !== "connected") {
        // An answer after a long silence: the next try, if one is needed, comes soon.
        clearTimeout(this.deadline);
        this.deadline = setTimeout(() => {
          if (this.transport.peers.get(this.id) === this && this.pc.connectionState !== "connected") this.transport.restart(this.id);
        }, setupDeadline(0, { heard: true }));
      }
    }
    this.queue = this.queue.then(() => this._handle(message)).catch((error) => console.warn("signal failed", error));
  }

  async _handle({ description, candidate, streams }) {
    const pc = this.pc;
    if (pc.signalingState === "closed") return;
    if (streams) this.remoteKinds = streams;
    if (description) {
      const collision = description.type === "offer" && (this.makingOffer || pc.signalingState !== "stable");
      this.ignoreOffer = !this.polite && collision;
      if (this.ignoreOffer) return;
      await pc.setRemoteDescription(description); // the polite side rolls back its own offer
      if (description.type === "offer") {
        if (!this.started) {
          // Answering a first offer: our tracks take the transceivers it brings.
          this.started = true;
          this.applyLocal();
        }
        await pc.setLocalDescription();
        this.send({ description: pc.localDescription.toJSON(), streams: this.transport.local.streamKinds() });
      }
    } else if (candidate) {
      try {
        await pc.addIceCandidate(candidate);
      } catch (error) {
        if (!this.ignoreOffer) throw error;
      }
    }
  }

  // Put this browser's current tracks on the connection: replace, add or take off.
  applyLocal() {
    if (!this.started) return;
    const local = this.transport.local;
    for (const role of ROLES) {
      const track = local.track(role);
      const sender = this.senders[role];
      if (track) {
        if (!sender) this.senders[role] = this.pc.addTrack(track, local.streamOf(role));
        else if (sender.track !== track) sender.replaceTrack(track).catch(() => {});
      } else if (sender && role === "screen") {
        // A new share is a new stream; the others drop the old one when its track ends.
        this.pc.removeTrack(sender);
        delete this.senders[role];
      } else if (sender && sender.track) {
        sender.replaceTrack(null).catch(() => {});
      }
    }
    this.encode();
  }

  encode() {
    const peers = this.transport.peers.size;
    const dataSaver = Boolean(this.transport.local.choices.dataSaver);
    for (const [role, sender] of Object.entries(this.senders)) {
      if (role === "audio" || !sender.track) continue;
      const parameters = sender.getParameters();
      if (!parameters.encodings || parameters.encodings.length === 0) continue; // not negotiated yet
      Object.assign(parameters.encodings[0], role === "camera" ? cameraEncoding(peers, { dataSaver }) : screenEncoding(peers));
      sender.setParameters(parameters).catch(() => {});
    }
  }

  receive(track, stream) {
    if (!stream) return;
    const kind = this.remoteKinds[stream.id] || (track.kind === "audio" ? "camera" : this.guessKind(stream));
    if (!this.remoteStreams.has(stream.id)) {
      this.remoteStreams.set(stream.id, stream);
      stream.addEventListener("removetrack", () => {
        if (stream.getTracks().length === 0) {
          this.remoteStreams.delete(stream.id);
          this.transport.onMedia(this.id, kind, null, stream);
        }
      });
    }
    this.transport.onMedia(this.id, kind, stream);
    if (this.pc.connectionState === "connected") this.encode();
  }

  guessKind(stream) {
    // Without a name for the stream (a description lost on the way): the first video is the camera.
    const known = [...this.remoteStreams.keys()];
    return known.length === 0 || known[0] === stream.id ? "camera" : "screen";
  }

  watch() {
    const state = this.pc.connectionState;
    clearTimeout(this.disconnectedTimer);
    if (state === "failed") {
      this.pc.restartIce();
    } else if (state === "disconnected") {
      this.disconnectedTimer = setTimeout(() => {
        if (this.pc.connectionState === "disconnected") this.pc.restartIce();
      }, DISCONNECTED_GRACE_MS);
    } else if (state === "connected") {
      this.encode();
    }
    this.transport.onPeerState(this.id, state);
  }

  close() {
    clearTimeout(this.disconnectedTimer);
    clearTimeout(this.deadline);
    this.pc.close();
    for (const stream of this.remoteStreams.values()) {
      this.transport.onMedia(this.id, this.remoteKinds[stream.id] || "camera", null, stream);
    }
    this.remoteStreams.clear();
  }
}

export class MeshTransport {
  constructor({ selfId, send, local, iceServers = [], onMedia, onPeerState = () => {} }) {
    this.selfId = selfId;
    this.send = send;
    this.local = local;
    this.iceServers = iceServers;
    this.onMedia = onMedia;
    this.onPeerState = onPeerState;
    this.peers = new Map();
    this.wanted = new Set();
    this.opening = null; // the timer that opens the next connection
  }

  // Connect to exactly these participants (the others in the meeting who have media).
  sync(ids) {
    this.wanted = new Set(ids.filter((id) => id !== this.selfId));
    for (const [id, peer] of this.peers) {
      if (!this.wanted.has(id)) {
        peer.close();
        this.peers.delete(id);
      }
    }
    for (const peer of this.peers.values()) peer.encode();
    this.openNext();
  }

  // New connections open one per task: a connection and its offer take the main thread for
  // a while, and joining a meeting where five people wait would otherwise be one long task.
  openNext() {
    if (this.opening !== null) return;
    const id = [...this.wanted].find((other) => !this.peers.has(other));
    if (id === undefined) return;
    this.opening = setTimeout(() => {
      this.opening = null;
      // The impolite side of each pair makes the first offer (see Peer).
      if (this.wanted.has(id) && !this.peers.has(id)) {
        this.peers.set(id, new Peer(this, id, { initiate: this.selfId > id }));
        for (const peer of this.peers.values()) peer.encode();
      }
      this.openNext();
    }, 0);
  }

  signal(message) {
    const from = message.from;
    if (message.to_session) {
      const peer = this.peers.get(from);
      // Meant for a connection of ours that is gone: the new one negotiates by itself.
      if (!peer || message.to_session !== peer.session) return;
    }
    let peer = this.peers.get(from);
    if (peer && message.session && peer.remoteSession && message.session !== peer.remoteSession) {
      // The other side started again (a reload, or it gave up on this connection).
      peer.close();
      this.peers.delete(from);
      peer = null;
    }
    if (!peer) {
      if (!this.accepts(from)) return;
      peer = new Peer(this, from, { remoteSession: message.session || null });
      this.peers.set(from, peer);
    }
    if (message.session) peer.remoteSession = message.session;
    peer.handle(message);
  }

  // Signals come only from participants of this meeting (the server checks); the meeting page
  // decides who is in the mesh through `sync`, and says here whether `id` may join it.
  accepts(_id) {
    return true;
  }

  localChanged() {
    for (const peer of this.peers.values()) peer.applyLocal();
  }

  // The meeting socket is back: connections that did not survive start again.
  reconnected() {
    for (const [id, peer] of this.peers) {
      if (peer.pc.connectionState !== "connected") this.restart(id);
    }
  }

  // A new connection with this person (a new session: the other side drops its old one).
  restart(id) {
    const peer = this.peers.get(id);
    if (!peer) return;
    peer.close();
    // A new session: the other side drops its old connection when our offer arrives.
    const attempt = peer.heard ? 0 : peer.attempt + 1;
    this.peers.set(id, new Peer(this, id, { initiate: true, attempt }));
  }

  setIceServers(servers) {
    this.iceServers = servers;
    for (const peer of this.peers.values()) {
      try {
        peer.pc.setConfiguration({ ...peer.pc.getConfiguration(), iceServers: servers });
      } catch {
        // A closed connection: it is replaced on the next sync.
      }
    }
  }

  // Audio levels of what each participant sends us (0…1), from the browser's statistics.
  async audioLevels() {
    const levels = new Map();
    await Promise.all(
      [...this.peers.values()].map(async (peer) => {
        if (peer.pc.connectionState !== "connected") return;
        const report = await peer.pc.getStats();
        for (const stats of report.values()) {
          if (stats.type === "inbound-rtp" && stats.kind === "audio" && typeof stats.audioLevel === "number") {
            levels.set(peer.id, Math.max(levels.get(peer.id) || 0, stats.audioLevel));
          }
        }
      }),
    );
    return levels;
  }

  close() {
    clearTimeout(this.opening);
    this.opening = null;
    this.wanted = new Set();
    for (const peer of this.peers.values()) peer.close();
    this.peers.clear();
  }
}
