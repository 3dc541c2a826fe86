'use strict';
// A fake sctpgw for the library's tests, served in process with grpc-js on a
// unix socket of a fresh temporary directory (FakeServer).
//
// FakeGateway keeps sessions, endpoints, associations, queued messages and
// an event log, enough for the calls the tests make; scripted failures
// (failNext, watchBreaks, receiveStreamBreaks, sendAccepts) stand in for
// sctpgw's errors, a handover and a restart. Every request is recorded in
// `requests` as { method, request, time }.
//
// Its errors carry a google.rpc.Status with an ErrorInfo encoded here by
// hand on the protobuf wire format, so that the library's decoder is checked
// against another encoder than its own.
//
// Not part of the package: it lives beside the tests (Node's test runner
// would take any .js file under test/ for a test file).

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const grpc = require('@grpc/grpc-js');
const sctpgw = require('..');

const { service } = sctpgw.loadProtos();

// --------------------------------------------- the status details, by hand

function varint(value) {
  const bytes = [];
  let n = BigInt(value);
  if (n < 0n) n += 1n << 64n; // int32 negatives take ten bytes.
  do {
    let byte = Number(n & 0x7fn);
    n >>= 7n;
    if (n) byte |= 0x80;
    bytes.push(byte);
  } while (n);
  return Buffer.from(bytes);
}

function lengthDelimited(number, bytes) {
  const body = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes, 'utf8');
  return Buffer.concat([varint((number << 3) | 2), varint(body.length), body]);
}

// google.rpc.Status { code, message, details: [Any(ErrorInfo)] }.
function statusDetails(code, reason, metadata = {}, message = '') {
  const entries = Object.entries(metadata).map(([key, value]) =>
    lengthDelimited(3, Buffer.concat([lengthDelimited(1, key), lengthDelimited(2, String(value))])));
  const info = Buffer.concat([lengthDelimited(1, reason), lengthDelimited(2, 'sctpgw.dev'), ...entries]);
  const any = Buffer.concat([lengthDelimited(1, 'type.googleapis.com/google.rpc.ErrorInfo'),
    lengthDelimited(2, info)]);
  return Buffer.concat([varint(1 << 3), varint(code), lengthDelimited(2, message), lengthDelimited(3, any)]);
}

// The error a handler ends its call with, as sctpgw does: code, message and
// ErrorInfo.
class Abort extends Error {
  constructor(code, reason, metadata = {}, message = '') {
    const text = message || reason.toLowerCase().replace(/_/g, ' ');
    super(text);
    const trailers = new grpc.Metadata();
    trailers.add('grpc-status-details-bin', statusDetails(code, reason, metadata, text));
    this.serviceError = { code, details: text, metadata: trailers };
  }
}

function abort(code, reason, metadata, message) {
  return new Abort(code, reason, metadata, message);
}

// ------------------------------------------------------------- the fake

const ASSOCIATION_CHANGE = 'ASSOCIATION_CHANGE_TYPE_';

class FakeGateway {
  constructor() {
    this.requests = [];
    this.sessions = new Map(); // id -> { clientName, leaseMs, liveness }
    this.endpoints = new Map(); // id -> Endpoint
    this.associations = new Map(); // id -> Association
    this.queues = new Map(); // association id -> [InboundMessage]
    this.sent = new Map(); // association id -> [OutboundMessage]
    this.events = [];
    this.firstKeptSequence = 1;
    this.nextId = 1;
    this.outboundStreams = 10;
    this.sendStreamAckEvery = 4;
    // method -> [[code, reason, metadata, message]]: the next calls of the
    // method fail so, one each.
    this.failNext = {};
    // For each WatchEvents stream opened, in turn: end it UNAVAILABLE after
    // this many events (null: never).
    this.watchBreaks = [];
    this.watchStreamsStarted = 0; // WatchEvents streams that got as far as their ack.
    // For each ReceiveStream opened, in turn: end it with this failure once
    // it has more to send after its first response.
    this.receiveStreamBreaks = [];
    this.sendAccepts = []; // For the next Sends: accept only this many, then HANDED_OVER.
    this.echo = false; // Every message sent comes back on stream 0 with PPID 0 (as socat).
    this.renewLeaseUnimplemented = false; // As a service that predates RenewLease.
    this.sessionLiveness = null; // Overrides what OpenSession answers (e.g. 'SESSION_LIVENESS_UNSPECIFIED').
    this._captures = new Set(); // Capture streams' listeners.
    this._wake = null;
    this._changed = null;
  }

