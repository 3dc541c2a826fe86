'use strict';
// sctpgw.Client against the fake sctpgw: sessions, the typed calls and what
// their requests carry, errors, HANDED_OVER retries, deadlines, paging.

const { describe, it, beforeEach, afterEach } = require('node:test');
const assert = require('node:assert/strict');
const {
  sctpgw, setUp, associationOf, rejection, inbound,
} = require('../testing/support');

const { status } = sctpgw;

describe('sessions', () => {
  let t;
  beforeEach(async () => { t = await setUp({ clientName: 'unit', leaseMs: 5000 }); });
  afterEach(async () => { await t.close(); });

  it('opens a session with the name and lease asked for, and close() ends it once', async () => {
    const request = t.fake.last('OpenSession');
    assert.equal(request.clientName, 'unit');
    assert.equal(request.requestedLeaseMs, 5000);
    assert.equal(request.liveness, 'SESSION_LIVENESS_UNSPECIFIED');
    assert.equal(t.client.leaseMs, 5000);
    assert.equal(t.client.liveness, 'SESSION_LIVENESS_CONNECTION');
    assert.ok(t.fake.sessions.has(t.client.sessionId));
    await t.client.close();
    assert.ok(!t.fake.sessions.has(t.client.sessionId));
    assert.equal(t.fake.last('CloseSession').sessionId, t.client.sessionId);
    await t.client.close();
    assert.equal(t.fake.requestsOf('CloseSession').length, 1);
  });

  it('asks for application liveness by its short name', async () => {
    const client = await sctpgw.Client.connect(t.server.target, { liveness: 'application', leaseMs: 9000 });
    assert.equal(t.fake.last('OpenSession').liveness, 'SESSION_LIVENESS_APPLICATION');
    assert.equal(client.liveness, 'SESSION_LIVENESS_APPLICATION');
    await client.close();
  });

  it('puts the session in every request', async () => {
    const { associationId } = await associationOf(t.client);
    await t.client.send(associationId, 'x');
    for (const method of ['OpenEndpoint', 'Associate', 'Send']) {
      assert.equal(t.fake.last(method).sessionId, t.client.sessionId, method);
    }
  });

  it('attaches to a session without opening one, and may leave it alive', async () => {
    const attached = await sctpgw.Client.connect(t.server.target,
      { sessionId: t.client.sessionId, closeSession: false });
    assert.equal(attached.sessionId, t.client.sessionId);
    await attached.openEndpoint('127.0.0.1');
    await attached.close();
    assert.equal(t.fake.requestsOf('OpenSession').length, 1);
    assert.equal(t.fake.requestsOf('CloseSession').length, 0);
    assert.ok(t.fake.sessions.has(t.client.sessionId));
  });

  it('attaching under application liveness renews at once and learns the lease', async () => {
    t.fake.sessions.get(t.client.sessionId).liveness = 'SESSION_LIVENESS_APPLICATION';
    const attached = await sctpgw.Client.connect(t.server.target,
      { sessionId: t.client.sessionId, liveness: 'application', closeSession: false });
    assert.equal(t.fake.requestsOf('RenewLease').length, 1);
    assert.equal(attached.leaseMs, 5000);
    await attached.close();
  });

  it('a session gone gives SESSION_NOT_FOUND, and closing it then is no error', async () => {
    t.fake.sessions.delete(t.client.sessionId);
    const error = await rejection(t.client.listEndpoints());
    assert.ok(error instanceof sctpgw.SctpgwError);
    assert.equal(error.code, status.NOT_FOUND);
    assert.equal(error.reason, 'SESSION_NOT_FOUND');
    await t.client.close();
  });

  it('a refused OpenSession rejects connect() with the reason and metadata', async () => {
    t.fake.failNext.OpenSession = [[status.RESOURCE_EXHAUSTED, 'LIMIT_EXCEEDED', { limit: 'max_sessions' }]];
    const error = await rejection(sctpgw.Client.connect(t.server.target));
    assert.equal(error.codeName, 'RESOURCE_EXHAUSTED');
    assert.deepEqual(error.metadata, { limit: 'max_sessions' });
    assert.equal(error.call, 'OpenSession');
  });

  it('nothing listening is UNAVAILABLE without a reason', async () => {
    const error = await rejection(sctpgw.Client.connect(`unix:${t.server.directory}/nobody.sock`,
      { timeoutMs: 2000 }));
    assert.equal(error.code, status.UNAVAILABLE);
    assert.equal(error.reason, '');
  });

  it('refuses options it does not know', () => {
    assert.throws(() => new sctpgw.Client(t.server.target, { timeout: 5 }), TypeError);
  });
});

