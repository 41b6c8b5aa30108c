// socket.io-client 2.5.0 (Engine.IO v3, Socket.IO protocol v4) against a server with
// allow_eio3 / allowEIO3, the application of tests/test_interop_eio3.py. Run as
// `node eio3.mjs <url> <transport>`; prints the JSON transcript of what the clients observed.
// A 4.x client joins the same room, to check that both generations get the same broadcast.
import io2 from "socket.io-client-v2";
import { io as io4 } from "socket.io-client";
import { WAIT_MS, main, once, record, transport, url, v2Options } from "./lib.mjs";

const options = v2Options();

// Resolves once the socket of `path` is connected (and upgraded, in upgrade mode), with the
// arguments of `first`, the event the server sends on connection (recorded in order after).
async function connect2(path, first) {
  const socket = io2(url + path, options);
  const greeting = once(socket, first);
  await once(socket, "connect");
  if (transport === "upgrade" && socket.io.engine.transport.name !== "websocket") {
    await once(socket.io.engine, "upgrade");
  }
  return [socket, await greeting];
}

function ack(socket, event, ...args) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ack for ${event}`)), WAIT_MS);
    socket.emit(event, ...args, (...result) => {
      clearTimeout(timer);
      resolve(result);
    });
  });
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function scenario() {
  const opened = [];
  try {
    // The implicit connection to "/": no CONNECT is sent, the server connects it.
    const [root, welcome] = await connect2("", "welcome");
    opened.push(root);
    record("welcome", ...welcome);
    record("connect", root.id === root.io.engine.id, root.io.engine.transport.name);
    record("ack", ...(await ack(root, "echo", Buffer.from([9, 8]), "\u00fc\u{1F600}", { n: 1 })));

    // Server to client with an ack, binary both ways.
    root.on("question", (q, bin, reply) => {
      record("question", q, bin);
      reply(Buffer.from([5]));
    });
    const answered = once(root, "answer_was");
    root.emit("ask");
    record("answer_was", ...(await answered));

    // The documentation page's middleware: the query of io("/admin?token=...") reaches
    // socket.handshake.query; a refusal reaches the 2.x client's "error" listeners.
    const [admin, adminWelcome] = await connect2("/admin?token=abc", "admin_welcome");
    opened.push(admin);
    record("admin_welcome", ...adminWelcome);
    record("admin_id", admin.id === "/admin#" + admin.io.engine.id);
    for (const token of ["bad", "data"]) {
      const refused = io2(url + "/admin?token=" + token, options);
      opened.push(refused);
      record("error", token, (await once(refused, "error"))[0]);
    }

    const [dyn, dynName] = await connect2("/dyn-acme", "dyn");
    opened.push(dyn);
    record("dyn", ...dynName);

    // A 4.x client in the same room gets the same broadcast.
    const modern = io4(url, { forceNew: true, reconnection: false, transports: options.transports });
    opened.push(modern);
    await once(modern, "connect");
    const news2 = once(root, "news");
    const news4 = once(modern, "news");
    root.emit("broadcast", { bin: Buffer.from([1, 255]), text: "t" });
    record("news", "2.x", ...(await news2));
    record("news", "4.x", ...(await news4));

    // The heartbeat keeps an idle 2.x connection alive past several ping intervals (500 ms).
    let dropped = null;
    root.once("disconnect", (reason) => (dropped = reason));
    await sleep(2500);
    record("alive", dropped, ...(await ack(root, "echo", "still here")));

    // Disconnect reasons: the client leaves /admin, the server kicks "/".
    admin.disconnect();
    let stats;
    for (let i = 0; i < 50; i++) {
      [stats] = await ack(root, "stats");
      if (stats.adminDisconnect) break;
      await sleep(100);
    }
    record("stats", stats);
    const kicked = once(root, "disconnect");
    root.emit("kick");
    record("disconnect", ...(await kicked));
  } finally {
    for (const socket of opened) socket.close();
  }
}

main(scenario);
