// Shared helpers of the Node scenario scripts.
//
// Every script is run as `node <script> <url> <transport>` where transport is
// "websocket", "polling" or "upgrade" (polling first, then the upgrade: the
// client's default). Scenario options arrive as JSON in SCENARIO_OPTIONS, with
// binary values written {"$bin": base64}. The script prints one JSON array on
// stdout: the transcript, a list of [kind, ...details] entries, with binary
// values written the same way.
import { io } from "socket.io-client";

export const [url, transport] = process.argv.slice(2);
export const WAIT_MS = 10000;

export function decode(value) {
  if (Array.isArray(value)) return value.map(decode);
  if (value && typeof value === "object") {
    const keys = Object.keys(value);
    if (keys.length === 1 && keys[0] === "$bin") return Buffer.from(value.$bin, "base64");
    return Object.fromEntries(keys.map((k) => [k, decode(value[k])]));
  }
  return value;
}

export function encode(value) {
  if (Buffer.isBuffer(value)) return { $bin: value.toString("base64") };
  if (value instanceof ArrayBuffer) return { $bin: Buffer.from(value).toString("base64") };
  if (ArrayBuffer.isView(value)) {
    return { $bin: Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString("base64") };
  }
  if (value instanceof Error) {
    const out = { message: value.message };
    if (value.data !== undefined) out.data = encode(value.data);
    return out;
  }
  if (Array.isArray(value)) return value.map(encode);
  if (value === undefined) return null;
  if (value && typeof value === "object") {
    return Object.fromEntries(Object.keys(value).map((k) => [k, encode(value[k])]));
  }
  return value;
}

export const options = decode(JSON.parse(process.env.SCENARIO_OPTIONS || "{}"));
// options.parser "msgpack": the official socket.io-msgpack-parser instead of the default parser.
const parser =
  options.parser === "msgpack" ? (await import("socket.io-msgpack-parser")).default : undefined;
export const transcript = [];

export function record(kind, ...details) {
  transcript.push([kind, ...details.map(encode)]);
}

// Node then exits by itself once in-flight requests are done (a polling client's last POST,
// carrying its DISCONNECT, is still on its way when disconnect() returns); the unref'd timer
// only bounds a straggler.
export function finish(code = 0) {
  process.exitCode = code;
  process.stdout.write(JSON.stringify(transcript) + "\n", () => {
    setTimeout(() => process.exit(code), 5000).unref();
  });
}

// Any failure still prints what was observed so far, plus the error. A scenario that waits
// longer than WAIT_MS somewhere says so with options.tailMs.
export function main(fn) {
  const guard = setTimeout(() => {
    record("error", "scenario timed out");
    finish(0);
  }, 3 * WAIT_MS + (options.tailMs || 0));
  fn()
    .then(() => {
      clearTimeout(guard);
      finish(0);
    })
    .catch((err) => {
      clearTimeout(guard);
      record("error", String(err && err.stack ? err.stack : err));
      finish(0);
    });
}

export function clientOptions(extra = {}) {
  const base = { reconnection: false, forceNew: true, timeout: WAIT_MS };
  if (parser) base.parser = parser;
  if (transport === "websocket") base.transports = ["websocket"];
  else if (transport === "polling") base.transports = ["polling"];
  else if (transport !== "upgrade") throw new Error(`unknown transport ${transport}`);
  return { ...base, ...extra };
}

// The options of a socket.io-client 2.x connection (eio3*.mjs) for this run's transport.
export function v2Options() {
  const transports = { websocket: ["websocket"], polling: ["polling"], upgrade: ["polling", "websocket"] };
  return { forceNew: true, reconnection: false, timeout: WAIT_MS, transports: transports[transport] };
}

// Resolves with the event's arguments, or rejects after WAIT_MS.
export function once(socket, event, ms = WAIT_MS) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out waiting for ${event}`)), ms);
    socket.once(event, (...args) => {
      clearTimeout(timer);
      resolve(args);
    });
  });
}

// Connects `path` (a namespace, e.g. "/" or "/chat"); resolves with the socket on connect, or
// with null after recording the connect_error. In upgrade mode it waits for the upgrade, so the
// scenario then runs over the WebSocket it upgraded to. `setup(socket)` runs before the
// connection starts (listeners that must not miss an event sent along with the CONNECT reply).
export async function connect(path = "/", extra = {}, label = null, setup = null) {
  const socket = io(url + (path === "/" ? "" : path), clientOptions(extra));
  if (setup) setup(socket);
  const outcome = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no connect outcome for ${path}`)), WAIT_MS);
    socket.once("connect", () => {
      clearTimeout(timer);
      resolve(true);
    });
    socket.once("connect_error", (err) => {
      clearTimeout(timer);
      record("connect_error", ...(label ? [label] : []), err);
      resolve(false);
    });
  });
  if (!outcome) {
    socket.close();
    return null;
  }
  if (transport === "upgrade" && socket.io.engine.transport.name !== "websocket") {
    await once(socket.io.engine, "upgrade");
  }
  return socket;
}

export function emitWithAck(socket, event, ...args) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ack for ${event}`)), WAIT_MS);
    socket.emit(event, ...args, (...ackArgs) => {
      clearTimeout(timer);
      resolve(ackArgs);
    });
  });
}

// Resolves once check() is true; rejects after `ms` (WAIT_MS).
export function waitFor(check, what, ms = WAIT_MS) {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const poll = () => {
      if (check()) return resolve();
      if (Date.now() - started > ms) return reject(new Error(`timed out waiting for ${what}`));
      setTimeout(poll, 5);
    };
    poll();
  });
}
