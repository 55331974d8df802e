# SPDX-License-Identifier: Apache-2.0
"""`vigil config PATH...`: Dockerfiles, Kubernetes manifests and EncryptionConfiguration files,
the report formats, the severity/exit-code gate, ignore files and inline ignore comments,
--policy through the admission engine, and hostile input (binary Dockerfile, YAML bombs, deep
nesting, a 50 MB file) that must end in a one-line error or a skipped-file note."""
import json
import os

from conftest import ROOT

CORPUS = ROOT / "tests" / "data" / "config" / "corpus"


def ids_by_target(doc):
    return {r["Target"]: sorted(m["ID"] for m in r.get("Misconfigurations", []))
            for r in doc["Results"] if r["Class"] == "config"}


def test_dockerfile_checks_and_json(vigil, tmp_path):
    (tmp_path / "Dockerfile").write_text(
        "FROM ubuntu:latest\n"
        "ENV DB_PASSWORD=hunter2secret\n"
        "ADD https://example.com/tool /usr/local/bin/tool\n"
        "RUN apt-get update && apt-get install -y curl sudo\n"
        "RUN curl -sSL https://get.example.com | sh\n"
        "EXPOSE 22\n"
        "RUN sudo ls\n")
    r = vigil("config", "--format", "json", tmp_path)
    assert r.rc == 0, r
    doc = json.loads(r.out)
    assert doc["SchemaVersion"] == 2 and doc["ArtifactType"] == "filesystem"
    res = doc["Results"][0]
    assert res["Target"] == "Dockerfile" and res["Class"] == "config"
    assert res["Type"] == "dockerfile"
    got = {m["ID"]: m for m in res["Misconfigurations"]}
    for want in ("DS001", "DS002", "DS004", "DS005", "DS010", "DS026", "DS029", "DS031",
                 "VG-DS-001", "VG-DS-003", "VG-DS-004"):
        assert want in got, (want, sorted(got))
    assert res["MisconfSummary"]["Failures"] == len(res["Misconfigurations"])
    ds001 = got["DS001"]
    assert ds001["AVDID"] == "AVD-DS-0001" and ds001["Namespace"] == "builtin.dockerfile.DS001"
    assert ds001["PrimaryURL"] == "https://avd.aquasec.com/misconfig/ds001"
    assert ds001["CauseMetadata"]["StartLine"] == 1 and ds001["Status"] == "FAIL"
    assert "StartLine" not in got["DS002"]["CauseMetadata"]  # the file as a whole
    assert got["DS010"]["CauseMetadata"]["StartLine"] == 7
    assert "DB_PASSWORD" in got["DS031"]["Message"]


def test_clean_dockerfile_is_listed_with_successes(vigil, tmp_path):
    (tmp_path / "Containerfile").write_text(
        "FROM alpine:3.20@sha256:" + "a" * 64 + "\nUSER 10001\nHEALTHCHECK CMD true\n")
    doc = json.loads(vigil("config", "-f", "json", tmp_path).out)
    res = doc["Results"][0]
    assert res["Target"] == "Containerfile" and "Misconfigurations" not in res
    assert res["MisconfSummary"]["Failures"] == 0 and res["MisconfSummary"]["Successes"] > 20


def test_kubernetes_every_pod_carrying_kind(vigil, tmp_path):
    kinds = {
        "Pod": "spec: {containers: [{name: c, image: nginx}]}",
        "Deployment": "spec: {template: {spec: {containers: [{name: c, image: nginx}]}}}",
        "StatefulSet": "spec: {template: {spec: {containers: [{name: c, image: nginx}]}}}",
        "DaemonSet": "spec: {template: {spec: {containers: [{name: c, image: nginx}]}}}",
        "ReplicaSet": "spec: {template: {spec: {containers: [{name: c, image: nginx}]}}}",
        "ReplicationController": "spec: {template: {spec: {containers: [{name: c, image: nginx}]}}}",
        "Job": "spec: {template: {spec: {containers: [{name: c, image: nginx}]}}}",
        "CronJob": "spec: {jobTemplate: {spec: {template: {spec: {containers: "
                   "[{name: c, image: nginx}]}}}}}",
        "PodTemplate": "template: {spec: {containers: [{name: c, image: nginx}]}}",
    }
    docs = [f"apiVersion: v1\nkind: {k}\nmetadata: {{name: x{i}}}\n{body}\n"
            for i, (k, body) in enumerate(kinds.items())]
    (tmp_path / "all.yaml").write_text("---\n".join(docs))
    doc = json.loads(vigil("config", "-f", "json", tmp_path).out)
    msgs = [m["Message"] for m in doc["Results"][0]["Misconfigurations"] if m["ID"] == "KSV013"]
    for k in kinds:
        assert any(f" of {k} " in m for m in msgs), (k, msgs)


