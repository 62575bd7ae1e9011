// This browser's own media: microphone, camera and screen, the chosen devices (remembered),
// and a level meter. Tracks live in two streams whose ids tell the others what they carry.
import { _ } from "../i18n.js";

const CHOICES_KEY = "parley.media";
// Sent at most this size: a mesh sends one copy per person, so a full HD camera would not do.
const CAMERA_CONSTRAINTS = { width: { ideal: 960 }, height: { ideal: 540 }, frameRate: { ideal: 24, max: 30 } };
// The data saver: a quarter of the pixels, at a frame rate still fine for a face.
const DATA_SAVER_CONSTRAINTS = { width: { ideal: 480 }, height: { ideal: 270 }, frameRate: { ideal: 15, max: 15 } };
const AUDIO_CONSTRAINTS = { echoCancellation: true, noiseSuppression: true, autoGainControl: true };
const DEFAULT_CHOICES = { micOn: true, camOn: true, selfView: true, mirror: true, dataSaver: false };

function loadChoices() {
  try {
    return { ...DEFAULT_CHOICES, ...JSON.parse(localStorage.getItem(CHOICES_KEY) || "{}") };
  } catch {
    return { ...DEFAULT_CHOICES };
  }
}

// An error with a message a person can act on, for what getUserMedia / getDisplayMedia threw.
function mediaError(error, what) {
  const refused = Boolean(error) && ["NotAllowedError", "SecurityError"].includes(error.name);
  return Object.assign(new Error(describeError(error, what)), { refused });
}

export function describeError(error, what) {
  const name = error && error.name;
  const camera = what === "camera";
  if (!navigator.mediaDevices) return _("This browser cannot use a camera or microphone here (the page needs https).");
  if (what === "screen") {
    return name === "NotAllowedError" ? _("Screen sharing was not allowed.") : _("The screen could not be shared.");
  }
  if (name === "NotAllowedError" || name === "SecurityError") {
    return camera
      ? _("The browser refused access to the camera. Allow it in the address bar, or join without it.")
      : _("The browser refused access to the microphone. Allow it in the address bar, or join without it.");
  }
  if (name === "NotFoundError" || name === "OverconstrainedError") {
    return camera ? _("No camera was found.") : _("No microphone was found.");
  }
  if (name === "NotReadableError" || name === "AbortError") {
    return camera ? _("The camera is in use by another program.") : _("The microphone is in use by another program.");
  }
  return camera ? _("The camera could not be started.") : _("The microphone could not be started.");
}

export class LocalMedia {
  constructor() {
    this.choices = loadChoices();
    this.camera = new MediaStream(); // microphone and camera: "camera" for the others
    this.screen = null; // a stream of its own while sharing
    this.listeners = new Set();
  }

  get mic() {
    return this.camera.getAudioTracks()[0] || null;
  }

  get cam() {
    return this.camera.getVideoTracks()[0] || null;
  }

  get screenTrack() {
    return this.screen ? this.screen.getVideoTracks()[0] || null : null;
  }

  // The track each kind of sender should carry now (a muted microphone sends nothing).
  track(role) {
    if (role === "audio") return this.mic && this.mic.enabled ? this.mic : null;
    if (role === "camera") return this.cam;
    return this.screenTrack;
  }

  streamOf(role) {
    return role === "screen" ? this.screen : this.camera;
  }

  // Stream ids and what they carry, sent with every offer and answer.
  streamKinds() {
    const kinds = { [this.camera.id]: "camera" };
    if (this.screen) kinds[this.screen.id] = "screen";
    return kinds;
  }

  onChange(listener) {
    this.listeners.add(listener);
  }

  changed() {
    for (const listener of this.listeners) listener();
  }

  remember(changes) {
    Object.assign(this.choices, changes);
    try {
      localStorage.setItem(CHOICES_KEY, JSON.stringify(this.choices));
    } catch {
      // Private browsing: the choices last for this page only.
    }
  }

  async devices() {
    if (!navigator.mediaDevices || !navigator.mediaDevices.enumerateDevices) return [];
    return navigator.mediaDevices.enumerateDevices();
  }

  _replace(kind, track) {
    for (const old of kind === "audio" ? this.camera.getAudioTracks() : this.camera.getVideoTracks()) {
      old.stop();
      this.camera.removeTrack(old);
    }
    if (track) this.camera.addTrack(track);
  }

  cameraConstraints() {
    return this.choices.dataSaver ? DATA_SAVER_CONSTRAINTS : CAMERA_CONSTRAINTS;
  }

