// The Redis cluster test (tests/test_redis_cluster.py): this client asks its server
// process to broadcast "news" with options.args, then a "fence" broadcast, and records
// every "news" it receives until the fence (the broadcast reaches it exactly once, with
// its binary attachments). Clients on the other processes check their copies.
import { connect, emitWithAck, main, once, options, record } from "./lib.mjs";

main(async () => {
  const socket = await connect("/");
  if (!socket) return;
  socket.on("news", (...args) => record("news", ...args));
  const fence = once(socket, "fence");
  record("ack", ...(await emitWithAck(socket, "do_emit", { event: "news", args: options.args })));
  record("ack", ...(await emitWithAck(socket, "do_emit", { event: "fence", args: [] })));
  await fence;
  record("fence");
  socket.disconnect();
});
