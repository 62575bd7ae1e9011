// Audio, video and screen sharing on the meeting page: the pre-join check, the tiles, the
// buttons, and the transport that carries media: peer to peer (mesh.js) for small meetings,
// through the SFU (sfu.js) once the server moves the meeting there.
import { _ } from "../i18n.js";
import { element, icon } from "../dom.js";
import { checkConnectivity } from "./connectivity.js";
import { LocalMedia, meter } from "./local.js";
import { MeshTransport } from "./mesh.js";
import { SettingsDialog } from "./settings.js";
import { SfuTransport } from "./sfu.js";

const TALKING_LEVEL = 0.04;
const TALK_POLL_MS = 300;
const ICE_REFRESH_MARGIN_S = 600;
const LAYOUTS = ["auto", "grid", "speaker", "presentation"];
const MAX_PER_PAGE = 25;
const STRIP = 12;
const REACTION_MS = 4000;

export class Media {
  constructor({ root, send, notice }) {
    this.root = root;
    this.send = send;
    this.notice = notice;
    this.local = new LocalMedia();
    this.transport = null;
    this.settings = { ice_servers: [], mesh_limit: 6, expires_at: 0 };
    this.you = null;
    this.people = [];
    this.locks = {};
    this.moderator = false;
    this.joinedOnce = false;
    this.inMesh = true;
    this.mode = "mesh"; // or "sfu": where this meeting's media go
    this.remote = new Map(); // participant id -> { camera, screen } streams
    this.talking = new Set();
    this.pinned = null;
    this.webinar = false;
    this.layoutChoice = "auto";
    this.gridPage = 0;
    this.lastSpeaker = null;
    this.tilesPending = false;
    /** @type {Map<string, { signature: string, video: MediaStreamTrack | MediaStream | null, node: HTMLElement }>} */
    this.tileCache = new Map();
    // What the stage presents besides cameras (slides or the whiteboard, a shared video).
    this.content = new Set();
    document.addEventListener("parley:content", (event) => {
      const { kind, shown } = /** @type {CustomEvent} */ (event).detail;
      if (shown) this.content.add(kind);
      else this.content.delete(kind);
      this.renderTiles();
    });
    new ResizeObserver(() => this.renderTiles()).observe(document.getElementById("stage"));
    document.getElementById("grid-previous").addEventListener("click", () => {
      this.gridPage = Math.max(0, this.gridPage - 1);
      this.renderTiles();
    });
    document.getElementById("grid-next").addEventListener("click", () => {
      this.gridPage += 1;
      this.renderTiles();
    });
    this.early = [];
    this.sessionKey = `parley.joined.${root.dataset.meeting}`;
    this.local.onChange(() => {
      if (this.transport) this.transport.localChanged();
      this.renderButtons();
      this.renderTiles();
    });
    this.settingsDialog = new SettingsDialog({ media: this });
  }

