// SPDX-License-Identifier: Apache-2.0
// Shared helpers of the sigstore-js interop scripts: where the npm modules live, and the
// cosign-style public key hint. The modules are installed outside the repository (see
// README.md); VIGIL_SIGSTORE_JS names a directory holding node_modules/, default
// /var/tmp/vigil-test-cache/sigstore-js, then this directory.
import { createRequire } from 'node:module';
import { createHash, createPublicKey } from 'node:crypto';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
const DEFAULT_DIR = '/var/tmp/vigil-test-cache/sigstore-js';

export function modulesDir() {
  const dirs = process.env.VIGIL_SIGSTORE_JS ? [process.env.VIGIL_SIGSTORE_JS]
    : [DEFAULT_DIR, HERE];
  for (const d of dirs) {
    if (existsSync(join(d, 'node_modules', '@sigstore', 'verify'))) return d;
  }
  throw new Error(`sigstore-js modules not found in ${dirs.join(' or ')} ` +
    '(npm ci --prefix DIR with tests/interop/sigstore-js/package*.json)');
}

// require() rooted at the modules directory (the @sigstore packages are CommonJS).
export function sigstoreRequire() {
  return createRequire(join(modulesDir(), 'package.json'));
}

// cosign's hint: standard base64 of SHA-256 over the DER SubjectPublicKeyInfo.
export function keyHint(pubKeyObject) {
  const der = pubKeyObject.export({ type: 'spki', format: 'der' });
  return createHash('sha256').update(der).digest('base64');
}

export function publicKeyFromPem(pem) {
  return createPublicKey(pem);
}

export function fail(prefix, e) {
  let msg = e && e.message ? e.message : String(e);
  if (e && e.code) msg = `${e.code}: ${msg}`;
  if (e && Array.isArray(e.fields) && e.fields.length) msg += ` [${e.fields.join(', ')}]`;
  process.stderr.write(`${prefix}: ${e && e.name ? e.name + ': ' : ''}${msg}\n`);
  process.exit(1);
}
