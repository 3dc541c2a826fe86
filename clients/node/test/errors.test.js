'use strict';
// Errors as SctpgwError: decoded from the grpc-status-details-bin trailer
// (the fake encodes it by hand, independently of the library), formatted
// as sctpctl prints them; a trailer that does not decode hides nothing.

const { describe, it } = require('node:test');
const assert = require('node:assert/strict');
const grpc = require('@grpc/grpc-js');
const { sctpgw, statusDetails } = require('../testing/support');

const { SctpgwError, fromGrpcError, status } = sctpgw;

function grpcError(code, details, trailer) {
  const metadata = new grpc.Metadata();
  if (trailer) metadata.add('grpc-status-details-bin', trailer);
  return Object.assign(new Error(details), { code, details, metadata });
}

describe('SctpgwError', () => {
  it('carries the code, its name, the reason, the metadata and the message', () => {
    const error = fromGrpcError(grpcError(status.INVALID_ARGUMENT, 'bad stream',
      statusDetails(status.INVALID_ARGUMENT, 'STREAM_OUT_OF_RANGE',
        { field: 'messages[0].stream', outbound_streams: '10' }, 'stream 10 is beyond 10 streams')), 'Send');
    assert.ok(error instanceof SctpgwError);
    assert.ok(error instanceof Error);
    assert.equal(error.name, 'SctpgwError');
    assert.equal(error.code, 3);
    assert.equal(error.codeName, 'INVALID_ARGUMENT');
    assert.equal(error.reason, 'STREAM_OUT_OF_RANGE');
    assert.deepEqual(error.metadata, { field: 'messages[0].stream', outbound_streams: '10' });
    assert.equal(error.details, 'stream 10 is beyond 10 streams');
    assert.equal(error.domain, 'sctpgw.dev');
    assert.equal(error.call, 'Send');
    assert.equal(error.message, 'INVALID_ARGUMENT STREAM_OUT_OF_RANGE: stream 10 is beyond 10 streams ' +
      '[field=messages[0].stream outbound_streams=10]');
    assert.equal(error.handedOver, false);
    assert.ok(error.cause);
  });

  it('without details it keeps the code and message, and no reason', () => {
    const error = fromGrpcError(grpcError(status.UNAVAILABLE, 'No connection established'));
    assert.equal(error.codeName, 'UNAVAILABLE');
    assert.equal(error.reason, '');
    assert.deepEqual(error.metadata, {});
    assert.equal(error.message, 'UNAVAILABLE: No connection established');
  });

  it('a trailer that does not decode is ignored', () => {
    const error = fromGrpcError(grpcError(status.INTERNAL, 'broken', Buffer.from([0xff, 0xff, 0xff])));
    assert.equal(error.code, status.INTERNAL);
    assert.equal(error.reason, '');
    assert.equal(error.details, 'broken');
  });

  it('details of another type are skipped', () => {
    const error = fromGrpcError(grpcError(status.NOT_FOUND, 'not found', Buffer.from(
      // Status { code: 5, message: "gone", details: [Any { type_url: ".../google.rpc.RetryInfo" }] }
      [0x08, 0x05, 0x12, 0x04, ...Buffer.from('gone'), 0x1a, 0x1a, 0x0a, 0x18,
        ...Buffer.from('x.example/google.rpc.Ret')])));
    assert.equal(error.codeName, 'NOT_FOUND');
    assert.equal(error.reason, '');
    assert.equal(error.details, 'gone');
  });

  it('HANDED_OVER is recognised', () => {
    const error = fromGrpcError(grpcError(status.UNAVAILABLE, 'handing over',
      statusDetails(status.UNAVAILABLE, 'HANDED_OVER', { accepted_messages: '2' })));
    assert.equal(error.handedOver, true);
  });

  it("the library's own encoder makes what its decoder reads", () => {
    const trailer = sctpgw.encodeStatusDetails(status.OUT_OF_RANGE, 'HISTORY_COMPACTED',
      { first_kept_sequence: '40' }, 'events up to 39 are gone');
    assert.deepEqual(sctpgw.decodeStatusDetails(trailer), {
      reason: 'HISTORY_COMPACTED', metadata: { first_kept_sequence: '40' }, domain: 'sctpgw.dev',
      message: 'events up to 39 are gone',
    });
    assert.deepEqual(sctpgw.decodeStatusDetails(statusDetails(status.OUT_OF_RANGE, 'HISTORY_COMPACTED',
      { first_kept_sequence: '40' }, 'events up to 39 are gone')), sctpgw.decodeStatusDetails(trailer));
  });
});
