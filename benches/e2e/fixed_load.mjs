// A fixed amount of broadcast work, for benches/delivery_bench.py: `clients` official
// socket.io-client connections on `/` over WebSocket, and one on `/ctl` that asks `requests`
// times, one after another, for 10 broadcasts of `tick` to all of them (app.py's `bcast`).
// It waits until every client got every tick (or 10 minutes), prints
// "received <got> of <expected>" and exits.
//
//   node fixed_bcast.mjs <url> <clients> <requests>
import { io } from "socket.io-client";

const [url, clientsArg, requestsArg] = process.argv.slice(2);
const clients = Number(clientsArg);
const requests = Number(requestsArg);
const BURST = 10;
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
const ctl = io(url + "/ctl", options);
await new Promise((resolve) => ctl.on("connect", resolve));
for (let i = 0; i < requests; i++) {
  await new Promise((resolve) => ctl.emit("bcast", BURST, "hello, everyone", resolve));
}
const expected = requests * BURST * clients;
const deadline = Date.now() + 600_000;
while (received < expected && Date.now() < deadline) {
  await new Promise((resolve) => setTimeout(resolve, 50));
}
console.log(`received ${received} of ${expected}`);
for (const socket of sockets) socket.close();
ctl.close();
process.exit(0);
