'use strict';
// sctpgw.Client: one application's session with sctpgw, every call of
// GatewayService as a promise with a deadline, and the streams.

const grpc = require('@grpc/grpc-js');
const protos = require('./protos');
const messages = require('./messages');
const { SctpgwError, fromGrpcError, makeError } = require('./errors');
const { EventStream, ReceiveStream, SendStream, CaptureStream } = require('./streams');

const DEFAULT_TARGET = 'unix:/run/sctpgw/sctpgw.sock';
const DEFAULT_TIMEOUT_MS = 10000;
// The service's keepalive policy (docs/api.md, Sessions): pings every 10 s,
// answered within 5 s, allowed without calls in flight. Responses may carry
// up to 4 MiB of payload (Receive's max_bytes) plus their framing.
const CHANNEL_OPTIONS = {
  'grpc.keepalive_time_ms': 10000,
  'grpc.keepalive_timeout_ms': 5000,
  'grpc.keepalive_permit_without_calls': 1,
  'grpc.max_receive_message_length': 8 * 1024 * 1024,
};
// A unary call answered HANDED_OVER is made again, waiting for the new
// process, within its deadline: after 20 ms, doubling up to 200 ms.
const FIRST_HANDOVER_RETRY_MS = 20;
const MAX_HANDOVER_RETRY_MS = 200;
// The lease assumed when the service has not said (its default).
const ASSUMED_LEASE_MS = 30000;
// A renewal that failed for a passing reason is tried again this soon.
const RENEWAL_RETRY_MS = 1000;
// WatchEvents' bounds for progress_interval_ms.
const MIN_PROGRESS_INTERVAL_MS = 1000;
const MAX_PROGRESS_INTERVAL_MS = 3600000;

const CLIENT_OPTIONS = ['clientName', 'leaseMs', 'liveness', 'sessionId', 'timeoutMs',
  'credentials', 'channelOptions', 'closeSession'];

const { isPlainObject, toId } = messages;

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

// Splits an options object into request fields and the call's own options
// (timeoutMs, deadline).
function splitOptions(options, what) {
  if (options === undefined || options === null) return [{}, {}];
  if (!isPlainObject(options)) throw new TypeError(`${what}: options are an object`);
  const { timeoutMs, deadline, ...fields } = options;
  const call = {};
  if (timeoutMs !== undefined) call.timeoutMs = timeoutMs;
  if (deadline !== undefined) call.deadline = deadline;
  return [fields, call];
}

// The request and call options of a method called with the full request
// object first (and perhaps call options second).
function fullRequest(request, options, what) {
  const [fields, call] = splitOptions(request, what);
  const [, more] = splitOptions(options, what);
  return [fields, { ...call, ...more }];
}

// Throws a TypeError for an option `what` does not take.
function checkOptions(options, allowed, what) {
  if (!isPlainObject(options)) throw new TypeError(`${what}: options are an object`);
  for (const key of Object.keys(options)) {
    if (!allowed.includes(key)) {
      throw new TypeError(`${what} has no option ${JSON.stringify(key)} (it has ${allowed.join(', ')})`);
    }
  }
}

function addresses(value) {
  return Array.isArray(value) ? value : [value];
}

// InitOptions from `init` with `streams` as the stream counts it leaves 0;
// undefined if neither is given.
function initOptions(streams, init) {
  if (!streams && (init === undefined || init === null)) return init;
  const given = init || {};
  return {
    ...given,
    outboundStreams: given.outboundStreams || streams || 0,
    maxInboundStreams: given.maxInboundStreams || streams || 0,
  };
}

// AuthOptions from one, true (offered, no keys), or an object whose keys
// may also be an object of key id to secret ({ 1: 'secret' }).
function authOptions(auth) {
  if (auth === true) return { enabled: true };
  if (isPlainObject(auth) && isPlainObject(auth.keys)) {
    return {
      ...auth,
      keys: Object.entries(auth.keys).map(([keyId, secret]) => ({ keyId: Number(keyId), secret })),
    };
  }
  return auth;
}

