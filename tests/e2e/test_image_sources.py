# SPDX-License-Identifier: Apache-2.0
"""The oci-archive:, containers-storage: and docker-daemon: image sources end to end.

Each is compared with the same image read through a form vigil already had: an oci-archive made
by skopeo against the oci: layout it came from; a containers-storage image (put there by skopeo
and extended by `podman build`, which is buildah) against `skopeo copy containers-storage:...
oci:DIR` of it; a docker-daemon export against the docker-archive it serves. Same layers
(diffIDs), same packages, same files. Stores live in temporary graph roots (vfs always; overlay
where the kernel lets containers/storage mount it, skipped clearly otherwise).

No Docker daemon runs on CI machines: docker-daemon: is tested against a stand-in, a small Python
HTTP server on a Unix socket that answers GET /images/{name}/json and streams GET
/images/{name}/get from a docker-archive made with skopeo, as the Engine API does. A test against
a real dockerd (started on a private socket and data root) runs only where dockerd can start.
"""
import gzip
import http.server
import io
import json
import os
import shutil
import socketserver
import subprocess
import sys
import tarfile
import threading
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
import images  # noqa: E402
from images import File, HardLink, Layout, Opaque, Symlink, Whiteout  # noqa: E402

EXIT_OK, EXIT_USAGE, EXIT_NOTFOUND, EXIT_CORRUPT, EXIT_NET = 0, 2, 4, 6, 7

needs_skopeo = pytest.mark.skipif(not images.have_skopeo(), reason="skopeo not installed")

DPKG_STATUS = """Package: libc6
Status: install ok installed
Architecture: amd64
Source: glibc
Version: 2.36-9+deb12u4

Package: openssl
Status: install ok installed
Architecture: amd64
Version: 3.0.15-1~deb12u1
"""
LAYERS = [
    {"etc/os-release": b'ID=debian\nVERSION_ID="12"\n', "var/lib/dpkg/status": DPKG_STATUS,
     "bin/busybox": File(b"\x7fELF" + bytes(range(256)) * 64, 0o755),
     "bin/sh": Symlink("busybox"), "usr/bin/ash": HardLink("bin/busybox"),
     "tmp/gone.txt": "deleted later\n", "opt/old/a": "a\n",
     "usr/lib/python3/dist-packages/requests-2.31.0.dist-info/METADATA":
         "Metadata-Version: 2.1\nName: requests\nVersion: 2.31.0\n"},
    {"tmp/gone.txt": Whiteout(), "opt/old": Opaque(), "opt/old/b": "b\n",
     "srv/app.env": "AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE\n"},
]


def assert_one_line_error(r, code, *needles):
    assert r.rc == code, r
    lines = r.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("vigil: error: "), r.err
    for n in needles:
        assert n in lines[0], (n, r.err)


def view(vigil, image):
    """What must not depend on the source: layers by diffID, config, packages, files."""
    r = vigil("inspect", "--format", "json", image)
    assert r.rc == EXIT_OK, r
    ins = json.loads(r.out)
    s = vigil("sbom", "--no-cache", "--format", "json", image)
    assert s.rc == EXIT_OK, s
    sb = json.loads(s.out)
    pkgs = sorted((p["kind"], p["name"], p["version"], p.get("purl"), p.get("path"),
                   p["layer"]["diff_id"]) for p in sb["packages"])
    return {"diff_ids": [l["diffID"] for l in ins["layers"]],
            "files": [l["files"] for l in ins["layers"]],
            "config": ins["config"]["digest"], "platform": ins["platform"],
            "os": sb.get("os"), "packages": pkgs}


def secrets(vigil, image):
    r = vigil("scan", "--no-cache", "--scanners", "secret", "--format", "json", image)
    assert r.rc == EXIT_OK, r
    out = json.loads(r.out)
    return sorted((res["Target"], s["RuleID"]) for res in out.get("Results") or []
                  for s in res.get("Secrets") or [])


@pytest.fixture(scope="module")
def layout(tmp_path_factory):
    d = tmp_path_factory.mktemp("src")
    lay = Layout(d / "oci")
    img = lay.add_image(LAYERS, compression="gzip", config={"User": "1000"})
    lay.tag(img.desc, "v1")
    lay.save()
    return lay


# ------------------------------------------------------------------ oci-archive


