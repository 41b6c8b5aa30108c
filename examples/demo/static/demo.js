// The demo page. `io` is the official socket.io-client's global (see index.html).
"use strict";

const $ = (id) => document.getElementById(id);
const me = new URLSearchParams(location.search).get("name") || `guest-${1000 + Math.floor(Math.random() * 9000)}`;
$("me").textContent = me;

function show(log, line, kind = "") {
  const item = document.createElement("li");
  item.className = kind;
  const who = document.createElement("b");
  who.textContent = kind === "announcement" ? `announcement from ${line.from}:` : line.from;
  item.append(who, " ", line.text); // text nodes: nothing a user types becomes HTML
  log.append(item);
  log.scrollTop = log.scrollHeight;
}

function status(id, text, kind) {
  $(id).textContent = text;
  $(id).className = `status ${kind}`;
}

function onSubmit(formId, inputId, send) {
  $(formId).addEventListener("submit", (event) => {
    event.preventDefault();
    const text = $(inputId).value.trim();
    if (text) send(text);
    $(inputId).value = "";
  });
}

function enable(formId, on) {
  for (const element of $(formId).elements) element.disabled = !on;
}

// socket.io-client 2.x (the page loaded with ?client=2) speaks protocol 4: it has no auth, so
// the name goes in the query; a middleware's refusal is its "error" event, with the error's
// data or else its message; and it has no emitWithAck.
const legacy = io.protocol === 4;

function open(path, { auth, ...options }) {
  if (!legacy) return io(path, { auth, ...options });
  const socket = io(path, { query: auth, ...options });
  socket.on("error", (data) => {
    const err = typeof data === "string" ? { message: data } : { message: "refused", data };
    socket.listeners("connect_error").forEach((listener) => listener(err));
  });
  socket.emitWithAck = (event, ...args) => new Promise((resolve) => socket.emit(event, ...args, resolve));
  return socket;
}

// -- the lobby: the default namespace, joined on load ----------------------------------------

const lobby = open("/", { auth: { name: me } });
lobby.on("connect", () => status("lobby-status", "connected", "ok"));
lobby.on("disconnect", (reason) => status("lobby-status", `disconnected: ${reason}`, "error"));
lobby.on("connect_error", (err) => status("lobby-status", `cannot connect: ${err.message}`, "error"));
lobby.on("message", (line) => show($("lobby-log"), line));
lobby.on("announcement", (line) => show($("lobby-log"), line, "announcement"));
lobby.on("presence", showPresence);
onSubmit("lobby-form", "lobby-text", (text) => lobby.emit("message", text));

for (const room of ["general", "random", "help"]) {
  const button = document.createElement("button");
  button.textContent = `#${room}`;
  button.dataset.room = room;
  button.addEventListener("click", async () => {
    // The server's handler returns the room it moved us to: that is the ack.
    const joined = await lobby.emitWithAck("join", room);
    for (const b of $("rooms").children) b.classList.toggle("current", b.dataset.room === joined);
    show($("lobby-log"), { from: "*", text: `you are in #${joined}` }, "system");
  });
  $("rooms").append(button);
}
$("rooms").firstChild.classList.add("current"); // the server puts everyone in #general first

// -- a workspace: a namespace of its own, created by the server on the first connection ------

let workspace = null;
$("workspace-join").addEventListener("submit", (event) => {
  event.preventDefault();
  const name = $("workspace-input").value.trim();
  if (workspace) workspace.disconnect();
  $("workspace-log").replaceChildren();
  $("workspace-name").textContent = `/${name}`;
  // Same server, so this namespace shares the lobby's connection (one WebSocket, multiplexed).
  workspace = open(`/${name}`, { auth: { name: me } });
  workspace.on("connect", () => {
    status("workspace-status", "connected", "ok");
    enable("workspace-form", true);
  });
  workspace.on("connect_error", (err) => status("workspace-status", `refused: ${err.message}`, "error"));
  workspace.on("disconnect", () => enable("workspace-form", false));
  workspace.on("message", (line) => show($("workspace-log"), line));
  workspace.on("announcement", (line) => show($("workspace-log"), line, "announcement"));
});
onSubmit("workspace-form", "workspace-text", (text) => workspace.emit("message", text));

// -- /admin: refused or accepted by the server's namespace middleware -------------------------

let admin = null;
function connectAdmin(auth) {
  if (admin) admin.disconnect();
  // forceNew: a connection of its own, whose first request carries the cookies the page has
  // now; the middleware reads the session from that request (a multiplexed /admin would reuse
  // the lobby's connection, opened before signing in).
  admin = open("/admin", { auth, forceNew: true });
  status("admin-status", "connecting…", "");
  admin.on("connect", () => {
    status("admin-status", "connected as admin", "ok");
    enable("admin-form", true);
  });
  admin.on("connect_error", (err) => {
    // A middleware's refusal: err.message and err.data are what the server passed to next().
    const code = err.data && err.data.code ? ` (${err.data.code})` : "";
    status("admin-status", `refused: ${err.message}${code}`, "error");
  });
  admin.on("disconnect", () => enable("admin-form", false));
}

$("admin-connect").addEventListener("submit", (event) => {
  event.preventDefault();
  const token = $("admin-token").value.trim();
  connectAdmin(token ? { name: me, token } : { name: me });
});

$("admin-with-cookie").addEventListener("click", async () => {
  const response = await fetch("/session", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ token: $("admin-token").value.trim() }),
  });
  if (!response.ok) {
    status("admin-status", `sign-in refused: ${(await response.json()).error}`, "error");
    return;
  }
  connectAdmin({ name: me }); // no token: the session cookie is what gets us in
});

onSubmit("admin-form", "admin-text", async (text) => {
  status("admin-status", `${await admin.emitWithAck("announce", text)}: ${text}`, "ok");
});

// -- the live panel ---------------------------------------------------------------------------

function showPresence(namespaces) {
  const list = $("presence-list");
  list.replaceChildren();
  for (const [name, sockets] of Object.entries(namespaces)) {
    const block = document.createElement("div");
    block.className = "namespace";
    block.dataset.namespace = name;
    const title = document.createElement("h3");
    title.textContent = `${name} · ${sockets.length}`;
    const people = document.createElement("ul");
    for (const socket of sockets) {
      const item = document.createElement("li");
      const rooms = socket.rooms.map((room) => ` #${room}`).join("");
      item.textContent = `${socket.name}${rooms}`;
      item.title = socket.id;
      people.append(item);
    }
    block.append(title, people);
    list.append(block);
  }
}