// StreamValues from { stream: value }, a Map, or an array of [stream, value]
// pairs or { stream, value } objects.
function streamValues(values) {
  if (values === undefined || values === null) return [];
  if (values instanceof Map) values = [...values.entries()];
  else if (isPlainObject(values)) values = Object.entries(values);
  return values.map((item) => (Array.isArray(item)
    ? { stream: Number(item[0]), value: Number(item[1]) } : item));
}

function compareSequences(a, b) {
  const x = BigInt(a);
  const y = BigInt(b);
  return x < y ? -1 : (x > y ? 1 : 0);
}

// One application's session with sctpgw.
//
//   const client = await Client.connect('unix:/run/sctpgw/sctpgw.sock', { clientName: 'demo' });
//   const endpoint = await client.openEndpoint('192.0.2.1');
//   const association = await client.associate(endpoint.endpointId, '198.51.100.7', 36412);
//   await client.send(association.associationId, 'hello', { stream: 1, ppid: 60 });
//   for (const message of await client.receive(association.associationId)) ...
//   await client.close();
//
// open() (or Client.connect) opens a session, or attaches to `sessionId`;
// close() ends it (CloseSession) unless closeSession is false. Every call
// has a deadline: its timeoutMs (or deadline) option, else the client's
// timeoutMs. Failures reject with SctpgwError. A call answered UNAVAILABLE /
// HANDED_OVER (sctpgw handing over to a new process) is made again within
// its deadline.
class Client {
  constructor(target = DEFAULT_TARGET, options = {}) {
    if (!isPlainObject(options)) throw new TypeError('Client options are an object');
    for (const key of Object.keys(options)) {
      if (!CLIENT_OPTIONS.includes(key)) {
        throw new TypeError(`no Client option ${JSON.stringify(key)} ` +
          `(there are ${CLIENT_OPTIONS.join(', ')})`);
      }
    }
    this._pb = protos.load();
    this.target = target || DEFAULT_TARGET;
    this.clientName = options.clientName || '';
    this.timeoutMs = options.timeoutMs === undefined ? DEFAULT_TIMEOUT_MS : options.timeoutMs;
    this.sessionId = options.sessionId || '';
    // The lease the service chose, milliseconds (0 until known).
    this.leaseMs = 0;
    this._requestedLeaseMs = options.leaseMs || 0;
    this._requestedLiveness = options.liveness === undefined ? undefined
      : messages.request('OpenSessionRequest', { liveness: options.liveness }).liveness;
    // What keeps the session alive: 'SESSION_LIVENESS_CONNECTION' or
    // 'SESSION_LIVENESS_APPLICATION' (known once open).
    this.liveness = '';
    // The last event sequence the application handled (sent with RenewLease).
    this.handledSequence = '0';
    this._attached = Boolean(this.sessionId);
    this._closeSession = options.closeSession === undefined ? true : Boolean(options.closeSession);
    this._closed = false;
    this._streams = new Set();
    this._renewal = { dueAt: Infinity, inFlight: null, lost: null, stopped: false };
    this._stub = new this._pb.GatewayService(this.target,
      options.credentials || grpc.credentials.createInsecure(),
      { ...CHANNEL_OPTIONS, ...(options.channelOptions || {}) });
  }

  // A Client with its session open (or attached).
  static async connect(target = DEFAULT_TARGET, options = {}) {
    const client = new Client(target, options);
    try {
      await client.open();
    } catch (error) {
      client._stub.close();
      throw error;
    }
    return client;
  }

  // The grpc-js client under the library, for what it does not wrap.
  get grpcClient() {
    return this._stub;
  }

