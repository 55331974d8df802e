# SPDX-License-Identifier: Apache-2.0
"""Docker credential helpers (`credHelpers`, `credsStore` in config.json) against Debian's
docker-registry with htpasswd auth over TLS. A fake `docker-credential-vigiltest`
(tests/data/credhelpers) speaking the real protocol is put first on $PATH; it answers from
files the tests write, and logs each call so the tests can check what vigil asked."""
import base64
import json
import os
import shutil
from pathlib import Path

import pytest

import images
from registry_fixtures import Registry

USER, PASSWORD = "alice", "s3cret:x"
PW = {"COSIGN_PASSWORD": "pw"}


@pytest.fixture(scope="module")
def registry(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("credhelpers")
    reg = Registry(tmp, auth=(USER, PASSWORD), tls=True).start()
    lay, img = images.build_image(tmp / "oci", tag="v1",
                                  layers=[{"etc/os-release": b"ID=debian\n"}])
    reg.push(f"oci:{lay.path}:v1", "team/app:v1")
    reg.image = img
    yield reg
    reg.stop()


class Helper:
    """A DOCKER_CONFIG dir, a bin dir with the fake helper, and its answer store."""

    def __init__(self, tmp: Path, data_dir: Path, registry):
        self.reg = registry
        self.cfg = tmp / "docker"
        self.bin = tmp / "bin"
        self.store = tmp / "store"
        self.log = tmp / "helper.log"
        for d in (self.cfg, self.bin, self.store):
            d.mkdir()
        dst = self.bin / "docker-credential-vigiltest"
        shutil.copy(data_dir / "credhelpers" / "docker-credential-vigiltest", dst)
        dst.chmod(0o755)

    def config(self, doc: dict):
        (self.cfg / "config.json").write_text(json.dumps(doc))

    def answer(self, url: str, user: str, secret: str):
        name = url.replace("/", "_").replace(":", "_")
        (self.store / name).write_text(json.dumps(
            {"ServerURL": url, "Username": user, "Secret": secret}))

    def env(self) -> dict:
        return {"DOCKER_CONFIG": str(self.cfg),
                "PATH": f"{self.bin}:{os.environ.get('PATH', '/usr/bin:/bin')}",
                "VIGILTEST_STORE": str(self.store), "VIGILTEST_LOG": str(self.log)}

    def calls(self) -> list[str]:
        return self.log.read_text().splitlines() if self.log.exists() else []


@pytest.fixture
def helper(tmp_path, data_dir, registry):
    return Helper(tmp_path, data_dir, registry)


def inspect(vigil, helper, *args):
    ref = f"docker://{helper.reg.ref('team/app:v1')}"
    return vigil("inspect", "--format", "json", "--insecure", *args, ref, env=helper.env())


def test_cred_helpers_entry_authenticates(vigil, helper):
    helper.config({"credHelpers": {helper.reg.host: "vigiltest"}})
    helper.answer(helper.reg.host, USER, PASSWORD)
    r = inspect(vigil, helper)
    assert r.rc == 0, r
    assert json.loads(r.out)["manifestDigest"] == helper.reg.image.digest
    # The protocol: verb "get", the bare host:port as the server URL.
    assert helper.calls() and all(c == f"get {helper.reg.host}" for c in helper.calls())
    assert PASSWORD not in r.err


def test_wrong_password_from_helper_is_exit_5(vigil, helper):
    helper.config({"credHelpers": {helper.reg.host: "vigiltest"}})
    helper.answer(helper.reg.host, USER, "wrong-password")
    r = inspect(vigil, helper)
    assert r.rc == 5, r
    assert "wrong-password" not in r.err


def test_creds_store_authenticates(vigil, helper):
    helper.config({"credsStore": "vigiltest", "auths": {helper.reg.host: {}}})
    helper.answer(helper.reg.host, USER, PASSWORD)
    r = inspect(vigil, helper)
    assert r.rc == 0, r
    assert helper.calls()


def test_not_found_in_helper_falls_back_to_auths(vigil, helper):
    auth = base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
    helper.config({"credsStore": "vigiltest", "auths": {helper.reg.host: {"auth": auth}}})
    r = inspect(vigil, helper)
    assert r.rc == 0, r
    assert helper.calls(), "the helper was not asked first"


def test_not_found_anywhere_is_authentication_required(vigil, helper):
    helper.config({"credsStore": "vigiltest"})
    r = inspect(vigil, helper)
    assert r.rc == 5, r
    assert "authentication required" in r.err


def test_creds_option_wins_over_helpers(vigil, helper):
    helper.config({"credsStore": "vigiltest"})
    helper.answer(helper.reg.host, USER, "wrong-password")
    r = inspect(vigil, helper, "--creds", f"{USER}:{PASSWORD}")
    assert r.rc == 0, r
    assert helper.calls() == []


def test_missing_helper_is_skipped_with_a_warning(vigil, helper):
    """A helper that is not installed (a desktop config copied into CI) is skipped with one
    warning line; the private registry then refuses the anonymous request (exit 5)."""
    helper.config({"credHelpers": {helper.reg.host: "vigilmissing"}})
    r = inspect(vigil, helper)
    assert r.rc == 5, r
    lines = r.err.strip().splitlines()
    assert len(lines) == 2, r.err
    assert "warn" in lines[0] and "docker-credential-vigilmissing" in lines[0], r.err
    assert "not found on $PATH" in lines[0] and helper.reg.host in lines[0], r.err
    assert "continuing without it" in lines[0], r.err
    assert "authentication" in lines[1].lower() or "401" in lines[1], r.err


def test_invalid_helper_name_is_refused(vigil, helper):
    helper.config({"credHelpers": {helper.reg.host: "../bin/docker-credential-vigiltest"}})
    r = inspect(vigil, helper)
    assert r.rc == 6, r
    assert "invalid credential helper" in r.err
    assert helper.calls() == []


def test_hanging_helper_is_killed(vigil, helper):
    hang = helper.bin / "docker-credential-vigilhang"
    hang.write_text("#!/bin/sh\nexec sleep 60\n")
    hang.chmod(0o755)
    helper.config({"credsStore": "vigilhang"})
    env = helper.env() | {"VIGIL_CREDENTIAL_HELPER_TIMEOUT_MS": "500"}
    ref = f"docker://{helper.reg.ref('team/app:v1')}"
    r = vigil("inspect", "--insecure", ref, env=env, timeout=30)
    assert r.rc == 5, r
    assert "docker-credential-vigilhang" in r.err and "500 ms" in r.err


def test_sign_and_verify_with_helper(vigil, helper, tmp_path):
    helper.config({"credHelpers": {helper.reg.host: "vigiltest"}})
    helper.answer(helper.reg.host, USER, PASSWORD)
    r = vigil("generate-key-pair", env=PW, cwd=tmp_path)
    assert r.rc == 0, r
    ref = helper.reg.ref("team/app:v1")
    r = vigil("sign", "--insecure", "--key", "cosign.key", ref, env=helper.env() | PW,
              cwd=tmp_path)
    assert r.rc == 0, r
    r = vigil("verify", "--insecure", "--key", "cosign.pub", ref, env=helper.env(),
              cwd=tmp_path)
    assert r.rc == 0, r
    helper.answer(helper.reg.host, USER, "wrong-password")
    r = vigil("verify", "--insecure", "--key", "cosign.pub", ref, env=helper.env(),
              cwd=tmp_path)
    assert r.rc == 5, r


def test_garbage_answer_is_exit_6_without_echoing_it(vigil, helper):
    (helper.store / helper.reg.host.replace(":", "_")).write_text("Secret: hunter2 {")
    helper.config({"credsStore": "vigiltest"})
    r = inspect(vigil, helper)
    assert r.rc == 6, r
    assert "docker-credential-vigiltest" in r.err and "not a JSON object" in r.err
    assert "hunter2" not in r.err


def test_helper_runs_only_when_the_registry_asks(tmp_path, vigil, data_dir, registry):
    """Credentials are looked up on the first 401: pulling from a registry that needs none
    never runs the helper (nor warns about a missing one)."""
    open_reg = Registry(tmp_path / "open", tls=True).start()
    try:
        lay, img = images.build_image(tmp_path / "oci", tag="v1",
                                      layers=[{"etc/os-release": b"ID=debian\n"}])
        open_reg.push(f"oci:{lay.path}:v1", "pub/app:v1")
        (tmp_path / "h").mkdir()
        h = Helper(tmp_path / "h", data_dir, registry)
        h.config({"credsStore": "vigiltest", "credHelpers": {open_reg.host: "vigilmissing"}})
        r = vigil("inspect", "--format", "json", "--insecure",
                  f"docker://{open_reg.ref('pub/app:v1')}", env=h.env())
        assert r.rc == 0, r
        assert json.loads(r.out)["manifestDigest"] == img.digest
        assert h.calls() == [] and "warn" not in r.err, r
        # The private registry asks, so the store's helper runs there.
        h.answer(registry.host, USER, PASSWORD)
        r = vigil("inspect", "--format", "json", "--insecure",
                  f"docker://{registry.ref('team/app:v1')}", env=h.env())
        assert r.rc == 0, r
        assert h.calls() == [f"get {registry.host}"], h.calls()
    finally:
        open_reg.stop()
