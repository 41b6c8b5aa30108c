// The reference Node server (socket.io 4.8.4) with allowEIO3, running the application of
// tests/test_interop_eio3.py (eio3_app there is the same application on socketio-rs), so that
// the 2.x client's checks are held against what Node does. Run as
// `node eio3_server.mjs <port> <allowEIO3: 0|1>`; prints "ready" once listening.
import { createServer } from "node:http";
import { Server } from "socket.io";

const [port, allow] = process.argv.slice(2);
const httpServer = createServer();
const io = new Server(httpServer, {
  allowEIO3: allow === "1",
  pingInterval: 500,
  pingTimeout: 1500,
  cors: { origin: "*" },
});

const stats = { secondMiddleware: 0, adminDisconnect: null };

io.on("connection", (socket) => {
  socket.join("room");
  // A raw Engine.IO test connects with ?quiet=1: nothing is sent unasked.
  if (!socket.handshake.query.quiet) {
    socket.emit("welcome", Buffer.from([1, 2, 3]), "caf\u00e9 \u{1F600}");
  }
  socket.on("bin", () => socket.emit("b", Buffer.from([1, 2])));
  socket.on("echo", (...args) => {
    const ack = args.pop();
    ack(...args);
  });
  socket.on("ask", async () => {
    const answer = await socket.timeout(5000).emitWithAck("question", "q?", Buffer.from([7]));
    socket.emit("answer_was", answer);
  });
  socket.on("broadcast", (payload) => io.to("room").emit("news", payload));
  socket.on("stats", (ack) => ack(stats));
  socket.on("kick", () => socket.disconnect());
});

const admin = io.of("/admin");
admin.use((socket, next) => {
  const token = socket.handshake.query.token;
  if (token === "abc") return next();
  if (token === "data") {
    const err = new Error("with data");
    err.data = { code: 42 };
    return next(err);
  }
  next(new Error("thou shall not pass"));
});
admin.use((socket, next) => {
  stats.secondMiddleware += 1;
  next();
});
admin.on("connection", (socket) => {
  socket.emit("admin_welcome", socket.handshake.query.token, socket.handshake.auth);
  socket.on("disconnect", (reason) => {
    stats.adminDisconnect = reason;
  });
});

io.of(/^\/dyn-\w+$/).on("connection", (socket) => {
  socket.emit("dyn", socket.nsp.name);
});

httpServer.listen(Number(port), "127.0.0.1", () => console.log("ready"));
