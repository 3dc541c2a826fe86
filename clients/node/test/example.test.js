'use strict';
// examples/node/sctpgw_echo_client.js (which uses the library) against the
// fake sctpgw echoing as socat does: the lines and exit codes that
// tests/lab/clients_test.sh checks against the real sctpgw and socat.

const { describe, it } = require('node:test');
const assert = require('node:assert/strict');
const { execFile } = require('node:child_process');
const path = require('node:path');
const { FakeServer } = require('../testing/support');

const EXAMPLE = path.join(__dirname, '..', '..', '..', 'examples', 'node', 'sctpgw_echo_client.js');

function runExample(args) {
  return new Promise((resolve) => {
    execFile(process.execPath, [EXAMPLE, ...args], { timeout: 60000 }, (error, stdout, stderr) => {
      resolve({ code: error ? error.code : 0, output: stdout + stderr });
    });
  });
}

// Runs body({ server, run }) with a fresh fake that echoes; run(...args)
// runs the example against it.
function scenario(body) {
  return async () => {
    const server = await FakeServer.start();
    server.fake.echo = true;
    const run = (...args) => runExample(['--target', server.target, '--local-address', '127.0.0.1',
      '--timeout', '10', ...args]);
    try {
      await body({ server, run });
    } finally {
      await server.stop();
    }
  };
}

describe('the echo client example', { concurrency: true }, () => {
  it('echoes: the lines the lab checks, exit status 0, the session closed', scenario(async ({ server, run }) => {
    const message = 'hello from node';
    const { code, output } = await run('--stream', '1', '--ppid', '46', '127.0.0.1', '4000', message);
    assert.equal(code, 0, output);
    const found = /^associated (\d+): 127\.0\.0\.1:\d+ -> 127\.0\.0\.1:4000$/m.exec(output);
    assert.ok(found, output);
    const association = found[1];
    const lines = output.split('\n');
    for (const expected of [`event COMM_UP association ${association}`, `received stream=0 ppid=0: ${message}`,
      `event SHUTDOWN_COMP association ${association}`, 'session closed']) {
      assert.ok(lines.includes(expected), `no "${expected}" in:\n${output}`);
    }
    const sent = server.fake.sent.get(association);
    assert.deepEqual(sent.map((m) => [m.payload.toString(), m.stream, m.ppid]), [[message, 1, 46]]);
    assert.equal(server.fake.sessions.size, 0);
  }));

  it('a refused association: the error line, exit status 1, nothing more', scenario(async ({ server, run }) => {
    const { code, output } = await run('127.0.0.1', '9', 'nobody hears this');
    assert.equal(code, 1, output);
    assert.match(output, /^error Associate: UNAVAILABLE ASSOCIATE_FAILED: /m);
    assert.doesNotMatch(output, /^received|    at /m);
    assert.equal(server.fake.sessions.size, 0);
  }));

  it('a bad command line: usage, exit status 2', scenario(async ({ run }) => {
    const { code, output } = await run('127.0.0.1', '4000');
    assert.equal(code, 2, output);
    assert.match(output, /expected PEER_ADDRESS PEER_PORT MESSAGE\nusage: sctpgw_echo_client.js/);
  }));

  it('nothing listening: the OpenSession error, exit status 1', scenario(async ({ server }) => {
    const { code, output } = await runExample(['--target', `unix:${server.directory}/nobody.sock`,
      '--timeout', '5', '127.0.0.1', '4000', 'x']);
    assert.equal(code, 1, output);
    assert.match(output, /^error OpenSession: UNAVAILABLE: /m);
  }));
});
