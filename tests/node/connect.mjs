// Connect to one namespace (options.nsp, default "/") with options.auth, then:
// ask "whoami" (the server acks what its connect handler saw), and end by
// options.end: "client" (socket.disconnect()) or "server" (emit "kick_me"; the
// server disconnects us). Records connect / connect_error / ack / disconnect.
import { connect, emitWithAck, main, once, options, record } from "./lib.mjs";

main(async () => {
  const extra = options.auth === undefined ? {} : { auth: options.auth };
  const socket = await connect(options.nsp || "/", extra);
  if (!socket) return;
  record("connect", socket.io.engine.transport.name);
  record("ack", "whoami", ...(await emitWithAck(socket, "whoami")));
  if (options.end === "server") {
    const closed = once(socket, "disconnect");
    socket.emit("kick_me");
    record("disconnect", (await closed)[0]);
  } else {
    socket.once("disconnect", (reason) => record("disconnect", reason));
    socket.disconnect();
  }
});
