# SPDX-License-Identifier: Apache-2.0
"""End-to-end tests of `vigil vercmp`: the CLI contract (single mode, stdin mode, exit codes,
--help, --list), hand-picked tables in tests/data/version/<scheme>.txt, and differential tests
that feed thousands of seeded random pairs per scheme through ONE `vigil vercmp X -` call and
one call of the scheme's reference implementation, then require identical answers:

    deb       libdpkg (parseversion + dpkg_version_compare, built from dpkg_ref.c), and a
              sample through `dpkg --compare-versions` itself
    rpm       python3-rpm: rpm.ver (librpm's rpmverCmp)
    semver    node-semver (semver.compare), from the npm registry or npm's bundled copy
    pep440    python3-packaging: packaging.version.Version
    maven     Maven's ComparableVersion (java -cp maven-artifact.jar ... main)
    rubygems  ruby: Gem::Version#<=>
    composer  composer/semver (Debian's composer): VersionParser::normalize + Comparator
    go        golang.org/x/mod/semver (Debian's golang-golang-x-mod-dev, built by go_ref.go)

A scheme whose reference tool is missing is skipped, never silently passed. apk and nuget
have no reference tool in Debian: their tables come from the upstream projects' documented
behaviour and test vectors.
"""
import os
import random
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

SEED = 20261122
N_PAIRS = 3000
PY = "/usr/bin/python3"
DATA = Path(__file__).resolve().parents[1] / "data" / "version"


# ----------------------------------------------------------------------------- helpers

def batch(vigil, scheme, pairs):
    inp = "".join(f"{a} {b}\n" for a, b in pairs)
    r = vigil("vercmp", scheme, "-", input=inp)
    assert r.rc in (0, 6), r
    out = r.out.splitlines()
    assert len(out) == len(pairs), r
    return out


def assert_same(scheme, pairs, ours, ref, min_each=50):
    assert len(ref) == len(pairs), f"{scheme}: reference printed {len(ref)} lines"
    bad = [(a, b, o, e) for (a, b), o, e in zip(pairs, ours, ref) if o != e]
    assert not bad, (f"{scheme}: {len(bad)} of {len(pairs)} pairs differ from the reference "
                     f"(a, b, vigil, reference): {bad[:25]}")
    # The sample must exercise every outcome, or the test proves little.
    for c in "<=>":
        assert ref.count(c) >= min_each, f"{scheme}: only {ref.count(c)} '{c}' in the sample"


