# SPDX-License-Identifier: Apache-2.0
"""The Sigstore conformance suite's bundle-verification cases against `vigil verify-blob`
(shared/interop/sigstore-conformance/, README.md there): every one of the 70 cases of
cases.tsv, each run twice as the suite runs it (artifact path, then `sha256:<hex>` digest),
must give its expected outcome, and every `_fail` case must fail for the reason its note gives
(REASONS below: a fail-case that fails for another reason is a defect). The 81 CPython release
bundles of cpython-cases.tsv (digest only, public-good root) must all verify. Offline: the
trusted roots come from the shared folder. Skipped cleanly when ../shared is absent.
"""
import csv
import json
import os
from pathlib import Path

import pytest

from conftest import ROOT, run_vigil

SHARED = Path(os.environ.get("SHARED_DIR", ROOT.parent / "shared"))
CONF = SHARED / "interop" / "sigstore-conformance"

# The error text each failing case must produce: the check its note names.
REASONS = {
    "bundle-empty-certificate-chain_fail": "x509CertificateChain has no certificates",
    "bundle-from-wrong-instance_fail": "not in the trusted root",
    "bundle-invalid-base64-signature_fail": "invalid base64",
    "bundle-malformed-json_fail": "invalid JSON",
    "bundle-negative-log-index_fail": "logIndex is negative",
    "bundle-unknown-version_fail": "unsupported media type",
    "bundle-with-root-cert_fail": "chain includes a root certificate",
    "checkpoint-bad-keyhint_fail": "no signature with the log's key hint",
    "checkpoint-wrong-roothash_fail": "root hash or tree size differs from the inclusion proof",
    "dsse-invalid-sig_fail": "DSSE envelope signature: invalid signature",
    "dsse-mismatch-envelope_fail": "(dsse): the envelope payload hash does not match",
    "dsse-mismatch-sig_fail": "(dsse): the envelope signature does not match",
    "inclusion-proof-corrupted-hash_fail": "inclusion proof: computed root hash does not match",
    "incorrect-public-key_fail": "the certificate or public key does not match",
    "integrated-time-in-future_fail": "certificate has expired",
    "intoto-expired-certificate_fail": "certificate is not yet valid",
    "intoto-log-entry-mismatch_fail": "(intoto): the envelope signature does not match",
    "intoto-missing-inclusion-proof_fail": "no inclusion proof",
    "intoto-set-outside-signing-cert-validity_fail": "certificate has expired",
    "intoto-tsa-timestamp-outside-cert-validity_fail": "certificate has expired",
    "invalid-checkpoint-signature_fail": "checkpoint: the log's signature does not verify",
    "invalid-ct-key_fail": "no valid SCT",
    "invalid-inclusion-proof_fail": "inclusion proof has no signed checkpoint",
    "managed-key-no-key_fail": "signed with a public key, but no key was given",
    "managed-key-wrong-key_fail": "parse public key",
    "message-digest-mismatch_fail": "message digest in the bundle does not match the artifact",
    "rekor2-checkpoint-missing-log-signature_fail": "checkpoint: no signature by the log",
    "rekor2-checkpoint-missing-origin_fail": "checkpoint: ",
    "rekor2-checkpoint-missing-root-hash_fail": "checkpoint: ",
    "rekor2-checkpoint-missing-size_fail": "checkpoint: ",
    "rekor2-checkpoint-no-matching-signature_fail": "checkpoint: no signature by the log",
    "rekor2-dsse-invalid-sig_fail": "DSSE envelope signature: invalid signature",
    "rekor2-dsse-mismatch-envelope_fail": "the DSSE PAE digest does not match",
    "rekor2-dsse-mismatch-sig_fail": "(hashedrekord): the signature does not match",
    "rekor2-no-inclusion-proof_fail": "no inclusion proof",
    "rekor2-no-timestamp_fail": "no verified signing time",
    "rekor2-timestamp-outside-trust-root-tsa-validity_fail":
        "no timestamp authority of the trusted root is valid at its time",
    "rekor2-timestamp-outside-tsa-cert-validity_fail": "RFC 3161 timestamp does not verify",
    "rekor2-timestamp-payload-mismatch_fail": "message imprint mismatch",
    "rekor2-timestamp-untrusted-tsa-with-embedded-cert_fail": "RFC 3161 timestamp does not verify",
    "rekor2-timestamp-untrusted-tsa-without-embedded-cert_fail":
        "RFC 3161 timestamp does not verify",
    "rekor2-timestamp-with-incorrect-time_fail": "certificate has expired",
    "set-invalid-signature_fail": "signed entry timestamp: invalid signature",
    "signature-mismatch_fail": "message signature: invalid signature",
    "trust-root-tlog-missing-validity-start_fail": "validFor has no start",
    "wrong-hashedrekord-artifact_fail": "(hashedrekord): the artifact digest does not match",
    "wrong-hashedrekord-cert-and-sig_fail": "(hashedrekord): the signature does not match",
    "wrong-hashedrekord-entry_fail": "(hashedrekord): the artifact digest does not match",
    "wrong-material_fail": "message digest in the bundle does not match the artifact",
}
# In digest mode there are no bytes to compare: the digest is what does not match.
DIGEST_REASONS = {
    "wrong-material_fail": "message digest in the bundle does not match the artifact",
}