  // The pre-join screen, unless this tab was already in the meeting (a reload): then straight in.
  async prejoin() {
    const settingsLoaded = this.loadSettings();
    if (sessionStorage.getItem(this.sessionKey)) {
      await settingsLoaded;
      await this.openChosen();
      return;
    }
    const dialog = document.getElementById("prejoin");
    dialog.hidden = false;
    const joined = new Promise((resolve) => {
      document.getElementById("join-button").onclick = resolve;
    });
    const preview = /** @type {HTMLVideoElement} */ (document.getElementById("preview-video"));
    const error = document.getElementById("prejoin-error");
    const errors = [];
    const showErrors = () => {
      const refused = errors.filter((e) => e.refused).length === 2;
      error.textContent = refused
        ? _("The browser refused access to the camera and the microphone. Allow them in the address bar, or join without them.")
        : errors.map((e) => e.message).join(" ");
      error.hidden = errors.length === 0;
    };
    let stopMeter = () => {};
    const refresh = async () => {
      preview.srcObject = this.local.cam ? new MediaStream([this.local.cam]) : null;
      document.getElementById("preview-off").hidden = Boolean(this.local.cam);
      const mic = document.getElementById("prejoin-mic");
      mic.setAttribute("aria-pressed", String(Boolean(this.local.mic)));
      mic.textContent = this.local.mic ? _("Microphone on") : _("Microphone off");
      const camera = document.getElementById("prejoin-camera");
      camera.setAttribute("aria-pressed", String(Boolean(this.local.cam)));
      camera.textContent = this.local.cam ? _("Camera on") : _("Camera off");
      document.getElementById("join-button").textContent =
        this.local.mic || this.local.cam ? _("Join the meeting") : _("Join without audio and video");
      stopMeter();
      const bar = document.getElementById("mic-level");
      bar.style.width = "0";
      stopMeter = this.local.mic ? meter(this.local.camera, (level) => (bar.style.width = `${Math.round(level * 100)}%`)) : () => {};
      await this.fillDeviceLists();
    };
    const attempt = async (start, key) => {
      try {
        await start();
      } catch (problem) {
        errors.push({ message: problem.message, refused: problem.refused });
        this.local.remember({ [key]: false });
      }
    };
    if (this.local.choices.micOn) await attempt(() => this.local.startMic(), "micOn");
    if (this.local.choices.camOn) await attempt(() => this.local.startCamera(), "camOn");
    showErrors();
    await refresh();

    const toggle = async (on, start, stop, key) => {
      errors.length = 0;
      if (on) stop();
      else await attempt(start, key);
      showErrors();
      await refresh();
    };
    document.getElementById("prejoin-mic").onclick = () => toggle(Boolean(this.local.mic), () => this.local.startMic(), () => this.local.stopMic(), "micOn");
    document.getElementById("prejoin-camera").onclick = () => toggle(Boolean(this.local.cam), () => this.local.startCamera(), () => this.local.stopCamera(), "camOn");
    document.getElementById("choose-mic").onchange = async (event) => {
      this.local.remember({ micId: /** @type {HTMLSelectElement} */ (event.target).value });
      if (this.local.mic) await attempt(() => this.local.startMic(), "micOn");
      await refresh();
    };
    document.getElementById("choose-camera").onchange = async (event) => {
      this.local.remember({ camId: /** @type {HTMLSelectElement} */ (event.target).value });
      if (this.local.cam) await attempt(() => this.local.startCamera(), "camOn");
      await refresh();
    };
    document.getElementById("choose-speaker").onchange = (event) => {
      this.local.remember({ speakerId: /** @type {HTMLSelectElement} */ (event.target).value });
      this.applySpeaker();
    };

    settingsLoaded.then(() => this.showConnectivity());
    await joined;
    stopMeter();
    preview.srcObject = null;
    dialog.hidden = true;
    sessionStorage.setItem(this.sessionKey, "1");
    await settingsLoaded;
  }

  async openChosen() {
    const problems = [];
    for (const [on, start] of [
      [this.local.choices.micOn, () => this.local.startMic()],
      [this.local.choices.camOn, () => this.local.startCamera()],
    ]) {
      if (!on) continue;
      try {
        await start();
      } catch (problem) {
        problems.push(problem.message);
      }
    }
    if (problems.length) this.notice(problems.join(" "));
  }

  // ICE servers, and on the SFU the way in to its room (a new token each time).
  async fetchMedia() {
    const response = await fetch(this.root.dataset.mediaUrl, { credentials: "same-origin", headers: { accept: "application/json" } });
    const body = await response.json().catch(() => ({}));
    if (!response.ok) throw new Error(body.detail || response.statusText);
    return body;
  }

  async loadSettings() {
    try {
      this.settings = await this.fetchMedia();
    } catch {
      // Without ICE servers, direct connections still work on a local network.
    }
    if (this.transport) this.transport.setIceServers(this.settings.ice_servers);
    // Credentials expire: fetch new ones a while before.
    const refreshIn = (this.settings.expires_at - Date.now() / 1000 - ICE_REFRESH_MARGIN_S) * 1000;
    clearTimeout(this.iceTimer);
    if (refreshIn > 0) this.iceTimer = setTimeout(() => this.loadSettings(), Math.min(refreshIn, 2 ** 31 - 1));
  }

