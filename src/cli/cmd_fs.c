/* SPDX-License-Identifier: Apache-2.0
 *
 * `vigil fs DIR` and `vigil rootfs DIR`: directory targets with `vigil scan`'s flags, filters,
 * report formats and exit codes (the driver is cmd_scan.c's); only the help and the target
 * differ. See docs/fs.md.
 */
#include "cli.h"
#include "scan/scan.h"

#define DIR_OPTIONS                                                                                \
    "Options (as 'vigil scan'):\n"                                                                 \
    "  --scanners LIST        vuln,secret,misconfig,model (default: vuln,secret,model;\n"          \
    "                         misconfig checks Dockerfiles and Kubernetes manifests)\n"            \
    "  --severity LIST        report only these: UNKNOWN,LOW,MEDIUM,HIGH,CRITICAL\n"               \
    "  --exit-code N          exit N when findings at the listed severities remain (default 0)\n"  \
    "  --ignore-unfixed       drop vulnerabilities without a fixed version\n"                      \
    "  --list-all-pkgs        JSON: list every package under its result's Packages\n"              \
    "  --ignorefile FILE      IDs to ignore (default: .vigilignore, .trivyignore and\n"            \
    "                         .trivyignore.yaml in the current directory when present)\n"          \
    "  --vex FILE             OpenVEX or CycloneDX VEX document (repeatable)\n"                    \
    "  --skip-dirs GLOB       directories not entered (repeatable, or comma list; relative\n"      \
    "                         to DIR: '**/node_modules', 'usr/share/doc'); .git, proc, sys\n"      \
    "                         and dev are never entered\n"                                         \
    "  --skip-files GLOB      files not read (repeatable, or comma list)\n"                        \
    "  --secret-config FILE   extra/disabled secret rules (YAML, Trivy-compatible)\n"              \
    "  --format FMT           table (default), json (Trivy-compatible), sarif, cyclonedx\n"        \
    "  -o, --output FILE      write the report to FILE (atomically) instead of stdout\n"           \
    "  --db PATH              vulnerability database (default: $VIGIL_DB, else\n"                  \
    "                         db/vulndb.sqlite in the cache directory)\n"                          \
    "  --offline              never download the database\n"                                       \
    "  --timeout DURATION     stop after this long (exit 7)\n"                                     \
    "  -q, --quiet            no progress, notices or warnings on stderr (errors only)\n"          \
    "  --config FILE          options from a YAML file (default: vigil.yaml when present)\n"       \
    "  -h, --help             this help\n"                                                         \
    "\n"                                                                                           \
    "Symbolic links are listed, never followed; unreadable directories and files are\n"            \
    "skipped with a warning.\n"                                                                    \
    "\n"                                                                                           \
    "Exit codes: 0 ok (or nothing at the listed severities), N from --exit-code when findings\n"   \
    "remain, 2 usage, 3 runtime, 4 DIR not found, 6 corrupt input, 7 network or time limit.\n"

static const char FS_HELP[] =
    "Usage: vigil fs [OPTIONS] DIR\n"
    "\n"
    "Scans a source tree before an image exists: the packages its lock files and manifests\n"
    "pin (package-lock.json, yarn.lock, pnpm-lock.yaml, requirements*.txt, Pipfile.lock,\n"
    "poetry.lock, uv.lock, go.mod, Cargo.lock, Gemfile.lock, composer.lock, pom.xml,\n"
    "gradle.lockfile, packages.lock.json) for known vulnerabilities, one result per lock file\n"
    "as Trivy's 'fs' reports them, and every text file for secrets.\n"
    "\n" DIR_OPTIONS "\n"
    "Examples:\n"
    "  vigil fs .\n"
    "  vigil fs --severity HIGH,CRITICAL --exit-code 1 ./service\n"
    "  vigil fs --scanners secret --format sarif -o secrets.sarif .\n"
    "  vigil fs --format json --list-all-pkgs --skip-dirs '**/testdata' . > fs.json\n";

static const char ROOTFS_HELP[] =
    "Usage: vigil rootfs [OPTIONS] DIR\n"
    "\n"
    "Scans an unpacked root filesystem (a debootstrap or buildah mount, an extracted image, a\n"
    "VM's disk) as 'vigil scan' scans an image made of it: OS packages (dpkg, apk, rpm),\n"
    "installed language packages, Go and Rust binaries, Java archives, secrets and model\n"
    "files.\n"
    "\n" DIR_OPTIONS "  --pkg-types LIST       os,library (default: both)\n"
    "\n"
    "Examples:\n"
    "  sudo debootstrap --variant=minbase bookworm ./root && vigil rootfs ./root\n"
    "  vigil rootfs --severity CRITICAL --exit-code 1 /mnt/image-root\n"
    "  vigil rootfs --format cyclonedx -o root.cdx.json ./root\n";

int
cmd_fs(int argc, char **argv)
{
    const struct vg_cli_scan_dir d = {"fs", FS_HELP, VG_SCAN_TARGET_FS};
    return vg_cli_scan_dir(argc, argv, &d);
}

int
cmd_rootfs(int argc, char **argv)
{
    const struct vg_cli_scan_dir d = {"rootfs", ROOTFS_HELP, VG_SCAN_TARGET_ROOTFS};
    return vg_cli_scan_dir(argc, argv, &d);
}