  // ------------------------------------------------------------ helpers

  notify() {
    const wake = this._wake;
    this._wake = null;
    this._changed = null;
    if (wake) wake();
  }

  changed() {
    if (!this._changed) this._changed = new Promise((resolve) => { this._wake = resolve; });
    return this._changed;
  }

  // Waits until predicate() holds (true), or `ms` pass or the call ends
  // (false).
  async waitFor(predicate, ms, call) {
    const end = Date.now() + ms;
    for (;;) {
      if (call && call.cancelled) return false;
      if (predicate()) return true;
      const left = end - Date.now();
      if (left <= 0) return false;
      await new Promise((resolve) => {
        const timer = Number.isFinite(left) ? setTimeout(finish, left) : null;
        const onCancel = () => finish();
        function finish() {
          if (timer) clearTimeout(timer);
          if (call) call.removeListener('cancelled', onCancel);
          resolve();
        }
        if (call) call.once('cancelled', onCancel);
        this.changed().then(finish);
      });
    }
  }

  requestsOf(method) {
    return this.requests.filter((entry) => entry.method === method).map((entry) => entry.request);
  }

  last(method) {
    const all = this.requestsOf(method);
    return all[all.length - 1];
  }

  _newId() {
    this.nextId += 1;
    return this.nextId;
  }

  _record(method, request) {
    this.requests.push({ method, request, time: Date.now() });
    const failures = this.failNext[method];
    if (failures && failures.length) throw abort(...failures.shift());
    if (!['OpenSession', 'GetServiceStatus'].includes(method) && !this.sessions.has(request.sessionId)) {
      throw abort(grpc.status.NOT_FOUND, 'SESSION_NOT_FOUND');
    }
  }

  lastSequence() {
    return this.events.length ? this.events[this.events.length - 1].sequence : 0;
  }

  // Appends an event (an association change of `changeType`, e.g.
  // 'COMM_UP', or any Event fields) and wakes the watchers.
  addEvent(associationId, changeType, fields = {}) {
    const event = { sequence: this.lastSequence() + 1, associationId: Number(associationId), ...fields };
    if (changeType) event.associationChange = { type: ASSOCIATION_CHANGE + changeType };
    this.events.push(event);
    this.notify();
    return event;
  }

  // Queues received messages (InboundMessage fields) for an association.
  deliver(associationId, ...inbound) {
    const queue = this._queue(associationId);
    for (const message of inbound) queue.push({ ...message, associationId: String(associationId) });
    this.notify();
  }

  endAssociation(associationId) {
    this.associations.get(String(associationId)).state = 'ASSOCIATION_STATE_CLOSED';
    this.notify();
  }

  _queue(associationId) {
    const key = String(associationId);
    if (!this.queues.has(key)) this.queues.set(key, []);
    return this.queues.get(key);
  }

  _sent(associationId) {
    const key = String(associationId);
    if (!this.sent.has(key)) this.sent.set(key, []);
    return this.sent.get(key);
  }

  // ------------------------------------------------- handler plumbing

  // The grpc-js implementation object: every method of the service.
  implementation() {
    const unary = (method) => (call, callback) => {
      Promise.resolve().then(() => {
        this._record(method, call.request);
        return this[method](call.request, call);
      }).then((response) => callback(null, response), (error) => {
        callback(error instanceof Abort ? error.serviceError
          : { code: grpc.status.INTERNAL, details: String(error && error.stack) });
      });
    };
    const serverStream = (method) => (call) => {
      Promise.resolve().then(() => {
        this._record(method, call.request);
        return this[method](call.request, call);
      }).then(() => { if (!call.cancelled) call.end(); }, (error) => {
        call.emit('error', error instanceof Abort ? error.serviceError
          : { code: grpc.status.INTERNAL, details: String(error && error.stack) });
      });
    };
    const implementation = {};
    for (const [method, definition] of Object.entries(service)) {
      if (method === 'SendStream') implementation[method] = (call) => this.SendStream(call);
      else if (definition.responseStream) implementation[method] = serverStream(method);
      else implementation[method] = unary(method);
    }
    return implementation;
  }

  // ---------------------------------------------------------- the calls

