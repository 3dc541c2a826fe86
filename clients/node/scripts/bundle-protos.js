#!/usr/bin/env node
'use strict';
// Copies the .proto files the library loads into the package's proto/
// folder, so that a packed package (npm pack, its prepack script) works
// without the checkout; with --remove, deletes that copy again (postpack),
// so that the checkout keeps loading ../../proto.
//
//   node scripts/bundle-protos.js [--remove] [--to DIRECTORY]
//
// The protos come from $SCTPGW_PROTO_DIR, else the checkout's proto/.

const fs = require('node:fs');
const path = require('node:path');
const { PROTO_FILES, ENVIRONMENT_VARIABLE } = require('../lib/proto_files');

const PACKAGE_DIR = path.join(__dirname, '..');

function main(argv) {
  let destination = path.join(PACKAGE_DIR, 'proto');
  let remove = false;
  for (let i = 0; i < argv.length; i += 1) {
    if (argv[i] === '--remove') remove = true;
    else if (argv[i] === '--to' && i + 1 < argv.length) destination = path.resolve(argv[(i += 1)]);
    else {
      console.error('usage: bundle-protos.js [--remove] [--to DIRECTORY]');
      return 2;
    }
  }
  if (remove) {
    fs.rmSync(destination, { recursive: true, force: true });
    return 0;
  }
  const source = process.env[ENVIRONMENT_VARIABLE] || path.join(PACKAGE_DIR, '..', '..', 'proto');
  for (const file of PROTO_FILES) {
    const from = path.join(source, file);
    if (!fs.existsSync(from)) {
      console.error(`bundle-protos: no ${from} (set $${ENVIRONMENT_VARIABLE} to the proto directory)`);
      return 1;
    }
    fs.mkdirSync(path.dirname(path.join(destination, file)), { recursive: true });
    fs.copyFileSync(from, path.join(destination, file));
  }
  console.log(`bundle-protos: ${PROTO_FILES.length} files from ${source} in ${destination}`);
  return 0;
}

process.exitCode = main(process.argv.slice(2));