  // Opens the session (OpenSession) or attaches to options.sessionId.
  // Resolves to the client. Call options: timeoutMs, deadline.
  async open(options = {}) {
    if (this._closed) throw makeError(grpc.status.CANCELLED, '', 'the client is closed', 'OpenSession');
    if (this._attached) {
      this.liveness = this._requestedLiveness || 'SESSION_LIVENESS_CONNECTION';
      this.leaseMs = this._requestedLeaseMs;
      // Application liveness: the lease is learnt (and renewed) now.
      if (this._applicationLiveness) await this.renewLease(this.handledSequence, options);
      return this;
    }
    const request = { requestedLeaseMs: this._requestedLeaseMs, clientName: this.clientName };
    if (this._requestedLiveness !== undefined) request.liveness = this._requestedLiveness;
    const response = await this._unary('OpenSession', messages.request('OpenSessionRequest', request),
      options);
    this.sessionId = response.sessionId;
    this.leaseMs = response.leaseMs;
    // A service that predates liveness answers UNSPECIFIED: the connection.
    this.liveness = response.liveness && response.liveness !== 'SESSION_LIVENESS_UNSPECIFIED'
      ? response.liveness : 'SESSION_LIVENESS_CONNECTION';
    this._renewal.dueAt = Date.now() + this._renewIntervalMs();
    return this;
  }

  // Ends the streams this client opened and the session (CloseSession;
  // unless closeSession was false, which leaves it to its lease for a later
  // attach), then the channel. A session already gone is no error.
  async close(options = {}) {
    if (this._closed) return;
    this._closed = true;
    for (const stream of [...this._streams]) stream.cancel();
    try {
      if (this.sessionId && this._closeSession) {
        await this._unary('CloseSession', { sessionId: this.sessionId }, options);
      }
    } catch (error) {
      if (!(error instanceof SctpgwError && error.code === grpc.status.NOT_FOUND)) throw error;
    } finally {
      this._stub.close();
    }
  }

  // ------------------------------------------------------------ the calls

  // Any unary call by its RPC name, with the full request object (the
  // session's id added unless given); resolves to the response object.
  async call(method, request = {}, options = {}) {
    const definition = this._pb.service[method];
    if (!definition || definition.requestStream || definition.responseStream) {
      throw new TypeError(`${method} is no unary call of GatewayService`);
    }
    return this._unary(method, this._request(method, request), options);
  }

  // Renews the session's lease (RenewLease) with the last event sequence
  // handled; resolves to { leaseMs, liveness }. Under application liveness
  // the event stream calls it while the application pulls events; call it
  // yourself from your own loop if you do not read events.
  async renewLease(handledSequence = this.handledSequence, options = {}) {
    let fields;
    let call;
    if (isPlainObject(handledSequence)) {
      [fields, call] = fullRequest(handledSequence, options, 'renewLease');
    } else {
      [, call] = splitOptions(options, 'renewLease');
      fields = { handledSequence: toId(handledSequence, 'handledSequence') };
    }
    const started = Date.now();
    const response = await this._unary('RenewLease', this._request('RenewLease', fields), call);
    if (response.leaseMs) this.leaseMs = response.leaseMs;
    if (response.liveness && response.liveness !== 'SESSION_LIVENESS_UNSPECIFIED') {
      this.liveness = response.liveness;
    }
    this._renewal.dueAt = started + this._renewIntervalMs();
    return response;
  }

  // Opens an endpoint (OpenEndpoint); resolves to the Endpoint, with the
  // port the kernel chose and socketSettings as the kernel has them.
  //   openEndpoint('127.0.0.1' | ['192.0.2.1', '2001:db8::1'], { port, listen,
  //     backlog, streams, init, pathParameters, addressReconfiguration,
  //     udpEncapsulationPort, streamReconfiguration, interleaving,
  //     streamScheduler, auth, socketSettings, oversizedMessages })
  //   openEndpoint({ localAddresses, ... })            the request itself
  // streams: the outbound and maximum inbound stream counts (init's two).
  // auth: AuthOptions, true, or { chunkTypes, keys: { 1: 'secret' }, activeKeyId }.
  async openEndpoint(localAddresses, options) {
    let fields;
    let call;
    if (isPlainObject(localAddresses)) {
      [fields, call] = fullRequest(localAddresses, options, 'openEndpoint');
    } else {
      [fields, call] = splitOptions(options, 'openEndpoint');
      const { streams, ...rest } = fields;
      fields = { ...rest, localAddresses: addresses(localAddresses) };
      const init = initOptions(streams, rest.init);
      if (init !== undefined) fields.init = init;
    }
    if (fields.auth !== undefined) fields.auth = authOptions(fields.auth);
    const response = await this._unary('OpenEndpoint', this._request('OpenEndpoint', fields), call);
    return response.endpoint;
  }

