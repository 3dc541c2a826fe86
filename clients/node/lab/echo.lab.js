'use strict';
// The library against a real sctpgw and an SCTP echo peer (socat, echoing
// each read with plain write(): on stream 0 with PPID 0). Run by
// tests/lab/clients_node_library.sh under kernel SCTP:
//
//   SCTPGW_TARGET=unix:/path/sctpgw.sock SCTPGW_ECHO_PORT=PORT node --test clients/node/lab/echo.lab.js

const { describe, it } = require('node:test');
const assert = require('node:assert/strict');
const sctpgw = require('..');

const TARGET = process.env.SCTPGW_TARGET;
const ECHO_PORT = Number(process.env.SCTPGW_ECHO_PORT);
const TIMEOUT_MS = 20000;
const OPTIONS = { clientName: 'node-library-lab', timeoutMs: TIMEOUT_MS };

if (!TARGET || !ECHO_PORT) {
  throw new Error('set SCTPGW_TARGET (sctpgw\'s gRPC target) and SCTPGW_ECHO_PORT (the echo peer\'s port)');
}

// Reads an event stream in the background, keeping every event; until()
// waits for one that matches.
class Events {
  constructor(stream) {
    this.stream = stream;
    this.seen = [];
    this.error = null;
    this._wake = () => {};
    this.reading = (async () => {
      try {
        for await (const event of stream) {
          this.seen.push(event);
          this._wake();
        }
      } catch (error) {
        this.error = error;
        this._wake();
      }
    })();
  }

