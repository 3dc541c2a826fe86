'use strict';
// ReceiveStream, SendStream and Capture.

const { describe, it, beforeEach, afterEach } = require('node:test');
const assert = require('node:assert/strict');
const {
  sctpgw, setUp, associationOf, rejection, inbound, sleep,
} = require('../testing/support');

const { status } = sctpgw;

describe('ReceiveStream', () => {
  let t;
  let ids;
  beforeEach(async () => {
    t = await setUp();
    ids = await associationOf(t.client);
  });
  afterEach(async () => { await t.close(); });

  it('yields arrays of messages as they arrive, and ends when the association has ended', async () => {
    const stream = t.client.receiveStream(ids.associationId, { maxMessages: 2 });
    t.fake.deliver(ids.associationId, inbound('a', 1, 46), inbound('b', 1, 46), inbound('c', 2, 47));
    const batches = [];
    for await (const batch of stream) {
      batches.push(batch.map((m) => m.payload.toString()));
      if (batches.length === 2) t.fake.endAssociation(ids.associationId);
    }
    assert.deepEqual(batches, [['a', 'b'], ['c']]);
    const request = t.fake.last('ReceiveStream');
    assert.deepEqual([request.associationId, request.maxMessages, request.sessionId],
      [ids.associationId, 2, t.client.sessionId]);
  });

  it('reads any association of an endpoint', async () => {
    const stream = t.client.receiveStream({ endpointId: ids.endpointId }, { maxBytes: 4096 });
    t.fake.deliver(ids.associationId, inbound('x'));
    const { value } = await stream.next();
    assert.deepEqual(value.map((m) => m.associationId), [ids.associationId]);
    assert.equal(t.fake.last('ReceiveStream').target, 'endpointId');
    assert.equal(t.fake.last('ReceiveStream').maxBytes, 4096);
    stream.cancel();
    assert.deepEqual(await stream.next(), { value: undefined, done: true });
  });

  it('is opened again after the service broke it, losing nothing it had not sent', async () => {
    t.fake.receiveStreamBreaks.push([status.UNAVAILABLE, 'HANDED_OVER']);
    const stream = t.client.receiveStream(ids.associationId);
    t.fake.deliver(ids.associationId, inbound('1'));
    assert.deepEqual((await stream.next()).value.map((m) => m.payload.toString()), ['1']);
    t.fake.deliver(ids.associationId, inbound('2'));
    assert.deepEqual((await stream.next()).value.map((m) => m.payload.toString()), ['2']);
    assert.equal(stream.reconnects, 1);
    assert.equal(t.fake.requestsOf('ReceiveStream').length, 2);
    stream.cancel();
  });

  it('throws what reopening cannot cure', async () => {
    const stream = t.client.receiveStream('999');
    const error = await rejection(stream.next());
    assert.deepEqual([error.code, error.reason], [status.NOT_FOUND, 'ASSOCIATION_NOT_FOUND']);
    t.fake.receiveStreamBreaks.push([status.UNAVAILABLE, 'SHUTTING_DOWN']);
    const once = t.client.receiveStream(ids.associationId, { reconnect: false });
    t.fake.deliver(ids.associationId, inbound('1'));
    await once.next();
    t.fake.deliver(ids.associationId, inbound('2'));
    assert.equal((await rejection(once.next())).reason, 'SHUTTING_DOWN');
  });

  it('ends with DEADLINE_EXCEEDED at its deadline', async () => {
    const stream = t.client.receiveStream(ids.associationId, { timeoutMs: 200 });
    const began = Date.now();
    const error = await rejection(stream.next());
    assert.equal(error.code, status.DEADLINE_EXCEEDED);
    assert.ok(Date.now() - began < 2000);
  });

  it('messages() joins pieces into whole messages', async () => {
    const stream = t.client.receiveStream(ids.associationId);
    t.fake.deliver(ids.associationId,
      inbound('hel', 1, 9, { moreFollows: true }),
      inbound('small', 2, 9),
      inbound('lo', 1, 9, { offset: 3 }));
    const whole = [];
    for await (const message of stream.messages()) {
      whole.push([message.stream, message.payload.toString()]);
      if (whole.length === 2) break;
    }
    assert.deepEqual(whole, [[2, 'small'], [1, 'hello']]);
    assert.deepEqual(await stream.next(), { value: undefined, done: true }); // Leaving the loop cancelled it.
  });
});

