# SPDX-License-Identifier: Apache-2.0
"""Revocation checks of Notary Project signatures (`vigil notation verify`, docs/notation.md
"Revocation") against real responders on 127.0.0.1: OpenSSL's own OCSP responder
(`openssl ocsp -index ... -port N`, one for the leaves with a delegated ocspSigning responder
certificate, one for the intermediates signed by the root, one signing with a stranger's
certificate) and CRLs served over HTTP by this test. Cases: good, revoked leaf, revoked
intermediate, responder down (strict fails, permissive warns, --no-revocation and the policy's
"revocation": "skip" ask nobody), fallback from a dead responder to a CRL, a revoked entry in a
CRL, a stale CRL, an expired CRL still proving a revocation, a response signed by the wrong
responder. The response cache (docs/notation.md "Revocation cache"): a responder and a CRL
server asked once across repeated verifications (separate vigil processes: the disk layer
under VIGIL_CACHE_DIR), again once the cached entries expire, and a cached revocation still
revoked after its nextUpdate without asking; the webhook's memory layer asking a shared
intermediate's responder once for two images. The servers' switch (`--notation-revocation`,
`--notation-revocation-timeout`): a responder that accepts and never answers costs the
registry's pull gate and the admission webhook the timeout given, and their decision names
it; `skip` asks nobody."""
import datetime
import http.server
import json
import os
import shutil
import socket
import struct
import subprocess
import threading
import time

import pytest

from hanging_server import HangingServer
from registry_serve import Serve

pytest.importorskip("cryptography", reason="python3-cryptography builds the test PKI")
from cryptography import x509  # noqa: E402
from cryptography.hazmat.primitives import hashes  # noqa: E402
from cryptography.x509.oid import AuthorityInformationAccessOID, ExtendedKeyUsageOID  # noqa: E402

from notation_pki import NOW, SUBJECT, Cert, key, name, policy  # noqa: E402

MT = "application/vnd.oci.image.manifest.v1+json"

if not shutil.which("openssl"):
    pytest.skip("the openssl CLI runs the OCSP responder", allow_module_level=True)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def cert(subject, issuer, ca=False, ocsp=None, crl=None, eku=(ExtendedKeyUsageOID.CODE_SIGNING,),
         signing_ocsp=False):
    priv = key()
    b = (x509.CertificateBuilder().subject_name(name(subject))
         .issuer_name(issuer.cert.subject if issuer else name(subject))
         .public_key(priv.public_key()).serial_number(x509.random_serial_number())
         .not_valid_before(NOW - datetime.timedelta(days=1))
         .not_valid_after(NOW + datetime.timedelta(days=365))
         .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
         .add_extension(x509.KeyUsage(digital_signature=not ca, content_commitment=False,
                                      key_encipherment=False, data_encipherment=False,
                                      key_agreement=False, key_cert_sign=ca, crl_sign=ca,
                                      encipher_only=False, decipher_only=False), critical=True))
    if signing_ocsp:
        b = b.add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.OCSP_SIGNING]),
                            critical=False)
    elif not ca and eku:
        b = b.add_extension(x509.ExtendedKeyUsage(list(eku)), critical=False)
    if ocsp:
        b = b.add_extension(x509.AuthorityInformationAccess([x509.AccessDescription(
            AuthorityInformationAccessOID.OCSP, x509.UniformResourceIdentifier(ocsp))]),
            critical=False)
    if crl:
        b = b.add_extension(x509.CRLDistributionPoints([x509.DistributionPoint(
            [x509.UniformResourceIdentifier(crl)], None, None, None)]), critical=False)
    return Cert(b.sign(issuer.key if issuer else priv, hashes.SHA256()), priv)


