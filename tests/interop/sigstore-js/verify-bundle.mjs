// SPDX-License-Identifier: Apache-2.0
// Verify a Sigstore bundle offline with sigstore-js (@sigstore/bundle + @sigstore/verify), as
// an independent check of the bundles vigil writes. Key-signed bundles only: the trusted root
// is empty (no Rekor, Fulcio, CT log or TSA) and every threshold is 0, like
// `cosign verify --key K --insecure-ignore-tlog`. The key finder returns the given public key
// when the bundle's hint is cosign's (base64 SHA-256 of the DER SPKI) or empty.
//
//   node verify-bundle.mjs [--strict] [--any-hint] BUNDLE.json PUBKEY.pem [ARTIFACT]
//
// ARTIFACT is required for messageSignature (blob) bundles. On success: DSSE bundles print the
// decoded payload (the in-toto statement) on stdout, messageSignature bundles print
// `{"messageDigest":"sha256:<hex>"}`; exit 0. On failure: the library's error on stderr, exit 1.
// --strict also fails when the bundle holds JSON fields the protobuf schema does not know (the
// library drops them silently; sigstore-go's protojson rejects them). Exit 2: usage error.
import { readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { fail, keyHint, publicKeyFromPem, sigstoreRequire } from './lib.mjs';

function usage() {
  process.stderr.write('usage: node verify-bundle.mjs [--strict] [--any-hint] ' +
    'BUNDLE.json PUBKEY.pem [ARTIFACT]\n');
  process.exit(2);
}

// Keys of `input` (a parsed JSON object) that the protobuf round trip dropped although they
// carry a value: fields unknown to the schema or misspelt.
function droppedFields(input, output, path = '') {
  const out = [];
  if (input === null || typeof input !== 'object') return out;
  if (Array.isArray(input)) {
    input.forEach((v, i) => out.push(...droppedFields(v, (output || [])[i], `${path}[${i}]`)));
    return out;
  }
  for (const [k, v] of Object.entries(input)) {
    const empty = v === null || v === '' || v === 0 || v === false ||
      (Array.isArray(v) && v.length === 0) ||
      (typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length === 0);
    const p = path ? `${path}.${k}` : k;
    if (output === undefined || output === null || !(k in output)) {
      if (!empty) out.push(p);
    } else {
      out.push(...droppedFields(v, output[k], p));
    }
  }
  return out;
}

const args = process.argv.slice(2);
const strict = args.includes('--strict');
const anyHint = args.includes('--any-hint');
const pos = args.filter((a) => !a.startsWith('--'));
if (pos.length < 2 || pos.length > 3 || args.some((a) => a.startsWith('--') &&
    a !== '--strict' && a !== '--any-hint')) usage();
const [bundlePath, keyPath, artifactPath] = pos;

let req;
try {
  req = sigstoreRequire();
} catch (e) {
  fail('setup', e);
}
const { bundleFromJSON, bundleToJSON } = req('@sigstore/bundle');
const { HashAlgorithm, TrustedRoot } = req('@sigstore/protobuf-specs');
const { Verifier, toSignedEntity, toTrustMaterial } = req('@sigstore/verify');

let json, key, artifact;
try {
  json = JSON.parse(readFileSync(bundlePath, 'utf8'));
  key = publicKeyFromPem(readFileSync(keyPath));
  artifact = artifactPath ? readFileSync(artifactPath) : undefined;
} catch (e) {
  fail('input', e);
}

let bundle;
try {
  bundle = bundleFromJSON(json);
} catch (e) {
  fail('bundle', e);
}
const dropped = droppedFields(json, bundleToJSON(bundle));
if (dropped.length) {
  process.stderr.write(`warning: fields unknown to the bundle schema: ${dropped.join(', ')}\n`);
  if (strict) process.exit(1);
}
if (bundle.content.$case === 'messageSignature' && !artifact) {
  fail('input', new Error('a messageSignature bundle needs the ARTIFACT argument'));
}

const expectedHint = keyHint(key);
const trustedRoot = TrustedRoot.fromJSON({
  mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1',
  tlogs: [], certificateAuthorities: [], ctlogs: [], timestampAuthorities: [],
});
const keyFinder = (hint) => {
  if (!anyHint && hint !== '' && hint !== expectedHint) {
    throw new Error(`key not found: hint ${JSON.stringify(hint)} is not the given key's ` +
      `(${expectedHint})`);
  }
  return { publicKey: key, validFor: () => true };
};

try {
  const trust = toTrustMaterial(trustedRoot, keyFinder);
  // @sigstore/verify 3.x: tlogThreshold, ctlogThreshold, timestampThreshold (tsaThreshold is
  // its older alias); all default to 1.
  const verifier = new Verifier(trust, { tlogThreshold: 0, ctlogThreshold: 0,
    timestampThreshold: 0 });
  verifier.verify(toSignedEntity(bundle, artifact));
} catch (e) {
  fail('verify', e);
}

if (bundle.content.$case === 'dsseEnvelope') {
  process.stdout.write(Buffer.from(bundle.content.dsseEnvelope.payload).toString('utf8') + '\n');
} else {
  // The library checks the signature over the artifact but not the recorded digest; sigstore-go
  // and cosign do, so check it here too.
  const md = bundle.content.messageSignature.messageDigest;
  if (md.algorithm !== HashAlgorithm.SHA2_256) {
    fail('verify', new Error(`messageDigest algorithm ${md.algorithm} is not SHA2_256`));
  }
  const actual = createHash('sha256').update(artifact).digest();
  if (!actual.equals(Buffer.from(md.digest))) {
    fail('verify', new Error('messageDigest does not match the artifact'));
  }
  process.stdout.write(JSON.stringify({ messageDigest: `sha256:${actual.toString('hex')}` }) +
    '\n');
}
