'use strict';
// The .proto files the library loads (relative to a proto directory), and
// the environment variable that names that directory. Kept apart from
// protos.js so that the packing script needs no dependency.

const ENVIRONMENT_VARIABLE = 'SCTPGW_PROTO_DIR';
const SERVICE_PROTO = 'sctpgw/v1/gateway_service.proto';
const STATUS_PROTOS = ['google/rpc/status.proto', 'google/rpc/error_details.proto'];
const PROTO_FILES = [
  SERVICE_PROTO,
  'sctpgw/v1/types.proto',
  'sctpgw/v1/events.proto',
  ...STATUS_PROTOS,
];

module.exports = { ENVIRONMENT_VARIABLE, SERVICE_PROTO, STATUS_PROTOS, PROTO_FILES };
