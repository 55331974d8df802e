// SPDX-License-Identifier: Apache-2.0
// Verify a keyless Sigstore bundle offline with sigstore-js (@sigstore/bundle +
// @sigstore/verify) under a trusted root: the Fulcio chain, the SCT (CT log), the Rekor entry
// (SET / inclusion proof and checkpoint), RFC 3161 timestamps when TSA_THRESHOLD > 0, the
// signature, and the identity (SAN and OIDC issuer extension).
//
//   node verify-keyless.mjs ROOT.json BUNDLE.json IDENTITY ISSUER TSA_THRESHOLD [ARTIFACT]
//
// ARTIFACT is required for messageSignature (blob) bundles. Exit 0 verified (DSSE: the
// statement on stdout), 1 not verified (the library's error on stderr), 2 usage.
import { readFileSync } from 'node:fs';
import { fail, sigstoreRequire } from './lib.mjs';

const args = process.argv.slice(2);
if (args.length < 5 || args.length > 6) {
  process.stderr.write('usage: node verify-keyless.mjs ROOT.json BUNDLE.json IDENTITY ISSUER ' +
    'TSA_THRESHOLD [ARTIFACT]\n');
  process.exit(2);
}
const [rootPath, bundlePath, identity, issuer, tsa, artifactPath] = args;

let req;
try {
  req = sigstoreRequire();
} catch (e) {
  fail('setup', e);
}
const { bundleFromJSON } = req('@sigstore/bundle');
const { TrustedRoot } = req('@sigstore/protobuf-specs');
const { Verifier, toSignedEntity, toTrustMaterial } = req('@sigstore/verify');

let bundle, trustedRoot, artifact;
try {
  trustedRoot = TrustedRoot.fromJSON(JSON.parse(readFileSync(rootPath, 'utf8')));
  bundle = bundleFromJSON(JSON.parse(readFileSync(bundlePath, 'utf8')));
  artifact = artifactPath ? readFileSync(artifactPath) : undefined;
} catch (e) {
  fail('input', e);
}

try {
  const verifier = new Verifier(toTrustMaterial(trustedRoot), {
    tlogThreshold: 1, ctlogThreshold: 1, timestampThreshold: Number(tsa),
  });
  verifier.verify(toSignedEntity(bundle, artifact), {
    subjectAlternativeName: identity, extensions: { issuer },
  });
} catch (e) {
  fail('verify', e);
}
if (bundle.content.$case === 'dsseEnvelope') {
  process.stdout.write(Buffer.from(bundle.content.dsseEnvelope.payload).toString('utf8') + '\n');
}
