// The msgpack parser (socket.io-msgpack-parser): connect with auth, acks with
// binary, a server push, then wait for the server to disconnect us.
import { connect, emitWithAck, main, once, options, record } from "./lib.mjs";

main(async () => {
  const socket = await connect("/", { auth: { token: "t" } });
  if (!socket) return;
  record("ack", "echo", ...(await emitWithAck(socket, "echo", 1, "two", options.binary)));
  const pushed = once(socket, "pushed");
  socket.emit("push_me");
  record("event", "pushed", ...(await pushed));
  const gone = once(socket, "disconnect");
  socket.emit("kick_me");
  record("disconnect", ...(await gone));
});
