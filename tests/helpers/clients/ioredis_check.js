// ioredis_check.js PORT PREFIX — what a new ioredis user does first, against
// the server on 127.0.0.1:PORT: connect (ioredis's ready check sends INFO
// and waits for "loading:0"), a pipeline of 1000, SCAN over 10,000 keys
// (scanStream), expiry.  Prints one "ok:" line per step; on the first
// difference, prints what was sent, expected and received, and exits 1.
// Run by tests/clients.bats with NODE_PATH pointing at build/clients-npm.
"use strict";
const Redis = require("ioredis");
const [port, prefix] = [Number(process.argv[2]), process.argv[3]];

function check(what, got, want) {
  const g = JSON.stringify(got), w = JSON.stringify(want);
  if (g !== w) {
    console.error(`ioredis: ${what}\n  expected: ${w}\n  received: ${g}`);
    process.exit(1);
  }
}

async function main() {
  const r = new Redis({ host: "127.0.0.1", port, connectTimeout: 5000,
                        maxRetriesPerRequest: 0, retryStrategy: null,
                        connectionName: `${prefix}conn` });
  await new Promise((resolve, reject) => { r.once("ready", resolve); r.once("error", reject); });
  check("PING after connect", await r.ping(), "PONG");
  check("CLIENT GETNAME (connectionName sent at connect)", await r.client("GETNAME"), `${prefix}conn`);
  console.log("ok: connect (INFO ready check, CLIENT SETNAME)");

  const p = r.pipeline();
  for (let i = 0; i < 1000; i++) p.set(`${prefix}p${i}`, `v${i}`);
  for (let i = 0; i < 1000; i++) p.get(`${prefix}p${i}`);
  const res = await p.exec();
  check("pipeline of 1000 SET + 1000 GET: errors", res.filter(([e]) => e).length, 0);
  check("pipeline GET p999", res[1999][1], "v999");
  console.log("ok: pipeline of 1000 SETs and 1000 GETs");

  const fill = r.pipeline();
  for (let i = 0; i < 10000; i++) fill.set(`${prefix}s${i}`, "x");
  await fill.exec();
  const seen = new Set();
  await new Promise((resolve, reject) => {
    const stream = r.scanStream({ match: `${prefix}s*`, count: 100 });
    stream.on("data", (keys) => keys.forEach((k) => seen.add(k)));
    stream.on("end", resolve);
    stream.on("error", reject);
  });
  check("distinct keys returned by SCAN MATCH prefix*", seen.size, 10000);
  console.log("ok: SCAN over 10,000 keys");

  check("SET PX 300", await r.set(`${prefix}e`, "v", "PX", 300), "OK");
  const pttl = await r.pttl(`${prefix}e`);
  check("PTTL within (0, 300]", pttl > 0 && pttl <= 300, true);
  check("EXPIRE", await r.expire(`${prefix}f`, 100), 0);
  await r.set(`${prefix}f`, "v", "EX", 100);
  check("TTL", await r.ttl(`${prefix}f`), 100);
  check("PERSIST", await r.persist(`${prefix}f`), 1);
  check("TYPE", await r.type(`${prefix}f`), "string");
  await new Promise((resolve) => setTimeout(resolve, 400));
  check("GET after the expiry", await r.get(`${prefix}e`), null);
  console.log("ok: expiry (SET PX, PTTL, EXPIRE, TTL, PERSIST)");
  r.disconnect();
}

main().catch((e) => { console.error(`ioredis: ${e.stack || e}`); process.exit(1); });
