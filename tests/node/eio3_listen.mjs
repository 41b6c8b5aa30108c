// socket.io-client 2.5.0 opens options.nsp (default "/", a query allowed: "/admin?token=x")
// and records either its "error" event (a middleware's refusal) or its connection and the
// first options.event it receives, then leaves. Run as `node eio3_listen.mjs <url> <transport>`.
import io2 from "socket.io-client-v2";
import { main, once, options, record, url, v2Options } from "./lib.mjs";

main(async () => {
  const socket = io2(url + (options.nsp || ""), v2Options());
  try {
    const received = once(socket, options.event);
    const outcome = await Promise.race([once(socket, "connect"), once(socket, "error")]);
    if (!socket.connected) {
      record("error", ...outcome);
      received.catch(() => {});
      return;
    }
    record("connect");
    record(options.event, ...(await received));
  } finally {
    socket.close();
  }
});
