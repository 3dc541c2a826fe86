'use strict';
// The resumable event stream: order, the acknowledgement, resuming after a
// broken stream, and the errors resuming cannot cure.

const { describe, it, beforeEach, afterEach } = require('node:test');
const assert = require('node:assert/strict');
const { sctpgw, setUp, rejection, sleep, waitUntil } = require('../testing/support');

const { status } = sctpgw;

async function take(stream, count) {
  const events = [];
  while (events.length < count) {
    const { value, done } = await stream.next();
    if (done) break;
    events.push(value);
  }
  return events;
}

function kinds(events) {
  return events.map((event) => [event.sequence, event.kind, event.associationChange.type]);
}

describe('the event stream', () => {
  let t;
  beforeEach(async () => { t = await setUp(); });
  afterEach(async () => { await t.close(); });

  it('start() waits for the acknowledgement, and events follow in order', async () => {
    t.fake.addEvent(7, 'COMM_UP');
    const stream = t.client.events();
    const ack = await stream.start();
    assert.deepEqual([ack.afterSequence, ack.lastSequence, ack.firstKeptSequence], ['0', '1', '1']);
    assert.equal(await stream.start(), ack);
    t.fake.addEvent(7, 'SHUTDOWN_COMP');
    assert.deepEqual(kinds(await take(stream, 2)), [
      ['1', 'associationChange', 'ASSOCIATION_CHANGE_TYPE_COMM_UP'],
      ['2', 'associationChange', 'ASSOCIATION_CHANGE_TYPE_SHUTDOWN_COMP']]);
    assert.equal(stream.lastSequence, '2');
    const request = t.fake.requestsOf('WatchEvents')[0];
    assert.deepEqual([request.sessionId, request.afterSequence, request.progressIntervalMs],
      [t.client.sessionId, '0', 0]);
    stream.cancel();
  });

  it('for await yields the events; leaving the loop cancels the stream', async () => {
    for (let i = 0; i < 3; i += 1) t.fake.addEvent(1, 'COMM_UP');
    const stream = t.client.events();
    const seen = [];
    for await (const event of stream) {
      seen.push(event.sequence);
      if (seen.length === 3) break;
    }
    assert.deepEqual(seen, ['1', '2', '3']);
    assert.deepEqual(await stream.next(), { value: undefined, done: true });
  });

  it('a broken stream resumes after the last event yielded, each event once', async () => {
    for (let i = 0; i < 5; i += 1) t.fake.addEvent(1, 'COMM_UP');
    t.fake.watchBreaks.push(2, 1); // The first stream breaks after 2 events, the second after 1.
    const stream = t.client.events();
    const events = await take(stream, 5);
    assert.deepEqual(events.map((e) => e.sequence), ['1', '2', '3', '4', '5']);
    assert.equal(stream.reconnects, 2);
    // Each resume starts after the last event yielded before it (gRPC may
    // drop what was sent just before a stream's error; it comes again on
    // the next stream, never twice to the application).
    const after = t.fake.requestsOf('WatchEvents').map((r) => Number(r.afterSequence));
    assert.equal(after.length, 3);
    assert.equal(after[0], 0);
    assert.ok(after[1] <= 2 && after[1] <= after[2] && after[2] <= 3, String(after));
    stream.cancel();
  });

  it('a stream the service ends without an error is opened again', async () => {
    const original = t.fake.WatchEvents;
    let calls = 0;
    t.fake.WatchEvents = async (request, call) => {
      calls += 1;
      if (calls > 1) return original.call(t.fake, request, call);
      call.write({ ack: { afterSequence: 0 } }); // And the call ends OK.
      return undefined;
    };
    t.fake.addEvent(1, 'COMM_UP');
    const stream = t.client.events();
    assert.equal((await take(stream, 1))[0].sequence, '1');
    assert.equal(stream.reconnects, 1);
    stream.cancel();
  });

  it('resumes from a given sequence, and with onlyNew from where the acknowledgement says', async () => {
    for (let i = 0; i < 3; i += 1) t.fake.addEvent(1, 'COMM_UP');
    const stream = t.client.events({ afterSequence: 2 });
    assert.deepEqual((await take(stream, 1)).map((e) => e.sequence), ['3']);
    stream.cancel();

    t.fake.watchBreaks.push(1);
    const fresh = t.client.events({ onlyNew: true });
    assert.equal((await fresh.start()).afterSequence, '3');
    assert.equal(fresh.lastSequence, '3');
    t.fake.addEvent(1, 'COMM_LOST');
    t.fake.addEvent(1, 'RESTART');
    assert.deepEqual((await take(fresh, 2)).map((e) => e.sequence), ['4', '5']);
    const [first, resumed] = t.fake.requestsOf('WatchEvents').slice(-2);
    assert.equal(first.onlyNew, true);
    assert.equal(resumed.onlyNew, false); // After what the first stream started from.
    assert.equal(resumed.afterSequence, '4');
    fresh.cancel();
  });

  it('onlyNew holds until a stream was acknowledged', async () => {
    t.fake.addEvent(1, 'COMM_UP');
    t.fake.failNext.WatchEvents = [[status.UNAVAILABLE, 'HANDED_OVER']];
    const stream = t.client.events({ onlyNew: true });
    const next = stream.next();
    await waitUntil(() => t.fake.watchStreamsStarted === 1);
    t.fake.addEvent(1, 'COMM_LOST');
    assert.equal((await next).value.sequence, '2');
    assert.deepEqual(t.fake.requestsOf('WatchEvents').map((r) => r.onlyNew), [true, true]);
    stream.cancel();
  });

  it('refuses options it does not know', () => {
    assert.throws(() => t.client.events({ after: 3 }), /events has no option "after"/);
    assert.throws(() => t.client.sendStream({ association: 3 }), TypeError);
  });

  it('passes the endpoint filter on', async () => {
    t.fake.addEvent(1, 'COMM_UP', { endpointId: 5 });
    t.fake.addEvent(2, 'COMM_UP', { endpointId: 6 });
    const stream = t.client.events({ endpointId: 6 });
    assert.deepEqual((await take(stream, 1)).map((e) => e.associationId), ['2']);
    assert.equal(t.fake.requestsOf('WatchEvents')[0].endpointId, '6');
    stream.cancel();
  });

  it('HISTORY_COMPACTED is thrown with the first kept sequence, and ends the stream', async () => {
    for (let i = 0; i < 3; i += 1) t.fake.addEvent(1, 'COMM_UP');
    t.fake.firstKeptSequence = 3;
    const stream = t.client.events({ afterSequence: 1 });
    const error = await rejection(stream.next());
    assert.ok(error instanceof sctpgw.SctpgwError);
    assert.equal(error.code, status.OUT_OF_RANGE);
    assert.equal(error.reason, 'HISTORY_COMPACTED');
    assert.deepEqual(error.metadata, { first_kept_sequence: '3' });
    assert.deepEqual(await stream.next(), { value: undefined, done: true });
    const refused = await rejection(t.client.events().start());
    assert.equal(refused.reason, 'HISTORY_COMPACTED');
    const again = t.client.events({ afterSequence: 2 });
    assert.equal((await again.next()).value.sequence, '3');
    again.cancel();
  });

  it('SUBSCRIBER_TOO_SLOW and SESSION_NOT_FOUND are thrown', async () => {
    t.fake.failNext.WatchEvents = [[status.RESOURCE_EXHAUSTED, 'SUBSCRIBER_TOO_SLOW']];
    const error = await rejection(t.client.events().next());
    assert.equal(error.codeName, 'RESOURCE_EXHAUSTED');
    assert.equal(error.reason, 'SUBSCRIBER_TOO_SLOW');
    t.fake.sessions.delete(t.client.sessionId);
    const gone = await rejection(t.client.events().start());
    assert.equal(gone.code, status.NOT_FOUND);
    assert.equal(gone.reason, 'SESSION_NOT_FOUND');
  });

  it('without reconnect a break is thrown', async () => {
    t.fake.addEvent(1, 'COMM_UP');
    t.fake.addEvent(1, 'COMM_LOST');
    t.fake.watchBreaks.push(1);
    const stream = t.client.events({ reconnect: false });
    assert.equal((await stream.next()).value.sequence, '1');
    const error = await rejection(stream.next());
    assert.deepEqual([error.codeName, error.reason], ['UNAVAILABLE', 'SHUTTING_DOWN']);
  });

  it('start() rejects with DEADLINE_EXCEEDED when no acknowledgement comes in time', async () => {
    const original = t.fake.WatchEvents;
    t.fake.WatchEvents = async (request, call) => {
      await t.fake.waitFor(() => false, 2000, call);
      return original.call(t.fake, request, call);
    };
    const stream = t.client.events();
    const error = await rejection(stream.start({ timeoutMs: 200 }));
    assert.equal(error.code, status.DEADLINE_EXCEEDED);
    assert.deepEqual(await stream.next(), { value: undefined, done: true });
  });

  it('cancel() ends a next() that waits', async () => {
    const stream = t.client.events();
    await stream.start();
    const next = stream.next();
    await sleep(50);
    stream.cancel();
    assert.deepEqual(await next, { value: undefined, done: true });
  });

  it("closing the client ends its streams", async () => {
    const stream = t.client.events();
    await stream.start();
    const next = stream.next();
    await t.client.close();
    assert.deepEqual(await next, { value: undefined, done: true });
  });

  it('reads the call only as the consumer pulls', async () => {
    const stream = t.client.events();
    await stream.start();
    for (let i = 0; i < 50; i += 1) t.fake.addEvent(1, 'COMM_UP');
    await sleep(100);
    // The fake wrote the events in one batch or a few; the stream holds
    // them until they are asked for, and yields each once.
    const events = await take(stream, 50);
    assert.deepEqual(events.map((e) => Number(e.sequence)), Array.from({ length: 50 }, (_, i) => i + 1));
    stream.cancel();
  });
});