  async fillDeviceLists() {
    const devices = await this.local.devices();
    const fill = (id, kind, chosen, fallback) => {
      const select = /** @type {HTMLSelectElement} */ (document.getElementById(id));
      const options = devices.filter((d) => d.kind === kind);
      select.replaceChildren(
        ...(options.length ? options : [{ deviceId: "", label: fallback }]).map((device, index) => {
          const option = element("option", { attrs: { value: device.deviceId } });
          option.textContent = device.label || `${fallback} ${index + 1}`;
          return option;
        }),
      );
      if (chosen && options.some((d) => d.deviceId === chosen)) select.value = chosen;
      else if (kind !== "audiooutput") {
        const current = kind === "audioinput" ? this.local.mic : this.local.cam;
        const settings = current && current.getSettings();
        if (settings && settings.deviceId) select.value = settings.deviceId;
      }
      select.disabled = options.length === 0;
    };
    fill("choose-camera", "videoinput", this.local.choices.camId, _("Camera"));
    fill("choose-mic", "audioinput", this.local.choices.micId, _("Microphone"));
    fill("choose-speaker", "audiooutput", this.local.choices.speakerId, _("Default speaker"));
  }

  async showConnectivity() {
    const list = document.getElementById("connectivity-list");
    const result = await checkConnectivity(this.settings.ice_servers);
    const line = (label, state) => {
      const item = element("li", { className: `check ${state === true ? "ok" : state === false ? "bad" : "none"}` });
      const text = state === true ? _("works") : state === false ? _("does not work") : _("not configured");
      item.textContent = `${label}: ${text}`;
      return item;
    };
    list.replaceChildren(
      line(_("Direct connection"), result.direct),
      line(_("Through a STUN server"), result.stun),
      line(_("Through a TURN relay"), result.turn),
    );
  }

  // The meeting socket's snapshot: who I am, who is here, where the media go.
  welcome(you, people, locks, media) {
    const first = !this.joinedOnce;
    this.joinedOnce = true;
    this.you = you;
    this.moderator = you.role === "moderator";
    this.locks = locks || {};
    const mode = (media && media.transport) || "mesh";
    if (!this.transport || this.mode !== mode) {
      if (!this.wired) {
        this.wired = true;
        this.wireControls();
        this.pollTalking();
      }
      this.useTransport(mode);
    }
    if (first && you.muted && this.local.mic) {
      this.local.stopMic();
      this.notice(_("This room mutes people when they join. Turn your microphone on when you want to speak."), "info");
    }
    this.enforceLocks();
    if (first && this.offStage()) this.notice(_("This meeting is a webinar: you see and hear the people on stage. Raise your hand to ask to speak."), "info");
    this.people = people;
    this.sync();
    for (const message of this.early.splice(0)) this.signal(message);
    this.report();
  }

  // Peer to peer, or through the SFU: the old transport goes, the new one connects by itself.
  useTransport(mode) {
    if (this.transport) this.transport.close();
    this.remote.clear();
    this.mode = mode;
    const onMedia = (id, kind, stream, gone) => this.remoteMedia(id, kind, stream, gone);
    if (mode === "sfu") {
      this.transport = new SfuTransport({
        selfId: this.you.id,
        local: this.local,
        config: null,
        fetchConfig: async () => {
          const settings = await this.fetchMedia();
          if (settings.transport !== "sfu") throw new Error("not on the media server");
          return settings;
        },
        iceServers: this.settings.ice_servers,
        onMedia,
        onStatus: (status) => {
          this.sfuStatus = status;
          this.sync();
        },
      });
      this.transport.cameraOn = (id) => this.people.some((p) => p.id === id && p.camera);
    } else {
      this.transport = new MeshTransport({
        selfId: this.you.id,
        send: (message) => this.send(message),
        local: this.local,
        iceServers: this.settings.ice_servers,
        onMedia,
      });
      this.transport.accepts = (id) => this.meshIds().includes(id);
    }
  }

  // The server moved the meeting's media (to the SFU, or to another of its nodes).
  mediaMoved(media) {
    if (!this.you || !this.transport) return;
    if (media.transport === "sfu" && this.mode === "sfu") this.transport.restart();
    else this.useTransport(media.transport);
    this.sync();
  }

  // Tell the server the truth about my microphone, camera and screen.
  report() {
    if (!this.you) return;
    this.send({ type: "state.update", muted: !this.local.mic, camera: Boolean(this.local.cam), screen: Boolean(this.local.screen) });
  }

  meshIds() {
    const people = this.mode === "sfu" ? this.people : this.people.slice(0, this.settings.mesh_limit);
    return people.map((p) => p.id);
  }

  // The participants changed: connect to the right people, redraw the tiles.
  participants(people) {
    this.people = people;
    this.sync();
  }