describe('SendStream', () => {
  let t;
  let ids;
  beforeEach(async () => {
    t = await setUp();
    ids = await associationOf(t.client);
  });
  afterEach(async () => { await t.close(); });

  it('sends batches in order; finish() resolves to the totals, progress comes on the way', async () => {
    const progress = [];
    const stream = t.client.sendStream({ associationId: ids.associationId, onProgress: (p) => progress.push(p) });
    for (let batch = 0; batch < 10; batch += 1) {
      assert.equal(await stream.send([`${batch}.0`, `${batch}.1`, `${batch}.2`]), batch + 1);
    }
    await stream.send(sctpgw.message('last', { stream: 2, ppid: 9 }));
    const totals = await stream.finish();
    assert.deepEqual([totals.completedRequests, totals.acceptedMessages], ['11', '31']);
    assert.deepEqual(stream.totals, totals);
    assert.deepEqual(progress.map((p) => p.completedRequests), ['4', '8', '11']);
    const sent = t.fake.sent.get(ids.associationId);
    assert.equal(sent.length, 31);
    assert.deepEqual(sent.slice(0, 3).map((m) => m.payload.toString()), ['0.0', '0.1', '0.2']);
    assert.deepEqual([sent[30].payload.toString(), sent[30].stream, sent[30].ppid], ['last', 2, 9]);
    assert.ok(t.fake.requestsOf('SendStream').every((r) => r.sessionId === t.client.sessionId));
  });

  it('a batch may name another association', async () => {
    const other = await t.client.associate(ids.endpointId, '127.0.0.9', 1);
    const stream = t.client.sendStream({ associationId: ids.associationId });
    await stream.send(['a']);
    await stream.send(['b'], { associationId: other.associationId });
    await stream.finish();
    assert.deepEqual(t.fake.sent.get(other.associationId).map((m) => m.payload.toString()), ['b']);
  });

  it('the first failing request ends the stream with its error and completed_requests', async () => {
    const stream = t.client.sendStream({ associationId: ids.associationId });
    await stream.send(['fine']);
    await stream.send([{ payload: 'bad', stream: 99 }]);
    const error = await rejection(stream.finish());
    assert.deepEqual([error.codeName, error.reason], ['INVALID_ARGUMENT', 'STREAM_OUT_OF_RANGE']);
    assert.equal(error.metadata.completed_requests, '1');
    assert.equal(error.call, 'SendStream');
    assert.equal((await rejection(stream.send(['more']))).reason, 'STREAM_OUT_OF_RANGE');
  });

  it('cancel() abandons it', async () => {
    const stream = t.client.sendStream({ associationId: ids.associationId });
    await stream.send(['a']);
    stream.cancel();
    assert.equal((await rejection(stream.finish())).code, status.CANCELLED);
  });

  it('waits while gRPC has no room, and delivers everything', async () => {
    const stream = t.client.sendStream({ associationId: ids.associationId });
    const payload = Buffer.alloc(64 * 1024, 1);
    for (let i = 0; i < 64; i += 1) await stream.send([payload]);
    const totals = await stream.finish();
    assert.equal(totals.acceptedMessages, '64');
  });
});

describe('Capture', () => {
  let t;
  let ids;
  beforeEach(async () => {
    t = await setUp();
    ids = await associationOf(t.client);
  });
  afterEach(async () => { await t.close(); });

  it('start() waits for the first response; then copies of what is sent follow', async () => {
    const capture = t.client.capture({ associationId: ids.associationId, snapBytes: 100 });
    await capture.start();
    assert.equal(t.fake.last('Capture').snapBytes, 100);
    await t.client.send(ids.associationId, 'seen', { stream: 1, ppid: 5 });
    const { value } = await capture.next();
    assert.deepEqual(value.messages.map((m) => [m.direction, m.payload.toString(), m.stream, m.ppid]),
      [['CAPTURE_DIRECTION_OUTBOUND', 'seen', 1, 5]]);
    capture.cancel();
    await sleep(10);
    assert.deepEqual(await capture.next(), { value: undefined, done: true });
  });
});
