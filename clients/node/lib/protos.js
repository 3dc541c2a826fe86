'use strict';
// Finds sctpgw's .proto files and loads them at run time (nothing is
// generated): the GatewayService client constructor and google.rpc's Status
// and ErrorInfo, which carry sctpgw's error details.
//
// Where the protos come from, first found:
//   1. $SCTPGW_PROTO_DIR;
//   2. the package's own proto/ folder, copied there when it is packed
//      (npm pack runs scripts/bundle-protos.js);
//   3. ../../proto: the checkout's, when the package is used from it.

const fs = require('node:fs');
const path = require('node:path');
const grpc = require('@grpc/grpc-js');
const protoLoader = require('@grpc/proto-loader');
const protobuf = require('protobufjs');

const { ENVIRONMENT_VARIABLE, SERVICE_PROTO, STATUS_PROTOS, PROTO_FILES } = require('./proto_files');

const PACKAGE_DIR = path.join(__dirname, '..');

// Messages as plain objects: field names in lowerCamelCase (session_id is
// sessionId), 64-bit integers as decimal strings, enums as their value
// names, every field present with its default, and each oneof's name set
// to the member present (event.kind === 'associationChange').
const LOADER_OPTIONS = {
  keepCase: false,
  longs: String,
  enums: String,
  defaults: true,
  oneofs: true,
};

class ProtosNotFound extends Error {}

function hasProtos(directory) {
  return PROTO_FILES.every((file) => fs.existsSync(path.join(directory, file)));
}

// The directory holding the protos; throws ProtosNotFound.
function protoDirectory() {
  const given = process.env[ENVIRONMENT_VARIABLE];
  if (given) {
    if (!hasProtos(given)) {
      throw new ProtosNotFound(`$${ENVIRONMENT_VARIABLE} is ${given}, which lacks some of ` +
        PROTO_FILES.join(', '));
    }
    return path.resolve(given);
  }
  const candidates = [path.join(PACKAGE_DIR, 'proto'), path.join(PACKAGE_DIR, '..', '..', 'proto')];
  const found = candidates.find(hasProtos);
  if (!found) {
    throw new ProtosNotFound(`no sctpgw protos in ${candidates.join(' or ')}; ` +
      `set $${ENVIRONMENT_VARIABLE} to the checkout's proto directory`);
  }
  return found;
}

let loaded = null;

// { directory, GatewayService (a grpc-js client constructor), service (its
// service definition), packageDefinition, root (protobufjs reflection of
// sctpgw.v1), Status, ErrorInfo }. Loaded once per process.
function load() {
  if (loaded) return loaded;
  const directory = protoDirectory();
  const packageDefinition = protoLoader.loadSync(SERVICE_PROTO,
    { ...LOADER_OPTIONS, includeDirs: [directory] });
  const grpcObject = grpc.loadPackageDefinition(packageDefinition);
  const GatewayService = grpcObject.sctpgw.v1.GatewayService;

  const statusRoot = new protobuf.Root();
  statusRoot.resolvePath = (origin, target) => path.join(directory, target);
  statusRoot.loadSync(STATUS_PROTOS, { keepCase: true });
  // The same definitions as reflection objects, with the field names the
  // library's objects use: to check the names given in requests.
  const root = new protobuf.Root();
  root.resolvePath = (origin, target) => path.join(directory, target);
  root.loadSync(SERVICE_PROTO, { keepCase: false });
  root.resolveAll();
  loaded = {
    directory,
    packageDefinition,
    GatewayService,
    service: GatewayService.service,
    root,
    Status: statusRoot.lookupType('google.rpc.Status'),
    ErrorInfo: statusRoot.lookupType('google.rpc.ErrorInfo'),
  };
  return loaded;
}

// The value names of an enum of sctpgw.v1 ("sctpgw.v1.StreamScheduler").
function enumNames(fullName) {
  return Object.keys(load().root.lookupEnum(fullName).values);
}

module.exports = {
  ENVIRONMENT_VARIABLE, PROTO_FILES, LOADER_OPTIONS, ProtosNotFound, protoDirectory, load,
  enumNames,
};