  sync() {
    if (!this.transport || !this.you) return;
    const mesh = this.meshIds();
    this.inMesh = mesh.includes(this.you.id);
    if (!this.inMesh && (this.local.mic || this.local.cam || this.local.screen)) {
      // Nobody would receive them: the camera and microphone are let go.
      this.local.stopAll();
      this.report();
    }
    this.transport.sync(this.inMesh ? mesh : []);
    for (const id of this.remote.keys()) {
      if (!this.people.some((p) => p.id === id)) this.remote.delete(id);
    }
    const box = document.getElementById("media-notice");
    if (this.mode === "sfu") {
      box.textContent = this.sfuStatus === "reconnecting" ? _("Reconnecting to the media server…") : "";
      box.hidden = this.sfuStatus !== "reconnecting";
    } else if (this.people.length > this.settings.mesh_limit) {
      box.textContent = this.inMesh
        ? _("This meeting has %(count)s people: peer-to-peer audio and video work for %(limit)s, so the others only have the chat. An administrator can send larger meetings through the media server.", { count: this.people.length, limit: this.settings.mesh_limit })
        : _("This meeting is too large for peer-to-peer audio and video (%(limit)s people at most): you can follow the chat and the participants, but not hear or see them.", { limit: this.settings.mesh_limit });
      box.hidden = false;
    } else {
      box.hidden = true;
    }
    this.renderButtons();
    this.renderTiles();
  }

  // The meeting socket is back (its hello is sent): connections that did not survive restart.
  reconnected() {
    if (!this.transport) return;
    this.transport.reconnected();
    this.report();
  }

  // The same person opened the meeting in another tab: this one lets go of the devices.
  release() {
    if (this.transport) this.transport.close();
    this.transport = null;
    this.local.stopAll();
  }

  signal(message) {
    // Someone may call on us before our snapshot arrives: keep it for the transport.
    if (!this.transport) this.early.push(message);
    else if (this.inMesh && this.mode === "mesh") this.transport.signal(message);
  }

  // My own row changed on the server: a moderator may have muted me.
  youUpdated(me) {
    const stageBefore = this.you ? this.you.stage : undefined;
    const stageMoved = this.webinar && stageBefore !== undefined && me.stage !== stageBefore;
    this.you = { ...this.you, ...me };
    if (stageMoved) {
      this.notice(me.stage ? _("A moderator brought you on stage: you may turn your microphone and camera on.") : _("You are back in the audience."), "info");
      // Through the media server, the way in says whether this person publishes.
      if (this.transport instanceof SfuTransport) this.transport.restart();
    }
    this.moderator = me.role === "moderator";
    // `by`: someone else (a moderator) muted me; my own changes come back without it.
    if (!stageMoved && me.muted && me.by && me.by !== this.you.id && this.local.mic) {
      this.local.stopMic();
      this.notice(_("A moderator muted your microphone."), "info");
    }
    this.enforceLocks();
    this.renderButtons();
  }

  locksChanged(locks) {
    this.locks = locks || {};
    this.enforceLocks();
    this.renderButtons();
  }

  // Off a webinar's stage, nothing is sent: the microphone, camera and screen stay off.
  locked(what) {
    return this.offStage() || (!this.moderator && Boolean(this.locks[what]));
  }

  offStage() {
    return this.webinar && Boolean(this.you) && this.you.stage === false;
  }

  enforceLocks() {
    let changed = false;
    if (this.locked("microphone") && this.local.mic) {
      this.local.stopMic();
      changed = true;
    }
    if (this.locked("camera") && this.local.cam) {
      this.local.stopCamera();
      changed = true;
    }
    if (this.locked("screen") && this.local.screen) {
      this.local.stopScreen();
      changed = true;
    }
    if (changed) this.report();
  }

  // A change the server refused (a lock it knew of before us): undo it here too.
  refused() {
    this.enforceLocks();
    this.report();
  }

  wireControls() {
    const run = async (action) => {
      try {
        await action();
      } catch (problem) {
        this.notice(problem.message);
      }
      this.report();
    };
    this.toggleMic = () => run(() => (this.local.mic ? this.local.stopMic() : this.local.startMic()));
    this.toggleCamera = () => run(() => (this.local.cam ? this.local.stopCamera() : this.local.startCamera()));
    this.toggleScreen = () => run(() => (this.local.screen ? this.local.stopScreen() : this.local.startScreen(() => this.report())));
    document.getElementById("mic-button").addEventListener("click", () => this.toggleMic());
    document.getElementById("camera-button").addEventListener("click", () => this.toggleCamera());
    document.getElementById("screen-button").addEventListener("click", () => this.toggleScreen());
    document.getElementById("enable-sound").addEventListener("click", (event) => {
      /** @type {HTMLElement} */ (event.target).hidden = true;
      for (const audio of /** @type {NodeListOf<HTMLAudioElement>} */ (document.querySelectorAll("#remote-audio audio"))) audio.play().catch(() => {});
    });
  }

