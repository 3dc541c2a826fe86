#!/usr/bin/env node
// Checks deploy/compose.yaml without Docker: it parses (duplicate keys are
// errors), and has what the laptop setup relies on: the services sctpgw and
// client on the same image, sharing a named volume at /run/sctpgw; sctpgw
// with its settings file, a healthcheck running `sctpctl health`, non-root
// and read-only with no capabilities, a stop grace period above the drain
// time; the client starting once sctpgw is healthy.
//
// Usage: node check_compose.mjs FILE. Prints one line per problem and exits
// 1 if there is any, 0 otherwise.

import { readFileSync } from "node:fs";
import { parseDocument } from "yaml";

const SOCKET_DIR = "/run/sctpgw";
const DRAIN_SECONDS = 5;
const TOP_LEVEL = new Set(["name", "services", "volumes", "networks", "configs", "secrets", "include"]);

function main(argv) {
  if (argv.length !== 1) {
    console.error("usage: check_compose.mjs FILE");
    return 2;
  }
  const file = argv[0];
  const problems = [];
  const problem = (message) => problems.push(`${file}: ${message}`);
  const doc = parseDocument(readFileSync(file, "utf8"), { prettyErrors: true, uniqueKeys: true });
  for (const e of [...doc.errors, ...doc.warnings]) problem(`YAML: ${e.message.split("\n")[0]}`);
  const compose = doc.errors.length === 0 ? doc.toJS() : null;
  if (compose && typeof compose === "object") {
    for (const key of Object.keys(compose)) {
      if (!TOP_LEVEL.has(key) && !key.startsWith("x-")) problem(`unknown top-level key "${key}"`);
    }
    check(compose, problem);
  } else if (doc.errors.length === 0) {
    problem("not a mapping");
  }
  for (const p of problems) console.log(p);
  if (problems.length > 0) return 1;
  console.log(`check_compose: ${file} ok (services ${Object.keys(compose.services).join(", ")}; ` +
              `volumes ${Object.keys(compose.volumes).join(", ")})`);
  return 0;
}

// The named volume mounted at /run/sctpgw ("NAME:/run/sctpgw" or the long
// syntax), or undefined.
function socketVolume(service) {
  for (const v of service?.volumes ?? []) {
    if (typeof v === "string") {
      const [source, target] = v.split(":");
      if (target === SOCKET_DIR && !source.startsWith(".") && !source.startsWith("/")) return source;
    } else if (v?.type === "volume" && v.target === SOCKET_DIR) {
      return v.source;
    }
  }
  return undefined;
}

function seconds(duration) {
  const m = /^(\d+)(s|m)?$/.exec(String(duration ?? ""));
  if (!m) return NaN;
  return Number(m[1]) * (m[2] === "m" ? 60 : 1);
}

function check(compose, problem) {
  const services = compose.services ?? {};
  const volumes = compose.volumes ?? {};
  const gw = services.sctpgw;
  const client = services.client;
  if (!gw) problem('no service "sctpgw"');
  if (!client) problem('no service "client"');
  if (!gw || !client) return;

  const volume = socketVolume(gw);
  if (!volume) {
    problem(`sctpgw: no named volume at ${SOCKET_DIR}`);
  } else {
    if (!(volume in volumes)) problem(`volume "${volume}" is not declared under volumes:`);
    if (socketVolume(client) !== volume) problem(`client: does not mount "${volume}" at ${SOCKET_DIR}`);
  }
  if (!gw.image || gw.image !== client.image) problem("sctpgw and client must use the same image");

  const command = gw.command ?? [];
  const config = command.indexOf("--config");
  if (config < 0) {
    problem("sctpgw: no --config");
  } else if (!(gw.volumes ?? []).some((v) => typeof v === "string" &&
                                             v.split(":")[1] === command[config + 1])) {
    problem(`sctpgw: --config ${command[config + 1]} is not mounted`);
  }
  const test = gw.healthcheck?.test ?? [];
  if (test[0] !== "CMD" || !/(^|\/)sctpctl$/.test(test[1] ?? "") || !test.includes("health")) {
    problem('sctpgw: healthcheck must be ["CMD", ".../sctpctl", ..., "health"]');
  }
  if (!String(gw.user ?? "").startsWith("10001")) problem("sctpgw: must run as user 10001");
  if (gw.read_only !== true) problem("sctpgw: read_only must be true");
  for (const [name, service] of [["sctpgw", gw], ["client", client]]) {
    if (!(service.cap_drop ?? []).includes("ALL")) problem(`${name}: cap_drop must include ALL`);
    if (!(service.security_opt ?? []).includes("no-new-privileges:true")) {
      problem(`${name}: security_opt must include no-new-privileges:true`);
    }
  }
  if (!(seconds(gw.stop_grace_period) > DRAIN_SECONDS)) {
    problem(`sctpgw: stop_grace_period must exceed the drain time (${DRAIN_SECONDS} s)`);
  }
  if (client.depends_on?.sctpgw?.condition !== "service_healthy") {
    problem("client: must depend on sctpgw with condition service_healthy");
  }
}

process.exitCode = main(process.argv.slice(2));
