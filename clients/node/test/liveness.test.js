'use strict';
// Application liveness: the lease is renewed (RenewLease) only while the
// application pulls events from the iterator, every lease/3, with the last
// sequence it handled; a consumer that stops pulling stops the renewals.

const { describe, it } = require('node:test');
const assert = require('node:assert/strict');
const { sctpgw, FakeServer, sleep, rejection } = require('../testing/support');

const { status } = sctpgw;

// Runs body({ fake, connect, renewals }) against a fresh fake, so that the
// tests (mostly waiting) run side by side; the client connect() opens is
// closed after. renewals(since) lists the RenewLease requests recorded
// since `since` (ms since the epoch).
function scenario(body) {
  return async () => {
    const server = await FakeServer.start();
    const { fake } = server;
    let client = null;
    const connect = async (options) => {
      client = await sctpgw.Client.connect(server.target, { timeoutMs: 5000, ...options });
      return client;
    };
    const renewals = (since = 0) =>
      fake.requests.filter((entry) => entry.method === 'RenewLease' && entry.time >= since);
    try {
      await body({ fake, connect, renewals });
    } finally {
      if (client) await client.close().catch(() => {});
      await server.stop();
    }
  };
}

describe('application liveness', { concurrency: true }, () => {
  it('renews every lease/3 while next() waits, with the last handled sequence; progress is handled',
    scenario(async ({ fake, connect, renewals }) => {
      const client = await connect({ liveness: 'application', leaseMs: 600 });
      assert.equal(client.liveness, 'SESSION_LIVENESS_APPLICATION');
      const stream = client.events();
      await stream.start();
      // lease/3 is 200 ms, below WatchEvents' minimum of 1000 ms.
      assert.equal(fake.last('WatchEvents').progressIntervalMs, 1000);
      fake.addEvent(1, 'COMM_UP');
      assert.equal((await stream.next()).value.sequence, '1');

      const began = Date.now();
      const next = stream.next(); // Waits: no event comes for a while.
      await sleep(1150);
      const seen = renewals(began);
      assert.ok(seen.length >= 4, `${seen.length} renewals in 1150 ms`);
      for (const entry of seen) assert.equal(entry.request.handledSequence, '1');
      const times = [began, ...seen.map((entry) => entry.time)];
      for (let i = 1; i < times.length; i += 1) {
        assert.ok(times[i] - times[i - 1] <= 450, `renewals ${times[i] - times[i - 1]} ms apart`);
      }
      // A progress message came meanwhile: handled, not yielded.
      assert.ok(stream.progress, 'no progress message');
      fake.addEvent(1, 'SHUTDOWN_COMP');
      assert.equal((await next).value.sequence, '2');
      stream.cancel();
    }));

  it('stops renewing when the consumer stops pulling, and renews again once it pulls',
    scenario(async ({ fake, connect, renewals }) => {
      const client = await connect({ liveness: 'application', leaseMs: 600 });
      const stream = client.events();
      await stream.start();
      fake.addEvent(1, 'COMM_UP');
      fake.addEvent(1, 'COMM_LOST');
      assert.equal((await stream.next()).value.sequence, '1');
      // The application's loop hangs while it handles event 1.
      const hung = Date.now();
      await sleep(900);
      assert.deepEqual(renewals(hung + 50), [], 'renewed while the consumer did not pull');
      // It comes back: the overdue renewal goes at once, saying event 1 was handled.
      const back = Date.now();
      assert.equal((await stream.next()).value.sequence, '2');
      await sleep(50);
      const after = renewals(back);
      assert.ok(after.length >= 1, 'no renewal once the consumer pulled again');
      assert.equal(after[0].request.handledSequence, '1');
      stream.cancel();
    }));

  it('goes on renewing while the event stream waits to reconnect',
    scenario(async ({ fake, connect, renewals }) => {
      const client = await connect({ liveness: 'application', leaseMs: 600 });
      // The stream breaks after its first event, and the next attempts are
      // refused: the backoff grows to 100 + 200 + 400 + 800 ms.
      fake.watchBreaks.push(1);
      const stream = client.events();
      await stream.start();
      fake.failNext.WatchEvents = new Array(4).fill([status.UNAVAILABLE, 'SHUTTING_DOWN']);
      fake.addEvent(1, 'COMM_UP');
      assert.equal((await stream.next()).value.sequence, '1');
      const began = Date.now();
      const next = stream.next();
      await sleep(1300);
      const times = [began, ...renewals(began).map((entry) => entry.time)];
      assert.ok(times.length >= 5, `${times.length - 1} renewals in 1300 ms`);
      for (let i = 1; i < times.length; i += 1) {
        assert.ok(times[i] - times[i - 1] <= 450, `renewals ${times[i] - times[i - 1]} ms apart`);
      }
      fake.addEvent(1, 'COMM_LOST');
      assert.equal((await next).value.sequence, '2');
      assert.ok(stream.reconnects >= 4);
      stream.cancel();
    }));

  it('asks for progress about every lease/3 of a longer lease', scenario(async ({ fake, connect }) => {
    const client = await connect({ liveness: 'application', leaseMs: 9000 });
    const stream = client.events();
    await stream.start();
    assert.equal(fake.last('WatchEvents').progressIntervalMs, 3000);
    stream.cancel();
  }));

  it('under connection liveness nothing is renewed and progress keeps the service default',
    scenario(async ({ fake, connect, renewals }) => {
      const client = await connect({ leaseMs: 600 });
      const stream = client.events();
      await stream.start();
      assert.equal(fake.last('WatchEvents').progressIntervalMs, 0);
      const next = stream.next();
      await sleep(500);
      assert.deepEqual(renewals(), []);
      stream.cancel();
      assert.equal((await next).done, true);
    }));

  it('a renewal that finds the session gone ends the iteration with SESSION_NOT_FOUND',
    scenario(async ({ fake, connect }) => {
      const client = await connect({ liveness: 'application', leaseMs: 300 });
      const stream = client.events();
      await stream.start();
      fake.sessions.delete(client.sessionId); // The lease ran out.
      const error = await rejection(stream.next());
      assert.ok(error instanceof sctpgw.SctpgwError);
      assert.equal(error.code, status.NOT_FOUND);
      assert.equal(error.reason, 'SESSION_NOT_FOUND');
      assert.equal(error.call, 'RenewLease');
      assert.deepEqual(await stream.next(), { value: undefined, done: true });
    }));

  it('a service without RenewLease is not asked again', scenario(async ({ fake, connect, renewals }) => {
    fake.renewLeaseUnimplemented = true;
    const client = await connect({ liveness: 'application', leaseMs: 300 });
    const stream = client.events();
    await stream.start();
    const next = stream.next();
    await sleep(500);
    assert.equal(renewals().length, 1);
    fake.addEvent(1, 'COMM_UP');
    assert.equal((await next).value.sequence, '1');
    stream.cancel();
  }));

  it('a service that predates liveness answers UNSPECIFIED: the connection keeps the session',
    scenario(async ({ fake, connect, renewals }) => {
      fake.sessionLiveness = 'SESSION_LIVENESS_UNSPECIFIED';
      const client = await connect({ liveness: 'application', leaseMs: 300 });
      assert.equal(client.liveness, 'SESSION_LIVENESS_CONNECTION');
      const stream = client.events();
      const next = stream.next();
      await sleep(300);
      assert.deepEqual(renewals(), []);
      stream.cancel();
      await next;
    }));

  it('renewLease() may be called by the application itself', scenario(async ({ fake, connect }) => {
    const client = await connect({ liveness: 'application', leaseMs: 600 });
    const response = await client.renewLease(42);
    assert.deepEqual([response.leaseMs, response.liveness], [600, 'SESSION_LIVENESS_APPLICATION']);
    assert.equal(fake.last('RenewLease').handledSequence, '42');
    assert.equal(fake.last('RenewLease').sessionId, client.sessionId);
  }));
});