  // Closes an endpoint and its associations, gracefully or ({ abort: true })
  // by ABORT.
  async closeEndpoint(endpointId, options) {
    const [fields, call] = this._idRequest('closeEndpoint', 'endpointId', endpointId, options);
    await this._unary('CloseEndpoint', this._request('CloseEndpoint', fields), call);
  }

  // The session's endpoints, every page (each page its own deadline).
  async listEndpoints(options) {
    const [fields, call] = splitOptions(options, 'listEndpoints');
    return this._paged('ListEndpoints', fields, 'endpoints', call);
  }

  // Adds and removes local addresses of a live endpoint; resolves to the
  // Endpoint as it is then. updateEndpointAddresses(endpointId, { add,
  // remove }) (one address or several each), or the request.
  async updateEndpointAddresses(endpointId, options) {
    let [fields, call] = this._idRequest('updateEndpointAddresses', 'endpointId', endpointId, options);
    if (!isPlainObject(endpointId)) {
      const { add, remove, ...rest } = fields;
      fields = { ...rest };
      if (add !== undefined) fields.addAddresses = addresses(add);
      if (remove !== undefined) fields.removeAddresses = addresses(remove);
    }
    const response = await this._unary('UpdateEndpointAddresses',
      this._request('UpdateEndpointAddresses', fields), call);
    return response.endpoint;
  }

  // Sets up an association and resolves to it (Association) once it is up.
  //   associate(endpointId, '198.51.100.7' | [addresses...], port, { streams, init })
  //   associate({ endpointId, peerAddresses, peerPort, init })
  // Rejects with UNAVAILABLE / ASSOCIATE_FAILED when the peer refuses or
  // cannot be reached; when the deadline passes first nothing is left.
  async associate(endpointId, peerAddresses, peerPort, options) {
    let fields;
    let call;
    if (isPlainObject(endpointId)) {
      [fields, call] = fullRequest(endpointId, peerAddresses, 'associate');
    } else {
      [fields, call] = splitOptions(options, 'associate');
      const { streams, ...rest } = fields;
      fields = {
        ...rest, endpointId: toId(endpointId, 'endpointId'), peerAddresses: addresses(peerAddresses),
        peerPort,
      };
      const init = initOptions(streams, rest.init);
      if (init !== undefined) fields.init = init;
    }
    const response = await this._unary('Associate', this._request('Associate', fields), call);
    return response.association;
  }

  // Sends one message; resolves to 1 once the kernel has accepted it.
  //   send(associationId, payload (Buffer | Uint8Array | string), { stream, ppid,
  //     unordered, lifetimeMs, maxRetransmissions, priority, peerAddress, context })
  async send(associationId, payload, options) {
    if (isPlainObject(associationId)) return this.sendBatch(associationId, payload);
    const [fields, call] = splitOptions(options, 'send');
    return this.sendBatch(associationId, [messages.message(payload, fields)], call);
  }

  // Sends messages in order (payloads, or objects with a payload and the
  // options of send()); resolves to how many the kernel accepted: all of
  // them. After HANDED_OVER only those not accepted go again; a final
  // error's metadata accepted_messages counts every attempt's, so that the
  // caller knows what not to send again. sendBatch({ associationId,
  // messages }) takes the request.
  async sendBatch(associationId, batch, options) {
    let fields;
    let call;
    if (isPlainObject(associationId)) {
      [fields, call] = fullRequest(associationId, batch, 'sendBatch');
    } else {
      [, call] = splitOptions(options, 'sendBatch');
      fields = { associationId: toId(associationId, 'associationId'), messages: batch };
    }
    const request = this._request('Send',
      { ...fields, messages: (fields.messages || []).map(messages.outbound) });
    const all = request.messages;
    let accepted = 0;
    return this._unary('Send', () => ({ ...request, messages: all.slice(accepted) }), call, {
      onResponse: (response) => {
        accepted += response.acceptedMessages;
        return accepted;
      },
      onError: (error) => {
        const taken = error.metadata.accepted_messages;
        if (taken !== undefined && /^[0-9]+$/.test(taken)) {
          accepted += Math.min(Number(taken), all.length - accepted);
        }
        if (accepted || taken !== undefined) error.metadata.accepted_messages = String(accepted);
      },
    });
  }

