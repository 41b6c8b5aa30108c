// The end-to-end benchmark's load generator: the official socket.io-client, WebSocket
// transport only (but for upgrade, and polling where the scenario's transport says so), one
// Socket.IO connection (its own Manager) per simulated client.
//
// Run by run.py as `node load.mjs <url> <kind>`, kind one of echo, emit, bcast, connect,
// upgrade, mem,
// with the options as JSON in E2E_OPTIONS (see DEFAULTS). It talks to the runner by lines:
//   stdout "mark start" / "mark stop"  the measurement window opens / closes now (the runner
//                                      reads the server's CPU time when it sees the line);
//   stdout "hold <name>"               the runner reads the server's RSS, then writes "ok"
//                                      on stdin, and the generator goes on;
//   stdout "result <json>"             the counts, once, at the end.
// Everything else goes to stderr. It exits when the runner closes stdin.
import { createInterface } from "node:readline";
import { io } from "socket.io-client";

const DEFAULTS = {
  clients: 1, // simulated clients
  inflight: 8, // echo, emit: requests in flight per client
  warmup: 1, // seconds of load before the window opens
  seconds: 3, // length of the measurement window
  burst: 10, // bcast: broadcasts asked for per request
  loops: 4, // connect: concurrent connect/disconnect loops
  batch: 50, // connections opened concurrently while setting up
  deflate: false, // offer permessage-deflate (the client's default); off: no server compresses
  timeout: 20, // seconds: connect timeout, and the bound on draining at the end
  transport: "websocket", // or "polling": HTTP long-polling only (as behind proxies that block WebSocket)
};
const TOKEN = "bench";
const TEXT = "hello, everyone";

const [url, kind] = process.argv.slice(2);
const opts = { ...DEFAULTS, ...JSON.parse(process.env.E2E_OPTIONS || "{}") };

const stats = { ops: 0, errors: 0, errorKinds: {}, latencies: [] };
let measuring = false;

