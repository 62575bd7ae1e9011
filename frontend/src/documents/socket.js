// One shared document (the notes or the board) over the room's socket /r/<slug>/yjs/<name>:
// y-protocols sync and awareness, plus Parley's control messages (type 100, JSON), with
// reconnection after jittered exponential backoff. Protocol: parley/documents/protocol.py.
import * as Y from "yjs";
import * as awarenessProtocol from "y-protocols/awareness";
import * as syncProtocol from "y-protocols/sync";
import * as decoding from "lib0/decoding";
import * as encoding from "lib0/encoding";
import { FINAL_CLOSE_CODES } from "../generated/protocol.js";

const SYNC = 0;
const AWARENESS = 1;
const CONTROL = 100;
const BASE_DELAY_MS = 500;
const MAX_DELAY_MS = 15000;

export class DocSocket {
  constructor(path, { onControl = /** @type {(message: { type: string }) => void} */ (() => {}), onStatus = /** @type {(status: string) => void} */ (() => {}), onSynced = () => {} } = {}) {
    this.path = path;
    this.doc = new Y.Doc();
    this.awareness = new awarenessProtocol.Awareness(this.doc);
    this.onControl = onControl;
    this.onStatus = onStatus;
    this.onSynced = onSynced;
    this.synced = false;
    this.socket = null;
    this.stopped = false;
    this.attempt = 0;
    this._onUpdate = (update, origin) => {
      if (origin === this) return;
      const encoder = encoding.createEncoder();
      encoding.writeVarUint(encoder, SYNC);
      syncProtocol.writeUpdate(encoder, update);
      this._send(encoding.toUint8Array(encoder));
    };
    this._onAwareness = ({ added, updated, removed }, origin) => {
      if (origin !== "local") return;
      const changed = added.concat(updated, removed);
      this._send(this._awarenessMessage(changed));
    };
    this.doc.on("update", this._onUpdate);
    this.awareness.on("update", this._onAwareness);
    this._open();
  }

  _awarenessMessage(clients) {
    const encoder = encoding.createEncoder();
    encoding.writeVarUint(encoder, AWARENESS);
    encoding.writeVarUint8Array(encoder, awarenessProtocol.encodeAwarenessUpdate(this.awareness, clients));
    return encoding.toUint8Array(encoder);
  }

  _send(bytes) {
    if (this.socket && this.socket.readyState === WebSocket.OPEN) this.socket.send(bytes);
  }

  control(message) {
    const body = new TextEncoder().encode(JSON.stringify(message));
    const bytes = new Uint8Array(body.length + 1);
    bytes[0] = CONTROL;
    bytes.set(body, 1);
    this._send(bytes);
  }

  _open() {
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    const socket = new WebSocket(`${scheme}//${location.host}${this.path}`);
    socket.binaryType = "arraybuffer";
    this.socket = socket;
    socket.addEventListener("open", () => {
      this.attempt = 0;
      this.onStatus("connected");
      const encoder = encoding.createEncoder();
      encoding.writeVarUint(encoder, SYNC);
      syncProtocol.writeSyncStep1(encoder, this.doc);
      this._send(encoding.toUint8Array(encoder));
      if (this.awareness.getLocalState() !== null) this._send(this._awarenessMessage([this.doc.clientID]));
    });
    socket.addEventListener("message", (event) => this._receive(new Uint8Array(event.data)));
    socket.addEventListener("close", (event) => {
      if (this.socket !== socket) return;
      this.synced = false;
      // Everyone else's cursors go; they come back with the next connection.
      const others = [...this.awareness.getStates().keys()].filter((client) => client !== this.doc.clientID);
      awarenessProtocol.removeAwarenessStates(this.awareness, others, this);
      if (this.stopped) return;
      if (FINAL_CLOSE_CODES.has(event.code)) {
        this.onStatus("ended");
        return;
      }
      this.onStatus("reconnecting");
      const ceiling = Math.min(MAX_DELAY_MS, BASE_DELAY_MS * 2 ** this.attempt);
      this.attempt += 1;
      this.timer = setTimeout(() => this._open(), Math.random() * ceiling);
    });
  }

  _receive(bytes) {
    if (bytes.length === 0) return;
    if (bytes[0] === CONTROL) {
      let message;
      try {
        message = JSON.parse(new TextDecoder().decode(bytes.subarray(1)));
      } catch {
        return;
      }
      if (message && typeof message.type === "string") this.onControl(message);
      return;
    }
    const decoder = decoding.createDecoder(bytes);
    const type = decoding.readVarUint(decoder);
    if (type === SYNC) {
      const encoder = encoding.createEncoder();
      encoding.writeVarUint(encoder, SYNC);
      const step = syncProtocol.readSyncMessage(decoder, encoder, this.doc, this);
      if (encoding.length(encoder) > 1) this._send(encoding.toUint8Array(encoder));
      if (step === syncProtocol.messageYjsSyncStep2 && !this.synced) {
        this.synced = true;
        this.onSynced();
      }
    } else if (type === AWARENESS) {
      awarenessProtocol.applyAwarenessUpdate(this.awareness, decoding.readVarUint8Array(decoder), this);
    }
  }

  destroy() {
    this.stopped = true;
    clearTimeout(this.timer);
    awarenessProtocol.removeAwarenessStates(this.awareness, [this.doc.clientID], "local");
    this.doc.off("update", this._onUpdate);
    this.awareness.off("update", this._onAwareness);
    if (this.socket) this.socket.close();
    this.awareness.destroy();
    this.doc.destroy();
  }
}