  // Waits up to the deadline for the next messages of an association and
  // resolves to them (InboundMessage[]; empty when none came in time).
  //   receive(associationId, { maxMessages, maxBytes }) or receive({ associationId | endpointId, ... })
  // A message above sctpgw's max_message_bytes comes in pieces: see MessageJoiner.
  async receive(associationId, options) {
    const [fields, call] = this._idRequest('receive', 'associationId', associationId, options);
    return this._receive(fields, call);
  }

  // As receive(), from any association of an endpoint.
  async receiveFromEndpoint(endpointId, options) {
    const [fields, call] = this._idRequest('receiveFromEndpoint', 'endpointId', endpointId, options);
    return this._receive(fields, call);
  }

  async _receive(fields, call) {
    try {
      const response = await this._unary('Receive', this._request('Receive', fields), call);
      return response.messages;
    } catch (error) {
      if (error instanceof SctpgwError && error.code === grpc.status.DEADLINE_EXCEEDED) return [];
      throw error;
    }
  }

  // Ends an association gracefully (resolves on SHUTDOWN_COMP), or with the
  // request's mode: shutdown({ associationId, mode: 'abort', abortReason }).
  async shutdown(associationId, options) {
    let [fields, call] = this._idRequest('shutdown', 'associationId', associationId, options);
    if (fields.mode === undefined) fields = { ...fields, mode: 'SHUTDOWN_MODE_GRACEFUL' };
    await this._unary('Shutdown', this._request('Shutdown', fields), call);
  }

  // Ends an association by ABORT, with a reason for the peer.
  async abort(associationId, reason = '', options) {
    const [, call] = splitOptions(options, 'abort');
    await this.shutdown({
      associationId: toId(associationId, 'associationId'), mode: 'SHUTDOWN_MODE_ABORT', abortReason: reason,
    }, call);
  }

  // The session's associations, of one endpoint (or all: no endpointId),
  // every page.
  async listAssociations(endpointId, options) {
    let fields;
    let call;
    if (isPlainObject(endpointId)) [fields, call] = fullRequest(endpointId, options, 'listAssociations');
    else if (endpointId === undefined) [fields, call] = splitOptions(options, 'listAssociations');
    else [fields, call] = this._idRequest('listAssociations', 'endpointId', endpointId, options);
    return this._paged('ListAssociations', fields, 'associations', call);
  }

  // GetAssociationResponse: the association, its SCTP_STATUS, every path,
  // timers, stream settings, AUTH, statistics and PR-SCTP counters (with
  // { streams: [...] }, also those outbound streams').
  async getAssociation(associationId, options) {
    const [fields, call] = this._idRequest('getAssociation', 'associationId', associationId, options);
    return this._unary('GetAssociation', this._request('GetAssociation', fields), call);
  }

  // Makes one of the peer's addresses the primary path.
  async setPrimaryPath(associationId, peerAddress, options) {
    const [fields, call] = this._idRequest('setPrimaryPath', 'associationId', associationId,
      isPlainObject(associationId) ? peerAddress : { ...options, peerAddress });
    await this._unary('SetPrimaryPath', this._request('SetPrimaryPath', fields), call);
  }

  // Asks the peer to send to one of this side's addresses (ASCONF).
  async requestPeerPrimaryPath(associationId, localAddress, options) {
    const [fields, call] = this._idRequest('requestPeerPrimaryPath', 'associationId', associationId,
      isPlainObject(associationId) ? localAddress : { ...options, localAddress });
    await this._unary('RequestPeerPrimaryPath', this._request('RequestPeerPrimaryPath', fields), call);
  }

