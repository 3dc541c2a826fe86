'use strict';
// The long-lived calls: the resumable event stream (WatchEvents, with the
// lease renewals of application liveness), ReceiveStream, Capture and
// SendStream. Each server stream is an async iterator read by one consumer
// at a time; the gRPC call is read only as the consumer pulls (a response
// or two ahead), so that sctpgw's flow control reaches a slow consumer.

const grpc = require('@grpc/grpc-js');
const { fromGrpcError, makeError } = require('./errors');
const messages = require('./messages');

// A broken stream reconnects after 100 ms, doubling up to 5 s (back to
// 100 ms once a stream is up again); after HANDED_OVER after 20 ms.
const FIRST_BACKOFF_MS = 100;
const MAX_BACKOFF_MS = 5000;
const HANDOVER_RETRY_MS = 20;
// Codes on which a stream is opened again rather than ended with an error:
// the service went away (restart, handover, network), not the request.
const TRANSIENT = new Set([grpc.status.UNAVAILABLE, grpc.status.CANCELLED, grpc.status.UNKNOWN,
  grpc.status.INTERNAL, grpc.status.ABORTED]);
// Responses a reader takes from the call before the consumer asks for them.
const READ_AHEAD = 1;

// When a long-lived stream is opened again.
class StreamRetry {
  constructor() {
    this._backoff = FIRST_BACKOFF_MS;
    this._handingOver = false;
  }

  connected() {
    this._backoff = FIRST_BACKOFF_MS;
  }

  // Milliseconds to wait before reopening after `error` (null: the stream
  // ended without one), or null when the error is final.
  delay(error) {
    if (error && !TRANSIENT.has(error.code)) return null;
    // A handover is brief; its CANCELLED is the old process closing.
    this._handingOver = Boolean(error) &&
      (error.handedOver || (this._handingOver && error.code === grpc.status.CANCELLED));
    if (this._handingOver) return HANDOVER_RETRY_MS;
    const delay = this._backoff;
    this._backoff = Math.min(this._backoff * 2, MAX_BACKOFF_MS);
    return delay;
  }
}

// Reads a grpc-js server stream on demand: poll() takes the next response,
// changed() resolves when there may be something new. The call is paused
// while READ_AHEAD responses wait. Responses that arrived before the
// stream's final status are all delivered before its end.
class StreamReader {
  constructor(call, name) {
    this._call = call;
    this._name = name;
    this._queue = [];
    this._ended = false;
    this._status = null;
    this._error = null;
    this._wake = null;
    this._changed = null;
    call.on('data', (response) => {
      this._queue.push(response);
      if (this._queue.length >= READ_AHEAD) call.pause();
      this._notify();
    });
    // The final status follows an error; handled there.
    call.on('error', (error) => { this._error = error; });
    call.on('status', (status) => {
      this._status = status;
      // Drain what the call still holds: its end comes after it.
      call.resume();
      this._notify();
    });
    const ended = () => {
      this._ended = true;
      this._notify();
    };
    call.on('end', ended);
    call.on('close', ended);
  }

  _notify() {
    const wake = this._wake;
    this._wake = null;
    this._changed = null;
    if (wake) wake();
  }

  // { response }, { ended: true } once every response was taken and the
  // status is known, or null: nothing yet.
  poll() {
    if (this._queue.length) {
      const response = this._queue.shift();
      if (this._queue.length < READ_AHEAD) this._call.resume();
      return { response };
    }
    if (this._ended && this._status) return { ended: true };
    return null;
  }

  changed() {
    if (!this._changed) this._changed = new Promise((resolve) => { this._wake = resolve; });
    return this._changed;
  }

  // The SctpgwError the stream ended with, or null for OK.
  error() {
    const status = this._status;
    if (!status || status.code === grpc.status.OK) return null;
    return fromGrpcError(this._error || status, this._name);
  }

  cancel() {
    this._call.cancel();
  }
}

const DONE = Object.freeze({ value: undefined, done: true });

// What the server streams share: opening and reopening the call, reading
// responses as the consumer pulls, cancel(), and the async iterator
// protocol (leaving a for-await loop early cancels the stream).
class ServerStream {
  constructor(client, method, { reconnect = true, deadline = null } = {}) {
    this._client = client;
    this._method = method;
    this._reconnect = reconnect;
    this._deadline = deadline;
    this._retry = new StreamRetry();
    this._reader = null;
    this._ended = false;
    this._cancelled = false;
    this._retried = false;
    this._wakers = new Set(); // What cancel() wakes: the waits in progress.
    this.reconnects = 0;
    client._track(this);
  }

  [Symbol.asyncIterator]() {
    return this;
  }