def test_seed_db_password_and_secret_objects(vigil):
    r = vigil("config", "-f", "json", CORPUS / "k8s")
    got = ids_by_target(json.loads(r.out))
    assert "VG-K8S-003" in got["db-password-literal.yaml"]
    assert "VG-K8S-003" not in got["hardened-deployment.yaml"]  # valueFrom.secretKeyRef
    assert "VG-K8S-003" in got["backup-cronjob.yaml"]
    assert {"VG-K8S-004", "VG-K8S-005"} <= set(got["secret-committed.yaml"])
    assert "KSV017" in got["privileged-pod.yaml"] and "KSV006" in got["privileged-pod.yaml"]
    assert "KSV017" not in got["hardened-deployment.yaml"]
    assert "KSV001" in got["list-kind.yaml"]  # kind: List items are checked


def test_encryption_configuration(vigil, tmp_path):
    (tmp_path / "enc.yaml").write_text(
        "apiVersion: apiserver.config.k8s.io/v1\nkind: EncryptionConfiguration\nresources:\n"
        "- resources: [secrets]\n  providers:\n  - identity: {}\n  - aescbc:\n      keys:\n"
        "      - {name: k1, secret: c2hvcnQ=}\n      - {name: k2, secret: '!!notb64'}\n"
        "- resources: [configmaps]\n  providers:\n  - aesgcm:\n      keys:\n"
        "      - {name: k3, secret: MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=}\n"
        "  - kms: {name: old, endpoint: 'unix:///kms.sock'}\n")
    doc = json.loads(vigil("config", "-f", "json", tmp_path).out)
    got = ids_by_target(doc)["enc.yaml"]
    for want in ("VG-ENC-001", "VG-ENC-002", "VG-ENC-003", "VG-ENC-004", "VG-ENC-005",
                 "VG-ENC-006", "VG-ENC-007"):
        assert want in got, (want, got)
    doc = json.loads(vigil("config", "-f", "json", CORPUS / "k8s" / "encryption-config-good.yaml").out)
    assert ids_by_target(doc)[str(CORPUS / "k8s" / "encryption-config-good.yaml")] == []