  // Changes an association's timers and thresholds, or with { peerAddress }
  // one path's; resolves to the ConfigurePathsResponse (what is in force).
  //   configurePaths(associationId, { rtoMinMs: 100, heartbeatIntervalMs: 500 }, { peerAddress })
  async configurePaths(associationId, parameters, options) {
    if (isPlainObject(associationId)) {
      const [fields, call] = fullRequest(associationId, parameters, 'configurePaths');
      return this._unary('ConfigurePaths', this._request('ConfigurePaths', fields), call);
    }
    const [fields, call] = splitOptions(options, 'configurePaths');
    return this._unary('ConfigurePaths', this._request('ConfigurePaths', {
      ...fields, associationId: toId(associationId, 'associationId'), parameters: parameters || {},
    }), call);
  }

  // Sends a HEARTBEAT now to one peer address, or (none) to every one.
  async requestHeartbeat(associationId, peerAddress = '', options) {
    const [fields, call] = this._idRequest('requestHeartbeat', 'associationId', associationId,
      isPlainObject(associationId) ? peerAddress || undefined : { ...options, peerAddress });
    await this._unary('RequestHeartbeat', this._request('RequestHeartbeat', fields), call);
  }

  // Resets streams (RFC 6525): { direction: 'outgoing' (default) |
  // 'incoming' | 'both', streams: [...] (none: every one) }. The peer's
  // answer is a STREAM_RESET event.
  async resetStreams(associationId, options) {
    let [fields, call] = this._idRequest('resetStreams', 'associationId', associationId, options);
    if (fields.direction === undefined) fields = { ...fields, direction: 'outgoing' };
    await this._unary('ResetStreams', this._request('ResetStreams', fields), call);
  }

  // Resets the association's TSNs and every stream (RFC 6525).
  async resetAssociation(associationId, options) {
    const [fields, call] = this._idRequest('resetAssociation', 'associationId', associationId, options);
    await this._unary('ResetAssociation', this._request('ResetAssociation', fields), call);
  }

  // Adds streams in each direction (RFC 6525): { outbound, inbound };
  // STREAM_CHANGE follows.
  async addStreams(associationId, options) {
    const [fields, call] = this._idRequest('addStreams', 'associationId', associationId, options);
    await this._unary('AddStreams', this._request('AddStreams', fields), call);
  }

  // The stream scheduler ({ scheduler: 'priority' }; none keeps it) and
  // stream priorities or weights ({ values: { 1: 10, 2: 20 } }, a Map, or
  // [stream, value] pairs); resolves to the ConfigureStreamsResponse.
  async configureStreams(associationId, options) {
    const [fields, call] = this._idRequest('configureStreams', 'associationId', associationId, options);
    const request = { ...fields, values: streamValues(fields.values) };
    return this._unary('ConfigureStreams', this._request('ConfigureStreams', request), call);
  }

  // SCTP-AUTH keys of an endpoint or of one association:
  //   changeAuthKey('add' | 'activate' | 'deactivate' | 'delete', keyId,
  //     { endpointId | associationId, secret })
  async changeAuthKey(action, keyId, options) {
    let fields;
    let call;
    if (isPlainObject(action)) {
      [fields, call] = fullRequest(action, keyId, 'changeAuthKey');
    } else {
      [fields, call] = splitOptions(options, 'changeAuthKey');
      fields = { ...fields, action, keyId };
    }
    await this._unary('ChangeAuthKey', this._request('ChangeAuthKey', fields), call);
  }

  // GetServiceStatusResponse: version, state, how it started, what it
  // holds. Needs no session.
  async getServiceStatus(options) {
    const [, call] = splitOptions(options, 'getServiceStatus');
    return this._unary('GetServiceStatus', {}, call);
  }

  // ----------------------------------------------------------- the streams

  // The session's event stream (an EventStream: an async iterator of
  // Events). Options: afterSequence (resume after it), endpointId (only its
  // events), onlyNew, reconnect (default true), progressIntervalMs.
  events(options = {}) {
    this._checkOpen('WatchEvents');
    checkOptions(options, ['afterSequence', 'endpointId', 'onlyNew', 'reconnect', 'progressIntervalMs'],
      'events');
    return new EventStream(this, options);
  }