  // Ends the stream; a next() waiting ends too (done).
  cancel() {
    this._cancelled = true;
    this._finish();
    if (this._reader) this._reader.cancel();
    for (const wake of [...this._wakers]) wake();
  }

  // Resolves after `ms` (Infinity: never), when `promise` resolves or when
  // the stream is cancelled, to whichever came first: 'timer', 'promise' or
  // 'cancelled'.
  _wait(promise, ms) {
    return new Promise((resolve) => {
      let timer = null;
      const done = (what) => {
        if (timer) clearTimeout(timer);
        this._wakers.delete(cancelled);
        resolve(what);
      };
      const cancelled = () => done('cancelled');
      if (this._cancelled) {
        done('cancelled');
        return;
      }
      this._wakers.add(cancelled);
      if (Number.isFinite(ms)) timer = setTimeout(done, Math.max(0, ms), 'timer');
      if (promise) promise.then(() => done('promise'));
    });
  }

  async return() {
    this.cancel();
    return DONE;
  }

  _finish() {
    this._ended = true;
    this._client._untrack(this);
  }

  // The request of the next call (a resume may differ from the first).
  _request() {
    throw new Error('not implemented');
  }

  _open() {
    const options = { waitForReady: this._retried ? true : undefined };
    if (this._deadline !== null) options.deadline = this._deadline;
    const call = this._client._stub[this._method](this._request(), options);
    this._reader = new StreamReader(call, this._method);
  }

  // Milliseconds a wait for the call may last before _woken() is called
  // (Infinity: as long as it takes).
  _waitLimitMs() {
    return Infinity;
  }

  // Called on each wake-up while next() waits or reads.
  _woken() {}

  // The next response; null once the stream is over (ended OK, or
  // cancelled). Reopens a broken stream unless its error is final, which
  // it throws (and the stream ends).
  async _nextResponse() {
    for (;;) {
      if (this._ended) return null;
      if (!this._reader) this._open();
      const item = this._reader.poll();
      if (item && item.response) {
        this._retry.connected();
        return item.response;
      }
      if (item && item.ended) {
        const error = this._reader.error();
        this._reader = null;
        if (this._cancelled) return null;
        if (!error && !this._reopenAfterEnd()) {
          this._finish();
          return null;
        }
        const delay = this._reconnect ? this._retry.delay(error) : null;
        if (delay === null) {
          this._finish();
          throw error || makeError(grpc.status.UNAVAILABLE, '', 'the stream ended', this._method);
        }
        if (!await this._pause(delay)) return null;
        this._retried = true;
        this.reconnects += 1;
        continue;
      }
      this._woken();
      await this._wait(this._reader.changed(), this._waitLimitMs());
      this._woken();
    }
  }

  // Waits `ms` before a reconnection, waking for _woken() meanwhile (the
  // consumer still waits in next()); false if the stream was cancelled.
  async _pause(ms) {
    const until = Date.now() + ms;
    for (;;) {
      const left = until - Date.now();
      if (left <= 0) return true;
      this._woken();
      if (await this._wait(null, Math.min(left, this._waitLimitMs())) === 'cancelled') return false;
    }
  }

  // Whether a stream that ended OK is opened again (the event stream
  // never ends by itself) or is over (a receive stream whose association
  // ended).
  _reopenAfterEnd() {
    return false;
  }

  // Opens the call now and waits for its first response, handled by
  // `handle`; the stream ends (and this throws) if it fails or the deadline
  // passes first.
  async _first(handle, deadline, what) {
    if (this._ended) {
      throw makeError(grpc.status.CANCELLED, '', 'the stream has ended', this._method);
    }
    if (!this._reader) this._open();
    const limit = deadline - Date.now();
    for (;;) {
      const item = this._reader.poll();
      if (item && item.response) {
        this._retry.connected();
        handle(item.response);
        return;
      }
      if (item && item.ended) {
        const error = this._reader.error();
        this._reader = null;
        this._finish();
        throw error || makeError(grpc.status.UNAVAILABLE, '', 'the stream ended', this._method);
      }
      const woke = await this._wait(this._reader.changed(), deadline - Date.now());
      if (woke === 'cancelled') {
        throw makeError(grpc.status.CANCELLED, '', 'the stream was cancelled', this._method);
      }
      if (woke === 'timer') {
        this.cancel();
        throw makeError(grpc.status.DEADLINE_EXCEEDED, 'DEADLINE_EXCEEDED',
          `no ${what} within ${Math.round(limit)} ms`, this._method);
      }
    }
  }
}

