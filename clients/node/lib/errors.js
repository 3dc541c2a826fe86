'use strict';
// sctpgw's errors: every failing call ends with a canonical gRPC code and a
// google.rpc.Status in the grpc-status-details-bin trailer, whose first
// detail is a google.rpc.ErrorInfo (domain "sctpgw.dev") with the reason
// (STREAM_OUT_OF_RANGE, ...) and metadata (field, limit, errno, ...).

const grpc = require('@grpc/grpc-js');
const protos = require('./protos');

const STATUS_DETAILS_KEY = 'grpc-status-details-bin';
const ERROR_INFO_TYPE = 'google.rpc.ErrorInfo';
const DOMAIN = 'sctpgw.dev';

// Code number -> name ('UNAVAILABLE'), from grpc-js's table.
const CODE_NAMES = Object.fromEntries(Object.entries(grpc.status)
  .filter(([, value]) => typeof value === 'number').map(([name, value]) => [value, name]));

function codeName(code) {
  return CODE_NAMES[code] || `CODE_${code}`;
}

// A failed call.
//   code:     the gRPC status code (a number; grpc.status.UNAVAILABLE is 14)
//   codeName: its name ('UNAVAILABLE')
//   reason:   ErrorInfo.reason ('ASSOCIATE_FAILED'); '' for an error that did
//             not come from sctpgw (nothing listening, a local deadline)
//   metadata: ErrorInfo.metadata as an object of strings
//   details:  the status message
//   call:     the RPC that failed ('Associate'), when known
//   domain:   ErrorInfo.domain ('sctpgw.dev')
// message is 'CODE REASON: details [key=value ...]', as sctpctl prints errors.
class SctpgwError extends Error {
  constructor({ code, reason = '', metadata = {}, details = '', call = '', domain = '', cause } = {}) {
    const names = Object.keys(metadata).sort();
    const text = codeName(code) + (reason ? ` ${reason}` : '') + `: ${details}` +
      (names.length ? ` [${names.map((key) => `${key}=${metadata[key]}`).join(' ')}]` : '');
    super(text, cause === undefined ? undefined : { cause });
    this.name = 'SctpgwError';
    this.code = code;
    this.codeName = codeName(code);
    this.reason = reason;
    this.metadata = { ...metadata };
    this.details = details;
    this.call = call;
    this.domain = domain;
  }

  // UNAVAILABLE / HANDED_OVER: a new sctpgw process took over and the call
  // did nothing more than its metadata says; making it again is safe (the
  // Client does so by itself within the call's deadline).
  get handedOver() {
    return this.code === grpc.status.UNAVAILABLE && this.reason === 'HANDED_OVER';
  }
}

// Reads the status details trailer: { reason, metadata, domain, message },
// or null when there is none or it does not decode (a corrupt trailer must
// not hide the error: its code and message still say what happened).
function decodeStatusDetails(buffer) {
  try {
    const { Status, ErrorInfo } = protos.load();
    const status = Status.decode(buffer);
    for (const any of status.details || []) {
      const typeName = String(any.type_url || '').split('/').pop();
      if (typeName !== ERROR_INFO_TYPE) continue;
      const info = ErrorInfo.decode(any.value);
      return {
        reason: info.reason || '', metadata: { ...(info.metadata || {}) },
        domain: info.domain || '', message: status.message || '',
      };
    }
    return { reason: '', metadata: {}, domain: '', message: status.message || '' };
  } catch (error) {
    return null;
  }
}

// The SctpgwError of a grpc-js error or final status ({code, details,
// metadata}); an SctpgwError is returned as it is.
function fromGrpcError(error, call = '') {
  if (error instanceof SctpgwError) return error;
  const code = typeof error.code === 'number' ? error.code : grpc.status.UNKNOWN;
  let details = error.details !== undefined ? String(error.details) : String(error.message || '');
  let reason = '';
  let metadata = {};
  let domain = '';
  const trailers = error.metadata && typeof error.metadata.get === 'function'
    ? error.metadata.get(STATUS_DETAILS_KEY) : [];
  if (trailers.length && Buffer.isBuffer(trailers[0])) {
    const decoded = decodeStatusDetails(trailers[0]);
    if (decoded) {
      ({ reason, metadata, domain } = decoded);
      details = decoded.message || details;
    }
  }
  return new SctpgwError({ code, reason, metadata, details, call, domain, cause: error });
}

// An error made on this side (a deadline passed before the call was made, a
// stream that ended early), in sctpgw's form.
function makeError(code, reason, details, call, metadata = {}) {
  return new SctpgwError({ code, reason, metadata, details, call });
}

// The grpc-status-details-bin value sctpgw sends for such an error: for
// fakes and tests of code that handles sctpgw's errors.
function encodeStatusDetails(code, reason, metadata = {}, message = '') {
  const { Status, ErrorInfo } = protos.load();
  const info = ErrorInfo.encode(ErrorInfo.create({ reason, domain: DOMAIN, metadata })).finish();
  const status = Status.create({
    code, message, details: [{ type_url: `type.googleapis.com/${ERROR_INFO_TYPE}`, value: info }],
  });
  return Buffer.from(Status.encode(status).finish());
}

module.exports = {
  SctpgwError, fromGrpcError, makeError, decodeStatusDetails, encodeStatusDetails, codeName,
  STATUS_DETAILS_KEY, DOMAIN,
};
