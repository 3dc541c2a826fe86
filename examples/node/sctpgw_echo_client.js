#!/usr/bin/env node
// Sends one message to an SCTP peer through sctpgw and prints the reply.
//
// Uses the sctpgw Node.js library of this checkout (clients/node), which
// loads proto/ at run time: nothing is generated. Its packages come from
// scripts/install-npm-packages.sh clients/node.
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

const { parseArgs } = require('node:util');
const sctpgw = require('../../clients/node');

// CloseSession after a failure, which may have been the run's deadline.
const CLOSE_TIMEOUT_MS = 5000;

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

class CallFailed extends Error {
  constructor(call, description) {
    super(`error ${call}: ${description}`);
  }
}

// Runs a library call; its SctpgwError (message "CODE REASON: MESSAGE
// [key=value ...]") becomes a CallFailed naming the call.
async function call(name, promise) {
  try {
    return await promise;
  } catch (error) {
    if (error instanceof sctpgw.SctpgwError) throw new CallFailed(name, error.message);
    throw error;
  }
}

// "ASSOCIATION_CHANGE" from "associationChange".
function kindName(kind) {
  return kind.replace(/[A-Z]/g, (letter) => `_${letter}`).toUpperCase();
}

// One line per event: "event WHAT association ID".
function eventLine(event) {
  let what;
  if (event.kind === 'associationChange') {
    const change = event.associationChange;
    what = change.type.replace(/^ASSOCIATION_CHANGE_TYPE_/, '');
    if (change.error) what += ` error ${change.error}`;
  } else if (event.kind === 'peerAddressChange') {
    const change = event.peerAddressChange;
    what = 'PEER_ADDRESS_' + change.type.replace(/^PEER_ADDRESS_CHANGE_TYPE_/, '') +
      ` ${change.address.ip}`;
  } else {
    what = event.kind ? kindName(event.kind) : 'UNKNOWN';
  }
  const line = `event ${what} association ${event.associationId}`;
  return event.detail ? `${line} (${event.detail})` : line;
}

// Reads the session's event stream (the library's, which resumes by itself
// after a break) and prints each event; waits on what it has seen, each
// wait with a deadline.
class EventWatcher {
  constructor(client) {
    this.events = [];
    this.error = null;
    this.waiters = [];
    this.stream = client.events();
  }

  // Acknowledged: no event of what follows can be missed.
  async start(deadline) {
    try {
      await this.stream.start({ deadline });
    } catch (error) {
      if (!(error instanceof sctpgw.SctpgwError)) throw error;
      throw new CallFailed('WatchEvents', error.code === sctpgw.status.DEADLINE_EXCEEDED
        ? 'DEADLINE_EXCEEDED: not before the deadline' : error.message);
    }
    this.reading = this.read();
  }

  async read() {
    try {
      for await (const event of this.stream) {
        console.log(eventLine(event));
        this.events.push(event);
        this.check();
      }
    } catch (error) {
      if (!(error instanceof sctpgw.SctpgwError)) throw error;
      this.error = new CallFailed('WatchEvents', error.message);
      this.check();
    }
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

  // Until SHUTDOWN_COMP or COMM_LOST of the association.
  waitAssociationEnd(associationId, deadline) {
    const ends = ['ASSOCIATION_CHANGE_TYPE_SHUTDOWN_COMP', 'ASSOCIATION_CHANGE_TYPE_COMM_LOST'];
    return this.wait(() => this.events.some((event) =>
      event.associationId === associationId && event.kind === 'associationChange' &&
      ends.includes(event.associationChange.type)), "waiting for the association's end",
    deadline);
  }

  async stop() {
    this.stream.cancel();
    await this.reading;
  }
}

// The session's life after OpenSession; throws CallFailed.
async function exchange(args, client, deadline) {
  const watcher = new EventWatcher(client);
  try {
    await watcher.start(deadline);
    const endpoint = await call('OpenEndpoint', client.openEndpoint(args.localAddress, { deadline }));
    const association = await call('Associate',
      client.associate(endpoint.endpointId, args.peerAddress, args.peerPort, { deadline }));
    const { associationId } = association;
    console.log(`associated ${associationId}: ${args.localAddress}:${endpoint.port} -> ` +
      `${args.peerAddress}:${args.peerPort}`);
    await call('Send', client.send(associationId, args.message,
      { stream: args.stream, ppid: args.ppid, deadline }));
    const reply = await call('Receive', client.receive(associationId, { maxMessages: 1, deadline }));
    if (!reply.length) { // The library's receive() answers [] at the deadline.
      throw new CallFailed('Receive', 'DEADLINE_EXCEEDED: nothing received before the deadline');
    }
    for (const message of reply) {
      console.log(`received stream=${message.stream} ppid=${message.ppid}: ` +
        message.payload.toString());
    }
    await call('Shutdown', client.shutdown(associationId, { deadline }));
    await watcher.waitAssociationEnd(associationId, deadline);
  } catch (error) {
    await watcher.stop();
    // Ends at once whatever the session holds; its own deadline.
    await client.close({ timeoutMs: CLOSE_TIMEOUT_MS }).catch(() => {});
    throw error;
  }
  await watcher.stop();
  await call('CloseSession', client.close({ deadline }));
  console.log('session closed');
}

async function main() {
  const args = parseCommandLine();
  const deadline = Date.now() + args.timeoutMs;
  const client = new sctpgw.Client(args.target, { clientName: 'node-echo', timeoutMs: args.timeoutMs });
  try {
    await call('OpenSession', client.open({ deadline }));
    await exchange(args, client, deadline);
    return 0;
  } catch (error) {
    if (!(error instanceof CallFailed)) throw error;
    console.log(error.message);
    await client.close({ timeoutMs: CLOSE_TIMEOUT_MS }).catch(() => {});
    return 1;
  }
}

main().then((code) => { process.exitCode = code; });