  OpenSession(request) {
    const sessionId = this._newId().toString(16).padStart(32, '0');
    const leaseMs = Math.min(request.requestedLeaseMs || 30000, 3600000);
    const liveness = this.sessionLiveness || (request.liveness === 'SESSION_LIVENESS_APPLICATION'
      ? 'SESSION_LIVENESS_APPLICATION' : 'SESSION_LIVENESS_CONNECTION');
    this.sessions.set(sessionId, { clientName: request.clientName, leaseMs, liveness });
    return { sessionId, leaseMs, liveness };
  }

  CloseSession(request) {
    this.sessions.delete(request.sessionId);
    return {};
  }

  RenewLease(request) {
    if (this.renewLeaseUnimplemented) throw abort(grpc.status.UNIMPLEMENTED, 'UNIMPLEMENTED');
    const session = this.sessions.get(request.sessionId);
    return { leaseMs: session.leaseMs, liveness: session.liveness };
  }

  OpenEndpoint(request) {
    for (const address of request.localAddresses) {
      if (!/^[0-9.]+$/.test(address) && !address.includes(':')) {
        throw abort(grpc.status.INVALID_ARGUMENT, 'INVALID_ADDRESS', { field: 'local_addresses', address });
      }
    }
    const port = request.port || 40000;
    const endpoint = {
      endpointId: String(this._newId()), port, listening: request.listen,
      socketSettings: request.socketSettings, oversizedMessages: request.oversizedMessages,
      streamScheduler: request.streamScheduler,
      localAddresses: request.localAddresses.map((ip) => ({ ip, port })),
    };
    this.endpoints.set(endpoint.endpointId, endpoint);
    return { endpoint };
  }

  CloseEndpoint(request) {
    if (!this.endpoints.delete(request.endpointId)) {
      throw abort(grpc.status.NOT_FOUND, 'ENDPOINT_NOT_FOUND', { endpoint_id: request.endpointId });
    }
    return {};
  }

  // Pages of one endpoint each, to test the paging.
  ListEndpoints(request) {
    const ids = [...this.endpoints.keys()].sort((a, b) => Number(a) - Number(b));
    const start = Number(request.pageToken || 0);
    return {
      endpoints: ids.slice(start, start + 1).map((id) => this.endpoints.get(id)),
      nextPageToken: start + 1 < ids.length ? String(start + 1) : '',
    };
  }

  UpdateEndpointAddresses(request) {
    return { endpoint: this.endpoints.get(request.endpointId) };
  }

  Associate(request) {
    if (!this.endpoints.has(request.endpointId)) throw abort(grpc.status.NOT_FOUND, 'ENDPOINT_NOT_FOUND');
    if (request.peerPort === 9) { // Nobody listens on the discard port.
      throw abort(grpc.status.UNAVAILABLE, 'ASSOCIATE_FAILED',
        { errno: '111', peer: `${request.peerAddresses[0]}:9` }, 'the peer refused the association (ABORT)');
    }
    const init = request.init || {};
    const association = {
      associationId: String(this._newId()), endpointId: request.endpointId,
      state: 'ASSOCIATION_STATE_ESTABLISHED',
      outboundStreams: init.outboundStreams || this.outboundStreams,
      inboundStreams: init.maxInboundStreams || this.outboundStreams,
      peerAddresses: request.peerAddresses.map((ip) => ({ ip, port: request.peerPort })),
    };
    this.associations.set(association.associationId, association);
    this.addEvent(association.associationId, 'COMM_UP', { endpointId: Number(request.endpointId) });
    return { association };
  }

  _checkMessages(request, extra = {}) {
    const association = this.associations.get(request.associationId);
    if (!association) throw abort(grpc.status.NOT_FOUND, 'ASSOCIATION_NOT_FOUND', extra);
    request.messages.forEach((message, index) => {
      if (message.stream >= association.outboundStreams) {
        throw abort(grpc.status.INVALID_ARGUMENT, 'STREAM_OUT_OF_RANGE', {
          ...extra, field: `messages[${index}].stream`, outbound_streams: String(association.outboundStreams),
        });
      }
    });
  }

  _accept(associationId, taken) {
    this._sent(associationId).push(...taken);
    if (this.echo) {
      this._queue(associationId).push(...taken.map((message) => ({
        associationId: String(associationId), payload: message.payload,
      })));
    }
    for (const listener of this._captures) listener(associationId, taken);
    this.notify();
  }

