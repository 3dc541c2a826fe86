#!/usr/bin/env node
// Sends one message to an SCTP peer through sctpgw and prints the reply.
//
// Loads proto/ at run time (@grpc/proto-loader): nothing is generated.
//
//   node sctpgw_echo_client.js [--target unix:/run/sctpgw/sctpgw.sock]
//       [--local-address 0.0.0.0] [--stream 0] [--ppid 0] [--timeout 30]
//       PEER_ADDRESS PEER_PORT MESSAGE
//
// It opens a session, watches its events (one line each, e.g.
// "event COMM_UP association 3"), opens an endpoint, associates, sends
// MESSAGE, prints the reply as "received stream=S ppid=P: TEXT", shuts the
// association down gracefully, waits for its SHUTDOWN_COMP (or COMM_LOST)
// event and closes the session. Every call has a deadline: the end of
// --timeout. On failure it prints "error CALL: CODE REASON: MESSAGE
// [metadata]" and exits 1.
'use strict';

const path = require('node:path');
const { parseArgs } = require('node:util');
const grpc = require('@grpc/grpc-js');
const protoLoader = require('@grpc/proto-loader');
const protobuf = require('protobufjs');

const PROTO_DIR = path.join(__dirname, '..', '..', 'proto');
// The server's keepalive settings (docs/api.md, Sessions).
const CHANNEL_OPTIONS = {
  'grpc.keepalive_time_ms': 10000,
  'grpc.keepalive_timeout_ms': 5000,
  'grpc.keepalive_permit_without_calls': 1,
};
const STATUS_DETAILS_KEY = 'grpc-status-details-bin';
const ERROR_INFO_TYPE = 'type.googleapis.com/google.rpc.ErrorInfo';
// CloseSession after a failure, which may have been the run's deadline.
const CLOSE_TIMEOUT_MS = 5000;

// Field names as in the .proto files; 64-bit ids as decimal strings; enums as
// their names; `kind` names the member of a oneof that is set.
const LOADER_OPTIONS = {
  keepCase: true, longs: String, enums: String, defaults: true, oneofs: true,
  includeDirs: [PROTO_DIR],
};

const USAGE = `usage: sctpgw_echo_client.js [--target TARGET] [--local-address ADDRESS]
         [--stream N] [--ppid N] [--timeout SECONDS] PEER_ADDRESS PEER_PORT MESSAGE`;

function usage(message) {
  console.error(`${message}\n${USAGE}`);
  process.exit(2);
}

