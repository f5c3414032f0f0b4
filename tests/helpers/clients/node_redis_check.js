// node_redis_check.js PORT PREFIX — the same steps with node-redis (package
// "redis"), which opens every connection with HELLO 3 (RESP3) and CLIENT
// SETINFO: connect, a pipeline of 1000 (commands issued in one tick are
// pipelined), SCAN over 10,000 keys (scanIterator), expiry.
"use strict";
const { createClient } = require("redis");
const [port, prefix] = [Number(process.argv[2]), process.argv[3]];

function check(what, got, want) {
  const g = JSON.stringify(got), w = JSON.stringify(want);
  if (g !== w) {
    console.error(`node-redis: ${what}\n  expected: ${w}\n  received: ${g}`);
    process.exit(1);
  }
}

async function main() {
  const r = createClient({ socket: { host: "127.0.0.1", port, connectTimeout: 5000,
                                     reconnectStrategy: false },
                           name: `${prefix}conn` });
  r.on("error", (e) => { console.error(`node-redis: ${e}`); process.exit(1); });
  await r.connect();
  check("PING after connect", await r.ping(), "PONG");
  check("CLIENT GETNAME (HELLO 3 SETNAME)", await r.clientGetName(), `${prefix}conn`);
  const info = await r.sendCommand(["CLIENT", "INFO"]);
  check("CLIENT INFO says resp=3 (the connection speaks RESP3)", /resp=3/.test(info), true);
  console.log("ok: connect (HELLO 3, CLIENT SETINFO)");

  const sets = [], gets = [];
  for (let i = 0; i < 1000; i++) sets.push(r.set(`${prefix}p${i}`, `v${i}`));
  for (let i = 0; i < 1000; i++) gets.push(r.get(`${prefix}p${i}`));
  await Promise.all(sets);
  const got = await Promise.all(gets);
  check("pipelined GET p999", got[999], "v999");
  check("pipelined GETs all answered", got.filter((v, i) => v === `v${i}`).length, 1000);
  check("GET of a missing key (RESP3 null)", await r.get(`${prefix}missing`), null);
  console.log("ok: pipeline of 1000 SETs and 1000 GETs");

  const fill = [];
  for (let i = 0; i < 10000; i++) fill.push(r.set(`${prefix}s${i}`, "x"));
  await Promise.all(fill);
  const seen = new Set();
  for await (const batch of r.scanIterator({ MATCH: `${prefix}s*`, COUNT: 100 }))
    (Array.isArray(batch) ? batch : [batch]).forEach((k) => seen.add(k));
  check("distinct keys returned by SCAN MATCH prefix*", seen.size, 10000);
  console.log("ok: SCAN over 10,000 keys");

  check("SET PX 300", await r.set(`${prefix}e`, "v", { PX: 300 }), "OK");
  const pttl = await r.pTTL(`${prefix}e`);
  check("PTTL within (0, 300]", pttl > 0 && pttl <= 300, true);
  await r.set(`${prefix}f`, "v", { EX: 100 });
  check("TTL", await r.ttl(`${prefix}f`), 100);
  check("PERSIST", await r.persist(`${prefix}f`), 1);
  check("GETEX EX", await r.getEx(`${prefix}f`, { EX: 50 }), "v");
  check("TTL after GETEX", await r.ttl(`${prefix}f`), 50);
  await new Promise((resolve) => setTimeout(resolve, 400));
  check("GET after the expiry", await r.get(`${prefix}e`), null);
  console.log("ok: expiry (SET PX, PTTL, TTL, PERSIST, GETEX)");
  r.destroy();
}

main().catch((e) => { console.error(`node-redis: ${e.stack || e}`); process.exit(1); });
