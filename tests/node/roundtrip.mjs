// Connect, emit options.event with options.args and an ack, record the ack,
// then record every event named in options.expect (in that order).
import { connect, emitWithAck, main, once, options, record } from "./lib.mjs";

main(async () => {
  const socket = await connect(options.nsp || "/");
  if (!socket) return;
  const waits = (options.expect || []).map((name) => [name, once(socket, name)]);
  record("ack", options.event, ...(await emitWithAck(socket, options.event, ...(options.args || []))));
  for (const [name, wait] of waits) record("event", name, ...(await wait));
  socket.disconnect();
});