  renderButtons() {
    const set = (id, on, onLabel, offLabel, lockedBy, icons) => {
      const button = /** @type {HTMLButtonElement} */ (document.getElementById(id));
      button.setAttribute("aria-pressed", String(on));
      const label = on ? onLabel : offLabel;
      button.querySelector(".control-label").textContent = label;
      if (icons) button.querySelector("use").setAttribute("href", `#i-${on ? icons[0] : icons[1]}`);
      const locked = !on && this.locked(lockedBy);
      button.disabled = locked || !this.inMesh;
      const why = this.offStage() ? _("Only the people on stage are seen and heard: raise your hand to ask to speak.") : _("A moderator has turned this off.");
      button.title = locked ? why : label;
    };
    set("mic-button", Boolean(this.local.mic), _("Mute"), _("Unmute"), "microphone", ["mic", "mic-off"]);
    set("camera-button", Boolean(this.local.cam), _("Stop the camera"), _("Start the camera"), "camera", ["camera", "camera-off"]);
    set("screen-button", Boolean(this.local.screen), _("Stop sharing"), _("Share the screen"), "screen");
    document.getElementById("screen-menu-button").textContent = this.local.screen ? _("Stop sharing") : _("Share the screen");
  }

  remoteMedia(id, kind, stream, gone) {
    const entry = this.remote.get(id) || {};
    if (stream) entry[kind] = stream;
    else if (!gone || entry[kind] === gone) delete entry[kind];
    this.remote.set(id, entry);
    this.renderTiles();
  }

  applySpeaker() {
    const sink = this.local.choices.speakerId;
    for (const audio of /** @type {NodeListOf<HTMLAudioElement>} */ (document.querySelectorAll("#remote-audio audio"))) {
      if (sink && audio.setSinkId) audio.setSinkId(sink).catch(() => {});
    }
  }

  // Remote audio plays from hidden elements (one per person), so a tile can come and go.
  renderAudio() {
    const box = document.getElementById("remote-audio");
    const wanted = new Map();
    for (const [id, entry] of this.remote) {
      const track = entry.camera && entry.camera.getAudioTracks()[0];
      if (track) wanted.set(id, track);
    }
    for (const audio of /** @type {HTMLAudioElement[]} */ ([...box.children])) {
      const track = wanted.get(audio.dataset.participant);
      if (!track || /** @type {MediaStream} */ (audio.srcObject).getAudioTracks()[0] !== track) audio.remove();
    }
    for (const [id, track] of wanted) {
      if (box.querySelector(`audio[data-participant="${CSS.escape(id)}"]`)) continue;
      const audio = element("audio", { attrs: { "data-participant": id, autoplay: "" } });
      audio.srcObject = new MediaStream([track]);
      box.append(audio);
      const sink = this.local.choices.speakerId;
      if (sink && audio.setSinkId) audio.setSinkId(sink).catch(() => {});
      audio.play().catch(() => {
        // Autoplay with sound needs a click on this page first (after a reload, say).
        document.getElementById("enable-sound").hidden = false;
      });
    }
  }

  // A tile is made again only when what it shows changed (a crowd joining redraws nothing).
  tile(person, { screen = false } = {}) {
    const key = screen ? `${person.id}:screen` : person.id;
    const entry = this.remote.get(person.id) || {};
    const source = screen ? entry.screen : entry.camera;
    // What the tile plays: the remote video track, or this browser's own camera or screen.
    const mine = Boolean(this.you) && person.id === this.you.id;
    const video = (mine ? (screen ? this.local.screen : this.local.cam) : source && source.getVideoTracks()[0]) || null;
    const signature = [person.name, person.muted, person.hand, person.camera, person.screen, this.pinned === person.id, this.mode].join("|");
    const cached = this.tileCache.get(key);
    if (cached && cached.signature === signature && cached.video === video) return cached.node;
    const node = this.makeTile(person, { screen });
    this.tileCache.set(key, { signature, video, node });
    return node;
  }

