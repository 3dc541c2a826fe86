'use strict';
// Where the protos come from: $SCTPGW_PROTO_DIR, the copy a packed package
// carries (npm pack's prepack), or the checkout's proto/.

const { it } = require('node:test');
const assert = require('node:assert/strict');
const { execFile } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const PACKAGE_DIR = path.join(__dirname, '..');
const CHECKOUT_PROTOS = path.join(PACKAGE_DIR, '..', '..', 'proto');

function run(command, args, options) {
  return new Promise((resolve) => {
    execFile(command, args, options, (error, stdout, stderr) => {
      resolve({ code: error ? (error.code || 1) : 0, stdout, stderr });
    });
  });
}

// Where the library at `directory` loads its protos from, in a fresh process.
async function protoDirectoryOf(directory, env = {}) {
  const result = await run(process.execPath, ['-e',
    'const s = require(process.argv[1]); s.loadProtos(); console.log(s.protoDirectory());', directory],
  { env: { ...process.env, SCTPGW_PROTO_DIR: '', ...env } });
  assert.equal(result.code, 0, result.stderr);
  return result.stdout.trim();
}

it('from the checkout it loads ../../proto', async () => {
  assert.equal(await protoDirectoryOf(PACKAGE_DIR), path.resolve(CHECKOUT_PROTOS));
});

it('$SCTPGW_PROTO_DIR names another directory, which must hold every file', async () => {
  const copy = fs.mkdtempSync(path.join(os.tmpdir(), 'sctpgw-protos-'));
  try {
    const bundled = await run(process.execPath, [path.join(PACKAGE_DIR, 'scripts', 'bundle-protos.js'),
      '--to', copy]);
    assert.equal(bundled.code, 0, bundled.stderr);
    assert.equal(await protoDirectoryOf(PACKAGE_DIR, { SCTPGW_PROTO_DIR: copy }), copy);
    fs.rmSync(path.join(copy, 'google'), { recursive: true });
    const refused = await run(process.execPath, ['-e', 'require(process.argv[1]).loadProtos()', PACKAGE_DIR],
      { env: { ...process.env, SCTPGW_PROTO_DIR: copy } });
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /SCTPGW_PROTO_DIR is .* which lacks/);
  } finally {
    fs.rmSync(copy, { recursive: true, force: true });
  }
});

it('npm pack bundles the protos, and the packed package loads them without the checkout',
  { timeout: 120000 }, async () => {
    const work = fs.mkdtempSync(path.join(os.tmpdir(), 'sctpgw-pack-'));
    try {
      // The package's files, copied away from the checkout, packed there.
      const source = path.join(work, 'source');
      for (const entry of ['package.json', 'index.js', 'index.d.ts', 'README.md', 'lib', 'scripts']) {
        if (fs.existsSync(path.join(PACKAGE_DIR, entry))) {
          fs.cpSync(path.join(PACKAGE_DIR, entry), path.join(source, entry), { recursive: true });
        }
      }
      const packed = await run('npm', ['pack', '--json', '--pack-destination', work],
        { cwd: source, env: { ...process.env, SCTPGW_PROTO_DIR: CHECKOUT_PROTOS, npm_config_update_notifier: 'false' } });
      assert.equal(packed.code, 0, packed.stderr);
      const [{ filename, files }] = JSON.parse(packed.stdout.slice(packed.stdout.indexOf('[')));
      const names = files.map((file) => file.path);
      for (const file of ['index.js', 'index.d.ts', 'lib/client.js', 'proto/sctpgw/v1/gateway_service.proto',
        'proto/sctpgw/v1/types.proto', 'proto/sctpgw/v1/events.proto', 'proto/google/rpc/status.proto',
        'proto/google/rpc/error_details.proto']) {
        assert.ok(names.includes(file), `${file} not packed (${names.join(', ')})`);
      }
      assert.ok(!names.some((name) => name.startsWith('test') || name.startsWith('node_modules')));
      assert.ok(!fs.existsSync(path.join(source, 'proto')), 'postpack left the copied protos');
      // Unpacked where no checkout is near, with the dependencies beside it.
      const installed = path.join(work, 'app', 'node_modules', 'sctpgw');
      fs.mkdirSync(installed, { recursive: true });
      const untar = await run('tar', ['-xzf', path.join(work, filename), '-C', installed,
        '--strip-components=1']);
      assert.equal(untar.code, 0, untar.stderr);
      fs.symlinkSync(path.join(PACKAGE_DIR, 'node_modules'), path.join(installed, 'node_modules'));
      assert.equal(await protoDirectoryOf(installed), path.join(fs.realpathSync(installed), 'proto'));
    } finally {
      fs.rmSync(work, { recursive: true, force: true });
    }
  });