def make_crl(issuer, revoked=(), last=None, nxt=None):
    last = last or NOW - datetime.timedelta(hours=1)
    nxt = nxt or NOW + datetime.timedelta(days=1)
    b = (x509.CertificateRevocationListBuilder().issuer_name(issuer.cert.subject)
         .last_update(last).next_update(nxt))
    for c in revoked:
        b = b.add_revoked_certificate(
            x509.RevokedCertificateBuilder().serial_number(c.cert.serial_number)
            .revocation_date(NOW - datetime.timedelta(hours=2))
            .add_extension(x509.CRLReason(x509.ReasonFlags.key_compromise), critical=False)
            .build())
    return b.sign(issuer.key, hashes.SHA256()).public_bytes(
        __import__("cryptography.hazmat.primitives.serialization",
                   fromlist=["Encoding"]).Encoding.DER)


def index_line(c, revoked):
    exp = c.cert.not_valid_after.strftime("%y%m%d%H%M%SZ")
    serial = format(c.cert.serial_number, "X")
    serial = "0" * (len(serial) % 2) + serial
    rev = (NOW - datetime.timedelta(hours=2)).strftime("%y%m%d%H%M%SZ") + ",keyCompromise" \
        if revoked else ""
    return f"{'R' if revoked else 'V'}\t{exp}\t{rev}\t{serial}\tunknown\t/CN={serial}\n"


class Responder:
    """openssl ocsp as a live responder."""

    def __init__(self, d, label, port, ca, signer, entries):
        self.port = port
        idx = d / f"{label}.index"
        idx.write_text("".join(index_line(c, r) for c, r in entries))
        for n, c in (("ca", ca), ("rs", signer)):
            (d / f"{label}-{n}.pem").write_bytes(c.pem)
        (d / f"{label}-rs.key").write_bytes(signer.key_pem)
        self.log = open(d / f"{label}.log", "wb")
        self.proc = subprocess.Popen(
            ["openssl", "ocsp", "-index", str(idx), "-CA", str(d / f"{label}-ca.pem"),
             "-rsigner", str(d / f"{label}-rs.pem"), "-rkey", str(d / f"{label}-rs.key"),
             "-port", str(self.port), "-nmin", "60", "-ignore_err"],
            stdout=self.log, stderr=subprocess.STDOUT)
        # Ready once it says so: a probe connection would hold the one-request-at-a-time
        # responder until it times out.
        deadline = time.monotonic() + 20
        log = d / f"{label}.log"
        while time.monotonic() < deadline:
            if b"waiting for OCSP client connections" in log.read_bytes():
                return
            assert self.proc.poll() is None, log.read_text()
            time.sleep(0.05)
        raise AssertionError("openssl ocsp did not listen")

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}/"

    def stop(self):
        self.proc.kill()
        self.proc.wait()
        self.log.close()


