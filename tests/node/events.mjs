// One client walks through the event features of the "events" test app
// (tests/test_interop_node.py): acks with several and binary arguments, a
// server push with a tuple, a server-side call() answered by our ack, the
// catch-all handler, send()/"message", and a server emit with a callback.
// Every step waits for its answer, so the transcript order is deterministic.
import { connect, emitWithAck, main, once, options, record } from "./lib.mjs";

main(async () => {
  const socket = await connect("/");
  if (!socket) return;
  record("connect", socket.io.engine.transport.name);
  // The server's call() and emit-with-callback: our acks answer them.
  socket.on("question", (payload, ack) => {
    record("event", "question", payload);
    ack("answer", { echoed: payload, extra: Buffer.from([9, 8, 7]) });
  });
  socket.on("needs_ack", (n, ack) => {
    record("event", "needs_ack", n);
    ack(n + 1);
  });

  record("ack", "echo", ...(await emitWithAck(socket, "echo", 1, "two", { three: [3] })));
  record("ack", "echo", ...(await emitWithAck(socket, "echo", options.binary)));
  record("ack", "echo", ...(await emitWithAck(socket, "echo")));

  let pushed = once(socket, "pushed");
  socket.emit("push_me", options.binary);
  record("event", "pushed", ...(await pushed));

  const result = once(socket, "call_result");
  socket.emit("call_me", options.binary);
  record("event", "call_result", ...(await result));

  const acked = once(socket, "callback_result");
  socket.emit("emit_with_callback", 41);
  record("event", "callback_result", ...(await acked));

  record("ack", "not_declared", ...(await emitWithAck(socket, "not_declared", "x", options.binary)));

  const message = once(socket, "message");
  socket.send("hello", options.binary);
  record("event", "message", ...(await message));

  socket.disconnect();
});
