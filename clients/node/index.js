'use strict';
// The Node.js client library of sctpgw, the gRPC service that holds Linux
// kernel SCTP endpoints and associations (proto/sctpgw/v1).
//
//   const { Client } = require('sctpgw');
//   const client = await Client.connect('unix:/run/sctpgw/sctpgw.sock', { clientName: 'demo' });
//   const endpoint = await client.openEndpoint('192.0.2.1');
//   const association = await client.associate(endpoint.endpointId, '198.51.100.7', 36412);
//   await client.send(association.associationId, 'hello', { stream: 1, ppid: 60 });
//   await client.close();
//
// Messages are plain objects with the protos' field names in lowerCamelCase;
// 64-bit integers (ids, sequences) are decimal strings; enums are their
// value names. See README.md.

const grpc = require('@grpc/grpc-js');
const { Client, DEFAULT_TARGET, DEFAULT_TIMEOUT_MS, CHANNEL_OPTIONS } = require('./lib/client');
const {
  SctpgwError, fromGrpcError, encodeStatusDetails, decodeStatusDetails, STATUS_DETAILS_KEY, DOMAIN,
} = require('./lib/errors');
const {
  MessageJoiner, IncompleteMessage, MessageTooLarge, message, replyOptions, DEFAULT_MAX_JOINED_BYTES,
} = require('./lib/messages');
const { EventStream, ReceiveStream, SendStream, CaptureStream } = require('./lib/streams');
const protos = require('./lib/protos');

module.exports = {
  Client,
  DEFAULT_TARGET,
  DEFAULT_TIMEOUT_MS,
  CHANNEL_OPTIONS,
  SctpgwError,
  fromGrpcError,
  encodeStatusDetails,
  decodeStatusDetails,
  STATUS_DETAILS_KEY,
  DOMAIN,
  MessageJoiner,
  IncompleteMessage,
  MessageTooLarge,
  DEFAULT_MAX_JOINED_BYTES,
  message,
  replyOptions,
  EventStream,
  ReceiveStream,
  SendStream,
  CaptureStream,
  // grpc-js's codes by name (status.UNAVAILABLE === 14) and its credentials.
  status: grpc.status,
  credentials: grpc.credentials,
  // Where the protos were found, and the loaded definitions.
  PROTO_DIR_VARIABLE: protos.ENVIRONMENT_VARIABLE,
  protoDirectory: protos.protoDirectory,
  loadProtos: protos.load,
  ProtosNotFound: protos.ProtosNotFound,
};