def test_severity_exit_code_and_sarif(vigil, tmp_path):
    (tmp_path / "Dockerfile").write_text("FROM alpine:3.20\nUSER 1000\nHEALTHCHECK CMD true\n")
    r = vigil("config", "--exit-code", "3", tmp_path)
    assert r.rc == 3 and "VG-DS-002" in r.out, r  # LOW: the base is not pinned
    r = vigil("config", "--exit-code", "1", "--severity", "HIGH,CRITICAL", tmp_path)
    assert r.rc == 0, r
    r = vigil("config", "--format", "sarif", tmp_path)
    sarif = json.loads(r.out)
    res = sarif["runs"][0]["results"]
    assert res and res[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == \
        "Dockerfile"
    assert res[0]["locations"][0]["physicalLocation"]["region"]["startLine"] == 1


def test_ignore_file_and_inline_comments(vigil, tmp_path):
    (tmp_path / "Dockerfile").write_text(
        "# trivy:ignore:DS002\n"
        "FROM alpine:3.20\n"
        "EXPOSE 22 # vigil:ignore:DS004\n"
        "# vigil:ignore:DS010\n"
        "RUN sudo true\n"
        "RUN sudo false\n")
    (tmp_path / ".vigilignore").write_text("DS026\n")
    r = vigil("config", "-f", "json", "--exit-code", "1", "--severity", "HIGH,CRITICAL",
              tmp_path, cwd=tmp_path)
    res = json.loads(r.out)["Results"][0]
    live = [(m["ID"], m.get("CauseMetadata", {}).get("StartLine"))
            for m in res["Misconfigurations"]]
    mods = {(m["Finding"]["ID"], m["Source"]) for m in res["ModifiedFindings"]}
    assert ("DS010", 6) in live and ("DS010", 5) not in live, live
    assert ("DS010", "inline comment") in mods and ("DS002", "inline comment") in mods
    assert all(i != "DS002" for i, _ in live) and r.rc == 1
    r = vigil("config", "-f", "json", tmp_path, cwd=tmp_path)
    res = json.loads(r.out)["Results"][0]
    mods = {(m["Finding"]["ID"], m["Source"]) for m in res["ModifiedFindings"]}
    assert ("DS026", "ignorefile") in mods and ("DS004", "inline comment") in mods, mods
    assert "DS004" not in {m["ID"] for m in res["Misconfigurations"]}


def test_policy_uses_the_admission_engine(vigil, tmp_path):
    pol = tmp_path / "policy.yaml"
    pol.write_text("apiVersion: vigil.dev/v1\nkind: ImagePolicy\nmetadata: {name: trusted}\n"
                   "spec:\n  trustedImages: [\"registry.example.com/**\"]\n")
    (tmp_path / "m").mkdir()
    (tmp_path / "m" / "app.yaml").write_text(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  template:\n"
        "    spec:\n      containers:\n      - {name: a, image: evil.io/app:1}\n---\n"
        "apiVersion: v1\nkind: Pod\nmetadata: {name: ok}\nspec:\n  containers:\n"
        "  - {name: a, image: registry.example.com/app:1}\n")
    r = vigil("config", "-f", "json", "--policy", pol, "--severity", "HIGH", "--exit-code", "1",
              tmp_path / "m")
    assert r.rc == 1, r
    mis = json.loads(r.out)["Results"][0]["Misconfigurations"]
    deny = [m for m in mis if m["ID"] == "VG-ADMIT-DENY"]
    assert len(deny) == 1 and "Deployment 'web'" in deny[0]["Message"], mis
    assert "evil.io/app:1" in deny[0]["Message"]
    r = vigil("config", "--policy", tmp_path / "absent.yaml", tmp_path / "m")
    assert r.rc in (4, 6) and "absent.yaml" in r.err


def test_helm_template_on_stdin(vigil):
    data = (CORPUS / "k8s" / "helm-rendered.yaml").read_text()
    r = vigil("config", "--file-type", "kubernetes", "-f", "json", "/dev/stdin", input=data)
    got = ids_by_target(json.loads(r.out))["/dev/stdin"]
    assert "KSV013" in got and "KSV001" in got  # the chart's test Pod uses busybox (no tag)


def test_hostile_inputs(vigil, tmp_path):
    d = tmp_path / "tree"
    d.mkdir()
    (d / "Dockerfile").write_bytes(b"\x7fELF\x02\x01\x01\x00" + os.urandom(4096))
    bomb = ["apiVersion: v1\nkind: ConfigMap\nmetadata: {name: b}\ndata:\n",
            "  a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n"]
    for i in range(1, 12):
        bomb.append(f"  a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]\n")
    (d / "bomb.yaml").write_text("".join(bomb))
    (d / "deep.yaml").write_text("apiVersion: v1\nkind: Pod\nspec: " + "[" * 5000 + "]" * 5000)
    with open(d / "big.yaml", "wb") as f:
        f.truncate(50 * 1024 * 1024)
    (d / "ok.yaml").write_text("apiVersion: v1\nkind: Pod\nmetadata: {name: p}\n"
                               "spec: {containers: [{name: c, image: nginx}]}\n")
    r = vigil("config", "-f", "json", d, timeout=60)
    assert r.rc == 0, r
    assert ids_by_target(json.loads(r.out)).keys() == {"ok.yaml"}
    notes = [x for x in r.err.splitlines() if "skipped" in x]
    assert len(notes) == 4, r.err
    assert any("Dockerfile" in n and "not a text file" in n for n in notes), notes
    assert any("bomb.yaml" in n for n in notes) and any("deep.yaml" in n for n in notes)
    assert any("big.yaml" in n and "limit" in n for n in notes), notes
    for name in ("Dockerfile", "bomb.yaml", "deep.yaml", "big.yaml"):
        r = vigil("config", d / name, timeout=60)
        assert r.rc == 6, (name, r)
        assert r.err.count("\n") == 1 and name in r.err, (name, r.err)


def test_usage_and_help(vigil, tmp_path):
    r = vigil("config", "--help")
    assert r.rc == 0 and "Examples:" in r.out and "vigil config" in r.out
    assert vigil("config").rc == 2
    assert vigil("config", "--format", "cyclonedx", tmp_path).rc == 2
    r = vigil("config", tmp_path / "absent")
    assert r.rc == 4 and "absent" in r.err