  // Received messages as they arrive (a ReceiveStream: an async iterator
  // of InboundMessage arrays).
  //   receiveStream(associationId, { maxMessages, maxBytes, timeoutMs, reconnect })
  //   receiveStream({ endpointId }, ...)        any association of an endpoint
  // No deadline unless timeoutMs or deadline (for the whole stream).
  receiveStream(target, options = {}) {
    this._checkOpen('ReceiveStream');
    const { reconnect, ...rest } = isPlainObject(options) ? options : {};
    let [fields, call] = splitOptions(rest, 'receiveStream');
    if (isPlainObject(target)) {
      const [targetFields, targetCall] = splitOptions(target, 'receiveStream');
      fields = { ...targetFields, ...fields };
      call = { ...targetCall, ...call };
    } else {
      fields = { ...fields, associationId: toId(target, 'associationId') };
    }
    return new ReceiveStream(this, this._request('ReceiveStream', fields),
      { reconnect, deadline: this._streamDeadline(call) });
  }

  // A SendStream: batches sent in order on one call. Options: associationId
  // (the default of its send()s), onProgress (called with each
  // acknowledgement), timeoutMs or deadline (for the whole stream; none by
  // default).
  sendStream(options = {}) {
    this._checkOpen('SendStream');
    checkOptions(options, ['associationId', 'onProgress', 'timeoutMs', 'deadline'], 'sendStream');
    const { associationId, onProgress, ...rest } = options;
    const [, call] = splitOptions(rest, 'sendStream');
    return new SendStream(this, { associationId, onProgress, deadline: this._streamDeadline(call) });
  }

  // Copies of the messages passing over the session's associations (a
  // CaptureStream): { associationId } or { endpointId } or neither (all),
  // snapBytes, bufferMessages; timeoutMs or deadline for the whole capture.
  capture(options = {}) {
    this._checkOpen('Capture');
    const [fields, call] = splitOptions(options, 'capture');
    return new CaptureStream(this, this._request('Capture', fields),
      { deadline: this._streamDeadline(call) });
  }

  // ------------------------------------------------------------- internals

  _checkOpen(method) {
    if (this._closed) throw makeError(grpc.status.CANCELLED, '', 'the client is closed', method);
  }

  // [fields, call options] of a method whose first argument is an id (or
  // the full request).
  _idRequest(what, idField, id, options) {
    if (isPlainObject(id)) return fullRequest(id, undefined, what);
    const [fields, call] = splitOptions(options, what);
    return [{ ...fields, [idField]: toId(id, idField) }, call];
  }

  // The checked request of `method` with the session's id.
  _request(method, fields) {
    const typeName = this._pb.service[method].requestType.type.name;
    const hasSession = messages.fieldNames(typeName).includes('sessionId');
    return messages.request(typeName,
      hasSession && !fields.sessionId ? { ...fields, sessionId: this.sessionId } : fields);
  }

  // The deadline (ms since the epoch) of a call: options.deadline (a Date or
  // ms since the epoch), else now + options.timeoutMs, else the client's.
  _deadline(options = {}) {
    if (options.deadline !== undefined && options.deadline !== null) {
      return options.deadline instanceof Date ? options.deadline.getTime() : Number(options.deadline);
    }
    return Date.now() + (options.timeoutMs === undefined ? this.timeoutMs : options.timeoutMs);
  }

  // A stream's deadline: none unless given.
  _streamDeadline(options) {
    if (options.deadline === undefined && options.timeoutMs === undefined) return null;
    return this._deadline(options);
  }

  _rawUnary(method, request, deadline, waitForReady) {
    return new Promise((resolve, reject) => {
      const callOptions = { deadline };
      if (waitForReady) callOptions.waitForReady = true;
      this._stub[method](request, callOptions, (error, response) => {
        if (error) reject(fromGrpcError(error, method));
        else resolve(response);
      });
    });
  }