  makeTile(person, { screen = false } = {}) {
    const mine = this.you && person.id === this.you.id;
    const key = screen ? `${person.id}:screen` : person.id;
    const node = element("figure", { className: "tile", attrs: { "data-tile": key, "data-participant": person.id } });
    if (mine && !screen) {
      node.classList.add("self");
      node.dataset.self = "";
    }
    let stream = null;
    if (mine) stream = screen ? this.local.screen : this.local.cam ? new MediaStream([this.local.cam]) : null;
    else {
      const entry = this.remote.get(person.id) || {};
      const source = screen ? entry.screen : entry.camera;
      const track = source && source.getVideoTracks()[0];
      if (track && (screen ? person.screen : person.camera)) stream = new MediaStream([track]);
    }
    if (stream) {
      const video = element("video", { className: mine && !screen ? "mirrored" : "", attrs: { autoplay: "", playsinline: "" } });
      video.muted = true; // sound plays from the audio elements
      video.srcObject = stream;
      node.append(video);
    } else {
      const avatar = element("span", { className: "avatar large", text: (person.name || "?").slice(0, 1).toUpperCase(), attrs: { "aria-hidden": "true" } });
      node.append(avatar);
      if (!mine && !screen && person.camera && this.mode === "sfu") {
        // The SFU sends a few videos only: the pinned one, screens, the last speakers.
        const note = element("span", { className: "tile-note", text: _("Video shown when they speak") });
        node.append(note);
        node.classList.add("has-note");
      }
    }
    const caption = element("figcaption");
    const name = screen ? _("%(name)s's screen", { name: person.name }) : person.name + (mine ? ` (${_("you")})` : "");
    caption.append(element("span", { className: "tile-name", text: name }));
    if (!screen && person.hand) {
      const hand = element("span", { className: "tile-hand", attrs: { role: "img", "aria-label": _("Hand raised"), title: _("Hand raised") } });
      hand.append(icon("hand"));
      caption.prepend(hand);
    }
    if (!screen && person.muted) caption.append(element("span", { className: "tile-muted", attrs: { role: "img", "aria-label": _("Microphone off"), title: _("Microphone off") } }));
    node.append(caption);
    if (!screen) {
      const pinned = this.pinned === person.id;
      const label = pinned ? _("Unpin") : _("Pin");
      const pin = element("button", { className: "tile-pin icon-button", attrs: { type: "button", "aria-pressed": String(pinned), "aria-label": `${label}: ${person.name}`, title: label } });
      pin.append(icon("pin"));
      pin.addEventListener("click", () => this.pin(pinned ? null : person.id));
      node.append(pin);
    }
    return node;
  }

  pin(id) {
    this.pinned = id;
    if (this.transport instanceof SfuTransport) this.transport.setPinned(this.pinned);
    this.renderTiles();
  }

  // Keep a tile's video element (and its playback) when nothing about it changed.
  place(container, nodes) {
    const current = [...container.children];
    if (current.length === nodes.length && nodes.every((node, index) => node === current[index])) return;
    const old = new Map(current.map((child) => [/** @type {HTMLElement} */ (child).dataset.tile, child]));
    const result = nodes.map((node) => {
      const previous = old.get(node.dataset.tile);
      const oldVideo = previous && previous.querySelector("video");
      const newVideo = node.querySelector("video");
      if (oldVideo && newVideo && oldVideo.srcObject && oldVideo.srcObject.getVideoTracks()[0] === newVideo.srcObject.getVideoTracks()[0]) {
        newVideo.replaceWith(oldVideo);
      }
      return node;
    });
    container.replaceChildren(...result);
  }

  // The layouts: what this person chose ("auto" follows the content), or what a moderator set.
  setLayout(choice) {
    this.layoutChoice = LAYOUTS.includes(choice) ? choice : "auto";
    this.gridPage = 0;
    this.renderTiles();
  }

  nextLayout() {
    return LAYOUTS[(LAYOUTS.indexOf(this.layoutChoice) + 1) % LAYOUTS.length];
  }

  // The layout the stage shows now: presentation needs something presented, and a pinned
  // person is shown large.
  layoutNow(hasContent) {
    const choice = this.layoutChoice;
    if (choice === "auto") return hasContent ? "presentation" : this.pinned ? "speaker" : "grid";
    if (choice === "presentation" && !hasContent) return "speaker";
    if (choice === "grid" && this.pinned) return "speaker";
    return choice;
  }