function error(what, n = 1) {
  stats.errors += n;
  stats.errorKinds[what] = (stats.errorKinds[what] || 0) + n;
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// --------------------------------------------------------------------- talking to the runner

const replies = [];
const stdin = createInterface({ input: process.stdin });
stdin.on("line", () => {
  const resolve = replies.shift();
  if (resolve) resolve();
});
stdin.on("close", () => process.exit(1)); // the runner is gone

// Writes to a pipe are synchronous on Linux: the line is out before the next statement runs.
const mark = (name) => process.stdout.write(`mark ${name}\n`);

function hold(name) {
  const done = new Promise((resolve) => replies.push(resolve));
  process.stdout.write(`hold ${name}\n`);
  return done;
}

// ------------------------------------------------------------------------------ connections

let closing = false;

function connectOne(path = "/", extra = {}) {
  return new Promise((resolve) => {
    const socket = io(url + path, {
      transports: [opts.transport],
      forceNew: true, // a Manager, and so a WebSocket, per client: no multiplexing
      reconnection: false,
      timeout: opts.timeout * 1000,
      perMessageDeflate: opts.deflate ? { threshold: 1024 } : false,
      ...extra,
    });
    const started = performance.now();
    socket.once("connect", () => {
      socket.once("disconnect", (reason) => {
        if (!closing && reason !== "io client disconnect") error(`disconnect: ${reason}`);
      });
      resolve({ socket, ms: performance.now() - started });
    });
    socket.once("connect_error", (err) => {
      socket.close();
      resolve({ socket: null, err });
    });
  });
}

async function connectMany(n, path = "/") {
  const sockets = [];
  let next = 0;
  async function worker() {
    while (next < n) {
      next++;
      const { socket, err } = await connectOne(path);
      if (socket) sockets.push(socket);
      else error(`connect_error: ${err && err.message}`);
    }
  }
  await Promise.all(Array.from({ length: Math.min(opts.batch, n) }, worker));
  return sockets;
}

// The warm-up, then the window; returns the window's length in seconds.
async function measure() {
  await sleep(opts.warmup * 1000);
  stats.ops = 0;
  stats.latencies = [];
  mark("start");
  measuring = true;
  const started = performance.now();
  await sleep(opts.seconds * 1000);
  mark("stop");
  measuring = false;
  return (performance.now() - started) / 1000;
}

async function drain(pending) {
  const deadline = performance.now() + opts.timeout * 1000;
  while (pending() > 0 && performance.now() < deadline) await sleep(10);
  if (pending() > 0) error("lost (no reply by the end)", pending());
}

function payload(seq) {
  return { seq, text: TEXT, tags: ["a", "b"] };
}

function valid(data, seq) {
  return data && data.seq === seq && data.text === TEXT && Array.isArray(data.tags);
}

// -------------------------------------------------------------------------------- scenarios

// Each client emits "echo" with an ack, `inflight` at a time; an op is one acked round trip.
async function echo() {
  const sockets = await connectMany(opts.clients);
  let running = true;
  let seq = 0;
  let pending = 0;
  function send(socket) {
    if (!running) return;
    const mine = ++seq;
    const sent = performance.now();
    pending++;
    socket.emit("echo", payload(mine), (data) => {
      pending--;
      if (!valid(data, mine)) error("wrong echo");
      else if (measuring) {
        stats.ops++;
        stats.latencies.push(performance.now() - sent);
      }
      send(socket);
    });
  }
  for (const socket of sockets) for (let i = 0; i < opts.inflight; i++) send(socket);
  const elapsed = await measure();
  running = false;
  await drain(() => pending);
  return { elapsed };
}

// Each client emits "bounce", the server emits "bounced" back; an op is one round trip.
async function emit() {
  const sockets = await connectMany(opts.clients);
  let running = true;
  let seq = 0;
  let pending = 0;
  function send(socket, sent) {
    if (!running) return;
    const mine = ++seq;
    sent.set(mine, performance.now());
    pending++;
    socket.emit("bounce", payload(mine));
  }
  for (const socket of sockets) {
    const sent = new Map();
    socket.on("bounced", (data) => {
      const at = data && sent.get(data.seq);
      if (at === undefined || !valid(data, data.seq)) {
        error("wrong bounce");
        return;
      }
      sent.delete(data.seq);
      pending--;
      if (measuring) {
        stats.ops++;
        stats.latencies.push(performance.now() - at);
      }
      send(socket, sent);
    });
    for (let i = 0; i < opts.inflight; i++) send(socket, sent);
  }
  const elapsed = await measure();
  running = false;
  await drain(() => pending);
  return { elapsed };
}

// A control client on /ctl asks for `burst` broadcasts at a time, and asks again whenever
// fewer than two bursts' deliveries are outstanding; an op is one delivery at one client.
async function bcast() {
  const sockets = await connectMany(opts.clients);
  const ctl = await connectOne("/ctl");
  if (!ctl.socket) throw new Error(`/ctl: ${ctl.err && ctl.err.message}`);
  const perBurst = opts.burst * sockets.length;
  let running = true;
  let issued = 0;
  let received = 0;
  function pump() {
    while (running && issued - received < 2 * perBurst) {
      issued += perBurst;
      ctl.socket.emit("bcast", opts.burst, payload(0), (n) => {
        if (n !== opts.burst) error("wrong bcast ack");
      });
    }
  }
  for (const socket of sockets) {
    socket.on("tick", (data) => {
      if (!valid(data, 0)) error("wrong tick");
      received++;
      if (measuring) stats.ops++;
      pump();
    });
  }
  pump();
  const elapsed = await measure();
  running = false;
  await drain(() => issued - received);
  return { elapsed };
}

// `loops` loops, each: connect to /mw (namespace middleware checks the token), wait for the
// connect, disconnect, again. An op is one accepted connection; latency is connect's.
async function connect() {
  const refused = await connectOne("/mw", { auth: { token: "wrong" } });
  if (refused.socket) {
    error("/mw accepted a wrong token");
    refused.socket.disconnect();
  }
  let running = true;
  async function loop() {
    while (running) {
      const { socket, ms, err } = await connectOne("/mw", { auth: { token: TOKEN } });
      if (!socket) {
        error(`connect_error: ${err && err.message}`);
        await sleep(10);
        continue;
      }
      if (measuring) {
        stats.ops++;
        stats.latencies.push(ms);
      }
      socket.disconnect();
    }
  }
  const loops = Array.from({ length: opts.loops }, loop);
  const elapsed = await measure();
  running = false;
  await Promise.all(loops);
  return { elapsed };
}

// `loops` loops, each: connect to / with the client's default transports (polling, then the
// WebSocket upgrade: what a browser page gets), wait for the connect and the upgrade,
// disconnect, again. An op is one connection; latency is io() to the `connect` event, which
// includes whatever the upgrade holds up.
async function upgrade() {
  let running = true;
  async function loop() {
    while (running) {
      const { socket, ms, err } = await connectOne("/", { transports: ["polling", "websocket"] });
      if (!socket) {
        error(`connect_error: ${err && err.message}`);
        await sleep(10);
        continue;
      }
      if (measuring) {
        stats.ops++;
        stats.latencies.push(ms);
      }
      const engine = socket.io.engine;
      if (engine.transport.name !== "websocket") {
        await new Promise((resolve) => {
          const timer = setTimeout(() => {
            error("no upgrade within the timeout");
            resolve();
          }, opts.timeout * 1000);
          engine.once("upgrade", () => {
            clearTimeout(timer);
            resolve();
          });
        });
      }
      socket.disconnect();
    }
  }
  const loops = Array.from({ length: opts.loops }, loop);
  const elapsed = await measure();
  running = false;
  await Promise.all(loops);
  return { elapsed };
}

// One warm-up client echoes for a while and stays; the runner reads the server's RSS
// ("before"), `clients` idle clients connect, and it reads it again ("after").
async function mem() {
  const warm = await connectOne("/");
  if (!warm.socket) throw new Error(`warm-up client: ${warm.err && warm.err.message}`);
  for (let i = 0; i < 200; i++) {
    const data = await warm.socket.emitWithAck("echo", payload(i));
    if (!valid(data, i)) error("wrong echo");
  }
  await sleep(500);
  await hold("before");
  const sockets = await connectMany(opts.clients);
  await sleep(1000); // let the server finish what the connects started
  await hold("after");
  stats.ops = sockets.length;
  return { connected: sockets.length };
}

// ------------------------------------------------------------------------------------- main

const SCENARIOS = { echo, emit, bcast, connect, upgrade, mem };

function percentile(sorted, q) {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

async function main() {
  const scenario = SCENARIOS[kind];
  if (!scenario) throw new Error(`unknown scenario kind ${kind}`);
  const extra = await scenario();
  closing = true;
  const sorted = Float64Array.from(stats.latencies).sort();
  return {
    ops: stats.ops,
    errors: stats.errors,
    errorKinds: stats.errorKinds,
    p50: percentile(sorted, 0.5),
    p99: percentile(sorted, 0.99),
    ...extra,
  };
}

function finish(result) {
  process.stdout.write(`result ${JSON.stringify(result)}\n`, () => process.exit(0));
}

main()
  .then(finish)
  .catch((err) => {
    error(`fatal: ${err && err.message}`);
    finish({ ops: 0, errors: stats.errors, errorKinds: stats.errorKinds, fatal: String(err) });
  });
