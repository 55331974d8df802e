// SPDX-License-Identifier: Apache-2.0
// Build a key-signed Sigstore bundle with sigstore-js (@sigstore/sign), as an independent
// producer for vigil's verifiers. The signer is node:crypto with a PEM private key (ECDSA
// signs SHA-256 of the data, DER signature); the public key hint is cosign's (base64 SHA-256
// of the DER SPKI). No witnesses: no Rekor entry, no timestamp.
//
//   node make-bundle.mjs dsse    KEY.pem STATEMENT.json OUT.json [--payload-type T]
//   node make-bundle.mjs message KEY.pem ARTIFACT       OUT.json [--media-type v0.3]
//
// dsse: DSSEBundleBuilder over the statement bytes exactly as given (payloadType default
// application/vnd.in-toto+json); v0.3 bundle. message: MessageSignatureBundleBuilder over the
// artifact bytes; the library labels these bundles v0.2 (its certificate-chain default), and
// --media-type v0.3 relabels the result as cosign 3's sign-blob would. --keyid K replaces the
// DSSE signature keyid (the library writes the hint; cosign writes "").
// Prints the bundle's mediaType on stdout. Exit 1 on failure, 2 on usage errors.
import { readFileSync, writeFileSync } from 'node:fs';
import { createPrivateKey, createPublicKey, sign } from 'node:crypto';
import { fail, keyHint, sigstoreRequire } from './lib.mjs';

function usage() {
  process.stderr.write('usage: node make-bundle.mjs dsse KEY.pem STATEMENT OUT.json ' +
    '[--payload-type T] [--keyid K]\n' +
    '       node make-bundle.mjs message KEY.pem ARTIFACT OUT.json [--media-type v0.3]\n');
  process.exit(2);
}

function parseArgs(argv) {
  const opts = { payloadType: 'application/vnd.in-toto+json', mediaType: null, keyid: null };
  const pos = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--payload-type' && i + 1 < argv.length) opts.payloadType = argv[++i];
    else if (a === '--media-type' && i + 1 < argv.length) opts.mediaType = argv[++i];
    else if (a === '--keyid' && i + 1 < argv.length) opts.keyid = argv[++i];
    else if (a.startsWith('--')) usage();
    else pos.push(a);
  }
  if (pos.length !== 4 || !['dsse', 'message'].includes(pos[0])) usage();
  if (opts.mediaType !== null && opts.mediaType !== 'v0.3') usage();
  [opts.kind, opts.key, opts.input, opts.out] = pos;
  return opts;
}

// The Signer interface of @sigstore/sign: sign(data) → { signature, key }.
function pemSigner(privateKey) {
  const pub = createPublicKey(privateKey);
  const pem = pub.export({ type: 'spki', format: 'pem' }).toString();
  const hint = keyHint(pub);
  return {
    hint,
    async sign(data) {
      return { signature: sign('sha256', data, privateKey),
        key: { $case: 'publicKey', publicKey: pem, hint } };
    },
  };
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const req = sigstoreRequire();
  const { DSSEBundleBuilder, MessageSignatureBundleBuilder } = req('@sigstore/sign');
  const { bundleToJSON, BUNDLE_V03_MEDIA_TYPE } = req('@sigstore/bundle');
  const signer = pemSigner(createPrivateKey(readFileSync(opts.key)));
  const data = readFileSync(opts.input);
  let bundle;
  if (opts.kind === 'dsse') {
    const b = new DSSEBundleBuilder({ signer, witnesses: [] });
    bundle = await b.create({ data, type: opts.payloadType });
    if (opts.keyid !== null) bundle.content.dsseEnvelope.signatures[0].keyid = opts.keyid;
  } else {
    const b = new MessageSignatureBundleBuilder({ signer, witnesses: [] });
    bundle = await b.create({ data });
    if (opts.mediaType === 'v0.3') bundle.mediaType = BUNDLE_V03_MEDIA_TYPE;
  }
  writeFileSync(opts.out, JSON.stringify(bundleToJSON(bundle)));
  process.stdout.write(bundle.mediaType + '\n');
}

main().catch((e) => fail('make-bundle', e));