// A session's event stream (Client.events()): yields Events in sequence
// order, each once. It handles WatchAck and WatchProgress itself, and
// resumes after the last event it yielded when the stream breaks (sctpgw
// restarting or handing over, the connection dropping). What resuming
// cannot cure is thrown: OUT_OF_RANGE / HISTORY_COMPACTED (metadata
// first_kept_sequence), RESOURCE_EXHAUSTED / SUBSCRIBER_TOO_SLOW,
// NOT_FOUND / SESSION_NOT_FOUND.
//
// Under application liveness each next() is the application's sign of
// life: while its loop pulls events (or waits in next() for one), the
// client renews the lease every lease/3 with the last sequence handled; a
// loop that stops pulling stops the renewals.
class EventStream extends ServerStream {
  constructor(client, { afterSequence = '0', endpointId = '0', onlyNew = false, reconnect = true,
    progressIntervalMs } = {}) {
    super(client, 'WatchEvents', { reconnect });
    this._endpointId = messages.toId(endpointId, 'endpointId');
    this._onlyNew = onlyNew;
    this._acknowledgedOnce = false;
    this._pending = [];
    this.progressIntervalMs = progressIntervalMs === undefined
      ? client._defaultProgressIntervalMs() : progressIntervalMs;
    // The sequence of the last event yielded: where a resume starts.
    this.lastSequence = messages.toId(afterSequence, 'afterSequence');
    // The WatchAck of the current call, the last WatchProgress.
    this.acknowledgement = null;
    this.progress = null;
  }

  _request() {
    // onlyNew holds until a stream has said where "new" starts.
    return {
      sessionId: this._client.sessionId,
      afterSequence: this.lastSequence,
      endpointId: this._endpointId,
      progressIntervalMs: this.progressIntervalMs,
      onlyNew: this._onlyNew && !this._acknowledgedOnce,
    };
  }

  _open() {
    this.acknowledgement = null;
    super._open();
  }

  _reopenAfterEnd() {
    return true;
  }

  _handle(response) {
    if (response.kind === 'ack') {
      this.acknowledgement = response.ack;
      if (this._onlyNew && !this._acknowledgedOnce) this.lastSequence = response.ack.afterSequence;
      this._acknowledgedOnce = true;
    } else if (response.kind === 'events') {
      this._pending.push(...response.events.events);
    } else if (response.kind === 'progress') {
      this.progress = response.progress;
    }
  }

  _waitLimitMs() {
    return this._client._renewalDelayMs();
  }

  _woken() {
    this._client._renewIfDue(this.lastSequence);
  }

  // Connects now and waits for sctpgw's acknowledgement, so that no event
  // of what the caller does next can be missed and a refusal
  // (SESSION_NOT_FOUND, HISTORY_COMPACTED) is thrown here. Resolves to the
  // WatchAck. Options: timeoutMs or deadline (default: the client's
  // timeout).
  async start(options = {}) {
    if (this.acknowledgement && this._reader) return this.acknowledgement;
    const deadline = this._client._deadline(options);
    await this._first((response) => this._handle(response), deadline, 'acknowledgement');
    if (!this.acknowledgement) {
      this.cancel();
      throw makeError(grpc.status.INTERNAL, '', 'the event stream did not begin with an acknowledgement',
        'WatchEvents');
    }
    return this.acknowledgement;
  }

  async next() {
    // The application is done with what it had: the previous event.
    this._client._handled(this.lastSequence);
    for (;;) {
      if (this._pending.length && !this._cancelled) {
        // Renewed (when due) before the event is handed over: the
        // application has handled the ones before it, not this one.
        this._client._renewIfDue(this.lastSequence);
        const event = this._pending.shift();
        this.lastSequence = event.sequence;
        return { value: event, done: false };
      }
      const lost = this._client._sessionLost();
      if (lost && !this._ended) {
        this._finish();
        if (this._reader) this._reader.cancel();
        throw lost;
      }
      const response = await this._nextResponse();
      if (!response) return DONE;
      this._handle(response);
      this._client._renewIfDue(this.lastSequence);
    }
  }
}

// Received messages pushed as they arrive (Client.receiveStream()): yields
// arrays of InboundMessage (at least one each); messages() yields whole
// messages, pieces joined. Ends when the association has ended and its last
// message was delivered; a stream broken by the service is opened again
// unless reconnect is false.
class ReceiveStream extends ServerStream {
  constructor(client, request, { reconnect = true, deadline = null } = {}) {
    super(client, 'ReceiveStream', { reconnect, deadline });
    this._requestObject = request;
  }

  _request() {
    return this._requestObject;
  }

  async next() {
    const response = await this._nextResponse();
    return response ? { value: response.messages, done: false } : DONE;
  }

  // An async iterator of whole messages, pieces joined by `joiner` (a
  // MessageJoiner; a new one by default).
  messages(joiner = new messages.MessageJoiner()) {
    return joiner.join(this);
  }
}

