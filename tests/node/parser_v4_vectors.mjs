// Writes tests/data/parser-v4-vectors.json: the vectors of Socket.IO protocol v4, produced
// by socket.io-parser 3.3.6 (the parser of socket.io-client 2.5.0), in the format of
// parser-vectors.json (section 0.4 of the behaviour catalogue). The inputs are those of
// parser-vectors.json, replayed through 3.x, plus the cases only a v4 peer produces.
// Run as `node tests/node/parser_v4_vectors.mjs` (npm ci in tests/node first).
import { readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const parser = require("socket.io-parser-v3");
const version = require("socket.io-parser-v3/package.json").version;
const here = new URL(".", import.meta.url);
const v5 = JSON.parse(readFileSync(new URL("../data/parser-vectors.json", here), "utf8"));

function fromHex(value) {
  if (Array.isArray(value)) return value.map(fromHex);
  if (value && typeof value === "object") {
    const keys = Object.keys(value);
    if (keys.length === 1 && keys[0] === "__binary_hex") return Buffer.from(value.__binary_hex, "hex");
    return Object.fromEntries(keys.map((k) => [k, fromHex(value[k])]));
  }
  return value;
}

function toHex(value) {
  if (Buffer.isBuffer(value)) return { __binary_hex: value.toString("hex") };
  if (Array.isArray(value)) return value.map(toHex);
  if (value && typeof value === "object") {
    return Object.fromEntries(Object.keys(value).map((k) => [k, toHex(value[k])]));
  }
  return value;
}

const frameIn = (f) => (f && typeof f === "object" && "binary_hex" in f ? Buffer.from(f.binary_hex, "hex") : f);
const frameOut = (f) => (Buffer.isBuffer(f) ? { binary_hex: f.toString("hex") } : f);

function packetOut(p) {
  const out = { type: p.type, nsp: p.nsp };
  if (p.data !== undefined) out.data = toHex(p.data);
  if (p.id !== undefined) out.id = p.id;
  return out;
}

function hasBinary(value) {
  if (Buffer.isBuffer(value)) return true;
  if (Array.isArray(value)) return value.some(hasBinary);
  if (value && typeof value === "object") return Object.values(value).some(hasBinary);
  return false;
}

const encodeCases = v5.encode
  .filter((c) => c.packet.type !== 4 || typeof c.packet.data === "string" || c.packet.data)
  .map((c) => ({ desc: c.desc, packet: c.packet }))
  .concat([
    { desc: "CONNECT reply, no sid (v4)", packet: { type: 0, nsp: "/admin" } },
    { desc: "ERROR with a middleware's message (v4)", packet: { type: 4, nsp: "/admin", data: "thou shall not pass" } },
    { desc: "ERROR with a middleware's data (v4)", packet: { type: 4, nsp: "/", data: { code: 42 } } },
  ]);

const encode = encodeCases.map(({ desc, packet }) => {
  const obj = fromHex(packet);
  // socket.io 2.x picks the binary type before encoding (has-binary2); 3.x's encoder does not.
  if ((obj.type === 2 || obj.type === 3) && hasBinary(obj.data)) obj.type += 3;
  let encoded;
  new parser.Encoder().encode(obj, (frames) => (encoded = frames.map(frameOut)));
  return { desc, packet, encoded };
});

const decodeCases = v5.decode
  .map((c) => ({ desc: c.desc, input: c.input, ...(c.options ? { options: c.options } : {}) }))
  .concat([
    { desc: "CONNECT with a query in nsp (v4: io('/admin?token=abc'))", input: ["0/admin?token=abc,"] },
    { desc: "EVENT named connect (3.x reserves no names)", input: ['2["connect"]'] },
    { desc: "ERROR null (typeof null is object)", input: ["4null"] },
  ]);

const decode = decodeCases.map(({ desc, input, options }) => {
  const decoder = new parser.Decoder(options);
  const decoded = [];
  decoder.on("decoded", (p) => decoded.push(packetOut(p)));
  let result;
  try {
    for (const frame of input) decoder.add(frameIn(frame));
    result = { decoded, pending: decoder.reconstructor !== null };
  } catch (err) {
    result = { error: err.message, decodedBeforeError: decoded };
  }
  return { desc, input: input.map(frameOut), ...(options ? { options } : {}), result };
});

const out = { parser_version: version, encode, decode };
writeFileSync(new URL("../data/parser-v4-vectors.json", here), JSON.stringify(out, null, 1) + "\n");
console.log(`${encode.length} encode and ${decode.length} decode vectors from socket.io-parser ${version}`);