def rows(name):
    path = CONF / name
    if not path.is_file():
        return []
    with open(path, newline="") as f:
        return list(csv.DictReader(f, delimiter="\t"))


CASES = rows("cases.tsv")
CPYTHON = rows("cpython-cases.tsv")


def args_for(case, artifact, bundle):
    a = ["verify-blob", "--bundle", bundle, "--trusted-root", CONF / case["trusted_root"]]
    if case["key"] != "-":
        a += ["--key", CONF / case["key"]]
    else:
        a += ["--certificate-identity", case["certificate_identity"],
              "--certificate-oidc-issuer", case["certificate_oidc_issuer"]]
    return a + [artifact]


def need_shared(cases):
    if not cases:
        pytest.skip("../shared/interop/sigstore-conformance is absent")


@pytest.mark.parametrize("mode", ["path", "digest"])
@pytest.mark.parametrize("idx", range(max(len(CASES), 1)), ids=lambda i: CASES[i]["case"]
                         if i < len(CASES) else "absent")
def test_conformance_case(idx, mode):
    need_shared(CASES)
    case = CASES[idx]
    artifact = CONF / case["artifact"] if mode == "path" else case["artifact_digest"]
    r = run_vigil(*args_for(case, artifact, CONF / case["bundle"]), timeout=60)
    if case["expected"] == "pass":
        assert r.rc == 0, r
        assert "Verified OK" in r.err
        return
    assert r.rc != 0, r
    assert r.rc not in (2, 3), r  # a usage or internal error is not a verification result
    want = (DIGEST_REASONS if mode == "digest" else {}).get(case["case"]) or REASONS[case["case"]]
    assert want in r.err, r


def test_every_case_has_a_reason():
    need_shared(CASES)
    fails = {c["case"] for c in CASES if c["expected"] == "fail"}
    assert fails == set(REASONS), fails ^ set(REASONS)
    assert len(CASES) == 70


def test_json_output(tmp_path):
    need_shared(CASES)
    case = next(c for c in CASES if c["case"] == "happy-path-v0.1")
    r = run_vigil(*args_for(case, CONF / case["artifact"], CONF / case["bundle"]),
                  "--format", "json", timeout=60)
    assert r.rc == 0, r
    doc = json.loads(r.out)
    assert doc["verified"] is True
    assert doc["certificate"]["identity"] == case["certificate_identity"]
    assert doc["certificate"]["issuer"] == case["certificate_oidc_issuer"]
    assert doc["timestamps"] == [{"source": "tlog", "time": "2023-07-12T15:56:36Z"}]
    assert doc["tlogEntries"][0]["kind"] == "hashedrekord"
    # The wrong identity fails with exit 1 and says why.
    a = args_for(case, CONF / case["artifact"], CONF / case["bundle"])
    a[a.index("--certificate-identity") + 1] = "someone@example.com"
    r = run_vigil(*a)
    assert r.rc == 1 and "does not match the expected identity" in r.err, r


@pytest.mark.parametrize("idx", range(max(len(CPYTHON), 1)), ids=lambda i: CPYTHON[i]["case"]
                         if i < len(CPYTHON) else "absent")
def test_cpython_release(idx, tmp_path):
    need_shared(CPYTHON)
    case = CPYTHON[idx]
    path, pointer = case["bundle"].split("#")
    doc = json.loads((CONF / path).read_text())
    for part in pointer.strip("/").split("/"):
        doc = doc[int(part)] if isinstance(doc, list) else doc[part]
    bundle = tmp_path / "bundle.json"
    bundle.write_text(json.dumps(doc))
    r = run_vigil(*args_for(case, case["artifact_digest"], bundle), timeout=60)
    assert (r.rc == 0) == (case["expected"] == "pass"), r