  // Whom the speaker layout shows large: the pinned person, else who spoke last (not me).
  speaker(people) {
    const ids = people.map((p) => p.id);
    if (this.pinned && ids.includes(this.pinned)) return this.pinned;
    if (this.lastSpeaker && ids.includes(this.lastSpeaker)) return this.lastSpeaker;
    const other = people.find((p) => p.id !== this.you.id);
    return (other || people[0] || {}).id || null;
  }

  // How many tiles a grid page holds in the stage's size.
  perPage() {
    const stage = document.getElementById("stage");
    const columns = Math.max(1, Math.floor(stage.clientWidth / 240));
    const rows = Math.max(1, Math.floor((stage.clientHeight - 40) / 150));
    return Math.min(MAX_PER_PAGE, columns * rows);
  }

  // Tiles change with the people, their streams and who speaks: drawn at the next frame, once.
  renderTiles() {
    if (this.tilesPending) return;
    this.tilesPending = true;
    requestAnimationFrame(() => {
      this.tilesPending = false;
      this.drawTiles();
    });
  }

  drawTiles() {
    if (!this.you) return;
    this.renderAudio();
    const shown = this.inMesh ? this.meshIds() : [this.you.id];
    // My own tile follows my devices at once, without waiting for the server's echo.
    const people = this.people
      .filter((p) => shown.includes(p.id) && !(this.webinar && p.stage === false))
      .map((p) => (p.id === this.you.id ? { ...p, muted: !this.local.mic, camera: Boolean(this.local.cam), screen: Boolean(this.local.screen) } : p));
    if (this.pinned && !people.some((p) => p.id === this.pinned)) this.pinned = null;
    const here = new Set(people.map((p) => p.id));
    for (const key of this.tileCache.keys()) if (!here.has(key.split(":")[0])) this.tileCache.delete(key);
    const sharer = people.find((p) => p.screen && (p.id === this.you.id ? this.local.screen : (this.remote.get(p.id) || {}).screen));
    const hasContent = Boolean(sharer) || this.content.size > 0;
    const layout = this.layoutNow(hasContent);
    const stage = document.getElementById("stage");
    stage.dataset.layout = layout;
    let big = [];
    let small = people;
    if (layout === "presentation") {
      // The content large (a shared screen here; slides, whiteboard and video are the stage's own).
      big = sharer ? [this.tile(sharer, { screen: true })] : [];
    } else if (layout === "speaker") {
      const id = this.speaker(people);
      const person = people.find((p) => p.id === id);
      big = person ? [this.tile(person)] : [];
      small = people.filter((p) => p.id !== id);
    }
    const spotlight = document.getElementById("spotlight");
    this.place(spotlight, big);
    spotlight.hidden = big.length === 0;
    const tiles = document.getElementById("tiles");
    const pager = document.getElementById("grid-pager");
    let nodes;
    if (layout === "grid") {
      const all = [...(sharer ? [this.tile(sharer, { screen: true })] : []), ...small.map((p) => this.tile(p))];
      const size = this.perPage();
      const pages = Math.max(1, Math.ceil(all.length / size));
      this.gridPage = Math.min(this.gridPage, pages - 1);
      nodes = all.slice(this.gridPage * size, (this.gridPage + 1) * size);
      pager.hidden = pages === 1;
      document.getElementById("grid-page").textContent = _("Page %(page)s of %(pages)s", { page: this.gridPage + 1, pages });
      /** @type {HTMLButtonElement} */ (document.getElementById("grid-previous")).disabled = this.gridPage === 0;
      /** @type {HTMLButtonElement} */ (document.getElementById("grid-next")).disabled = this.gridPage >= pages - 1;
    } else {
      // The strip: who speaks first, as many as it shows.
      const order = [...small].sort((a, b) => Number(this.talking.has(b.id)) - Number(this.talking.has(a.id)));
      nodes = order.slice(0, STRIP).map((p) => this.tile(p));
      pager.hidden = true;
    }
    this.place(tiles, nodes);
    tiles.dataset.count = String(nodes.length);
    document.getElementById("content-hidden").hidden = !(this.content.size > 0 && layout !== "presentation");
    this.renderTalking();
  }