// Copies of the messages passing over the session's associations
// (Client.capture()): yields CaptureResponses ({ messages, droppedMessages }).
// start() waits for the service's first (empty) response: the capture is in
// force from then on.
class CaptureStream extends ServerStream {
  constructor(client, request, { deadline = null } = {}) {
    super(client, 'Capture', { reconnect: false, deadline });
    this._requestObject = request;
    this._started = false;
    this._firstPending = null;
  }

  _request() {
    return this._requestObject;
  }

  async start(options = {}) {
    if (this._started) return;
    await this._first((response) => {
      if (response.messages.length || Number(response.droppedMessages)) this._firstPending = response;
    }, this._client._deadline(options), 'first response');
    this._started = true;
  }

  async next() {
    if (this._firstPending) {
      const first = this._firstPending;
      this._firstPending = null;
      return { value: first, done: false };
    }
    for (;;) {
      const response = await this._nextResponse();
      if (!response) return DONE;
      const empty = !response.messages.length && !Number(response.droppedMessages);
      if (!this._started) {
        this._started = true;
        if (empty) continue;
      }
      return { value: response, done: false };
    }
  }
}

// Batches of messages sent in order on one SendStream call
// (Client.sendStream()), for high rates. One writer at a time.
//
//   const stream = client.sendStream({ associationId });
//   for (const batch of batches) await stream.send(batch); // waits while sctpgw pushes back
//   const totals = await stream.finish();                 // { completedRequests, acceptedMessages }
class SendStream {
  constructor(client, { associationId = '0', deadline = null, onProgress } = {}) {
    this._client = client;
    this._associationId = messages.toId(associationId, 'associationId');
    this._onProgress = onProgress;
    this._error = null;
    this._cancelled = false;
    this._finishing = false;
    this._ended = false;
    // Requests written so far.
    this.requests = 0;
    // The last acknowledgement: totals for this stream so far (64-bit
    // counts as decimal strings).
    this.totals = { completedRequests: '0', acceptedMessages: '0' };
    const options = deadline === null ? {} : { deadline };
    this._call = client._stub.SendStream(options);
    this._done = new Promise((resolve) => {
      this._call.on('data', (response) => {
        this.totals = response;
        if (this._onProgress) this._onProgress(response);
      });
      this._call.on('error', (error) => {
        // The first error says why; a write refused after the end adds nothing.
        if (!this._cancelled && !this._error) this._error = fromGrpcError(error, 'SendStream');
      });
      this._call.on('status', () => {
        this._ended = true;
        client._untrack(this);
        resolve();
      });
    });
    client._track(this);
  }

  // Writes a batch (an array of payloads and/or message objects; or one of
  // them) after every earlier one. Resolves once it is written and gRPC has
  // room for more, i.e. it waits while sctpgw pushes back; to the number of
  // requests written. Throws the error that ended the stream, if it ended.
  async send(batch, { associationId } = {}) {
    if (this._ended || this._finishing || this._cancelled) throw this._endedError();
    const items = Array.isArray(batch) ? batch : [batch];
    const request = messages.request('SendRequest', {
      sessionId: this._client.sessionId,
      associationId: associationId === undefined ? this._associationId
        : messages.toId(associationId, 'associationId'),
      messages: items.map(messages.outbound),
    });
    const room = this._call.write(request);
    this.requests += 1;
    if (!room) {
      await Promise.race([new Promise((resolve) => this._call.once('drain', resolve)), this._done]);
    }
    if (this._ended && (this._error || this._cancelled)) throw this._endedError();
    return this.requests;
  }

  // Says no more batches come, waits until sctpgw has done every one and
  // resolves to the totals ({ completedRequests, acceptedMessages }), or
  // throws the first error (metadata completed_requests: the requests fully
  // sent before it).
  async finish() {
    if (!this._finishing && !this._cancelled) {
      this._finishing = true;
      this._call.end();
    }
    await this._done;
    if (this._error || this._cancelled) throw this._endedError();
    return this.totals;
  }

  // Abandons the stream: requests not yet handed to the kernel are dropped.
  cancel() {
    if (this._cancelled) return;
    this._cancelled = true;
    this._call.cancel();
  }

  _endedError() {
    if (this._error) return this._error;
    if (this._cancelled) {
      return makeError(grpc.status.CANCELLED, '', 'the stream was cancelled', 'SendStream');
    }
    if (this._finishing) {
      return makeError(grpc.status.FAILED_PRECONDITION, '', 'the stream is finishing', 'SendStream');
    }
    return makeError(grpc.status.UNAVAILABLE, '', 'the stream ended before its requests were sent',
      'SendStream');
  }
}

module.exports = {
  StreamRetry, StreamReader, EventStream, ReceiveStream, CaptureStream, SendStream,
  FIRST_BACKOFF_MS, MAX_BACKOFF_MS,
};
