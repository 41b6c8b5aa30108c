// A fixed amount of work, for benches/delivery_bench.py, from official socket.io-client
// connections on `/` over WebSocket:
//
//   node fixed_load.mjs <url> bcast <clients> <requests>
//     one more client on `/ctl` asks `requests` times, one after another, for 10 broadcasts
//     of `tick` to all of them (app.py's `bcast`); done when every client got every tick;
//   node fixed_load.mjs <url> echo <clients> <requests>
//     each client sends `requests` acked `echo` events, 8 in flight (bench-e2e's echo50);
//     done when every ack came back;
//   node fixed_load.mjs <url> emit <clients> <requests>
//     each client sends `requests` `bounce` events, 8 in flight, and the server emits each
//     back as `bounced` (bench-e2e's emit50); done when every one came back.
//
// It prints "received <got> of <expected>" (ticks, acks or bounced events) and exits; it gives up after
// 10 minutes.
import { io } from "socket.io-client";

const [url, kind, clientsArg, requestsArg] = process.argv.slice(2);
const clients = Number(clientsArg);
const requests = Number(requestsArg);
const BURST = 10;
const INFLIGHT = 8;
const options = { transports: ["websocket"], forceNew: true };

let received = 0;
const sockets = [];
const connects = [];
for (let i = 0; i < clients; i++) {
  const socket = io(url, options);
  socket.on("tick", () => {
    received++;
  });
  sockets.push(socket);
  connects.push(new Promise((resolve) => socket.on("connect", resolve)));
}
await Promise.all(connects);

// One client's `requests` requests, INFLIGHT at a time: `send(n, answered)` sends the n-th;
// `answered` (also returned, for a listener) counts an answer and sends the next request.
function keepInFlight(send) {
  let sent = 0;
  const next = () => {
    if (sent >= requests) return;
    sent++;
    send(sent, answered);
  };
  const answered = () => {
    received++;
    next();
  };
  for (let i = 0; i < INFLIGHT; i++) next();
  return answered;
}

let expected;
if (kind === "bcast") {
  const ctl = io(url + "/ctl", options);
  await new Promise((resolve) => ctl.on("connect", resolve));
  for (let i = 0; i < requests; i++) {
    await new Promise((resolve) => ctl.emit("bcast", BURST, "hello, everyone", resolve));
  }
  ctl.close();
  expected = requests * BURST * clients;
} else if (kind === "echo") {
  expected = requests * clients;
  for (const socket of sockets) {
    keepInFlight((n, answered) => socket.emit("echo", { n, text: "hello" }, answered));
  }
} else if (kind === "emit") {
  expected = requests * clients;
  for (const socket of sockets) {
    socket.on("bounced", keepInFlight((n) => socket.emit("bounce", { n, text: "hello" })));
  }
} else {
  console.error(`unknown kind ${kind}`);
  process.exit(2);
}
const deadline = Date.now() + 600_000;
while (received < expected && Date.now() < deadline) {
  await new Promise((resolve) => setTimeout(resolve, 50));
}
console.log(`received ${received} of ${expected}`);
for (const socket of sockets) socket.close();
process.exit(0);