describe('the typed calls', () => {
  let t;
  beforeEach(async () => { t = await setUp(); });
  afterEach(async () => { await t.close(); });

  it('openEndpoint takes every option, enums by short name, nested messages as objects', async () => {
    const endpoint = await t.client.openEndpoint(['127.0.0.1', '127.0.0.3'], {
      port: 3868, listen: true, backlog: 16, streams: 8,
      pathParameters: { rtoInitialMs: 200, heartbeatEnabled: false },
      addressReconfiguration: true, udpEncapsulationPort: 9899,
      streamReconfiguration: { resetStreams: true, addStreams: true },
      interleaving: true, streamScheduler: 'round_robin',
      auth: { chunkTypes: [0], keys: { 1: 'secret', 2: Buffer.from('other') }, activeKeyId: 2 },
      socketSettings: { cookieLifeMs: 30000, bundleMessages: true, maxSegmentBytes: 1200 },
      oversizedMessages: 'ABORT',
    });
    const request = t.fake.last('OpenEndpoint');
    assert.deepEqual(request.localAddresses, ['127.0.0.1', '127.0.0.3']);
    assert.deepEqual([request.port, request.listen, request.backlog], [3868, true, 16]);
    assert.deepEqual([request.init.outboundStreams, request.init.maxInboundStreams], [8, 8]);
    assert.equal(request.pathParameters.rtoInitialMs, 200);
    assert.equal(request.pathParameters.heartbeatEnabled, false); // Present: optional fields keep presence.
    assert.equal(request.pathParameters.rtoMaxMs, undefined);
    assert.equal(request.addressReconfiguration, true);
    assert.equal(request.udpEncapsulationPort, 9899);
    assert.equal(request.streamReconfiguration.resetStreams, true);
    assert.equal(request.streamReconfiguration.resetAssociation, false);
    assert.equal(request.streamScheduler, 'STREAM_SCHEDULER_ROUND_ROBIN');
    assert.deepEqual(request.auth.chunkTypes, [0]);
    assert.deepEqual(request.auth.keys.map((key) => [key.keyId, key.secret.toString()]),
      [[1, 'secret'], [2, 'other']]);
    assert.equal(request.auth.activeKeyId, 2);
    assert.equal(request.socketSettings.cookieLifeMs, 30000);
    assert.equal(request.socketSettings.bundleMessages, true);
    assert.equal(request.socketSettings.receiveWindowBytes, undefined);
    assert.equal(request.oversizedMessages, 'OVERSIZED_MESSAGES_ABORT');
    assert.equal(endpoint.port, 3868);
    assert.equal(endpoint.socketSettings.cookieLifeMs, 30000);
    assert.match(endpoint.endpointId, /^[0-9]+$/);
  });

  it('openEndpoint defaults leave the options unset; the full request is taken too', async () => {
    await t.client.openEndpoint('::');
    let request = t.fake.last('OpenEndpoint');
    for (const field of ['init', 'pathParameters', 'streamReconfiguration', 'auth', 'socketSettings']) {
      assert.equal(request[field], null, field);
    }
    assert.equal(request.streamScheduler, 'STREAM_SCHEDULER_UNSPECIFIED');
    await t.client.openEndpoint({ localAddresses: ['127.0.0.1'], listen: true, auth: true, streamScheduler: 2 },
      { timeoutMs: 2000 });
    request = t.fake.last('OpenEndpoint');
    assert.equal(request.listen, true);
    assert.equal(request.auth.enabled, true);
    assert.equal(request.streamScheduler, 'STREAM_SCHEDULER_PRIORITY');
    assert.equal(request.sessionId, t.client.sessionId);
  });

  it('a wrong option or field name is refused before any call', async () => {
    await assert.rejects(t.client.openEndpoint('127.0.0.1', { streamScheduler: 'fastest' }), RangeError);
    await assert.rejects(t.client.openEndpoint('127.0.0.1', { socketSettings: { cookieLife: 1 } }),
      /SocketSettings has no field "cookieLife"/);
    await assert.rejects(t.client.openEndpoint('127.0.0.1', { lisen: true }), TypeError);
    await assert.rejects(t.client.send('1', 'x', { strem: 1 }), TypeError);
    await assert.rejects(t.client.send('1', 42), TypeError);
    assert.equal(t.fake.requestsOf('OpenEndpoint').length, 0);
    assert.equal(t.fake.requestsOf('Send').length, 0);
  });

  it('associate takes addresses, port, streams and init; ids may be strings, numbers or bigints', async () => {
    const endpoint = await t.client.openEndpoint('127.0.0.1');
    const association = await t.client.associate(BigInt(endpoint.endpointId), ['127.0.0.2', '127.0.0.4'], 36412,
      { init: { outboundStreams: 4, maxInboundStreams: 5, maxInitAttempts: 2, maxInitTimeoutMs: 500 } });
    let request = t.fake.last('Associate');
    assert.equal(request.endpointId, endpoint.endpointId);
    assert.deepEqual(request.peerAddresses, ['127.0.0.2', '127.0.0.4']);
    assert.equal(request.peerPort, 36412);
    assert.deepEqual([request.init.outboundStreams, request.init.maxInboundStreams, request.init.maxInitAttempts,
      request.init.maxInitTimeoutMs], [4, 5, 2, 500]);
    assert.equal(association.outboundStreams, 4);
    assert.equal(association.state, 'ASSOCIATION_STATE_ESTABLISHED');
    await t.client.associate(Number(endpoint.endpointId), '127.0.0.5', 1, { streams: 3 });
    request = t.fake.last('Associate');
    assert.deepEqual([request.init.outboundStreams, request.init.maxInboundStreams], [3, 3]);
    await t.client.associate({ endpointId: endpoint.endpointId, peerAddresses: ['127.0.0.6'], peerPort: 2 });
    assert.deepEqual(t.fake.last('Associate').peerAddresses, ['127.0.0.6']);
  });

  it('a refused association rejects with UNAVAILABLE, ASSOCIATE_FAILED and its metadata, not retried', async () => {
    const endpoint = await t.client.openEndpoint('127.0.0.1');
    const error = await rejection(t.client.associate(endpoint.endpointId, '127.0.0.2', 9));
    assert.equal(error.code, status.UNAVAILABLE);
    assert.equal(error.codeName, 'UNAVAILABLE');
    assert.equal(error.reason, 'ASSOCIATE_FAILED');
    assert.equal(error.metadata.errno, '111');
    assert.equal(error.call, 'Associate');
    assert.equal(error.message,
      'UNAVAILABLE ASSOCIATE_FAILED: the peer refused the association (ABORT) [errno=111 peer=127.0.0.2:9]');
    assert.equal(t.fake.requestsOf('Associate').length, 1);
  });

  it('send carries every message option; payloads are Buffers or strings', async () => {
    const { associationId } = await associationOf(t.client);
    assert.equal(await t.client.send(associationId, 'héllo', {
      stream: 3, ppid: 60, unordered: true, maxRetransmissions: 0, peerAddress: '127.0.0.2', context: 77,
    }), 1);
    await t.client.send(associationId, Buffer.from('timed'), { lifetimeMs: 250, priority: 4 });
    const [first, second] = t.fake.sent.get(associationId);
    assert.equal(first.payload.toString(), 'héllo');
    assert.deepEqual([first.stream, first.ppid, first.unordered, first.peerAddress, first.context],
      [3, 60, true, '127.0.0.2', 77]);
    assert.equal(first.maxRetransmissions, 0);
    assert.equal(first.priority, undefined);
    assert.deepEqual([second.lifetimeMs, second.priority], [250, 4]);
    assert.equal(second.maxRetransmissions, undefined);
  });

  it('sendBatch keeps the order and resolves to the count', async () => {
    const { associationId } = await associationOf(t.client);
    const count = await t.client.sendBatch(associationId,
      ['one', Buffer.from('two'), sctpgw.message('three', { stream: 2, ppid: 5 }), { payload: 'four', ppid: 6 }]);
    assert.equal(count, 4);
    const sent = t.fake.sent.get(associationId);
    assert.deepEqual(sent.map((m) => m.payload.toString()), ['one', 'two', 'three', 'four']);
    assert.deepEqual(sent.map((m) => m.ppid), [0, 0, 5, 6]);
  });

  it('a stream out of range rejects with the field at fault', async () => {
    const { associationId } = await associationOf(t.client);
    const error = await rejection(t.client.send(associationId, 'x', { stream: 10 }));
    assert.equal(error.code, status.INVALID_ARGUMENT);
    assert.equal(error.reason, 'STREAM_OUT_OF_RANGE');
    assert.equal(error.metadata.field, 'messages[0].stream');
  });

  it('receive resolves to messages, and to none when none came in time', async () => {
    const { associationId } = await associationOf(t.client);
    t.fake.deliver(associationId, inbound('a', 1, 46), inbound('b', 2, 47));
    const received = await t.client.receive(associationId, { maxMessages: 8, timeoutMs: 2000 });
    assert.deepEqual(received.map((m) => [m.payload.toString(), m.stream, m.ppid]), [['a', 1, 46], ['b', 2, 47]]);
    assert.equal(t.fake.last('Receive').maxMessages, 8);
    const began = Date.now();
    assert.deepEqual(await t.client.receive(associationId, { timeoutMs: 300 }), []);
    assert.ok(Date.now() - began < 2000);
  });

  it('receiveFromEndpoint names the endpoint', async () => {
    const { associationId, endpointId } = await associationOf(t.client);
    t.fake.deliver(associationId, inbound('x'));
    const received = await t.client.receiveFromEndpoint(endpointId, { timeoutMs: 2000 });
    assert.deepEqual(received.map((m) => m.associationId), [associationId]);
    assert.equal(t.fake.last('Receive').target, 'endpointId');
  });

  it('receive from an unknown association rejects', async () => {
    const error = await rejection(t.client.receive(999, { timeoutMs: 1000 }));
    assert.equal(error.reason, 'ASSOCIATION_NOT_FOUND');
  });

  it('shutdown and abort', async () => {
    const { associationId } = await associationOf(t.client);
    assert.equal(await t.client.shutdown(associationId), undefined);
    await t.client.abort(associationId, 'going away');
    const [graceful, aborted] = t.fake.requestsOf('Shutdown');
    assert.equal(graceful.mode, 'SHUTDOWN_MODE_GRACEFUL');
    assert.deepEqual([aborted.mode, aborted.abortReason], ['SHUTDOWN_MODE_ABORT', 'going away']);
  });

  it('the lists read every page', async () => {
    const ids = [];
    for (let i = 0; i < 3; i += 1) ids.push((await t.client.openEndpoint('127.0.0.1')).endpointId);
    assert.deepEqual((await t.client.listEndpoints()).map((e) => e.endpointId), ids);
    assert.deepEqual(t.fake.requestsOf('ListEndpoints').map((r) => r.pageToken), ['', '1', '2']);
    const association = await t.client.associate(ids[1], '127.0.0.2', 1);
    assert.deepEqual((await t.client.listAssociations(ids[1])).map((a) => a.associationId),
      [association.associationId]);
    assert.deepEqual(await t.client.listAssociations(ids[0]), []);
    assert.equal((await t.client.listAssociations()).length, 1);
  });

  it('getAssociation and the path calls', async () => {
    const { associationId, endpointId } = await associationOf(t.client);
    const state = await t.client.getAssociation(associationId, { streams: [1, 2] });
    assert.equal(state.association.associationId, associationId);
    assert.deepEqual(t.fake.last('GetAssociation').streams, [1, 2]);
    assert.equal(state.paths[0].address.ip, '127.0.0.2');

    const inForce = await t.client.configurePaths(associationId, { rtoMinMs: 100, rtoMaxMs: 400 },
      { peerAddress: '127.0.0.2' });
    let request = t.fake.last('ConfigurePaths');
    assert.deepEqual([request.parameters.rtoMinMs, request.parameters.rtoMaxMs, request.peerAddress],
      [100, 400, '127.0.0.2']);
    assert.equal(request.parameters.rtoInitialMs, undefined);
    assert.equal(inForce.parameters.rtoMaxMs, 400);

    assert.equal(await t.client.setPrimaryPath(associationId, '127.0.0.2'), undefined);
    assert.equal(t.fake.last('SetPrimaryPath').peerAddress, '127.0.0.2');
    await t.client.requestPeerPrimaryPath(associationId, '127.0.0.1');
    assert.equal(t.fake.last('RequestPeerPrimaryPath').localAddress, '127.0.0.1');
    await t.client.requestHeartbeat(associationId);
    assert.equal(t.fake.last('RequestHeartbeat').peerAddress, '');
    await t.client.requestHeartbeat(associationId, '127.0.0.2');
    assert.equal(t.fake.last('RequestHeartbeat').peerAddress, '127.0.0.2');
    await t.client.updateEndpointAddresses(endpointId, { add: '127.0.0.5', remove: ['127.0.0.1'] });
    request = t.fake.last('UpdateEndpointAddresses');
    assert.deepEqual([request.addAddresses, request.removeAddresses], [['127.0.0.5'], ['127.0.0.1']]);
  });

  it('the SCTP extension calls', async () => {
    const { associationId, endpointId } = await associationOf(t.client);
    await t.client.resetStreams(associationId, { direction: 'both', streams: [1, 2] });
    let request = t.fake.last('ResetStreams');
    assert.deepEqual([request.direction, request.streams], ['STREAM_RESET_DIRECTION_BOTH', [1, 2]]);
    await t.client.resetStreams(associationId);
    assert.equal(t.fake.last('ResetStreams').direction, 'STREAM_RESET_DIRECTION_OUTGOING');
    await t.client.resetAssociation(associationId);
    assert.equal(t.fake.last('ResetAssociation').associationId, associationId);
    await t.client.addStreams(associationId, { outbound: 2, inbound: 3 });
    request = t.fake.last('AddStreams');
    assert.deepEqual([request.outbound, request.inbound], [2, 3]);
    const inForce = await t.client.configureStreams(associationId, { scheduler: 'priority', values: { 1: 10, 2: 20 } });
    assert.equal(inForce.scheduler, 'STREAM_SCHEDULER_PRIORITY');
    assert.deepEqual(inForce.values.map((v) => [v.stream, v.value]), [[1, 10], [2, 20]]);
    await t.client.configureStreams(associationId, { values: [[3, 1]] });
    assert.equal(t.fake.last('ConfigureStreams').scheduler, 'STREAM_SCHEDULER_UNSPECIFIED');
    assert.deepEqual(t.fake.last('ConfigureStreams').values.map((v) => [v.stream, v.value]), [[3, 1]]);
    await t.client.changeAuthKey('add', 5, { endpointId, secret: 'k'.repeat(16) });
    request = t.fake.last('ChangeAuthKey');
    assert.deepEqual([request.action, request.keyId, request.endpointId, request.secret.toString()],
      ['AUTH_KEY_ACTION_ADD', 5, endpointId, 'k'.repeat(16)]);
    await t.client.changeAuthKey('AUTH_KEY_ACTION_ACTIVATE', 5, { associationId });
    assert.equal(t.fake.last('ChangeAuthKey').associationId, associationId);
  });

  it('closeEndpoint, getServiceStatus, renewLease and call()', async () => {
    const endpoint = await t.client.openEndpoint('127.0.0.1');
    await t.client.closeEndpoint(endpoint.endpointId, { abort: true });
    assert.equal(t.fake.last('CloseEndpoint').abort, true);
    const error = await rejection(t.client.closeEndpoint(endpoint.endpointId));
    assert.equal(error.reason, 'ENDPOINT_NOT_FOUND');
    const state = await t.client.getServiceStatus();
    assert.deepEqual([state.version, state.state], ['0.1.0', 'SERVICE_STATE_SERVING']);
    const renewed = await t.client.renewLease('17');
    assert.equal(renewed.leaseMs, t.client.leaseMs);
    assert.equal(t.fake.last('RenewLease').handledSequence, '17');
    const listed = await t.client.call('ListAssociations', { endpointId: '0' });
    assert.deepEqual(listed.associations, []);
    assert.equal(t.fake.last('ListAssociations').sessionId, t.client.sessionId);
    await assert.rejects(t.client.call('WatchEvents', {}), TypeError);
  });

  it('has a method for every RPC of GatewayService', () => {
    const methods = {
      OpenSession: 'open', CloseSession: 'close', RenewLease: 'renewLease', OpenEndpoint: 'openEndpoint',
      CloseEndpoint: 'closeEndpoint', ListEndpoints: 'listEndpoints',
      UpdateEndpointAddresses: 'updateEndpointAddresses', Associate: 'associate', Send: 'send',
      Receive: 'receive', SendStream: 'sendStream', ReceiveStream: 'receiveStream', Shutdown: 'shutdown',
      ListAssociations: 'listAssociations', GetAssociation: 'getAssociation',
      SetPrimaryPath: 'setPrimaryPath', RequestPeerPrimaryPath: 'requestPeerPrimaryPath',
      ConfigurePaths: 'configurePaths', ResetStreams: 'resetStreams', ResetAssociation: 'resetAssociation',
      AddStreams: 'addStreams', ConfigureStreams: 'configureStreams', ChangeAuthKey: 'changeAuthKey',
      RequestHeartbeat: 'requestHeartbeat', WatchEvents: 'events', Capture: 'capture',
      GetServiceStatus: 'getServiceStatus',
    };
    for (const rpc of Object.keys(sctpgw.loadProtos().service)) {
      assert.ok(methods[rpc], `no method of the Client for ${rpc}`);
      assert.equal(typeof t.client[methods[rpc]], 'function', methods[rpc]);
    }
  });
});