function parseCommandLine() {
  let parsed;
  try {
    parsed = parseArgs({
      allowPositionals: true,
      options: {
        target: { type: 'string', default: 'unix:/run/sctpgw/sctpgw.sock' },
        'local-address': { type: 'string', default: '0.0.0.0' },
        stream: { type: 'string', default: '0' },
        ppid: { type: 'string', default: '0' },
        timeout: { type: 'string', default: '30' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (error) {
    usage(error.message);
  }
  const { values, positionals } = parsed;
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  if (positionals.length !== 3) usage('expected PEER_ADDRESS PEER_PORT MESSAGE');
  const number = (name, text) => {
    const value = Number(text);
    if (text === '' || !Number.isFinite(value) || value < 0) usage(`bad ${name}: ${text}`);
    return value;
  };
  return {
    target: values.target,
    localAddress: values['local-address'],
    stream: number('--stream', values.stream),
    ppid: number('--ppid', values.ppid),
    timeoutMs: number('--timeout', values.timeout) * 1000,
    peerAddress: positionals[0],
    peerPort: number('PEER_PORT', positionals[1]),
    message: positionals[2],
  };
}

// google.rpc.Status and ErrorInfo, to read the error details.
function loadErrorTypes() {
  const root = new protobuf.Root();
  root.resolvePath = (origin, target) => path.join(PROTO_DIR, target);
  root.loadSync(['google/rpc/status.proto', 'google/rpc/error_details.proto'], { keepCase: true });
  return {
    Status: root.lookupType('google.rpc.Status'),
    ErrorInfo: root.lookupType('google.rpc.ErrorInfo'),
  };
}

class CallFailed extends Error {
  constructor(call, description) {
    super(`error ${call}: ${description}`);
  }
}

// "CODE REASON: MESSAGE [key=value ...]" from a grpc-js error or status.
function describe(error, errorTypes) {
  const code = grpc.status[error.code] ?? `code ${error.code}`;
  const [details] = error.metadata ? error.metadata.get(STATUS_DETAILS_KEY) : [];
  if (details) {
    const status = errorTypes.Status.decode(details);
    for (const any of status.details) {
      if (any.type_url !== ERROR_INFO_TYPE) continue;
      const info = errorTypes.ErrorInfo.decode(any.value);
      const metadata = Object.keys(info.metadata).sort()
        .map((key) => `${key}=${info.metadata[key]}`).join(' ');
      return `${code} ${info.reason}: ${status.message}` + (metadata ? ` [${metadata}]` : '');
    }
  }
  return `${code}: ${error.details}`;
}

// One line per event: "event WHAT association ID".
function eventLine(event) {
  let what;
  if (event.kind === 'association_change') {
    const change = event.association_change;
    what = change.type.replace(/^ASSOCIATION_CHANGE_TYPE_/, '');
    if (change.error) what += ` error ${change.error}`;
  } else if (event.kind === 'peer_address_change') {
    const change = event.peer_address_change;
    what = 'PEER_ADDRESS_' + change.type.replace(/^PEER_ADDRESS_CHANGE_TYPE_/, '') +
      ` ${change.address.ip}`;
  } else {
    what = (event.kind || 'unknown').toUpperCase();
  }
  const line = `event ${what} association ${event.association_id}`;
  return event.detail ? `${line} (${event.detail})` : line;
}

// Reads a session's WatchEvents stream and prints each event; waits on what it
// has seen, each wait with a deadline.
class EventWatcher {
  constructor(client, sessionId, deadline, errorTypes) {
    this.events = [];
    this.acked = false;
    this.error = null;
    this.stopped = false;
    this.waiters = [];
    this.stream = client.WatchEvents({ session_id: sessionId }, { deadline });
    this.stream.on('data', (response) => {
      if (response.kind === 'ack') this.acked = true;
      if (response.kind === 'events') {
        for (const event of response.events.events) {
          console.log(eventLine(event));
          this.events.push(event);
        }
      }
      this.check();
    });
    // The stream's end, whatever the reason, comes as its final 'status'.
    this.stream.on('error', () => {});
    this.stream.on('status', (status) => {
      if (this.stopped) return;
      this.error = new CallFailed('WatchEvents', status.code === grpc.status.OK
        ? 'the server ended the stream' : describe(status, errorTypes));
      this.check();
    });
  }

  check() {
    this.waiters = this.waiters.filter((waiter) => !waiter());
  }

  wait(predicate, what, deadline) {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((waiter) => waiter !== settle);
        reject(new CallFailed(what, 'DEADLINE_EXCEEDED: not before the deadline'));
      }, Math.max(0, deadline - Date.now()));
      const settle = () => {
        if (this.error) reject(this.error);
        else if (predicate()) resolve();
        else return false;
        clearTimeout(timer);
        return true;
      };
      if (!settle()) this.waiters.push(settle);
    });
  }

  waitAcked(deadline) {
    return this.wait(() => this.acked, 'WatchEvents', deadline);
  }

  // Until SHUTDOWN_COMP or COMM_LOST of the association.
  waitAssociationEnd(associationId, deadline) {
    const ends = ['ASSOCIATION_CHANGE_TYPE_SHUTDOWN_COMP', 'ASSOCIATION_CHANGE_TYPE_COMM_LOST'];
    return this.wait(() => this.events.some((event) =>
      event.association_id === associationId && event.kind === 'association_change' &&
      ends.includes(event.association_change.type)), "waiting for the association's end",
    deadline);
  }

  stop() {
    this.stopped = true;
    this.stream.cancel();
  }
}

async function exchange(args, client, errorTypes) {
  const deadline = Date.now() + args.timeoutMs;
  const call = (name, request, callDeadline = deadline) => new Promise((resolve, reject) => {
    client[name](request, { deadline: callDeadline }, (error, response) => {
      if (error) reject(new CallFailed(name, describe(error, errorTypes)));
      else resolve(response);
    });
  });

  const { session_id: sessionId } = await call('OpenSession', { client_name: 'node-echo' });
  const watcher = new EventWatcher(client, sessionId, deadline, errorTypes);
  try {
    await watcher.waitAcked(deadline);
    const { endpoint } = await call('OpenEndpoint', {
      session_id: sessionId, local_addresses: [args.localAddress],
    });
    const { association } = await call('Associate', {
      session_id: sessionId, endpoint_id: endpoint.endpoint_id,
      peer_addresses: [args.peerAddress], peer_port: args.peerPort,
    });
    const associationId = association.association_id;
    console.log(`associated ${associationId}: ${args.localAddress}:${endpoint.port} -> ` +
      `${args.peerAddress}:${args.peerPort}`);
    await call('Send', {
      session_id: sessionId, association_id: associationId,
      messages: [{ stream: args.stream, ppid: args.ppid, payload: Buffer.from(args.message) }],
    });
    const reply = await call('Receive', {
      session_id: sessionId, association_id: associationId, max_messages: 1,
    });
    for (const message of reply.messages) {
      console.log(`received stream=${message.stream} ppid=${message.ppid}: ` +
        message.payload.toString());
    }
    await call('Shutdown', {
      session_id: sessionId, association_id: associationId, mode: 'SHUTDOWN_MODE_GRACEFUL',
    });
    await watcher.waitAssociationEnd(associationId, deadline);
  } catch (error) {
    watcher.stop();
    // Ends at once whatever the session holds; its own deadline.
    await call('CloseSession', { session_id: sessionId }, Date.now() + CLOSE_TIMEOUT_MS)
      .catch(() => {});
    throw error;
  }
  watcher.stop();
  await call('CloseSession', { session_id: sessionId });
  console.log('session closed');
}

async function main() {
  const args = parseCommandLine();
  const packageDefinition = protoLoader.loadSync('sctpgw/v1/gateway_service.proto', LOADER_OPTIONS);
  const { sctpgw } = grpc.loadPackageDefinition(packageDefinition);
  const errorTypes = loadErrorTypes();
  const client = new sctpgw.v1.GatewayService(
    args.target, grpc.credentials.createInsecure(), CHANNEL_OPTIONS);
  try {
    await exchange(args, client, errorTypes);
    return 0;
  } catch (error) {
    if (!(error instanceof CallFailed)) throw error;
    console.log(error.message);
    return 1;
  } finally {
    client.close();
  }
}

main().then((code) => { process.exitCode = code; });
