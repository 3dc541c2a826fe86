#!/usr/bin/env node
// Checks Kubernetes manifests offline, without a cluster:
//
//  1. every YAML document parses (duplicate keys are errors) and names an
//     apiVersion and kind that kubernetes-models has a model for;
//  2. the model's validate(): types, enums, required fields (the OpenAPI
//     schemas of Kubernetes, as kubernetes-models ships them);
//  3. unknown fields, which validate() lets through: each object is walked
//     against the same schemas and every property they do not define is
//     reported with its path, as `kubectl apply` (strict field validation)
//     would reject it;
//  4. for pods that run sctpgw, what the deployment relies on: the hardened
//     security context, probes that run `sctpctl health`, the socket volume
//     shared at /run/sctpgw, the settings file from a ConfigMap with keys
//     that deploy/sctpgw.toml knows, a grace period longer than the drain
//     time, metrics port and annotations; Services whose SCTP ports reach
//     SCTP container ports of the pods they select.
//
// Usage: node validate.mjs [--settings deploy/sctpgw.toml] FILE.yaml...
// Prints one line per problem (FILE:LINE: ...) and exits 1 if there is any,
// 0 otherwise; 2 for bad usage.
//
// The schemas: kubernetes-models 4.3 keeps each definition as a JSON literal
// in node_modules/kubernetes-models/_schemas/*.mjs (and
// @kubernetes-models/apimachinery/_schemas/*.mjs for the shared meta types),
// registered under its OpenAPI id. Later releases ship precompiled
// validators instead, with no schema left to walk: package.json pins 4.3.x.

import { readFileSync, readdirSync } from "node:fs";
import { basename, dirname, join, posix } from "node:path";
import { fileURLToPath } from "node:url";
import { LineCounter, isMap, isSeq, parseAllDocuments } from "yaml";

const here = dirname(fileURLToPath(import.meta.url));

// ---- the schemas -----------------------------------------------------------

function packageDir(name) {
  // The package's main module lives at its root.
  return dirname(fileURLToPath(import.meta.resolve(name)));
}

function loadSchemas() {
  const schemas = new Map();
  for (const pkg of ["kubernetes-models", "@kubernetes-models/apimachinery"]) {
    const dir = join(packageDir(pkg), "_schemas");
    for (const file of readdirSync(dir).filter((f) => f.endsWith(".mjs"))) {
      const text = readFileSync(join(dir, file), "utf8");
      const literal = /^const schema = (\{\}|\{[\s\S]*?^\});$/m.exec(text);
      const id = /register\("([^"]+)", schema\)/.exec(text);
      if (!literal || !id) {
        throw new Error(`${join(dir, file)}: no schema literal; kubernetes-models ` +
                        "releases after 4.3 ship none (see package.json)");
      }
      schemas.set(id[1], JSON.parse(literal[1]));
    }
  }
  if (schemas.size < 100) throw new Error(`only ${schemas.size} schemas found`);
  return schemas;
}

const schemas = loadSchemas();

// The schema of a top-level object: the one whose apiVersion and kind enums
// name exactly these.
const rootSchemas = new Map();
for (const schema of schemas.values()) {
  const api = schema.properties?.apiVersion?.enum;
  const kind = schema.properties?.kind?.enum;
  if (api?.length === 1 && kind?.length === 1) rootSchemas.set(`${api[0]} ${kind[0]}`, schema);
}