  // A new track from the chosen device of `kind` ("audio" or "video"); throws with a readable
  // message. It replaces the one in use in place: the senders carry it on by replaceTrack.
  async _capture(kind) {
    const key = kind === "audio" ? "micId" : "camId";
    const chosen = this.choices[key];
    const base = kind === "audio" ? AUDIO_CONSTRAINTS : this.cameraConstraints();
    const open = () => navigator.mediaDevices.getUserMedia({ [kind]: { ...base, deviceId: chosen ? { exact: chosen } : undefined } });
    let stream;
    try {
      stream = await open();
    } catch (error) {
      if (chosen && error.name === "OverconstrainedError") {
        this.remember({ [key]: null }); // the remembered device is gone: take the default
        return this._capture(kind);
      }
      const inUse = kind === "audio" ? this.mic : this.cam;
      if (!inUse || error.name !== "NotReadableError") throw mediaError(error, kind === "audio" ? "microphone" : "camera");
      // Some systems open one camera (or microphone) at a time: let go of it, then try again.
      this._replace(kind, null);
      this.changed();
      try {
        stream = await open();
      } catch (again) {
        throw mediaError(again, kind === "audio" ? "microphone" : "camera");
      }
    }
    return kind === "audio" ? stream.getAudioTracks()[0] : stream.getVideoTracks()[0];
  }

  // Open the microphone (with the chosen device); throws with a readable message.
  async startMic() {
    this._replace("audio", await this._capture("audio"));
    this.remember({ micOn: true });
    this.changed();
  }

  stopMic() {
    this._replace("audio", null);
    this.remember({ micOn: false });
    this.changed();
  }

  async startCamera() {
    const track = await this._capture("video");
    track.contentHint = "motion";
    this._replace("video", track);
    this.remember({ camOn: true });
    this.changed();
  }

  stopCamera() {
    this._replace("video", null);
    this.remember({ camOn: false });
    this.changed();
  }

  // Another camera or microphone, chosen in the meeting: the one in use is replaced at once (if
  // it is on), else the choice waits for the next time it is turned on.
  async useCamera(deviceId) {
    this.remember({ camId: deviceId || null });
    if (this.cam) await this.startCamera();
  }

  async useMicrophone(deviceId) {
    this.remember({ micId: deviceId || null });
    if (this.mic) await this.startMic();
  }

  // The data saver: the camera captures less (the transports send less of it too).
  async setDataSaver(on) {
    this.remember({ dataSaver: on });
    if (this.cam) {
      try {
        await this.cam.applyConstraints(this.cameraConstraints());
      } catch {
        await this.startCamera(); // a camera that cannot change its size on the fly
      }
    }
    this.changed();
  }

  async startScreen(onEnded) {
    let stream;
    try {
      stream = await navigator.mediaDevices.getDisplayMedia({ video: { frameRate: { ideal: 15, max: 30 } }, audio: false });
    } catch (error) {
      throw mediaError(error, "screen");
    }
    const track = stream.getVideoTracks()[0];
    track.contentHint = "detail";
    // The browser's own "Stop sharing" button ends the track.
    track.addEventListener("ended", () => {
      if (this.screen === stream) {
        this.screen = null;
        this.changed();
        onEnded();
      }
    });
    this.stopScreen();
    this.screen = stream;
    this.changed();
  }

  stopScreen() {
    if (!this.screen) return;
    for (const track of this.screen.getTracks()) track.stop();
    this.screen = null;
    this.changed();
  }

  // Let go of every device (this page only: the choices for next time stay).
  stopAll() {
    this._replace("audio", null);
    this._replace("video", null);
    if (this.screen) for (const track of this.screen.getTracks()) track.stop();
    this.screen = null;
    this.changed();
  }
}

// A level meter on a stream's audio: calls `onLevel(0…1)` about ten times a second.
let audioContext = null;
export function meter(stream, onLevel) {
  const track = stream.getAudioTracks()[0];
  if (!track || !window.AudioContext) return () => {};
  audioContext = audioContext || new AudioContext();
  if (audioContext.state === "suspended") audioContext.resume().catch(() => {});
  const source = audioContext.createMediaStreamSource(new MediaStream([track]));
  const analyser = audioContext.createAnalyser();
  analyser.fftSize = 512;
  source.connect(analyser);
  const samples = new Float32Array(analyser.fftSize);
  const timer = setInterval(() => {
    analyser.getFloatTimeDomainData(samples);
    let sum = 0;
    for (const sample of samples) sum += sample * sample;
    // RMS to a 0…1 scale that moves visibly for speech (about -50 dB to -10 dB).
    const db = 20 * Math.log10(Math.sqrt(sum / samples.length) || 1e-8);
    onLevel(Math.min(1, Math.max(0, (db + 50) / 40)));
  }, 100);
  return () => {
    clearInterval(timer);
    source.disconnect();
  };
}