@needs_skopeo
def test_oci_archive_equals_layout(vigil, layout, tmp_path):
    arch = tmp_path / "img.tar"
    images.skopeo_copy(f"oci:{layout.path}:v1", f"oci-archive:{arch}:v1")
    want = view(vigil, f"oci:{layout.path}:v1")
    assert len(want["packages"]) == 3
    assert view(vigil, f"oci-archive:{arch}:v1") == want
    assert view(vigil, f"oci-archive:{arch}") == want  # the only image
    r = vigil("inspect", "--format", "json", f"oci-archive:{arch}")
    assert json.loads(r.out)["transport"] == "oci-archive"
    gz = tmp_path / "img.tar.gz"  # podman and buildx archives may be gzipped
    gz.write_bytes(gzip.compress(arch.read_bytes(), 1))
    assert view(vigil, f"oci-archive:{gz}:v1") == want
    assert secrets(vigil, f"oci-archive:{arch}") == secrets(vigil, f"oci:{layout.path}:v1")
    assert_one_line_error(vigil("inspect", f"oci-archive:{arch}:nope"), EXIT_NOTFOUND,
                          'no image "nope"', "tags: v1")
    assert_one_line_error(vigil("inspect", f"oci-archive:{tmp_path}/none.tar"), EXIT_NOTFOUND)


def _tar_of_layout(layout_dir: Path, out: Path, extra=(), skip=()):
    with tarfile.open(out, "w", format=tarfile.PAX_FORMAT) as tf:
        for p in sorted(layout_dir.rglob("*")):
            rel = p.relative_to(layout_dir).as_posix()
            if p.is_file() and rel not in skip:
                tf.add(p, arcname=rel)
        for info, data in extra:
            tf.addfile(info, io.BytesIO(data) if data is not None else None)


def _entry(name, data=b"", type_=tarfile.REGTYPE, link=""):
    ti = tarfile.TarInfo(name)
    ti.type = type_
    ti.linkname = link
    ti.size = len(data) if type_ == tarfile.REGTYPE else 0
    return ti, data if type_ == tarfile.REGTYPE else None


def test_oci_archive_hostile(vigil, layout, tmp_path):
    idx = (layout.path / "index.json").read_bytes()
    cases = {
        "traversal": ([_entry("../../evil", b"x")], (), EXIT_CORRUPT, "escape the archive root"),
        "duplicate": ([_entry("index.json", idx)], (), EXIT_CORRUPT, "occurs 2 times"),
        "symlink": ([_entry("index.json", type_=tarfile.SYMTYPE, link="/etc/passwd")],
                    ("index.json",), EXIT_CORRUPT, "links are not followed"),
        "huge-index": ([_entry("index.json", b" " * (4 * 1024 * 1024 + 1))], ("index.json",),
                       EXIT_CORRUPT, "exceeds the limit"),
        "no-layout": ([], ("oci-layout",), EXIT_NOTFOUND, "not an OCI layout"),
        "dir-index": ([_entry("index.json", type_=tarfile.DIRTYPE)], ("index.json",),
                      EXIT_CORRUPT, "not a regular file"),
    }
    for name, (extra, skip, code, needle) in cases.items():
        out = tmp_path / f"{name}.tar"
        _tar_of_layout(layout.path, out, extra, skip)
        assert_one_line_error(vigil("inspect", f"oci-archive:{out}"), code, needle)
    garbage = tmp_path / "garbage.tar"
    garbage.write_bytes(b"\x01" * 1024)
    assert_one_line_error(vigil("inspect", f"oci-archive:{garbage}"), EXIT_CORRUPT,
                          "corrupt header")


# ------------------------------------------------------------------ containers-storage


def _store(base: Path, driver: str):
    return base / f"{driver}-root", base / f"{driver}-run"


def _cs(driver, root, run, ref):
    # skip_mount_home: containers/storage would otherwise bind-mount <root>/overlay onto
    # itself and leave the mount behind (vigil reads options and ignores them)
    opts = ":overlay.skip_mount_home=true" if driver == "overlay" else ""
    return f"containers-storage:[{driver}@{root}+{run}{opts}]{ref}"