function deref(schema) {
  while (schema && schema.$ref) {
    const id = schema.$ref.replace(/#$/, "");
    const target = schemas.get(id);
    if (!target) throw new Error(`schema ${id} is missing`);
    schema = target;
  }
  return schema;
}

// The alternatives a value may match: oneOf without its {type: null} branch
// (kubernetes-models' way of saying "optional").
function alternatives(schema) {
  schema = deref(schema);
  if (!schema.oneOf) return [schema];
  return schema.oneOf.filter((s) => s.type !== "null").flatMap(alternatives);
}

// ---- paths and lines -------------------------------------------------------

function showPath(path) {
  let out = "";
  for (const part of path) {
    if (typeof part === "number") out += `[${part}]`;
    else if (/^[A-Za-z_$][\w$-]*$/.test(part)) out += out ? `.${part}` : part;
    else out += `[${JSON.stringify(part)}]`;
  }
  return out || "(document)";
}

// The line of the key (or item) at `path` in a parsed YAML document.
function lineOf(doc, lineCounter, path) {
  let node = doc.contents;
  let offset = node?.range?.[0];
  for (const part of path) {
    if (isMap(node)) {
      const pair = node.items.find((p) => (p.key?.value ?? p.key) === part);
      if (!pair) break;
      offset = pair.key?.range?.[0] ?? offset;
      node = pair.value;
    } else if (isSeq(node) && typeof part === "number" && node.items[part]) {
      node = node.items[part];
      offset = node.range?.[0] ?? offset;
    } else {
      break;
    }
  }
  return offset === undefined ? 0 : lineCounter.linePos(offset).line;
}

// ---- unknown fields --------------------------------------------------------

// Appends the path of every property of `value` that `schema` does not
// define. Objects without properties or additionalProperties are free-form
// (RawExtension, FieldsV1) and not looked into.
function unknownFields(value, schema, path, out) {
  if (value === null || typeof value !== "object") return;
  const alts = alternatives(schema).filter((s) =>
    Array.isArray(value) ? s.type === "array" || s.items : s.type === "object" || s.properties ||
                           s.additionalProperties);
  if (alts.length === 0) return;  // a type error: validate() reports it
  // Several object alternatives (none in the core API today): the one that
  // fits best.
  let best = null;
  for (const alt of alts) {
    const found = [];
    walkOne(value, alt, path, found);
    if (best === null || found.length < best.length) best = found;
  }
  out.push(...best);
}

function walkOne(value, schema, path, out) {
  if (Array.isArray(value)) {
    if (schema.items) value.forEach((item, i) => unknownFields(item, schema.items, [...path, i], out));
    return;
  }
  const properties = schema.properties;
  const extra = schema.additionalProperties;
  if (!properties && (extra === undefined || extra === true)) return;
  for (const [key, item] of Object.entries(value)) {
    const sub = properties?.[key] ?? (typeof extra === "object" ? extra : undefined);
    if (sub) unknownFields(item, sub, [...path, key], out);
    else if (extra !== true) out.push([...path, key]);
  }
}

// ---- the model's own validation ---------------------------------------------

const modelModules = new Map();

async function modelFor(apiVersion, kind) {
  if (!modelModules.has(apiVersion)) {
    try {
      modelModules.set(apiVersion, await import(`kubernetes-models/${apiVersion}`));
    } catch {
      modelModules.set(apiVersion, null);
    }
  }
  const model = modelModules.get(apiVersion)?.[kind];
  return typeof model === "function" && model.kind === kind ? model : null;
}

// ajv's instancePath ("/spec/template/spec/containers/0/name") as a path.
function pathOf(instancePath) {
  return instancePath.split("/").slice(1)
    .map((p) => p.replace(/~1/g, "/").replace(/~0/g, "~"))
    .map((p) => (/^\d+$/.test(p) ? Number(p) : p));
}

function describeError(error) {
  if (error.keyword === "enum") return `${error.message}: ${error.params.allowedValues.join(", ")}`;
  if (error.keyword === "required") return `missing required field "${error.params.missingProperty}"`;
  return error.message;
}

// ---- sctpgw's own expectations -----------------------------------------------

const SOCKET_DIR = "/run/sctpgw";
const SOCKET = `unix:${SOCKET_DIR}/sctpgw.sock`;
const SCTPGW_UID = 10001;
const METRICS_PORT = 9464;
const DEFAULT_DRAIN_SECONDS = 5;
const DEFAULT_GRACE_SECONDS = 30;

// The subset of TOML that sctpgw's settings use: [section] headers and
// `key = value` lines, values being strings, integers, booleans or one-line
// arrays of strings. Returns {section: {key: value}} or throws.
function parseSettings(text) {
  const result = {};
  let section = null;
  text.split("\n").forEach((raw, i) => {
    const line = raw.replace(/^\s+|\s+$/g, "");
    if (line === "" || line.startsWith("#")) return;
    let m = /^\[([A-Za-z0-9_]+)\]$/.exec(line);
    if (m) {
      section = m[1];
      result[section] ??= {};
      return;
    }
    m = /^([A-Za-z0-9_]+)\s*=\s*(.+?)\s*(#.*)?$/.exec(line);
    if (!m || section === null) throw new Error(`settings line ${i + 1}: cannot read "${line}"`);
    let value;
    try {
      value = JSON.parse(m[2]);
    } catch {
      throw new Error(`settings line ${i + 1}: cannot read the value of ${m[1]}`);
    }
    result[section][m[1]] = value;
  });
  return result;
}

function isSctpgwServer(container) {
  return /(^|\/)sctpgw(:|@|$)/.test(container.image ?? "") && !container.command;
}

function effective(container, pod, field) {
  return container.securityContext?.[field] ?? pod.securityContext?.[field];
}

// Checks one pod template at `base` (the path of the template in its
// object). `configMaps`: those of the pod's namespace, by name;
// `settingsKeys`: "section.key" of every key deploy/sctpgw.toml lists;
// `report(path, message)`.
function checkPod(template, base, configMaps, settingsKeys, report) {
  const pod = template.spec ?? {};
  const containers = pod.containers ?? [];
  const servers = containers.map((c, i) => [c, i]).filter(([c]) => isSctpgwServer(c));
  if (servers.length === 0) return;
  const at = (...rest) => [...base, "spec", ...rest];
  const volumes = new Map((pod.volumes ?? []).map((v) => [v.name, v]));

  // Every container: no privilege escalation, no capability beyond what its
  // role needs.
  for (const [list, key] of [[containers, "containers"], [pod.initContainers ?? [], "initContainers"]]) {
    list.forEach((c, i) => {
      const sc = c.securityContext ?? {};
      if (sc.allowPrivilegeEscalation !== false) {
        report(at(key, i), `container ${c.name}: allowPrivilegeEscalation must be false`);
      }
      if (!(sc.capabilities?.drop ?? []).includes("ALL")) {
        report(at(key, i), `container ${c.name}: capabilities must drop ALL`);
      }
      if (sc.readOnlyRootFilesystem !== true) {
        report(at(key, i), `container ${c.name}: readOnlyRootFilesystem must be true`);
      }
      if (key === "containers") {
        if (effective(c, pod, "runAsNonRoot") !== true) {
          report(at(key, i), `container ${c.name}: runAsNonRoot must be true`);
        }
        if (effective(c, pod, "seccompProfile")?.type !== "RuntimeDefault") {
          report(at(key, i), `container ${c.name}: seccompProfile must be RuntimeDefault`);
        }
      }
    });
  }

  const grace = pod.terminationGracePeriodSeconds ?? DEFAULT_GRACE_SECONDS;
  const annotations = template.metadata?.annotations ?? {};
  for (const [name, value] of [["prometheus.io/scrape", "true"],
                               ["prometheus.io/port", String(METRICS_PORT)],
                               ["prometheus.io/path", "/metrics"]]) {
    if (annotations[name] !== value) {
      report([...base, "metadata", "annotations"], `annotation ${name} must be "${value}"`);
    }
  }

  for (const [c, i] of servers) {
    const me = (...rest) => at("containers", i, ...rest);
    const sc = c.securityContext ?? {};
    if (effective(c, pod, "runAsUser") !== SCTPGW_UID) {
      report(me("securityContext"), `sctpgw must run as uid ${SCTPGW_UID}`);
    }
    if ((sc.capabilities?.add ?? []).length !== 0) {
      report(me("securityContext", "capabilities"), "sctpgw needs no capability (add none)");
    }

    // The socket directory: shared through an emptyDir with another
    // container, or the host's /run/sctpgw.
    const mount = (c.volumeMounts ?? []).find((m) => m.mountPath === SOCKET_DIR);
    const volume = mount && volumes.get(mount.name);
    if (!volume) {
      report(me("volumeMounts"), `sctpgw must mount a volume at ${SOCKET_DIR}`);
    } else if (volume.emptyDir) {
      const sharers = containers.filter((o) => o !== c &&
        (o.volumeMounts ?? []).some((m) => m.name === mount.name && m.mountPath === SOCKET_DIR));
      if (sharers.length === 0) {
        report(me("volumeMounts"), `no other container mounts ${mount.name} at ${SOCKET_DIR}`);
      }
    } else if (volume.hostPath) {
      if (volume.hostPath.path !== SOCKET_DIR || volume.hostPath.type !== "DirectoryOrCreate") {
        report(at("volumes"), `hostPath for the socket must be ${SOCKET_DIR}, DirectoryOrCreate`);
      }
      if (!pod.hostNetwork) report(at(), "a per-node sctpgw (hostPath socket) must use hostNetwork");
    } else {
      report(at("volumes"), `volume ${mount.name} must be an emptyDir or a hostPath`);
    }
    if (pod.hostNetwork && pod.dnsPolicy !== "ClusterFirstWithHostNet") {
      report(at("dnsPolicy"), "with hostNetwork, dnsPolicy must be ClusterFirstWithHostNet");
    }

    for (const probe of ["livenessProbe", "readinessProbe"]) {
      const command = c[probe]?.exec?.command ?? [];
      const target = command.indexOf("--target");
      if (!/(^|\/)sctpctl$/.test(command[0] ?? "") || !command.includes("health")) {
        report(me(probe), `${probe} must exec sctpctl health`);
      } else if (target >= 0 && command[target + 1] !== SOCKET) {
        report(me(probe), `${probe} must check ${SOCKET}`);
      }
    }

    const requests = c.resources?.requests ?? {};
    const limits = c.resources?.limits ?? {};
    if (!requests.cpu || !requests.memory || !limits.memory) {
      report(me("resources"), "sctpgw needs cpu and memory requests and a memory limit");
    }

    // Flags and the settings file.
    const args = c.args ?? [];
    const flag = (name) => {
      const i = args.findIndex((a) => a === name || a.startsWith(`${name}=`));
      if (i < 0) return undefined;
      return args[i].includes("=") ? args[i].slice(name.length + 1) : args[i + 1];
    };
    let drain = DEFAULT_DRAIN_SECONDS;
    const configPath = flag("--config");
    if (!configPath) {
      report(me("args"), "sctpgw must be given --config");
    } else {
      const configMount = (c.volumeMounts ?? []).find((m) =>
        posix.dirname(configPath) === m.mountPath.replace(/\/$/, ""));
      const configVolume = configMount && volumes.get(configMount.name);
      const configMap = configVolume?.configMap && configMaps.get(configVolume.configMap.name);
      const key = configVolume?.configMap?.items?.find((it) => it.path === basename(configPath))?.key ??
                  basename(configPath);
      const text = configMap?.data?.[key];
      if (text === undefined) {
        report(me("args"), `--config ${configPath}: no ConfigMap key mounted there in these files`);
      } else {
        try {
          const settings = parseSettings(text);
          for (const [section, keys] of Object.entries(settings)) {
            for (const name of Object.keys(keys)) {
              if (!settingsKeys.has(`${section}.${name}`)) {
                report(me("args"), `ConfigMap ${configMap.metadata.name}: [${section}] ${name} ` +
                                   "is not a key of deploy/sctpgw.toml");
              }
            }
          }
          const listen = settings.server?.listen;
          if (listen !== undefined && !listen.includes(SOCKET)) {
            report(me("args"), `ConfigMap ${configMap.metadata.name}: listen must include ${SOCKET}`);
          }
          drain = settings.server?.drain_seconds ?? drain;
        } catch (error) {
          report(me("args"), `ConfigMap ${configMap.metadata.name}: ${error.message}`);
        }
      }
    }
    if (flag("--drain-seconds") !== undefined) drain = Number(flag("--drain-seconds"));
    if (!(typeof grace === "number" && grace > drain)) {
      report(at("terminationGracePeriodSeconds"),
             `terminationGracePeriodSeconds (${grace}) must exceed sctpgw's drain time (${drain} s)`);
    }

    const metrics = flag("--metrics-listen");
    if (!metrics || !metrics.endsWith(`:${METRICS_PORT}`)) {
      report(me("args"), `sctpgw must be given --metrics-listen HOST:${METRICS_PORT}`);
    }
    if (!(c.ports ?? []).some((p) => p.containerPort === METRICS_PORT && (p.protocol ?? "TCP") === "TCP")) {
      report(me("ports"), `sctpgw must declare the metrics port ${METRICS_PORT}/TCP`);
    }
  }
}

function labelsMatch(selector, labels) {
  return Object.entries(selector).every(([k, v]) => labels?.[k] === v);
}

// Services: each selects a pod template of these files, and each SCTP port
// targets an SCTP container port of it. Services, and the ports of pod
// templates, that fail the schema are not looked into (already reported).
function checkServices(objects) {
  const pods = objects.filter((o) => o.body.spec?.template)
    .map((o) => ({ namespace: o.body.metadata?.namespace, template: o.body.spec.template,
                   valid: o.valid }));
  for (const svc of objects.filter((o) => o.valid && o.body.kind === "Service")) {
    const selector = svc.body.spec?.selector;
    const matches = selector ? pods.filter((p) => p.namespace === svc.body.metadata?.namespace &&
                                                  labelsMatch(selector, p.template.metadata?.labels))
                             : [];
    if (matches.length === 0) {
      svc.report(["spec", "selector"], "the Service selects no pod template in these files");
      continue;
    }
    (svc.body.spec.ports ?? []).forEach((port, i) => {
      if ((port.protocol ?? "TCP") !== "SCTP") return;
      const target = port.targetPort ?? port.port;
      for (const { template } of matches.filter((p) => p.valid)) {
        const found = (template.spec?.containers ?? []).flatMap((c) => c.ports ?? []).find((p) =>
          (typeof target === "string" ? p.name === target : p.containerPort === target));
        if (!found || found.protocol !== "SCTP") {
          svc.report(["spec", "ports", i], `SCTP port ${port.name ?? port.port}: targetPort ` +
                                           `${target} is no SCTP container port of the pods`);
        }
      }
    });
  }
}

// ---- main --------------------------------------------------------------------

async function main(argv) {
  let settingsFile = join(here, "../../deploy/sctpgw.toml");
  const files = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === "--settings") settingsFile = argv[++i];
    else if (argv[i] === "-h" || argv[i] === "--help") {
      console.log("usage: validate.mjs [--settings sctpgw.toml] FILE.yaml...");
      return 0;
    } else files.push(argv[i]);
  }
  if (files.length === 0 || settingsFile === undefined) {
    console.error("usage: validate.mjs [--settings sctpgw.toml] FILE.yaml...");
    return 2;
  }
  const settingsKeys = new Set();
  for (const [section, keys] of Object.entries(parseSettings(readFileSync(settingsFile, "utf8")))) {
    for (const key of Object.keys(keys)) settingsKeys.add(`${section}.${key}`);
  }

  let problems = 0;
  const objects = [];
  for (const file of files) {
    const text = readFileSync(file, "utf8");
    const lineCounter = new LineCounter();
    const [before, problemsBefore] = [objects.length, problems];
    const docs = parseAllDocuments(text, { lineCounter, prettyErrors: true, uniqueKeys: true });
    const problem = (line, message) => {
      problems++;
      console.log(`${file}:${line}: ${message}`);
    };
    for (const [n, doc] of docs.entries()) {
      for (const e of [...doc.errors, ...doc.warnings]) {
        const message = e.message.split("\n")[0].replace(/ at line \d+, column \d+:?$/, "");
        problem(e.linePos?.[0]?.line ?? 0, `YAML: ${message}`);
      }
      if (doc.errors.length > 0) continue;
      const body = doc.toJS();
      if (body === null || body === undefined) continue;  // comments only
      const line = (path) => lineOf(doc, lineCounter, path);
      if (typeof body !== "object" || Array.isArray(body)) {
        problem(line([]), `document ${n + 1} is not a mapping`);
        continue;
      }
      const name = `${body.kind}/${body.metadata?.name}`;
      const model = await modelFor(body.apiVersion, body.kind);
      const schema = rootSchemas.get(`${body.apiVersion} ${body.kind}`);
      if (!model || !schema) {
        problem(line([]), `document ${n + 1}: no Kubernetes schema for apiVersion ` +
                          `"${body.apiVersion}" kind "${body.kind}"`);
        continue;
      }
      const report = (path, message) => problem(line(path), `${name}: ${showPath(path)}: ${message}`);
      const problemsOfObject = problems;
      if (!body.metadata?.name) report(["metadata"], 'missing required field "name"');
      try {
        new model(body).validate();
      } catch (error) {
        if (!Array.isArray(error.errors)) throw error;
        for (const e of error.errors) {
          const path = pathOf(e.instancePath);
          problem(line(path), `${name}: ${showPath(path)}: ${describeError(e)}`);
        }
      }
      const unknown = [];
      unknownFields(body, schema, [], unknown);
      for (const path of unknown) problem(line(path), `${name}: unknown field "${showPath(path)}"`);
      // sctpgw's checks below also read objects that fail the schema; what
      // they cannot read there has been reported already.
      objects.push({ body, report, valid: problems === problemsOfObject });
    }
    if (objects.length === before && problems === problemsBefore) problem(1, "no Kubernetes objects");
  }

  // ConfigMaps by namespace and name ("" = the namespace applied to).
  const configMaps = new Map(objects.filter((o) => o.body.kind === "ConfigMap")
    .map((o) => [`${o.body.metadata.namespace ?? ""}/${o.body.metadata.name}`, o.body]));
  for (const o of objects) {
    if (o.body.spec?.template) {
      const namespace = o.body.metadata?.namespace ?? "";
      const inNamespace = new Map([...configMaps].filter(([k]) => k.startsWith(`${namespace}/`))
                                                 .map(([k, v]) => [k.slice(namespace.length + 1), v]));
      try {
        checkPod(o.body.spec.template, ["spec", "template"], inNamespace, settingsKeys, o.report);
      } catch (error) {
        if (o.valid) throw error;
      }
    }
  }
  checkServices(objects);

  const summary = objects.map((o) => `${o.body.kind}/${o.body.metadata?.name}`).join(", ");
  if (problems > 0) {
    console.log(`validate: ${problems} problem(s) in ${files.length} file(s)`);
    return 1;
  }
  console.log(`validate: ${objects.length} objects ok (${summary})`);
  return 0;
}

process.exitCode = await main(process.argv.slice(2));