describe('handover retries', () => {
  let t;
  beforeEach(async () => { t = await setUp(); });
  afterEach(async () => { await t.close(); });

  it('a call answered HANDED_OVER (then CANCELLED) is made again', async () => {
    const { associationId } = await associationOf(t.client);
    t.fake.failNext.GetAssociation = [[status.UNAVAILABLE, 'HANDED_OVER'], [status.CANCELLED, 'CANCELLED']];
    const state = await t.client.getAssociation(associationId);
    assert.equal(state.association.associationId, associationId);
    assert.equal(t.fake.requestsOf('GetAssociation').length, 3);
  });

  it('a batch cut by a handover goes on with what was not accepted', async () => {
    const { associationId } = await associationOf(t.client);
    t.fake.sendAccepts.push(1);
    assert.equal(await t.client.sendBatch(associationId, ['1', '2', '3']), 3);
    assert.deepEqual(t.fake.sent.get(associationId).map((m) => m.payload.toString()), ['1', '2', '3']);
    assert.deepEqual(t.fake.requestsOf('Send').map((r) => r.messages.length), [3, 2]);
  });

  it('retries end at the deadline, counting every accepted message', async () => {
    const { associationId } = await associationOf(t.client);
    t.fake.sendAccepts.push(...new Array(1000).fill(1));
    const began = Date.now();
    const error = await rejection(t.client.sendBatch(associationId,
      Array.from({ length: 50 }, (_, i) => String(i)), { timeoutMs: 500 }));
    assert.ok(error.handedOver);
    const accepted = Number(error.metadata.accepted_messages);
    assert.equal(accepted, t.fake.sent.get(associationId).length);
    assert.ok(accepted > 1);
    assert.ok(Date.now() - began < 800);
  });

  it('other errors are not retried', async () => {
    t.fake.failNext.ListEndpoints = [[status.UNAVAILABLE, 'SHUTTING_DOWN']];
    const error = await rejection(t.client.listEndpoints());
    assert.equal(error.reason, 'SHUTTING_DOWN');
    assert.equal(t.fake.requestsOf('ListEndpoints').length, 1);
  });
});

