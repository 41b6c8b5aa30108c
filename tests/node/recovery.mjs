// Connection state recovery with the official client: it connects, asks the server to put
// it in a room and set its data ("prepare"), asks for `count` numbered "tick" broadcasts
// ("start"), cuts its transport after `cutAfter` of them and reconnects by itself.
// options.cut: "close" (socket.io.engine.close(), as the reference's own tests do) or "reset"
// (the TCP connection under the WebSocket is reset, as a dropped network does);
// options.delay: the reconnection delay in ms (50); options.reconnectTo: the URL of another
// process to reconnect to; options.tailMs: how long to wait for the rest of the ticks after the
// reconnection (10 s). Recorded: ["first", id, recovered],
// ["again", id, recovered] on the reconnection, ["ticks", ...] every tick received in order
// of arrival (collapsed to ["ticks", "0..n-1"] when they are exactly 0..n-1), then
// ["state", ...] the server's view of the socket after it.
import { connect, emitWithAck, main, options, record, waitFor } from "./lib.mjs";

main(async () => {
  const ticks = [];
  const delay = options.delay ?? 50;
  const socket = await connect(
    options.nsp || "/",
    {
      reconnection: true,
      reconnectionDelay: delay,
      reconnectionDelayMax: delay,
      randomizationFactor: 0,
    },
    null,
    (s) => s.on("tick", (n) => ticks.push(n)),
  );
  if (!socket) return;
  record("first", socket.id, socket.recovered);
  let again = 0;
  socket.on("connect", () => {
    again++;
    record("again", socket.id, socket.recovered);
  });
  await emitWithAck(socket, "prepare");
  await emitWithAck(socket, "start", options.count);
  await waitFor(() => ticks.length >= options.cutAfter, "the first ticks");
  // Another process of the cluster: the reconnection goes there (the Manager opens its next
  // Engine.IO connection to its uri).
  if (options.reconnectTo) socket.io.uri = options.reconnectTo;
  if (options.cut === "reset") {
    socket.io.engine.transport.ws._socket.resetAndDestroy();
  } else {
    socket.io.engine.close();
  }
  await waitFor(() => again >= 1, "the reconnection");
  if (options.expectAll !== false) {
    // Done when the last tick arrived: the ticks come in order, so one missing by then never
    // comes (the test says whether that may happen), and copies do not end the wait early.
    const last = options.count - 1;
    await waitFor(() => ticks[ticks.length - 1] === last, "every tick", options.tailMs).catch(async (err) => {
      const seen = new Set(ticks);
      const missing = [];
      for (let n = 0; n < options.count && missing.length < 10; n++) if (!seen.has(n)) missing.push(n);
      // What the server makes of the socket now (its rooms above all) says where they went.
      const state = await emitWithAck(socket, "state").catch((e) => e.message);
      throw new Error(
        `${ticks.length} of ${options.count} ticks arrived, the last ${ticks[ticks.length - 1]}, ` +
          `missing ${missing}; the server's state: ${JSON.stringify(state)} (${err.message})`,
      );
    });
  }
  record("state", ...(await emitWithAck(socket, "state")));
  await new Promise((r) => setTimeout(r, 100)); // a duplicate would arrive by now
  const exact = ticks.length === options.count && ticks.every((n, i) => n === i);
  record("ticks", ...(exact ? [`0..${options.count - 1}`] : ticks));
  socket.disconnect();
});
