// The client's default transports (polling, then the WebSocket upgrade), recorded at the
// Engine.IO level: every Socket.IO packet the client receives and sends, in order, so that a
// packet delivered twice, lost or reordered across the switch shows.
//
// Options: nsp (default "/"); emits, a list of [event, ...args] emitted with an ack on
// "connect"; events, how many events the server sends from its connection handler.
// Recorded: ["received", data] and ["sent", data] per Socket.IO packet (binary attachments
// as {"$bin": base64}), ["connect"], ["connect_error", err], ["event", name, ...args],
// ["ack", event, ...args], ["upgrade"], then ["after", ...args] for an event acked over
// the upgraded connection.
import { io } from "socket.io-client";
import { emitWithAck, main, once, options, record, url, WAIT_MS, waitFor } from "./lib.mjs";

main(async () => {
  const nsp = options.nsp || "/";
  const socket = io(url + (nsp === "/" ? "" : nsp), {
    forceNew: true,
    reconnection: false,
    timeout: WAIT_MS,
  });
  const engine = socket.io.engine;
  let upgraded = false;
  engine.on("packet", ({ type, data }) => type === "message" && record("received", data));
  engine.on("packetCreate", ({ type, data }) => type === "message" && record("sent", data));
  engine.on("upgrade", () => {
    upgraded = true;
    record("upgrade");
  });
  let events = 0;
  socket.onAny((event, ...args) => {
    events++;
    record("event", event, ...args);
  });
  const acks = [];
  const outcome = new Promise((resolve) => {
    socket.on("connect", () => {
      record("connect");
      for (const [event, ...args] of options.emits || []) {
        acks.push(emitWithAck(socket, event, ...args).then((r) => record("ack", event, ...r)));
      }
      resolve(true);
    });
    socket.on("connect_error", (err) => {
      record("connect_error", err);
      resolve(false);
    });
  });
  if (!(await outcome)) {
    // Anything else the server would send (a second connect_error) has time to arrive.
    await new Promise((r) => setTimeout(r, 200));
    socket.close();
    return;
  }
  await Promise.all(acks);
  await waitFor(() => events >= (options.events || 0), "the connection handler's events");
  if (!upgraded) await once(engine, "upgrade");
  record("after", ...(await emitWithAck(socket, "echo", "after")));
  socket.disconnect();
});