class CrlServer:
    def __init__(self):
        self.files = {}
        self.hits = {}
        files, hits = self.files, self.hits

        class H(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                hits[self.path] = hits.get(self.path, 0) + 1
                body = files.get(self.path)
                self.send_response(200 if body else 404)
                self.send_header("Content-Type", "application/pkix-crl")
                self.send_header("Content-Length", str(len(body or b"")))
                self.end_headers()
                self.wfile.write(body or b"")

            def log_message(self, *a):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.port = self.httpd.server_address[1]
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def url(self, path):
        return f"http://127.0.0.1:{self.port}{path}"


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    d = tmp_path_factory.mktemp("revocation")
    crls = CrlServer()
    hung = HangingServer(backlog=64)  # accepts and never answers: a hung OCSP responder
    dead = f"http://127.0.0.1:{free_port()}/"
    port_l, port_i, port_w = free_port(), free_port(), free_port()
    url = lambda p: f"http://127.0.0.1:{p}/"  # noqa: E731
    root = cert([("C", "US"), ("O", "acme-rockets.io"), ("CN", "Acme Root")], None, ca=True)
    other = cert([("C", "US"), ("O", "wabbit"), ("CN", "Wabbit Root")], None, ca=True)
    inter = cert([("C", "US"), ("O", "acme-rockets.io"), ("CN", "Acme CA")], root, ca=True,
                 ocsp=url(port_i))
    bad_inter = cert([("C", "US"), ("O", "acme-rockets.io"), ("CN", "Acme Old CA")], root,
                     ca=True, ocsp=url(port_i))
    delegate = cert([("C", "US"), ("O", "acme-rockets.io"), ("CN", "Acme OCSP")], inter,
                    signing_ocsp=True)
    stranger = cert([("C", "US"), ("O", "wabbit"), ("CN", "Wabbit OCSP")], other,
                    signing_ocsp=True)
    leaves = {
        "good": cert(SUBJECT, inter, ocsp=url(port_l)),
        "revoked": cert(SUBJECT, inter, ocsp=url(port_l)),
        "under-revoked-ca": cert(SUBJECT, bad_inter),
        "down": cert(SUBJECT, inter, ocsp=dead),
        "down-then-crl": cert(SUBJECT, inter, ocsp=dead, crl=crls.url("/acme.crl")),
        "crl-revoked": cert(SUBJECT, inter, crl=crls.url("/acme.crl")),
        "crl-stale": cert(SUBJECT, inter, crl=crls.url("/stale.crl")),
        "crl-expired-revoked": cert(SUBJECT, inter, crl=crls.url("/stale.crl")),
        "wrong-signer": cert(SUBJECT, inter, ocsp=url(port_w)),
        "cached": cert(SUBJECT, inter, ocsp=url(port_l)),
        "sticky": cert(SUBJECT, inter, ocsp=url(port_l)),
        "crl-cached": cert(SUBJECT, inter, crl=crls.url("/cache.crl")),
        "hung": cert(SUBJECT, inter, ocsp=hung.url),
    }
    crls.files["/cache.crl"] = make_crl(inter, [])
    crls.files["/acme.crl"] = make_crl(inter, [leaves["crl-revoked"]])
    crls.files["/stale.crl"] = make_crl(inter, [leaves["crl-expired-revoked"]],
                                        last=NOW - datetime.timedelta(days=3),
                                        nxt=NOW - datetime.timedelta(days=1))
    leaf_entries = [(leaves["good"], False), (leaves["revoked"], True),
                    (leaves["wrong-signer"], False), (leaves["cached"], False),
                    (leaves["sticky"], True)]
    resp = []
    reg = None
    try:
        for label, port, ca, signer, entries in (
                ("leaves", port_l, inter, delegate, leaf_entries),
                ("cas", port_i, root, root, [(inter, False), (bad_inter, True)]),
                ("wrong", port_w, inter, stranger, leaf_entries)):
            resp.append(Responder(d, label, port, ca, signer, entries))
        reg = Serve(d / "root", d / "serve.log").start()
        store = d / "ts" / "x509" / "ca" / "acme"
        store.mkdir(parents=True)
        (store / "root.pem").write_bytes(root.pem)
        w = World(d, reg, leaves, {"under-revoked-ca": bad_inter}, inter, root, crls)
        w.hung = hung
        yield w
    finally:
        for r in resp:
            r.stop()
        crls.httpd.shutdown()
        hung.close()
        if reg:
            reg.kill()


class World:
    def __init__(self, d, reg, leaves, cas, inter, root, crls):
        self.dir, self.reg, self.leaves, self.cas = d, reg, leaves, cas
        self.inter, self.root, self.crls = inter, root, crls
        self.cache = d / "cache"  # VIGIL_CACHE_DIR of every verification here
        self.signed = set()

    def image(self, case):
        """A one-manifest image at team/<case>:v1, signed by that case's leaf (once)."""
        ref = f"{self.reg.host}/team/{case}:v1"
        if case in self.signed:
            return ref
        self.reg.push_config_image(f"team/{case}", "v1", case=case)
        leaf = self.leaves[case]
        k, c = self.dir / f"{case}.key", self.dir / f"{case}.pem"
        k.write_bytes(leaf.key_pem)
        c.write_bytes(leaf.pem + self.cas.get(case, self.inter).pem + self.root.pem)
        from conftest import run_vigil
        r = run_vigil("notation", "sign", "--plain-http", "--key", k, "--cert", c, ref)
        assert r.rc == 0, r
        self.signed.add(case)
        return ref

    def verify(self, vigil, case, *args, level="strict", override=None):
        ref = self.image(case)
        p = policy(self.dir / f"policy-{case}-{level}.json", level=level, override=override)
        return vigil("notation", "verify", "--plain-http", "--trust-policy", p,
                     "--trust-store", self.dir / "ts", "--format", "json", *args, ref,
                     env={"VIGIL_CACHE_DIR": str(self.cache)})

    def asked(self, label):
        """Requests the openssl responder `label` has received."""
        return (self.dir / f"{label}.log").read_bytes().count(b"Received request")

    def expire_cache(self):
        """Moves every cached entry's fetch time and expiry 20 and 10 seconds into the past
        (the documented file header), as if its nextUpdate had gone by."""
        files = list((self.cache / "notation-revocation").glob("*.der"))
        assert files
        for f in files:
            b = bytearray(f.read_bytes())
            fetched, _ = struct.unpack_from("<qq", b, 8)
            struct.pack_into("<qq", b, 8, fetched - 20, fetched - 10)
            f.write_bytes(bytes(b))


def revocation(r):
    return json.loads(r.out)["signatures"][0]["checks"]["revocation"]


def test_good_leaf_and_intermediate_by_live_ocsp(world, vigil):
    r = world.verify(vigil, "good")
    assert r.rc == 0, r
    assert revocation(r) == {"action": "enforce", "result": "passed"}, r
    # Both responders were asked (the leaf's delegated one and the root's for the CA).
    for label in ("leaves", "cas"):
        assert b"Received request" in (world.dir / f"{label}.log").read_bytes(), label


def test_revoked_leaf_fails_strict_and_warns_under_permissive(world, vigil):
    r = world.verify(vigil, "revoked")
    assert r.rc == 1, r
    rv = revocation(r)
    assert rv["result"] == "failed" and "certificate 1" in rv["error"], r
    assert "is revoked (OCSP http://127.0.0.1:" in rv["error"] and "keyCompromise" in rv["error"]
    p = world.verify(vigil, "revoked", level="permissive")
    assert p.rc == 0, p
    assert revocation(p)["action"] == "log" and revocation(p)["result"] == "failed", p
    t = vigil("notation", "verify", "--plain-http", "--trust-policy",
              world.dir / "policy-revoked-permissive.json", "--trust-store", world.dir / "ts",
              world.image("revoked"))
    assert t.rc == 0 and "revocation check failed (logged by level permissive)" in t.err, t


def test_revoked_intermediate(world, vigil):
    r = world.verify(vigil, "under-revoked-ca")
    assert r.rc == 1, r
    err = revocation(r)["error"]
    assert "certificate 2 (C=US, O=acme-rockets.io, CN=Acme Old CA) is revoked" in err, r


def test_responder_down_is_unknown_and_fails_strict_only(world, vigil):
    r = world.verify(vigil, "down")
    assert r.rc == 1, r
    err = revocation(r)["error"]
    assert "revocation status of certificate 1" in err and "is unknown" in err, r
    assert "OCSP http://127.0.0.1:" in err, r
    for level in ("permissive", "audit"):
        p = world.verify(vigil, "down", level=level)
        assert p.rc == 0 and revocation(p)["result"] == "failed", p
    off = world.verify(vigil, "down", "--no-revocation")
    assert off.rc == 0 and revocation(off)["result"] == "skipped", off
    skip = world.verify(vigil, "down", override={"revocation": "skip"})
    assert skip.rc == 0 and revocation(skip)["result"] == "skipped", skip


def test_dead_responder_falls_back_to_the_crl(world, vigil):
    r = world.verify(vigil, "down-then-crl")
    assert r.rc == 0 and revocation(r)["result"] == "passed", r


def test_crl_lists_the_leaf(world, vigil):
    r = world.verify(vigil, "crl-revoked")
    assert r.rc == 1, r
    assert "is revoked (CRL http://127.0.0.1:" in revocation(r)["error"], r


def test_stale_crl_is_unknown_but_still_proves_a_revocation(world, vigil):
    r = world.verify(vigil, "crl-stale")
    assert r.rc == 1, r
    err = revocation(r)["error"]
    assert "is unknown" in err and "CRL expired" in err, r
    e = world.verify(vigil, "crl-expired-revoked")
    assert e.rc == 1 and "is revoked (CRL" in revocation(e)["error"], e


def test_response_signed_by_the_wrong_responder(world, vigil):
    r = world.verify(vigil, "wrong-signer")
    assert r.rc == 1, r
    err = revocation(r)["error"]
    assert "is unknown" in err and "not signed by the issuer or a responder it authorized" in err, r


def test_cache_asks_each_responder_once_until_expiry(world, vigil):
    before = world.asked("leaves")
    for _ in range(3):
        r = world.verify(vigil, "cached")
        assert r.rc == 0 and revocation(r)["result"] == "passed", r
    assert world.asked("leaves") == before + 1
    for _ in range(3):
        r = world.verify(vigil, "crl-cached")
        assert r.rc == 0 and revocation(r)["result"] == "passed", r
    assert world.crls.hits["/cache.crl"] == 1
    world.expire_cache()
    r = world.verify(vigil, "cached")
    assert r.rc == 0 and world.asked("leaves") == before + 2, r
    r = world.verify(vigil, "crl-cached")
    assert r.rc == 0 and world.crls.hits["/cache.crl"] == 2, r
    # and cached again from there
    assert world.verify(vigil, "cached").rc == 0 and world.asked("leaves") == before + 2


def test_cached_revocation_stays_revoked_after_its_next_update(world, vigil):
    r = world.verify(vigil, "sticky")
    assert r.rc == 1 and "is revoked (OCSP" in revocation(r)["error"], r
    asked = world.asked("leaves")
    world.expire_cache()
    r = world.verify(vigil, "sticky")
    assert r.rc == 1 and "is revoked (OCSP" in revocation(r)["error"], r
    assert world.asked("leaves") == asked  # not asked again: a revocation is final


def test_tampered_cache_entry_is_refetched_not_trusted(world, vigil):
    assert world.verify(vigil, "cached").rc == 0
    asked = world.asked("leaves")
    for f in (world.cache / "notation-revocation").glob("*.der"):
        b = bytearray(f.read_bytes())
        b[-5] ^= 0xFF  # a signature at the end: the responder certificate's or the CRL's
        f.write_bytes(bytes(b))
    r = world.verify(vigil, "cached")
    assert r.rc == 0 and revocation(r)["result"] == "passed", r
    assert world.asked("leaves") == asked + 1


def copy_image(src, dst, repo, tag="v1"):
    """team/<repo>:v1 and its referrers (the Notary signatures), byte for byte."""
    def one(ref):
        r = src.req("GET", f"/v2/{repo}/manifests/{ref}", headers={"Accept": MT})
        assert r.status == 200, r
        m = json.loads(r.body)
        for desc in [m["config"], *m.get("layers", [])]:
            dst.push_blob(repo, src.req("GET", f"/v2/{repo}/blobs/{desc['digest']}").body)
        assert dst.put_manifest(repo, ref, r.body, MT).status == 201
        return r.header("docker-content-digest") or \
            "sha256:" + __import__("hashlib").sha256(r.body).hexdigest()
    md = one(tag)
    for desc in src.req("GET", f"/v2/{repo}/referrers/{md}").json()["manifests"]:
        one(desc["digest"])
    return md


def gate(world, tmp_path, *args):
    tmp_path.mkdir(parents=True, exist_ok=True)
    (tmp_path / "root.pem").write_bytes(world.root.pem)
    cfg = tmp_path / "registry.yaml"
    cfg.write_text("gates:\n  - repos: [\"team/**\"]\n    require-signature:\n"
                   f"      notation:\n        certificates: {tmp_path / 'root.pem'}\n")
    return Serve(tmp_path / "root", tmp_path / "serve.log",
                 args=["--config", str(cfg), *args]).start()


def test_registry_gate_bounds_a_hung_responder_and_names_it(world, tmp_path):
    world.image("hung")
    srv = gate(world, tmp_path / "t", "--notation-revocation-timeout", "300ms")
    try:
        md = copy_image(world.reg, srv, "team/hung")
        conns = len(world.hung.conns)
        for i in range(2):
            r = srv.req("GET", f"/v2/team/hung/manifests/{md}", headers={"Accept": MT})
            assert r.status == 403, r
            assert b"is unknown" in r.body and b"no answer within 300 ms" in r.body, r.body
            # not kept in the gate's verdict cache: the next pull asks again
            assert len(world.hung.conns) == conns + i + 1
    finally:
        srv.kill()
    srv = gate(world, tmp_path / "s", "--notation-revocation", "skip")
    try:
        md = copy_image(world.reg, srv, "team/hung")
        r = srv.req("GET", f"/v2/team/hung/manifests/{md}", headers={"Accept": MT})
        assert r.status == 200, r
    finally:
        srv.kill()
    from conftest import run_vigil  # a usage error names the option
    r = run_vigil("registry", "serve", "--notation-revocation", "maybe", "--root", tmp_path / "x")
    assert r.rc == 2 and "--notation-revocation is check or skip" in r.err, r
    r = run_vigil("registry", "serve", "--notation-revocation-timeout", "5ms",
                  "--root", tmp_path / "x")
    assert r.rc == 2 and "100ms to 60s" in r.err, r


def notary_policy(world, tmp_path):
    (tmp_path / "root.pem").write_bytes(world.root.pem)
    return ("apiVersion: vigil.dev/v1\nkind: ImagePolicy\nmetadata: {name: notary}\nspec:\n"
            "  signatures:\n    - images: [\"**\"]\n      notation:\n"
            f"        certificates: {{file: {tmp_path / 'root.pem'}}}\n")


def review(image):
    return {"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview",
            "request": {"uid": "u", "kind": {"group": "", "version": "v1", "kind": "Pod"},
                        "namespace": "shop", "operation": "CREATE",
                        "object": {"apiVersion": "v1", "kind": "Pod",
                                   "metadata": {"name": "p", "namespace": "shop"},
                                   "spec": {"containers": [{"name": "c", "image": image}]}}}}


def test_webhook_memory_cache_asks_for_a_shared_intermediate_once(world, tmp_path):
    """Two images whose leaves share the intermediate: the webhook (memory cache only, its
    verdicts are per digest so they do not hide it) asks the intermediate's responder once."""
    from test_admit import Webhook
    good, cached = world.image("good"), world.image("cached")
    hook = Webhook(tmp_path, policy_text=notary_policy(world, tmp_path), extra=("--insecure",))
    try:
        cas, leaves = world.asked("cas"), world.asked("leaves")
        r = hook.review("/validate?timeout=20s", review(good))["response"]
        assert r["allowed"] is True, r
        assert world.asked("cas") == cas + 1 and world.asked("leaves") == leaves + 1
        r = hook.review("/validate?timeout=20s", review(cached))["response"]
        assert r["allowed"] is True, r
        assert world.asked("leaves") == leaves + 2  # its own leaf: asked
        assert world.asked("cas") == cas + 1  # the intermediate: from memory
    finally:
        hook.stop()


def test_admission_webhook_bounds_a_hung_responder_and_names_it(world, tmp_path):
    from test_admit import Webhook
    ref = world.image("hung")
    pol = notary_policy(world, tmp_path)

    for extra, allowed in ((("--notation-revocation-timeout", "300ms"), False),
                           (("--notation-revocation", "skip"), True)):
        (tmp_path / extra[0][2:]).mkdir()
        hook = Webhook(tmp_path / extra[0][2:], policy_text=pol,
                       extra=("--insecure", "--failure-ttl", "0", *extra))
        try:
            conns = len(world.hung.conns)
            for i in range(2):
                r = hook.review("/validate?timeout=20s", review(ref))["response"]
                assert r["allowed"] is allowed, (extra, r)
                if not allowed:
                    msg = r["status"]["message"]
                    assert "unverifiable" in msg and "is unknown" in msg, r
                    assert "no answer within 300 ms" in msg, r
                    # no answer is not a verdict: with --failure-ttl 0 it is not cached, the
                    # next review asks again (a "not signed" verdict is kept for --cache-ttl)
                    assert len(world.hung.conns) == conns + i + 1, r
            if allowed:
                assert len(world.hung.conns) == conns  # skip: nobody asked
        finally:
            hook.stop()
