// socket.io-client 2.5.0 connects to "/", records its connection and the first
// options.event it receives, then leaves. Run as `node eio3_listen.mjs <url> <transport>`.
import io2 from "socket.io-client-v2";
import { main, once, options, record, url, v2Options } from "./lib.mjs";

main(async () => {
  const socket = io2(url, v2Options());
  try {
    const received = once(socket, options.event);
    await once(socket, "connect");
    record("connect");
    record(options.event, ...(await received));
  } finally {
    socket.close();
  }
});