  // A reaction floats over the sender's tile and beside their name for a few seconds.
  showReaction(person, emoji) {
    if (!person) return;
    for (const target of document.querySelectorAll(`[data-tile="${CSS.escape(person.id)}"], #participant-list [data-participant="${CSS.escape(person.id)}"]`)) {
      const bubble = element("span", { className: "reaction-bubble", text: emoji, attrs: { role: "img", "aria-label": _("%(name)s reacts %(emoji)s", { name: person.name, emoji }) } });
      target.append(bubble);
      setTimeout(() => bubble.remove(), REACTION_MS);
    }
  }

  // Picture in picture: the large tile's video, else the first one that plays.
  async pictureInPicture() {
    if (document.pictureInPictureElement) return document.exitPictureInPicture();
    // Someone else: whoever is large on the stage, else whoever talks, else the first one.
    // (One's own camera only when nobody else's shows.)
    const video = /** @type {HTMLVideoElement | null} */ (
      document.querySelector("#spotlight .tile:not(.self) video") ||
        document.querySelector("#tiles .tile.talking:not(.self) video") ||
        document.querySelector("#tiles .tile:not(.self) video") ||
        document.querySelector("#tiles video")
    );
    if (!video) throw new Error(_("Nobody's video is showing yet."));
    await video.requestPictureInPicture();
  }

  renderTalking() {
    for (const node of /** @type {NodeListOf<HTMLElement>} */ (document.querySelectorAll("[data-participant]"))) {
      node.classList.toggle("talking", this.talking.has(node.dataset.participant));
    }
  }

  // Who is talking: audio levels of what we receive, and of our own microphone.
  pollTalking() {
    let stopMine = () => {};
    let mine = 0;
    let micTrack = null;
    setInterval(async () => {
      if (!this.transport) return;
      if (this.local.mic !== micTrack) {
        stopMine();
        micTrack = this.local.mic;
        mine = 0;
        stopMine = micTrack ? meter(this.local.camera, (level) => (mine = level)) : () => {};
      }
      const levels = await this.transport.audioLevels();
      const talking = new Set([...levels].filter(([, level]) => level > TALKING_LEVEL).map(([id]) => id));
      if (micTrack && mine > 0.25 && this.you) talking.add(this.you.id);
      const same = talking.size === this.talking.size && [...talking].every((id) => this.talking.has(id));
      if (!same) {
        this.talking = talking;
        // The speaker layout and the strip follow whoever spoke last (someone else than me).
        const other = [...talking].find((id) => !this.you || id !== this.you.id);
        if (other && other !== this.lastSpeaker) {
          this.lastSpeaker = other;
          if (document.getElementById("stage").dataset.layout !== "grid") this.renderTiles();
        }
        this.renderTalking();
      }
    }, TALK_POLL_MS);
  }

  leave() {
    sessionStorage.removeItem(this.sessionKey);
    if (this.transport) this.transport.close();
    this.local.stopAll();
  }

  // Settings inside the meeting (settings.js). A device changed here replaces the track in
  // place on every connection (replaceTrack): nobody renegotiates. Choices are remembered.

  // Use this camera; if the camera is on, the others see the new one at once.
  async changeCamera(deviceId) {
    try {
      await this.local.useCamera(deviceId);
    } finally {
      this.report(); // a camera that failed to start is off now
    }
  }

  async changeMicrophone(deviceId) {
    try {
      await this.local.useMicrophone(deviceId);
    } finally {
      this.report();
    }
  }

  changeSpeaker(deviceId) {
    this.local.remember({ speakerId: deviceId || null });
    this.applySpeaker();
  }

  // Show or hide my own video tile (the others still see it).
  setSelfView(shown) {
    this.local.remember({ selfView: shown });
    this.applyView();
  }

  // Show my own video as in a mirror (the others always see it the right way round).
  setMirror(on) {
    this.local.remember({ mirror: on });
    this.applyView();
  }

  // Send less video (a smaller capture, lower bitrates) and, through the SFU, receive less.
  async setDataSaver(on) {
    await this.local.setDataSaver(on);
  }

  // The self-view choices as attributes of the meeting's root, for the style sheet.
  applyView() {
    this.root.dataset.selfView = this.local.choices.selfView === false ? "hidden" : "shown";
    this.root.dataset.mirror = this.local.choices.mirror === false ? "off" : "on";
  }
}