@pytest.fixture(scope="module")
def stores(layout, tmp_path_factory):
    """The image in a vfs store (plus a layer podman/buildah builds on it) and, where it can be
    mounted, an overlay store; and skopeo's oci: copies of what the stores hold."""
    if not images.have_skopeo():
        pytest.skip("skopeo not installed")
    base = tmp_path_factory.mktemp("stores")
    out = {"base": base, "drivers": []}
    for driver in ("vfs", "overlay"):
        root, run = _store(base, driver)
        p = subprocess.run(["skopeo", "copy", "-q", f"oci:{layout.path}:v1",
                            _cs(driver, root, run, "localhost/vigil-test:v1")],
                           capture_output=True, text=True, timeout=120)
        if p.returncode != 0:
            assert driver == "overlay", p.stderr
            out["overlay_skip"] = p.stderr.strip().splitlines()[-1] if p.stderr else "failed"
            continue
        out["drivers"].append(driver)
    root, run = _store(base, "vfs")
    ctx = base / "ctx"
    ctx.mkdir()
    (ctx / "hello.txt").write_text("hello\n")
    (ctx / "Containerfile").write_text("FROM localhost/vigil-test:v1\n"
                                       "COPY hello.txt /srv/hello.txt\n")
    out["built"] = False
    if shutil.which("podman"):
        p = subprocess.run(["podman", "--root", str(root), "--runroot", str(run),
                            "--storage-driver", "vfs", "build", "-q", "--pull=never",
                            "--network=none", "-t", "localhost/vigil-test:built", str(ctx)],
                           capture_output=True, text=True, timeout=300)
        assert p.returncode == 0, p.stderr
        out["built"] = True
    for driver in out["drivers"]:
        root, run = _store(base, driver)
        images.skopeo_copy(_cs(driver, root, run, "localhost/vigil-test:v1"),
                           f"oci:{base}/{driver}-copy:v1")
    if out["built"]:
        images.skopeo_copy(_cs("vfs", *_store(base, "vfs"), "localhost/vigil-test:built"),
                           f"oci:{base}/built-copy:b")
    return out


@pytest.mark.parametrize("driver", ["vfs", "overlay"])
def test_containers_storage_equals_skopeo_copy(vigil, stores, layout, driver):
    if driver not in stores["drivers"]:
        pytest.skip(f"overlay store unavailable here: {stores.get('overlay_skip')}")
    root, run = _store(stores["base"], driver)
    want = view(vigil, f"oci:{stores['base']}/{driver}-copy:v1")
    assert want == view(vigil, f"oci:{layout.path}:v1")
    for ref in ("localhost/vigil-test:v1", "vigil-test:v1"):
        got = view(vigil, _cs(driver, root, run, ref))
        assert got == want, ref
    # whiteouts and opaque directories as the layer tar wrote them
    assert want["files"][1] >= 4
    assert secrets(vigil, _cs(driver, root, run, "vigil-test:v1")) == \
        secrets(vigil, f"oci:{layout.path}:v1")
    r = vigil("inspect", "--format", "json", _cs(driver, root, run, "vigil-test:v1"))
    ins = json.loads(r.out)
    assert ins["transport"] == "containers-storage"
    assert all(l["mediaType"] == images.MT_OCI_LAYER for l in ins["layers"])
    # by image ID (and a prefix of it)
    image_id = ins["config"]["digest"].split(":")[1]
    assert view(vigil, _cs(driver, root, run, image_id[:12])) == want


def test_containers_storage_built_by_podman(vigil, stores):
    if not stores["built"]:
        pytest.skip("podman not installed")
    root, run = _store(stores["base"], "vfs")
    want = view(vigil, f"oci:{stores['base']}/built-copy:b")
    assert len(want["diff_ids"]) == 3
    assert view(vigil, _cs("vfs", root, run, "localhost/vigil-test:built")) == want


def test_containers_storage_conf(vigil, stores, tmp_path):
    """Without [store]: CONTAINERS_STORAGE_CONF's [storage] table names the store."""
    root, run = _store(stores["base"], "vfs")
    conf = tmp_path / "storage.conf"
    conf.write_text(f'[storage]\ndriver = "vfs"  # as podman writes it\ngraphroot = "{root}"\n'
                    f"runroot = '{run}'\n[storage.options]\ngraphroot = \"/nowhere\"\n")
    env = {"CONTAINERS_STORAGE_CONF": str(conf)}
    want = view(vigil, f"oci:{stores['base']}/vfs-copy:v1")
    r = vigil("inspect", "--format", "json", "containers-storage:vigil-test:v1", env=env)
    assert r.rc == EXIT_OK, r
    assert [l["diffID"] for l in json.loads(r.out)["layers"]] == want["diff_ids"]
    conf.write_text(f'[storage]\ngraphroot = "{root}\n')
    assert_one_line_error(vigil("inspect", "containers-storage:vigil-test:v1", env=env),
                          EXIT_CORRUPT, "storage.conf: line 2", "unterminated string")
    env = {"CONTAINERS_STORAGE_CONF": str(tmp_path / "absent.conf")}
    assert_one_line_error(vigil("inspect", "containers-storage:vigil-test:v1", env=env),
                          EXIT_NOTFOUND)