describe('deadlines', () => {
  let t;
  beforeEach(async () => { t = await setUp(); });
  afterEach(async () => { await t.close(); });

  it("the client's timeoutMs is every call's deadline", async () => {
    const { associationId } = await associationOf(t.client);
    t.client.timeoutMs = 300;
    const began = Date.now();
    assert.deepEqual(await t.client.receive(associationId), []);
    const elapsed = Date.now() - began;
    assert.ok(elapsed >= 200 && elapsed < 2000, `${elapsed} ms`);
  });

  it('a per-call timeoutMs or absolute deadline wins', async () => {
    const { associationId } = await associationOf(t.client);
    let began = Date.now();
    assert.deepEqual(await t.client.receive(associationId, { timeoutMs: 200 }), []);
    assert.ok(Date.now() - began < 1500);
    began = Date.now();
    assert.deepEqual(await t.client.receive(associationId, { deadline: new Date(Date.now() + 200) }), []);
    assert.ok(Date.now() - began < 1500);
  });

  it('a deadline already passed rejects with DEADLINE_EXCEEDED before the call', async () => {
    const error = await rejection(t.client.listEndpoints({ timeoutMs: 0 }));
    assert.equal(error.code, status.DEADLINE_EXCEEDED);
    assert.equal(t.fake.requestsOf('ListEndpoints').length, 0);
  });

  it('a call the server holds past the deadline rejects with DEADLINE_EXCEEDED', async () => {
    const { associationId } = await associationOf(t.client);
    // Through call(), Receive's DEADLINE_EXCEEDED is not turned into [].
    const error = await rejection(t.client.call('Receive', { associationId }, { timeoutMs: 300 }));
    assert.equal(error.code, status.DEADLINE_EXCEEDED);
  });
});