  // One unary call with its deadline; `request` is the request or a
  // function making it (for each attempt). Made again after HANDED_OVER
  // (and CANCELLED while retrying: the old process closing) while the
  // deadline leaves time.
  async _unary(method, request, options = {}, { onResponse, onError } = {}) {
    const deadline = this._deadline(options);
    let backoff = FIRST_HANDOVER_RETRY_MS;
    let retrying = false;
    for (;;) {
      if (Date.now() >= deadline) {
        throw makeError(grpc.status.DEADLINE_EXCEEDED, 'DEADLINE_EXCEEDED',
          'the deadline passed before the call was made', method);
      }
      const attempt = typeof request === 'function' ? request() : request;
      try {
        const response = await this._rawUnary(method, attempt, deadline, retrying);
        return onResponse ? onResponse(response) : response;
      } catch (error) {
        if (onError) onError(error);
        const again = error.handedOver || (retrying && error.code === grpc.status.CANCELLED);
        if (!again || Date.now() + backoff >= deadline) throw error;
        await sleep(backoff);
        backoff = Math.min(backoff * 2, MAX_HANDOVER_RETRY_MS);
        retrying = true;
      }
    }
  }

  async _paged(method, fields, listField, options) {
    const items = [];
    let pageToken = fields.pageToken || '';
    for (;;) {
      const response = await this._unary(method, this._request(method, { ...fields, pageToken }), options);
      items.push(...response[listField]);
      pageToken = response.nextPageToken;
      if (!pageToken) return items;
    }
  }

  _track(stream) {
    this._streams.add(stream);
  }

  _untrack(stream) {
    this._streams.delete(stream);
  }

  // ------------------------------------------------- application liveness

  get _applicationLiveness() {
    return this.liveness === 'SESSION_LIVENESS_APPLICATION';
  }

  _renewIntervalMs() {
    return Math.max(1, Math.floor((this.leaseMs || ASSUMED_LEASE_MS) / 3));
  }

  // What an event stream asks for by default: under application liveness a
  // progress message about every lease/3, so that a consumer waiting for
  // events gets to renew; otherwise the service's default.
  _defaultProgressIntervalMs() {
    if (!this._applicationLiveness) return 0;
    return Math.min(MAX_PROGRESS_INTERVAL_MS, Math.max(MIN_PROGRESS_INTERVAL_MS, this._renewIntervalMs()));
  }

  // The application has handled events up to `sequence`.
  _handled(sequence) {
    if (compareSequences(sequence, this.handledSequence) > 0) this.handledSequence = String(sequence);
  }

  // Milliseconds until the next renewal is due (Infinity: none will be);
  // while one is in flight, until it is worth looking again.
  _renewalDelayMs() {
    const renewal = this._renewal;
    if (!this._applicationLiveness || renewal.stopped || renewal.lost || this._closed) return Infinity;
    if (renewal.inFlight) return Math.min(RENEWAL_RETRY_MS, this._renewIntervalMs());
    return Math.max(0, renewal.dueAt - Date.now());
  }

  // Starts a RenewLease when one is due (application liveness only); called
  // from the event stream's next(), i.e. only while the application pulls.
  _renewIfDue(sequence) {
    if (sequence !== undefined) this._handled(sequence);
    const renewal = this._renewal;
    if (!this._applicationLiveness || renewal.stopped || renewal.lost || this._closed) return;
    if (renewal.inFlight || Date.now() < renewal.dueAt) return;
    const interval = this._renewIntervalMs();
    renewal.dueAt = Date.now() + interval;
    // A renewal answered later than the next one is due is no use: its
    // deadline is the interval (at least a second), or the client's timeout.
    const timeoutMs = Math.min(this.timeoutMs, Math.max(interval, RENEWAL_RETRY_MS));
    renewal.inFlight = this.renewLease(this.handledSequence, { timeoutMs }).catch((error) => {
      if (error.code === grpc.status.NOT_FOUND) {
        renewal.lost = error; // The session is gone: the event stream says so.
      } else if (error.code === grpc.status.UNIMPLEMENTED) {
        renewal.stopped = true; // A service without RenewLease renews by itself.
      } else {
        renewal.dueAt = Math.min(renewal.dueAt, Date.now() + RENEWAL_RETRY_MS);
      }
    }).finally(() => {
      renewal.inFlight = null;
    });
  }

  // The error of a renewal that found the session gone, or null.
  _sessionLost() {
    return this._renewal.lost;
  }
}

module.exports = { Client, DEFAULT_TARGET, DEFAULT_TIMEOUT_MS, CHANNEL_OPTIONS };