def make_pairs(gen, n=N_PAIRS, seed=SEED):
    rng = random.Random(seed)
    pool = [gen(rng) for _ in range(n // 3)]
    pairs = []
    for _ in range(n):
        a = rng.choice(pool)
        r = rng.random()
        if r < 0.15:
            b = a
        elif r < 0.55:
            b = rng.choice(pool)
        else:
            b = gen(rng)
        pairs.append((a, b))
    return pairs


def run(cmd, inp, timeout=600, **kw):
    p = subprocess.run(cmd, input=inp, capture_output=True, text=True, timeout=timeout, **kw)
    assert p.returncode == 0, f"{cmd[0]} failed: {p.stderr[-2000:]}"
    return p.stdout.splitlines()


def pairs_text(pairs):
    return "".join(f"{a} {b}\n" for a, b in pairs)


def load_table(name):
    rows = []
    for ln, line in enumerate((DATA / f"{name}.txt").read_text().splitlines(), 1):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        a, op, b = line.split()
        assert op in ("<", "=", ">", "!"), f"{name}.txt:{ln}"
        rows.append((a, op, b))
    return rows


def pick(rng, items):
    return rng.choice(items)


# ----------------------------------------------------------------------------- generators

def gen_deb(rng):
    ep = pick(rng, ["", "", "", "", "1:", "0:", "2:", "10:", "01:"])
    up = pick(rng, ["0", "1", "2", "10", "1.0", "1.2.3", "2.30", "0.9"])
    for _ in range(rng.randint(0, 4)):
        up += pick(rng, [".", "+", "~", "~rc", "~~", "a", "b", "z", "rc1", "0", "1", "01",
                         ".1", "+dfsg", "+b1", "~beta2", "-x", ":", "A", "Z"])
    rev = pick(rng, ["", "", "-1", "-0", "-1ubuntu1", "-1~bpo11+1", "-2", "-10", "-1.1",
                     "-a", "-0.1", "-1+deb12u1", "-1~", "-1.0~rc"])
    if rng.random() < 0.03:
        return pick(rng, ["1.0-", ":1", "a:1", "1:", "-1:2", "abc", "1.0_1", "1.0-1-", "1:-1"])
    if ":" in up and not ep:
        ep = "0:"
    if "-" in up and not rev:
        rev = "-1"
    return ep + up + rev


def gen_rpm(rng):
    ep = pick(rng, ["", "", "", "0:", "1:", "2:", "01:"])
    v = pick(rng, ["0", "1", "2", "10", "1.0", "1.2.3", "2.30", "001"])
    for _ in range(rng.randint(0, 4)):
        v += pick(rng, [".", "_", "+", "~", "^", "~rc1", "^20230101git", "a", "b", "rc", "alpha",
                        "0", "1", "10", "01", ".1", "git", "Z", "..", "%", "~~"])
    rel = pick(rng, ["", "", "-1", "-1.el8", "-0.1.rc1", "-2.fc39", "-1~beta", "-10", "-1.1",
                     "-1^post", "-a"])
    return ep + v + rel


def gen_semver(rng):
    def num():
        if rng.random() < 0.02:
            return pick(rng, ["01", "9007199254740991", "9007199254740992"])
        return pick(rng, ["0", "1", "2", "10", "11"])

    v = pick(rng, [""] * 30 + ["v"] * 3 + ["=", "V"]) + ".".join(num() for _ in range(3))
    if rng.random() < 0.05:
        v = pick(rng, ["1.2", "1", "1.2.3.4", "a.b.c", "1.2.3-", "1.2.3+", "1.2.3-a..b"])
    if rng.random() < 0.6:
        ids = [pick(rng, ["alpha", "beta", "rc", "0", "1", "2", "10", "alpha1", "x-y", "-",
                          "alpha", "beta", "1", "0a", "A", "a", "Zz"] +
                    (["01", "9007199254740993", "9007199254740992"] if rng.random() < 0.1 else []))
               for _ in range(rng.randint(1, 3))]
        v += "-" + ".".join(ids)
    if rng.random() < 0.2:
        v += "+" + pick(rng, ["build", "001", "sha.5114f85", "x-y.1"])
    return v


def gen_pep440(rng):
    if rng.random() < 0.04:
        return pick(rng, ["1.0-", "1..0", "a1", "1.0+", "1.0+a..b", "1.0.dev-", "1.0a1a",
                          "1.0_", "1!", "1.0.", "1.0post1dev2x"])
    v = pick(rng, ["", "", "", "", "v", "V"]) + pick(rng, ["", "", "", "", "1!", "0!", "2!"])
    v += pick(rng, ["1", "1.0", "1.0.0", "2.1", "01.2", "1.0.0.0", "0.9", "1.1", "10"])
    v += pick(rng, ["", "", "", "a1", "b2", "rc1", "alpha", "beta3", "c1", "pre2", "preview",
                    ".a1", "-b.2", "_rc_3", "A1", "RC1", "a", "a0", "a-", "a.", "b01"])
    v += pick(rng, ["", "", "", ".post1", "-1", "post", ".rev2", "r3", ".post", "-post.4",
                    "-0", "post0", "_r"])
    v += pick(rng, ["", "", "", ".dev0", "dev1", ".dev", "-dev_2", "DEV", ".dev-"])
    v += pick(rng, ["", "", "", "", "+abc", "+1.2", "+ubuntu-1", "+abc.5", "+5.abc", "+ABC",
                    "+abc_1", "+1", "+01", "+a.b.c"])
    return v


def gen_maven(rng):
    v = pick(rng, ["1", "1.0", "1.0.0", "2", "0.9", "10", "01", "1.1", "1-1", "1.0.1"])
    for _ in range(rng.randint(0, 3)):
        v += pick(rng, [".", "-", ""]) + pick(rng, [
            "alpha", "beta", "milestone", "rc", "cr", "snapshot", "SNAPSHOT", "ga", "final",
            "Final", "release", "sp", "a", "b", "m", "foo", "x", "a1", "b2", "m3", "1", "0",
            "2", "00", "RC1", "sp1", "jre", "android", "v2", "01", "123456789012", "0a"])
    return v


def gen_gem(rng):
    if rng.random() < 0.03:
        return pick(rng, ["1..0", "a", "1.0-", ".1", "1.0.", "1_0"])
    v = pick(rng, ["0", "1", "2", "10", "1.0", "1.0.0", "01", "0.9", "1.1", "1.0.0.0"])
    for _ in range(rng.randint(0, 3)):
        v += pick(rng, [".a", ".b", ".pre", ".rc1", ".0", ".1", ".x", "a", "b1", ".Alpha",
                        ".beta2", ".00", ".10"])
    if rng.random() < 0.2:
        v += pick(rng, ["-1", "-beta", "-rc.1", "-x-y", "-0", "-pre.1"])
    return v


def gen_composer(rng):
    if rng.random() < 0.05:
        return pick(rng, ["dev-master", "dev-feature", "master", "dev-1.x", "1.2.3.4.5",
                          "foo", "1.0-gamma", "123456", "1.0.0-beta..1"])
    v = pick(rng, ["", "", "", "v", "V"])
    v += pick(rng, ["1", "1.0", "1.0.0", "1.0.0.0", "2.3.4.5", "0.9", "1.1", "01.2",
                    "20100102", "2010-01-02", "2010.01.02.03", "201001021", "1.x", "1.0.x",
                    "1.*"])
    v += pick(rng, ["", "", "", "-beta", "-beta1", "-b2", "RC1", "-rc.2", "-alpha", "a1",
                    "-patch1", "-pl2", "p3", "-dev", ".x-dev", "-stable", "@dev", "+build5",
                    "-beta.1-dev", "-STABLE", "-RC", "_alpha2", ".beta.1.2", "-dev", "dev"])
    return v


def gen_go(rng):
    if rng.random() < 0.15:
        v = "go1." + pick(rng, ["9", "19", "20", "21", "22", "021", "0"])
        v += pick(rng, ["", "", ".0", ".1", ".3", ".10", ".01"])
        v += pick(rng, ["", "", "", "rc1", "rc2", "rc10", "beta1", "-pre1", "rc01", "x"])
        return v
    if rng.random() < 0.03:
        return pick(rng, ["go1", "go1.0", "v1.0.0-", "1.0.0+", "v01.0.0", "v1.2-pre", "junk"])
    v = pick(rng, ["v", "v", "v", ""]) + pick(rng, ["0", "1", "2", "10"])
    parts = rng.choice([0, 1, 2, 2, 2, 2])
    for _ in range(parts):
        v += "." + pick(rng, ["0", "1", "2", "10", "3", "01"] if rng.random() < 0.1
                        else ["0", "1", "2", "10", "3"])
    if parts == 2 and rng.random() < 0.4:
        v += "-" + pick(rng, ["0.20210101000000-abcdef123456", "20220101000000-abcdef123456",
                              "alpha", "alpha.1", "rc.1", "rc.10", "beta.2", "pre.0.2021-x", "1",
                              "01", "0", "a-b"])
    if parts == 2 and rng.random() < 0.15:
        v += "+" + pick(rng, ["incompatible", "meta", "x.y"])
    return v


# ----------------------------------------------------------------------------- references

@pytest.fixture(scope="module")
def tmp_ref():
    d = tempfile.mkdtemp(prefix="vigil-vercmp-ref-")
    yield Path(d)
    shutil.rmtree(d, ignore_errors=True)


def ref_deb(pairs, tmp):
    if not shutil.which("cc") or subprocess.run(
            ["pkg-config", "--exists", "libdpkg"]).returncode != 0:
        pytest.skip("libdpkg-dev (pkg-config libdpkg) is not installed")
    exe = tmp / "dpkg_ref"
    subprocess.run(["cc", "-o", str(exe), str(DATA / "dpkg_ref.c"), "-ldpkg"], check=True)
    return run([str(exe)], pairs_text(pairs))


RPM_SCRIPT = r"""
import sys, rpm
for line in sys.stdin:
    a, b = line.split()
    try:
        x, y = rpm.ver(a), rpm.ver(b)
    except Exception:
        print("!"); continue
    print("<" if x < y else (">" if x > y else "="))
"""


def ref_rpm(pairs, tmp):
    if subprocess.run([PY, "-c", "import rpm; rpm.ver"], capture_output=True).returncode:
        pytest.skip("python3-rpm with rpm.ver is not installed")
    return run([PY, "-c", RPM_SCRIPT], pairs_text(pairs))


PEP_SCRIPT = r"""
import sys
from packaging.version import Version, InvalidVersion
for line in sys.stdin:
    a, b = line.split()
    try:
        x, y = Version(a), Version(b)
    except InvalidVersion:
        print("!"); continue
    print("<" if x < y else (">" if x > y else "="))
"""


def ref_pep440(pairs, tmp):
    if subprocess.run([PY, "-c", "import packaging.version"], capture_output=True).returncode:
        pytest.skip("python3-packaging is not installed")
    return run([PY, "-c", PEP_SCRIPT], pairs_text(pairs))


NODE_SCRIPT = r"""
const semver = require(process.argv[process.argv.length - 1]);
const lines = require('fs').readFileSync(0, 'utf8').split('\n');
const out = [];
for (const line of lines) {
  if (!line) continue;
  const [a, b] = line.split(/\s+/);
  try { const r = semver.compare(a, b); out.push(r < 0 ? '<' : r > 0 ? '>' : '='); }
  catch (e) { out.push('!'); }
}
process.stdout.write(out.join('\n') + '\n');
"""


def node_semver_dir(tmp):
    """node-semver: $VIGIL_NODE_SEMVER, a fresh `npm install semver`, or npm's bundled copy."""
    if not shutil.which("node"):
        return None
    cands = [os.environ.get("VIGIL_NODE_SEMVER", "")]
    if shutil.which("npm") and os.environ.get("VIGIL_NO_NPM") is None:
        subprocess.run(["npm", "install", "--silent", "--no-audit", "--no-fund", "--prefix",
                        str(tmp / "npm"), "semver"], capture_output=True, timeout=300)
        cands.append(str(tmp / "npm" / "node_modules" / "semver"))
    cands += ["/usr/share/nodejs/semver", "/usr/lib/node_modules/npm/node_modules/semver",
              "/usr/share/nodejs/npm/node_modules/semver"]
    for c in cands:
        if c and (Path(c) / "package.json").exists():
            return c
    return None


def ref_semver(pairs, tmp):
    d = node_semver_dir(tmp)
    if not d:
        pytest.skip("node-semver is not available")
    return run(["node", "-e", NODE_SCRIPT, "--", d], pairs_text(pairs))


def maven_jar():
    for c in ["/usr/share/maven/lib/maven-artifact-3.x.jar", "/usr/share/java/maven3-artifact.jar",
              "/usr/share/java/maven-artifact.jar"]:
        if Path(c).exists():
            return c
    found = sorted(Path("/usr/share/maven/lib").glob("maven-artifact*.jar")) \
        if Path("/usr/share/maven/lib").is_dir() else []
    return str(found[0]) if found else None


def ref_maven(pairs, tmp):
    jar = maven_jar()
    if not jar or not shutil.which("java"):
        pytest.skip("java or Maven's maven-artifact jar is missing")
    out = []
    chunk = 1000
    for i in range(0, len(pairs), chunk):
        part = pairs[i:i + chunk]
        args = [v for ab in part for v in ab]
        lines = run(["java", "-cp", jar,
                     "org.apache.maven.artifact.versioning.ComparableVersion", *args], None)
        cmps = [ln.split()[1] for ln in lines if ln.startswith("   ")]
        assert len(cmps) == len(args) - 1
        out += [{"<": "<", ">": ">", "==": "="}[c] for c in cmps[0::2]]
    return out


RUBY_SCRIPT = r"""
STDIN.each_line do |line|
  a, b = line.split
  if Gem::Version.correct?(a) && Gem::Version.correct?(b)
    r = Gem::Version.new(a) <=> Gem::Version.new(b)
    puts(r < 0 ? "<" : (r > 0 ? ">" : "="))
  else
    puts "!"
  end
end
"""


def ref_gem(pairs, tmp):
    if not shutil.which("ruby"):
        pytest.skip("ruby is not installed")
    return run(["ruby", "-e", RUBY_SCRIPT], pairs_text(pairs))


PHP_SCRIPT = r"""<?php
require '/usr/share/php/Composer/Semver/autoload.php';
use Composer\Semver\VersionParser;
use Composer\Semver\Comparator;
$p = new VersionParser();
while (($line = fgets(STDIN)) !== false) {
    $w = preg_split('/\s+/', trim($line));
    try { $a = $p->normalize($w[0]); $b = $p->normalize($w[1]); }
    catch (\Exception $e) { echo "!\n"; continue; }
    if (Comparator::lessThan($a, $b)) echo "<\n";
    elseif (Comparator::equalTo($a, $b)) echo "=\n";
    elseif (Comparator::greaterThan($a, $b)) echo ">\n";
    else echo "!\n";
}
"""


def ref_composer(pairs, tmp):
    if not shutil.which("php") or not Path("/usr/share/php/Composer/Semver/autoload.php").exists():
        pytest.skip("php or composer/semver (Debian package composer) is missing")
    script = tmp / "composer_ref.php"
    script.write_text(PHP_SCRIPT)
    return run(["php", str(script)], pairs_text(pairs))


def ref_go(pairs, tmp):
    gopath = Path("/usr/share/gocode")
    if not shutil.which("go") or not (gopath / "src/golang.org/x/mod/semver").is_dir():
        pytest.skip("go or golang-golang-x-mod-dev is not installed")
    exe = tmp / "go_ref"
    if not exe.exists():
        env = dict(os.environ, GO111MODULE="off", GOPATH=str(gopath), GOFLAGS="",
                   GOCACHE=str(tmp / "gocache"))
        subprocess.run(["go", "build", "-o", str(exe), str(DATA / "go_ref.go")], check=True,
                       env=env, capture_output=True, timeout=600)
    return run([str(exe)], pairs_text(pairs))


SCHEMES = {
    "deb": (gen_deb, ref_deb),
    "rpm": (gen_rpm, ref_rpm),
    "semver": (gen_semver, ref_semver),
    "pep440": (gen_pep440, ref_pep440),
    "maven": (gen_maven, ref_maven),
    "rubygems": (gen_gem, ref_gem),
    "composer": (gen_composer, ref_composer),
    "go": (gen_go, ref_go),
}


# ----------------------------------------------------------------------------- differential

@pytest.mark.parametrize("scheme", sorted(SCHEMES))
def test_differential_random(vigil, tmp_ref, scheme):
    gen, ref = SCHEMES[scheme]
    pairs = make_pairs(gen)
    expected = ref(pairs, tmp_ref)
    ours = batch(vigil, scheme, pairs)
    assert_same(scheme, pairs, ours, expected)


@pytest.mark.parametrize("scheme", sorted(SCHEMES))
def test_table_matches_reference(vigil, tmp_ref, scheme):
    """The hand-picked table is right (per the reference tool) and vigil agrees with it."""
    rows = load_table(scheme)
    pairs = [(a, b) for a, _, b in rows]
    ref = SCHEMES[scheme][1](pairs, tmp_ref)
    wrong = [(a, op, b, e) for (a, op, b), e in zip(rows, ref) if op != e]
    assert not wrong, f"{scheme}.txt disagrees with the reference: {wrong}"
    ours = batch(vigil, scheme, pairs)
    assert_same(scheme, pairs, ours, ref, min_each=1)


def test_deb_against_dpkg_binary(vigil):
    """A sample through `dpkg --compare-versions` itself (slow: one process per call)."""
    if not shutil.which("dpkg"):
        pytest.skip("dpkg is not installed")
    pairs = make_pairs(gen_deb, n=120, seed=SEED + 1)
    ref = []
    for a, b in pairs:
        lt = subprocess.run(["dpkg", "--compare-versions", a, "lt", b], capture_output=True)
        if lt.returncode > 1:
            ref.append("!")
            continue
        if lt.returncode == 0:
            ref.append("<")
            continue
        eq = subprocess.run(["dpkg", "--compare-versions", a, "eq", b], capture_output=True)
        ref.append("=" if eq.returncode == 0 else ">")
    ours = batch(vigil, "deb", pairs)
    assert_same("deb", pairs, ours, ref, min_each=5)


@pytest.mark.parametrize("scheme", ["apk", "nuget"])
def test_table_without_reference(vigil, scheme):
    rows = load_table(scheme)
    pairs = [(a, b) for a, _, b in rows]
    ours = batch(vigil, scheme, pairs)
    assert_same(scheme, pairs, ours, [op for _, op, _ in rows], min_each=3)


def test_tables_are_antisymmetric(vigil):
    flip = {"<": ">", ">": "<", "=": "=", "!": "!"}
    for scheme in ["deb", "rpm", "apk", "semver", "go", "pep440", "maven", "rubygems",
                   "composer", "nuget"]:
        rows = load_table(scheme)
        ours = batch(vigil, scheme, [(b, a) for a, _, b in rows])
        bad = [(a, op, b, o) for (a, op, b), o in zip(rows, ours) if flip[op] != o]
        assert not bad, f"{scheme}: reversed pairs disagree: {bad}"


# ----------------------------------------------------------------------------- CLI contract

def test_single_mode(vigil):
    for args, want in [(("deb", "1:1.2-1", "1.3-1"), ">"), (("deb", "1.0~rc1", "1.0"), "<"),
                       (("pypi", "1.0.post1", "1.0"), ">"), (("maven", "1.0-SNAPSHOT", "1.0"), "<"),
                       (("Debian:12", "1.0", "1.0-0"), "="), (("npm", "1.0.0", "1.0.0+b"), "=")]:
        r = vigil("vercmp", *args)
        assert r.rc == 0, r
        assert r.out == want + "\n", (args, r)


def test_usage_errors(vigil):
    assert vigil("vercmp").rc == 2
    assert vigil("vercmp", "deb", "1").rc == 2
    assert vigil("vercmp", "deb", "1", "2", "3").rc == 2
    r = vigil("vercmp", "cobol", "1", "2")
    assert r.rc == 2 and "unknown ecosystem" in r.err
    assert vigil("vercmp", "--bogus").rc == 2


def test_invalid_version_single_mode(vigil):
    r = vigil("vercmp", "semver", "1.0", "1.0.0")
    assert r.rc == 6 and r.out == "" and "invalid semver version '1.0'" in r.err, r
    r = vigil("vercmp", "deb", "1.0-", "1.0")
    assert r.rc == 6, r
    r = vigil("vercmp", "composer", "dev-a", "dev-b")
    assert r.rc == 6 and "unordered" in r.err, r


def test_stdin_mode_bad_lines(vigil):
    inp = "1.0.0 1.0.1\n\nonly-one\n1.0 1.0.0\n2.0.0   1.0.0  \n" + "1.0.0 " * 2000 + "\n"
    r = vigil("vercmp", "semver", "-", input=inp)
    assert r.rc == 6, r
    assert r.out.splitlines() == ["<", "!", "!", "!", ">", "!"], r
    for n in (2, 3, 4, 6):
        assert f"line {n}:" in r.err, r
    assert "line 1:" not in r.err and "line 5:" not in r.err


def test_stdin_mode_ok_and_no_trailing_newline(vigil):
    r = vigil("vercmp", "rpm", "-", input="1.0 1.0\n1:0 2\n1.0~rc1 1.0")
    assert r.rc == 0 and r.out == "=\n>\n<\n" and r.err == "", r


def test_stdin_mode_many_warnings_capped(vigil):
    r = vigil("vercmp", "semver", "-", input="x y\n" * 500)
    assert r.rc == 6 and r.out.count("!") == 500
    assert r.err.count("warning: line") == 100 and "400 more warnings" in r.err


def test_help_and_list(vigil):
    r = vigil("vercmp", "--help")
    assert r.rc == 0 and "Examples:" in r.out and "vigil vercmp deb" in r.out
    r = vigil("vercmp", "--list")
    assert r.rc == 0
    names = [ln.split()[0] for ln in r.out.splitlines()[1:]]
    assert names == ["deb", "rpm", "apk", "semver", "go", "pep440", "maven", "rubygems",
                     "composer", "nuget"]