  Send(request) {
    this._checkMessages(request);
    const accept = this.sendAccepts.length ? this.sendAccepts.shift() : null;
    const taken = accept === null ? request.messages : request.messages.slice(0, accept);
    this._accept(request.associationId, taken);
    if (accept !== null) {
      throw abort(grpc.status.UNAVAILABLE, 'HANDED_OVER', { accepted_messages: String(taken.length) });
    }
    return { acceptedMessages: taken.length };
  }

  // The association ids a ReceiveRequest reads.
  _targets(request) {
    if (request.target === 'associationId') return [request.associationId];
    return [...this.associations.values()].filter((a) => a.endpointId === request.endpointId)
      .map((a) => a.associationId);
  }

  _take(request) {
    const limit = request.maxMessages || 64;
    const taken = [];
    for (const id of this._targets(request)) {
      const queue = this._queue(id);
      while (queue.length && taken.length < limit) taken.push(queue.shift());
    }
    return taken;
  }

  async Receive(request, call) {
    const ids = this._targets(request);
    if (!ids.length || ids.some((id) => !this.associations.has(id))) {
      throw abort(grpc.status.NOT_FOUND, 'ASSOCIATION_NOT_FOUND');
    }
    // sctpgw answers a little before the deadline, so that its answer is
    // not lost to the race.
    const deadline = call.getDeadline();
    const left = deadline instanceof Date ? deadline.getTime() - Date.now() - 50 : Infinity;
    if (await this.waitFor(() => ids.some((id) => this._queue(id).length), left, call)) {
      return { messages: this._take(request) };
    }
    throw abort(grpc.status.DEADLINE_EXCEEDED, 'DEADLINE_EXCEEDED');
  }

  async ReceiveStream(request, call) {
    const failure = this.receiveStreamBreaks.length ? this.receiveStreamBreaks.shift() : null;
    const ids = this._targets(request);
    if (!ids.length || ids.some((id) => !this.associations.has(id))) {
      throw abort(grpc.status.NOT_FOUND, 'ASSOCIATION_NOT_FOUND');
    }
    const ended = () => ids.every((id) => this.associations.get(id).state === 'ASSOCIATION_STATE_CLOSED' &&
      !this._queue(id).length);
    let responses = 0;
    for (;;) {
      const ready = await this.waitFor(() => ended() || ids.some((id) => this._queue(id).length), Infinity, call);
      if (!ready) return;
      // The break comes when there is more to send after the first
      // response, and takes nothing from the queue.
      if (failure && responses) throw abort(...failure);
      if (ended()) return;
      call.write({ messages: this._take(request) });
      responses += 1;
    }
  }

  SendStream(call) {
    let completed = 0;
    let accepted = 0;
    let failed = false;
    call.on('data', (request) => {
      if (failed) return;
      try {
        this._record('SendStream', request);
        this._checkMessages(request, { completed_requests: String(completed) });
      } catch (error) {
        failed = true;
        call.emit('error', error.serviceError);
        return;
      }
      this._accept(request.associationId, request.messages);
      completed += 1;
      accepted += request.messages.length;
      if (completed % this.sendStreamAckEvery === 0) {
        call.write({ completedRequests: completed, acceptedMessages: accepted });
      }
    });
    call.on('end', () => {
      if (failed) return;
      call.write({ completedRequests: completed, acceptedMessages: accepted });
      call.end();
    });
  }

  Shutdown(request) {
    const association = this.associations.get(request.associationId);
    if (!association) throw abort(grpc.status.NOT_FOUND, 'ASSOCIATION_NOT_FOUND');
    this.endAssociation(request.associationId);
    const graceful = request.mode === 'SHUTDOWN_MODE_GRACEFUL';
    this.addEvent(request.associationId, graceful ? 'SHUTDOWN_COMP' : 'COMM_LOST', {
      endpointId: Number(association.endpointId), detail: graceful ? '' : request.abortReason,
    });
    return {};
  }

  ListAssociations(request) {
    const found = [...this.associations.values()]
      .filter((a) => request.endpointId === '0' || a.endpointId === request.endpointId)
      .sort((a, b) => Number(a.associationId) - Number(b.associationId));
    return { associations: found };
  }

