// The Node reference server (socket.io 4.8.4) on Node's Redis Streams adapter, one process of
// a cluster with socketio-rs processes (tests/test_redis_streams_node.py).
// Usage: node server.mjs <redis url> <port>; prints "ready <port>" once it listens.
// Its handlers, for the test's clients:
// - "prepare" (ack): join room "r", set socket.data.user = "ada";
// - "state" (ack): {id, rooms, data, recovered};
// - "broadcast" (event, arg, ack): io.emit(event, arg) to the whole cluster;
// - "ids" (ack): the ids of io.fetchSockets() across the cluster;
// - "ask_servers" (arg, ack): io.serverSideEmitWithAck("ping", arg);
// - "ask_clients" (ack): io.timeout(5000).emitWithAck("ask", "node");
// - "tell" (ack): io.serverSideEmit("note", "from node", <bytes 1 2>);
// - "start" (count, ack): "tick" 0..count-1 to room "r", 50 every 10 ms.
// Server side: "ping" answers "node pong <arg>"; "note" events are printed as "note <json>".
import { createServer } from "node:http";
import { Server } from "socket.io";
import { createClient } from "redis";
import { createAdapter } from "@socket.io/redis-streams-adapter";

const [redisUrl, port] = process.argv.slice(2);
const redis = createClient({ url: redisUrl });
redis.on("error", () => {}); // a Redis restart is logged by the test, not here
await redis.connect();

const io = new Server({
  adapter: createAdapter(redis),
  connectionStateRecovery: { maxDisconnectionDuration: 60_000, skipMiddlewares: true },
  pingInterval: 2000,
  pingTimeout: 5000,
});

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

io.on("connection", (socket) => {
  socket.on("prepare", (cb) => {
    socket.join("r");
    socket.data.user = "ada";
    cb(true);
  });
  socket.on("state", (cb) =>
    cb({ id: socket.id, rooms: [...socket.rooms].sort(), data: socket.data, recovered: socket.recovered }),
  );
  socket.on("broadcast", (event, arg, cb) => {
    io.emit(event, arg);
    cb(true);
  });
  socket.on("ids", async (cb) => cb((await io.fetchSockets()).map((s) => s.id).sort()));
  socket.on("ask_servers", async (arg, cb) => {
    try {
      cb(await io.serverSideEmitWithAck("ping", arg));
    } catch (err) {
      cb({ error: String(err) });
    }
  });
  socket.on("ask_clients", async (cb) => {
    try {
      cb((await io.timeout(5000).emitWithAck("ask", "node")).sort());
    } catch (err) {
      cb({ error: String(err) });
    }
  });
  socket.on("tell", (cb) => {
    io.serverSideEmit("note", "from node", Buffer.from([1, 2]));
    cb(true);
  });
  socket.on("start", async (count, cb) => {
    cb(true);
    for (let n = 0; n < count; n++) {
      io.to("r").emit("tick", n);
      if (n % 50 === 49) await sleep(10);
    }
  });
});

io.on("ping", (arg, cb) => cb(`node pong ${arg}`));
io.on("note", (...args) => console.log("note " + JSON.stringify(args)));

const server = createServer();
io.attach(server);
server.listen(Number(port), "127.0.0.1", () => console.log(`ready ${port}`));
