// The end-to-end benchmark's application on the Node reference server (socket.io 4.8.4):
// the same handlers as app.py, which see. Run by run.py as `node server.mjs <port> [host]`.
import { createServer } from "node:http";
import { Server } from "socket.io";

const TOKEN = "bench";
const port = Number(process.argv[2]);
const host = process.argv[3] || "127.0.0.1";

const httpServer = createServer();
// run.py --deflate: compress as serve() does then (messages of 1024 bytes or more).
const deflate = process.env.E2E_SERVER_DEFLATE ? { threshold: 1024 } : false;
const io = new Server(httpServer, { perMessageDeflate: deflate });

io.on("connection", (socket) => {
  socket.on("echo", (data, ack) => ack(data));
  socket.on("bounce", (data) => socket.emit("bounced", data));
});

io.of("/ctl").on("connection", (socket) => {
  socket.on("bcast", (n, payload, ack) => {
    for (let i = 0; i < n; i++) io.emit("tick", payload);
    ack(n);
  });
});

io.of("/mw").use((socket, next) => {
  if (socket.handshake.auth && socket.handshake.auth.token === TOKEN) next();
  else next(new Error("forbidden"));
});

httpServer.listen(port, host);
for (const signal of ["SIGTERM", "SIGINT"]) {
  process.on(signal, () => process.exit(0));
}
