'use strict';
// index.d.ts: a TypeScript program on the library (testing/types_sample.ts)
// compiles with `tsc --noEmit --strict`, index.d.ts checked with it, and
// each misuse the sample marks is refused.

const { it } = require('node:test');
const assert = require('node:assert/strict');
const { execFile } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const PACKAGE_DIR = path.join(__dirname, '..');
const TSC = path.join(PACKAGE_DIR, 'node_modules', 'typescript', 'bin', 'tsc');

it('a strict TypeScript program compiles against index.d.ts', { timeout: 120000 }, async (t) => {
  if (!fs.existsSync(TSC)) {
    assert.fail('no TypeScript compiler: run scripts/install-npm-packages.sh clients/node');
  }
  // The standard library's own declarations are left unchecked (they are
  // TypeScript's); index.d.ts and the packages it names are checked. What
  // tsc learnt of unchanged files is kept between runs (--incremental) in
  // the temporary directory: a later run checks again only what changed.
  const buildInfo = path.join(os.tmpdir(),
    `sctpgw-node-types-${crypto.createHash('sha256').update(PACKAGE_DIR).digest('hex').slice(0, 12)}.tsbuildinfo`);
  const args = [TSC, '--noEmit', '--strict', '--skipDefaultLibCheck', '--module', 'commonjs',
    '--target', 'es2022', '--types', 'node', '--incremental', '--tsBuildInfoFile', buildInfo,
    path.join('testing', 'types_sample.ts')];
  const { code, output } = await new Promise((resolve) => {
    execFile(process.execPath, args, { cwd: PACKAGE_DIR }, (error, stdout, stderr) => {
      resolve({ code: error ? error.code : 0, output: stdout + stderr });
    });
  });
  t.diagnostic(`tsc ${args.slice(1).join(' ')}`);
  assert.equal(code, 0, `tsc failed:\n${output}`);
});