  async until(predicate, what) {
    const end = Date.now() + TIMEOUT_MS;
    for (;;) {
      const found = this.seen.find(predicate);
      if (found) return found;
      if (this.error) throw this.error;
      const left = end - Date.now();
      if (left <= 0) throw new Error(`no ${what} within ${TIMEOUT_MS} ms`);
      await new Promise((resolve) => {
        const timer = setTimeout(resolve, left);
        this._wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  }

  async stop() {
    this.stream.cancel();
    await this.reading;
  }
}

function change(associationId, type) {
  return (event) => event.associationId === associationId && event.kind === 'associationChange' &&
    event.associationChange.type === `ASSOCIATION_CHANGE_TYPE_${type}`;
}

// Receives from a ReceiveStream until `bytes` payload bytes came; resolves
// to the messages.
async function receiveBytes(stream, bytes) {
  const messages = [];
  let total = 0;
  while (total < bytes) {
    const { value, done } = await stream.next();
    if (done) throw new Error(`the receive stream ended after ${total} of ${bytes} bytes`);
    for (const message of value) {
      messages.push(message);
      total += message.payload.length;
    }
  }
  return messages;
}

describe('the Node.js library against sctpgw and an SCTP echo peer', () => {
  it('session, endpoint, association, messages both ways, events COMM_UP to SHUTDOWN_COMP', async () => {
    const client = await sctpgw.Client.connect(TARGET, OPTIONS);
    try {
      assert.match(client.sessionId, /^[0-9a-f]{32}$/);
      assert.ok(client.leaseMs > 0);
      const events = new Events(client.events());
      await events.stream.start();

      const endpoint = await client.openEndpoint('127.0.0.1');
      assert.ok(endpoint.port > 0);
      assert.deepEqual(endpoint.localAddresses.map((address) => address.ip), ['127.0.0.1']);
      const association = await client.associate(endpoint.endpointId, '127.0.0.1', ECHO_PORT,
        { streams: 4 });
      const id = association.associationId;
      assert.equal(association.state, 'ASSOCIATION_STATE_ESTABLISHED');
      assert.ok(association.outboundStreams >= 2, `${association.outboundStreams} outbound streams`);
      assert.deepEqual(association.peerAddresses.map((address) => [address.ip, address.port]),
        [['127.0.0.1', ECHO_PORT]]);
      const up = await events.until(change(id, 'COMM_UP'), 'COMM_UP');

      // One message on stream 1 with PPID 46, its echo through the receive stream.
      const receiver = client.receiveStream(id);
      const text = 'hello from the node library';
      assert.equal(await client.send(id, text, { stream: 1, ppid: 46 }), 1);
      const [echoed] = await receiveBytes(receiver, Buffer.byteLength(text));
      assert.equal(echoed.payload.toString(), text);
      assert.deepEqual([echoed.associationId, echoed.stream, echoed.ppid], [id, 0, 0]);

      // A send stream of three batches: the echo brings every byte back in order.
      const sender = client.sendStream({ associationId: id });
      const batches = [['a1', 'a2'], [sctpgw.message('b1', { stream: 1, ppid: 46 })], ['c1', 'c2', 'c3']];
      for (const batch of batches) await sender.send(batch);
      const totals = await sender.finish();
      assert.deepEqual([totals.completedRequests, totals.acceptedMessages], ['3', '6']);
      const back = await receiveBytes(receiver, 12);
      assert.equal(Buffer.concat(back.map((message) => message.payload)).toString(), 'a1a2b1c1c2c3');

      const state = await client.getAssociation(id);
      assert.equal(state.association.associationId, id);
      assert.ok(state.paths.length >= 1);
      const listed = await client.listAssociations(endpoint.endpointId);
      assert.deepEqual(listed.map((a) => a.associationId), [id]);

      await client.shutdown(id);
      const ended = await events.until(change(id, 'SHUTDOWN_COMP'), 'SHUTDOWN_COMP');
      assert.ok(BigInt(ended.sequence) > BigInt(up.sequence));
      // The association ended and its every message was delivered: the stream ends.
      assert.deepEqual(await receiver.next(), { value: undefined, done: true });
      await events.stop();
      await client.closeEndpoint(endpoint.endpointId);
    } finally {
      await client.close();
    }
  });

  it('associating to a port nobody listens on: UNAVAILABLE, ASSOCIATE_FAILED', async () => {
    const client = await sctpgw.Client.connect(TARGET, OPTIONS);
    try {
      const endpoint = await client.openEndpoint('127.0.0.1');
      const error = await client.associate(endpoint.endpointId, '127.0.0.1', 9).then(
        () => assert.fail('associated to the discard port'), (failure) => failure);
      assert.ok(error instanceof sctpgw.SctpgwError, String(error));
      assert.equal(error.code, sctpgw.status.UNAVAILABLE);
      assert.equal(error.codeName, 'UNAVAILABLE');
      assert.equal(error.reason, 'ASSOCIATE_FAILED');
      assert.equal(error.domain, 'sctpgw.dev');
      assert.equal(error.call, 'Associate');
      assert.match(error.message, /^UNAVAILABLE ASSOCIATE_FAILED: /);
      const missing = await client.getAssociation('999999').catch((failure) => failure);
      assert.deepEqual([missing.codeName, missing.reason], ['NOT_FOUND', 'ASSOCIATION_NOT_FOUND']);
    } finally {
      await client.close();
    }
  });

  it('application liveness: alive while the loop pulls events, gone once it hangs', async (t) => {
    const leaseMs = 2000;
    const client = await sctpgw.Client.connect(TARGET, { ...OPTIONS, liveness: 'application', leaseMs });
    try {
      if (client.liveness !== 'SESSION_LIVENESS_APPLICATION') {
        t.skip('this sctpgw predates application liveness');
        return;
      }
      const stream = client.events();
      await stream.start();
      // The application's loop: it handles each event; the first one it
      // gets after `hang` is set, it never finishes handling.
      let hang = false;
      let hungOn = null;
      const loop = (async () => {
        for await (const event of stream) {
          if (hang) {
            hungOn = event;
            await new Promise(() => {});
          }
        }
      })();
      loop.catch(() => {});
      // Pulling (waiting for events) for longer than the lease keeps the session.
      await new Promise((resolve) => setTimeout(resolve, 2 * leaseMs));
      const endpoint = await client.openEndpoint('127.0.0.1');
      hang = true;
      await client.associate(endpoint.endpointId, '127.0.0.1', ECHO_PORT);
      const deadline = Date.now() + TIMEOUT_MS;
      while (!hungOn && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
      assert.ok(hungOn, 'the loop got no event');
      // Hung: no renewal, the lease runs out, the session ends.
      await new Promise((resolve) => setTimeout(resolve, 2 * leaseMs));
      const error = await client.listEndpoints().then(() => null, (failure) => failure);
      assert.ok(error, 'the session outlived its lease with the loop hung');
      assert.deepEqual([error.codeName, error.reason], ['NOT_FOUND', 'SESSION_NOT_FOUND']);
      stream.cancel();
    } finally {
      await client.close();
    }
  });
});