def test_containers_storage_errors(vigil, stores, tmp_path):
    root, run = _store(stores["base"], "vfs")
    assert_one_line_error(vigil("inspect", _cs("vfs", root, run, "localhost/nope:v1")),
                          EXIT_NOTFOUND, 'no image "localhost/nope:v1"')
    assert_one_line_error(vigil("inspect", _cs("vfs", tmp_path / "none", run, "x:1")),
                          EXIT_NOTFOUND, "no store")
    assert_one_line_error(vigil("inspect", _cs("btrfs", root, run, "x:1")), EXIT_CORRUPT,
                          'driver "btrfs" is not supported')
    assert_one_line_error(vigil("inspect", "containers-storage:[vfs@relative]x:1"), EXIT_USAGE)
    assert_one_line_error(vigil("inspect", f"containers-storage:[vfs@{root}]"), EXIT_USAGE)


def test_containers_storage_hostile_store(vigil, stores, tmp_path):
    """A copy of the store, tampered with: every change is caught, nothing else is read."""
    src, run = _store(stores["base"], "vfs")
    root = tmp_path / "root"
    shutil.copytree(src, root, symlinks=True)
    ref = _cs("vfs", root, run, "vigil-test:v1")
    assert vigil("inspect", ref).rc == EXIT_OK
    layers = json.loads((root / "vfs-layers" / "layers.json").read_text())
    base_layer = next(l["id"] for l in layers if not l.get("parent"))
    # content changed behind the store's back: the rebuilt tar no longer has the diff digest
    status = root / "vfs" / "dir" / base_layer / "var/lib/dpkg/status"
    status.write_text(status.read_text().replace("openssl", "opensxl"))
    assert_one_line_error(vigil("sbom", "--no-cache", ref), EXIT_CORRUPT, "digest mismatch")
    # a file replaced by a symlink out of the layer is never followed
    status.unlink()
    status.symlink_to("/etc/passwd")
    assert_one_line_error(vigil("sbom", "--no-cache", ref), EXIT_CORRUPT, "symlink")
    status.unlink()
    assert_one_line_error(vigil("sbom", "--no-cache", ref), EXIT_NOTFOUND,
                          "var/lib/dpkg/status")
    # metadata that would name paths outside the store
    imgs = root / "vfs-images" / "images.json"
    good = imgs.read_text()
    doc = json.loads(good)
    doc[0]["layer"] = "../../../../etc"
    imgs.write_text(json.dumps(doc))
    assert_one_line_error(vigil("inspect", ref), EXIT_CORRUPT, "not 64 hex digits")
    imgs.write_text("[{")
    assert_one_line_error(vigil("inspect", ref), EXIT_CORRUPT, "images.json")
    imgs.write_text(good)
    (root / "vfs-layers" / f"{base_layer}.tar-split.gz").unlink()
    assert_one_line_error(vigil("sbom", "--no-cache", ref), EXIT_CORRUPT, "tar-split")
    # the store is never written to
    before = sorted((p.relative_to(src).as_posix(), p.lstat().st_mtime_ns)
                    for p in src.rglob("*"))
    assert vigil("sbom", "--no-cache", _cs("vfs", src, run, "vigil-test:v1")).rc == EXIT_OK
    after = sorted((p.relative_to(src).as_posix(), p.lstat().st_mtime_ns) for p in src.rglob("*"))
    assert before == after


# ------------------------------------------------------------------ docker-daemon