  GetAssociation(request) {
    const association = this.associations.get(request.associationId);
    if (!association) {
      throw abort(grpc.status.NOT_FOUND, 'ASSOCIATION_NOT_FOUND', { association_id: request.associationId });
    }
    return {
      association,
      paths: association.peerAddresses.map((address) => ({ address, state: 'PATH_STATE_ACTIVE', srttMs: 1 })),
    };
  }

  ConfigurePaths(request) {
    return { parameters: request.parameters };
  }

  ConfigureStreams(request) {
    return { scheduler: request.scheduler, values: request.values };
  }

  GetServiceStatus() {
    return { version: '0.1.0', state: 'SERVICE_STATE_SERVING', sessions: this.sessions.size };
  }

  SetPrimaryPath() { return {}; }

  RequestPeerPrimaryPath() { return {}; }

  ResetStreams() { return {}; }

  ResetAssociation() { return {}; }

  AddStreams() { return {}; }

  ChangeAuthKey() { return {}; }

  RequestHeartbeat() { return {}; }

  async WatchEvents(request, call) {
    const breaksAfter = this.watchBreaks.length ? this.watchBreaks.shift() : null;
    let after = request.onlyNew ? this.lastSequence() : Number(request.afterSequence);
    if (after + 1 < this.firstKeptSequence && this.events.length) {
      throw abort(grpc.status.OUT_OF_RANGE, 'HISTORY_COMPACTED',
        { first_kept_sequence: String(this.firstKeptSequence) });
    }
    this.watchStreamsStarted += 1;
    this.notify();
    call.write({ ack: { afterSequence: after, lastSequence: this.lastSequence(),
      firstKeptSequence: this.firstKeptSequence } });
    const progressMs = request.progressIntervalMs || 10000;
    let sent = 0;
    for (;;) {
      const more = await this.waitFor(() => this.lastSequence() > after, progressMs, call);
      if (call.cancelled) return;
      if (!more) {
        call.write({ progress: { lastSequence: this.lastSequence(), time: { seconds: Math.floor(Date.now() / 1000) } } });
        continue;
      }
      let batch = this.events.filter((event) => event.sequence > after &&
        (request.endpointId === '0' || String(event.endpointId) === request.endpointId));
      after = this.lastSequence();
      if (breaksAfter !== null) batch = batch.slice(0, breaksAfter - sent);
      if (batch.length) {
        call.write({ events: { events: batch } });
        sent += batch.length;
      }
      if (breaksAfter !== null && sent >= breaksAfter) {
        throw abort(grpc.status.UNAVAILABLE, 'SHUTTING_DOWN');
      }
    }
  }

  async Capture(request, call) {
    const captured = [];
    const listener = (associationId, taken) => {
      if (request.target === 'associationId' && request.associationId !== String(associationId)) return;
      captured.push(...taken.map((message) => ({
        direction: 'CAPTURE_DIRECTION_OUTBOUND', associationId: String(associationId),
        stream: message.stream, ppid: message.ppid, length: message.payload.length,
        payload: message.payload,
      })));
    };
    this._captures.add(listener);
    try {
      call.write({});
      for (;;) {
        if (!await this.waitFor(() => captured.length > 0, Infinity, call)) return;
        call.write({ messages: captured.splice(0) });
      }
    } finally {
      this._captures.delete(listener);
    }
  }
}

// A FakeGateway served on a unix socket in a temporary directory: .target,
// .fake, .directory; stop() ends it.
class FakeServer {
  static async start(fake = new FakeGateway()) {
    const server = new FakeServer();
    server.fake = fake;
    server.directory = fs.mkdtempSync(path.join(os.tmpdir(), 'sctpgw-node-test-'));
    server.target = `unix:${path.join(server.directory, 'sctpgw.sock')}`;
    server._server = new grpc.Server();
    server._server.addService(service, fake.implementation());
    await new Promise((resolve, reject) => {
      server._server.bindAsync(server.target, grpc.ServerCredentials.createInsecure(),
        (error) => (error ? reject(error) : resolve()));
    });
    return server;
  }

  async stop() {
    this._server.forceShutdown();
    fs.rmSync(this.directory, { recursive: true, force: true });
  }
}

// An InboundMessage (fields as the protos name them).
function inbound(payload, stream = 0, ppid = 0, fields = {}) {
  return { payload: Buffer.from(payload), stream, ppid, ...fields };
}

module.exports = { FakeGateway, FakeServer, statusDetails, abort, inbound };
