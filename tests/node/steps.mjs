// A scripted client: options.steps is a list of steps run in order, each
// [kind, label, ...args], where label names one client socket:
//   ["connect", label, nsp, {auth, query}]  connect (records connect or connect_error)
//   ["emit", label, event, ...args]           emit without ack
//   ["ack", label, event, ...args]            emit and record the server's ack
//   ["wait", label, event, count]             wait until `count` events `event` arrived
//   ["disconnect", label]                     socket.disconnect()
//   ["wait_disconnect", label]                wait until the server disconnected it
//   ["sleep", ms]
// Every event a socket receives is recorded as ["event", label, event, ...args]
// and acked with the arguments it carried, unless its name is in options.noack.
// Disconnections are recorded as ["disconnect", label, reason].
import { connect, emitWithAck, main, options, record, waitFor } from "./lib.mjs";

const sockets = new Map();
const received = new Map(); // label -> list of event names
const disconnected = new Map(); // label -> Promise of the reason
const noack = new Set(options.noack || []);

async function run(step) {
  const [kind, label, ...args] = step;
  if (kind === "sleep") return new Promise((r) => setTimeout(r, label));
  if (kind === "connect") {
    const [nsp, extra] = args;
    received.set(label, []);
    const socket = await connect(nsp, extra || {}, label, (created) => {
      created.onAny((event, ...eventArgs) => {
        const ack = typeof eventArgs[eventArgs.length - 1] === "function" ? eventArgs.pop() : null;
        received.get(label).push(event);
        record("event", label, event, ...eventArgs);
        if (ack && !noack.has(event)) ack(...eventArgs);
      });
    });
    if (!socket) return;
    sockets.set(label, socket);
    record("connect", label, socket.id);
    disconnected.set(
      label,
      new Promise((resolve) =>
        socket.once("disconnect", (reason) => {
          record("disconnect", label, reason);
          resolve(reason);
        }),
      ),
    );
    return;
  }
  const socket = sockets.get(label);
  if (!socket) throw new Error(`no connected socket ${label}`);
  if (kind === "emit") socket.emit(...args);
  else if (kind === "ack") record("ack", label, args[0], ...(await emitWithAck(socket, ...args)));
  else if (kind === "wait") {
    const [event, count = 1] = args;
    await waitFor(() => received.get(label).filter((e) => e === event).length >= count, event);
  } else if (kind === "disconnect") socket.disconnect();
  else if (kind === "wait_disconnect") await disconnected.get(label);
  else throw new Error(`unknown step ${kind}`);
}

main(async () => {
  for (const step of options.steps) await run(step);
  for (const socket of sockets.values()) if (socket.connected) socket.disconnect();
});