class _UnixHTTPServer(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True


def _engine_handler(archives):
    """The two Engine API routes docker-daemon: uses, as dockerd answers them."""

    class H(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def address_string(self):
            return "unix"

        def log_message(self, *a):
            pass

        def _send(self, code, body, ctype="application/json"):
            self.send_response(code)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self):
            parts = self.path.split("?")[0].strip("/").split("/")
            if len(parts) >= 3 and parts[0] == "images" and parts[-1] in ("json", "get"):
                name = "/".join(parts[1:-1])
                if name not in archives:
                    msg = {"message": f"No such image: {name}"}
                    return self._send(404, json.dumps(msg).encode())
                path, image_id = archives[name]
                if parts[-1] == "json":
                    return self._send(200, json.dumps({"Id": image_id,
                                                       "RepoTags": [name]}).encode())
                self.send_response(200)
                self.send_header("Content-Type", "application/x-tar")
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                with open(path, "rb") as f:
                    while chunk := f.read(7919):
                        self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                self.wfile.write(b"0\r\n\r\n")
                return None
            return self._send(404, b'{"message":"page not found"}')

    return H


@pytest.fixture(scope="module")
def engine(layout, tmp_path_factory):
    if not images.have_skopeo():
        pytest.skip("skopeo not installed")
    d = tmp_path_factory.mktemp("engine")
    arch = d / "export.tar"
    images.skopeo_copy(f"oci:{layout.path}:v1", f"docker-archive:{arch}:example.com/app:v1")
    image_id = images.sha256(images.skopeo_raw(f"oci:{layout.path}:v1", config=True))
    sock = d / "docker.sock"
    srv = _UnixHTTPServer(str(sock), _engine_handler({"example.com/app:v1": (arch, image_id)}))
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    yield {"sock": sock, "archive": arch}
    srv.shutdown()
    srv.server_close()


def test_docker_daemon_standin(vigil, engine, tmp_path):
    env = {"DOCKER_HOST": f"unix://{engine['sock']}", "TMPDIR": str(tmp_path)}
    want = view(vigil, f"docker-archive:{engine['archive']}")
    r = vigil("inspect", "--format", "json", "docker-daemon:example.com/app:v1", env=env)
    assert r.rc == EXIT_OK, r
    assert json.loads(r.out)["transport"] == "docker-daemon"
    s = vigil("sbom", "--no-cache", "--format", "json", "docker-daemon:example.com/app:v1",
              env=env)
    assert s.rc == EXIT_OK, s
    pk = sorted((p["kind"], p["name"], p["version"], p.get("purl"), p.get("path"),
                 p["layer"]["diff_id"]) for p in json.loads(s.out)["packages"])
    assert pk == want["packages"]
    assert [l["diffID"] for l in json.loads(r.out)["layers"]] == want["diff_ids"]
    assert list(tmp_path.iterdir()) == [], "the spooled export must leave nothing behind"
    assert_one_line_error(vigil("inspect", "docker-daemon:example.com/none:v1", env=env),
                          EXIT_NOTFOUND, "no image example.com/none:v1")


def test_docker_daemon_unreachable(vigil, tmp_path):
    env = {"DOCKER_HOST": f"unix://{tmp_path}/absent.sock"}
    assert_one_line_error(vigil("inspect", "docker-daemon:alpine:3", env=env), EXIT_NET,
                          "cannot reach the Docker daemon", "absent.sock")
    assert_one_line_error(vigil("inspect", "docker-daemon:alpine:3",
                                env={"DOCKER_HOST": "tcp://127.0.0.1:2375"}), EXIT_CORRUPT,
                          "unix:///PATH")
    assert_one_line_error(vigil("inspect", "docker-daemon:Bad Name"), EXIT_USAGE)


def test_docker_daemon_real(vigil, layout, tmp_path):
    """Against a real dockerd on a private socket, where one can start (root, dockerd)."""
    dockerd = shutil.which("dockerd")
    if not dockerd or os.geteuid() != 0 or not shutil.which("docker"):
        pytest.skip("no dockerd on this machine (the stand-in test covers the Engine API "
                    "client)")
    sock = tmp_path / "d.sock"
    proc = subprocess.Popen([dockerd, "-H", f"unix://{sock}", "--data-root",
                             str(tmp_path / "data"), "--exec-root", str(tmp_path / "exec"),
                             "--pidfile", str(tmp_path / "d.pid"), "--bridge=none",
                             "--iptables=false"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        env = dict(os.environ, DOCKER_HOST=f"unix://{sock}")
        ok = subprocess.run(["docker", "version"], env=env, capture_output=True,
                            timeout=60).returncode == 0
        for _ in range(60):
            if ok:
                break
            ok = subprocess.run(["docker", "version"], env=env, capture_output=True,
                                timeout=60).returncode == 0
        if not ok:
            pytest.skip("dockerd did not start here")
        arch = tmp_path / "img.tar"
        images.skopeo_copy(f"oci:{layout.path}:v1", f"docker-archive:{arch}:example.com/app:v1")
        subprocess.run(["docker", "load", "-i", str(arch)], env=env, check=True,
                       capture_output=True, timeout=120)
        want = view(vigil, f"docker-archive:{arch}")
        r = vigil("inspect", "--format", "json", "docker-daemon:example.com/app:v1",
                  env={"DOCKER_HOST": f"unix://{sock}"})
        assert r.rc == EXIT_OK, r
        assert [l["diffID"] for l in json.loads(r.out)["layers"]] == want["diff_ids"]
    finally:
        proc.terminate()
        proc.wait(timeout=60)
