/* SPDX-License-Identifier: Apache-2.0
 *
 * Configuration-file checks, the common part: the table of checks (Trivy's ids where Trivy
 * has the same check), which file type a name and its bytes are, inline ignore comments, and
 * how a failure becomes a vg_config_finding of the report. The checks themselves live in
 * misconf_dockerfile.c, misconf_k8s.c and misconf_enc.c.
 */
#include "scan.h"
#include "misconf_int.h"
#include "scan_int.h"

#include <string.h>

#define DF VG_MISCONF_DOCKERFILE
#define KS VG_MISCONF_KUBERNETES

static const struct vg_misconf_check CHECKS[] = {
    /* ---- Dockerfile: Trivy's ids */
    {"DS001", "AVD-DS-0001", "':latest' tag used",
     "A FROM without a tag, or with :latest, builds from whatever the tag points to that day.",
     "Add a specific tag (or a digest) to the image in the FROM statement.", VG_SEV_MEDIUM, DF},
    {"DS002", "AVD-DS-0002", "Image user should not be 'root'",
     "A container running as root is one kernel bug away from the host; the image should switch "
     "to an unprivileged user.",
     "Add 'USER <non-root user>' (e.g. USER 10001) to the Dockerfile.", VG_SEV_HIGH, DF},
    {"DS004", "AVD-DS-0004", "Port 22 exposed",
     "Exposing SSH invites running sshd in the container; use 'kubectl exec' or 'docker exec'.",
     "Remove 'EXPOSE 22'.", VG_SEV_MEDIUM, DF},
    {"DS005", "AVD-DS-0005", "ADD instead of COPY",
     "ADD also fetches URLs and unpacks archives; for plain files COPY says what it does.",
     "Use COPY unless extracting a tar archive.", VG_SEV_LOW, DF},
    {"DS006", "AVD-DS-0006", "COPY '--from' referring to the current image",
     "COPY --from naming the stage being built cannot work.",
     "Name another stage (or an image) in COPY --from.", VG_SEV_CRITICAL, DF},
    {"DS007", "AVD-DS-0007", "Multiple ENTRYPOINT instructions listed",
     "Only the last ENTRYPOINT of a stage takes effect.", "Keep one ENTRYPOINT per stage.",
     VG_SEV_CRITICAL, DF},
    {"DS008", "AVD-DS-0008", "Exposed port out of range", "UNIX ports range from 0 to 65535.",
     "Use a port number within 0-65535.", VG_SEV_CRITICAL, DF},
    {"DS009", "AVD-DS-0009", "WORKDIR path not absolute",
     "A relative WORKDIR depends on the previous one.", "Use an absolute path in WORKDIR.",
     VG_SEV_HIGH, DF},
    {"DS010", "AVD-DS-0010", "RUN using 'sudo'",
     "sudo in a build step hides which user a command really runs as.",
     "Switch USER instead of calling sudo.", VG_SEV_CRITICAL, DF},
    {"DS011", "AVD-DS-0011", "COPY with more than two arguments not ending with slash",
     "With several sources, the destination of COPY must be a directory ending in '/'.",
     "End the destination with '/'.", VG_SEV_CRITICAL, DF},
    {"DS012", "AVD-DS-0012", "Duplicate aliases defined in different FROMs",
     "Two stages with one name make COPY --from ambiguous.", "Give each stage its own alias.",
     VG_SEV_CRITICAL, DF},
    {"DS013", "AVD-DS-0013", "'RUN cd ...' to change directory",
     "A 'cd' inside RUN is easy to miss; WORKDIR states the directory.",
     "Use WORKDIR instead of 'RUN cd ...'.", VG_SEV_MEDIUM, DF},
    {"DS014", "AVD-DS-0014", "RUN using 'wget' and 'curl'",
     "Two download tools where one does: a larger image and two sets of flags to audit.",
     "Use either wget or curl, not both.", VG_SEV_LOW, DF},
    {"DS015", "AVD-DS-0015", "'yum clean all' missing", "The yum cache stays in the layer.",
     "Add 'yum clean all' after 'yum install'.", VG_SEV_HIGH, DF},
    {"DS016", "AVD-DS-0016", "Multiple CMD instructions listed",
     "Only the last CMD of a stage takes effect.", "Keep one CMD per stage.", VG_SEV_HIGH, DF},
    {"DS017", "AVD-DS-0017", "'RUN <package-manager> update' instruction alone",
     "An update alone in its own RUN is cached: later installs use a stale index.",
     "Combine the update and the install in one RUN.", VG_SEV_HIGH, DF},
    {"DS019", "AVD-DS-0019", "'dnf clean all' missing", "The dnf cache stays in the layer.",
     "Add 'dnf clean all' after 'dnf install'.", VG_SEV_HIGH, DF},
    {"DS020", "AVD-DS-0020", "'zypper clean' missing", "The zypper cache stays in the layer.",
     "Add 'zypper clean' after 'zypper install'.", VG_SEV_HIGH, DF},
    {"DS021", "AVD-DS-0021", "'apt-get' missing '-y' to avoid manual input",
     "apt-get install without -y waits for an answer a build cannot give.",
     "Add '-y' to 'apt-get install'.", VG_SEV_HIGH, DF},
    {"DS022", "AVD-DS-0022", "Deprecated MAINTAINER used", "MAINTAINER is deprecated.",
     "Use 'LABEL maintainer=...' instead.", VG_SEV_HIGH, DF},
    {"DS023", "AVD-DS-0023", "Multiple HEALTHCHECK defined",
     "Only the last HEALTHCHECK of a stage takes effect.", "Keep one HEALTHCHECK per stage.",
     VG_SEV_MEDIUM, DF},
    {"DS024", "AVD-DS-0024", "'apt-get dist-upgrade' used",
     "dist-upgrade changes the base image's packages wholesale.",
     "Use a newer base image, or upgrade only what you need.", VG_SEV_HIGH, DF},
    {"DS025", "AVD-DS-0025", "'apk add' is missing '--no-cache'",
     "The apk index cache stays in the layer.", "Add '--no-cache' to 'apk add'.", VG_SEV_HIGH, DF},
    {"DS026", "AVD-DS-0026", "No HEALTHCHECK defined",
     "Without a HEALTHCHECK the runtime cannot tell a hung container from a working one.",
     "Add a HEALTHCHECK instruction (or probes in Kubernetes).", VG_SEV_LOW, DF},
    {"DS027", "AVD-DS-0027", "'microdnf clean all' missing",
     "The microdnf cache stays in the layer.", "Add 'microdnf clean all' after 'microdnf install'.",
     VG_SEV_HIGH, DF},
    {"DS029", "AVD-DS-0029", "'apt-get' missing '--no-install-recommends'",
     "Recommended packages inflate the image and its attack surface.",
     "Add '--no-install-recommends' to 'apt-get install'.", VG_SEV_HIGH, DF},
    {"DS031", "AVD-DS-0031", "Secrets passed via build arguments or environment variables",
     "ENV values and ARG values used in RUN steps are stored in the image config and history, "
     "where anyone who pulls the image reads them.",
     "Pass secrets at run time, or at build time with 'RUN --mount=type=secret'.", VG_SEV_CRITICAL,
     DF},
    /* ---- Dockerfile: vigil's own */
    {"VG-DS-001", "VG-DS-001", "ADD of a remote URL",
     "ADD <url> downloads at build time without verifying what it got.",
     "Download in a RUN step and verify a checksum, or use 'ADD --checksum=sha256:...'.",
     VG_SEV_MEDIUM, DF},
    {"VG-DS-002", "VG-DS-002", "Base image not pinned by digest",
     "A tag can be moved to other content; only a digest names one image.",
     "Pin the base image: FROM image:tag@sha256:...", VG_SEV_LOW, DF},
    {"VG-DS-003", "VG-DS-003", "Remote script piped to a shell",
     "'curl ... | sh' runs whatever the server sends, unverified.",
     "Download the script, verify its checksum or signature, then run it.", VG_SEV_HIGH, DF},
    {"VG-DS-004", "VG-DS-004", "apt lists left in the layer",
     "apt-get install without removing /var/lib/apt/lists leaves the package index in the "
     "image.",
     "End the RUN with 'rm -rf /var/lib/apt/lists/*' (or use a cache mount).", VG_SEV_LOW, DF},
    {"VG-DS-005", "VG-DS-005", "Final stage keeps the build toolchain",
     "A multi-stage build whose final stage is a compiler image (or installs compilers) ships "
     "the toolchain to production.",
     "Build in an earlier stage and copy only the artifacts into a minimal runtime image.",
     VG_SEV_MEDIUM, DF},
    /* ---- Kubernetes: Trivy's ids */
    {"KSV001", "AVD-KSV-0001", "Can elevate its own privileges",
     "A process in the container can gain more privileges than its parent (setuid binaries).",
     "Set containers[].securityContext.allowPrivilegeEscalation to false.", VG_SEV_MEDIUM, KS},
    {"KSV002", "AVD-KSV-0002", "Runtime/Default AppArmor profile not set",
     "An AppArmor profile other than runtime/default or a localhost profile weakens "
     "confinement.",
     "Use runtime/default or a localhost/ profile.", VG_SEV_MEDIUM, KS},
    {"KSV003", "AVD-KSV-0003", "Default capabilities: some containers do not drop all",
     "Containers should drop every capability and add back only what they need.",
     "Add 'ALL' to containers[].securityContext.capabilities.drop.", VG_SEV_LOW, KS},
    {"KSV005", "AVD-KSV-0005", "SYS_ADMIN capability added",
     "CAP_SYS_ADMIN is nearly root on the node.", "Remove SYS_ADMIN from capabilities.add.",
     VG_SEV_HIGH, KS},
    {"KSV006", "AVD-KSV-0006", "hostPath volume mounted with docker.sock",
     "The Docker socket gives full control of the node's containers.",
     "Do not mount /var/run/docker.sock.", VG_SEV_HIGH, KS},
    {"KSV008", "AVD-KSV-0008", "Access to host IPC namespace",
     "hostIPC shares the node's IPC namespace with the pod.", "Remove spec.hostIPC or set false.",
     VG_SEV_HIGH, KS},
    {"KSV009", "AVD-KSV-0009", "Access to host network",
     "hostNetwork gives the pod the node's network stack.", "Remove spec.hostNetwork or set false.",
     VG_SEV_HIGH, KS},
    {"KSV010", "AVD-KSV-0010", "Access to host PID",
     "hostPID shows the pod every process of the node.", "Remove spec.hostPID or set false.",
     VG_SEV_HIGH, KS},
    {"KSV011", "AVD-KSV-0011", "CPU not limited",
     "Without a CPU limit one container can starve the node.", "Set resources.limits.cpu.",
     VG_SEV_LOW, KS},
    {"KSV012", "AVD-KSV-0012", "Runs as root user",
     "Without runAsNonRoot the kubelet starts an image that runs as root.",
     "Set securityContext.runAsNonRoot to true.", VG_SEV_MEDIUM, KS},
    {"KSV013", "AVD-KSV-0013", "Image tag \":latest\" used",
     "An image without a tag, or with :latest, runs whatever the tag points to at pull time.",
     "Use a specific tag or, better, a digest.", VG_SEV_MEDIUM, KS},
    {"KSV014", "AVD-KSV-0014", "Root file system is not read-only",
     "A writable root filesystem lets an intruder change the container's binaries.",
     "Set securityContext.readOnlyRootFilesystem to true.", VG_SEV_LOW, KS},
    {"KSV015", "AVD-KSV-0015", "CPU requests not specified",
     "Without CPU requests the scheduler cannot place the pod sensibly.",
     "Set resources.requests.cpu.", VG_SEV_LOW, KS},
    {"KSV016", "AVD-KSV-0016", "Memory requests not specified",
     "Without memory requests the scheduler cannot place the pod sensibly.",
     "Set resources.requests.memory.", VG_SEV_LOW, KS},
    {"KSV017", "AVD-KSV-0017", "Privileged",
     "A privileged container has every capability and the node's devices.",
     "Set securityContext.privileged to false.", VG_SEV_HIGH, KS},
    {"KSV018", "AVD-KSV-0018", "Memory not limited",
     "Without a memory limit one container can exhaust the node.", "Set resources.limits.memory.",
     VG_SEV_LOW, KS},
    {"KSV020", "AVD-KSV-0020", "Runs with UID <= 10000",
     "Low UIDs may collide with the node's own users.",
     "Set securityContext.runAsUser to a value > 10000.", VG_SEV_LOW, KS},
    {"KSV021", "AVD-KSV-0021", "Runs with GID <= 10000",
     "Low GIDs may collide with the node's own groups.",
     "Set securityContext.runAsGroup to a value > 10000.", VG_SEV_LOW, KS},
    {"KSV022", "AVD-KSV-0022", "Specific capabilities added",
     "Capabilities beyond the Pod Security Standards baseline set were added.",
     "Add only AUDIT_WRITE, CHOWN, DAC_OVERRIDE, FOWNER, FSETID, KILL, MKNOD, NET_BIND_SERVICE, "
     "SETFCAP, SETGID, SETPCAP, SETUID, SYS_CHROOT.",
     VG_SEV_MEDIUM, KS},
    {"KSV023", "AVD-KSV-0023", "hostPath volumes mounted",
     "hostPath volumes expose the node's filesystem.", "Use another volume type.", VG_SEV_MEDIUM,
     KS},
    {"KSV024", "AVD-KSV-0024", "Access to host ports",
     "hostPort binds the node's port and bypasses network policy.", "Do not set hostPort.",
     VG_SEV_HIGH, KS},
    {"KSV025", "AVD-KSV-0025", "SELinux custom options set",
     "Custom SELinux user, role or type weaken confinement.",
     "Leave seLinuxOptions.user and role unset and type one of container_t, container_init_t, "
     "container_kvm_t.",
     VG_SEV_MEDIUM, KS},
    {"KSV026", "AVD-KSV-0026", "Unsafe sysctl options set",
     "Sysctls outside the safe set affect the whole node.", "Set only safe sysctls.", VG_SEV_MEDIUM,
     KS},
    {"KSV027", "AVD-KSV-0027", "Non-default /proc masks set",
     "procMount Unmasked exposes /proc paths that are masked by default.",
     "Leave securityContext.procMount unset or Default.", VG_SEV_MEDIUM, KS},
    {"KSV028", "AVD-KSV-0028", "Non-core volume types used.",
     "The restricted profile allows only configMap, csi, downwardAPI, emptyDir, ephemeral, "
     "persistentVolumeClaim, projected and secret volumes.",
     "Use only those volume types.", VG_SEV_LOW, KS},
    {"KSV030", "AVD-KSV-0030", "Runtime/Default Seccomp profile not set",
     "Without a seccomp profile every syscall is allowed.",
     "Set securityContext.seccompProfile.type to RuntimeDefault (pod or container).", VG_SEV_LOW,
     KS},
    {"KSV037", "AVD-KSV-0037", "User Pods should not be placed in kube-system namespace",
     "kube-system holds the cluster's own components.", "Deploy to another namespace.",
     VG_SEV_MEDIUM, KS},
    {"KSV102", "AVD-KSV-0102", "Tiller Is Deployed",
     "Tiller (Helm v2) runs with broad cluster rights and no authentication.",
     "Migrate to Helm v3 and remove Tiller.", VG_SEV_CRITICAL, KS},
    {"KSV103", "AVD-KSV-0103", "Access to host process",
     "Windows hostProcess containers run on the node itself.",
     "Do not set windowsOptions.hostProcess.", VG_SEV_MEDIUM, KS},
    {"KSV104", "AVD-KSV-0104", "Seccomp policies disabled",
     "A container without a seccomp profile (or with Unconfined) can make every syscall.",
     "Set seccompProfile.type to RuntimeDefault or Localhost.", VG_SEV_MEDIUM, KS},
    {"KSV105", "AVD-KSV-0105", "Containers must not set runAsUser to 0", "runAsUser 0 is root.",
     "Set runAsUser to a non-zero UID.", VG_SEV_LOW, KS},
    {"KSV106", "AVD-KSV-0106", "Container capabilities must only include NET_BIND_SERVICE",
     "The restricted profile drops ALL capabilities and adds back at most NET_BIND_SERVICE.",
     "Drop ALL and add only NET_BIND_SERVICE.", VG_SEV_LOW, KS},
    {"KSV110", "AVD-KSV-0110", "Workloads in the default namespace",
     "The default namespace mixes unrelated workloads under one set of policies.",
     "Deploy to a dedicated namespace.", VG_SEV_LOW, KS},
    {"KSV116", "AVD-KSV-0116", "Runs with a root primary or supplementary GID",
     "GID 0 gives the container the root group's file access.",
     "Set runAsGroup, supplementalGroups and fsGroup to non-zero values.", VG_SEV_LOW, KS},
    /* ---- Kubernetes: vigil's own */
    {"VG-K8S-001", "VG-K8S-001", "Image not pinned by digest",
     "A tag can be moved to other content; only a digest names one image.",
     "Reference the image as name@sha256:... (vigil admit's mutating webhook pins tags).",
     VG_SEV_LOW, KS},
    {"VG-K8S-002", "VG-K8S-002", "imagePullPolicy is not Always for a tag",
     "With IfNotPresent or Never a node runs whatever image it cached under the tag, which may "
     "differ between nodes and from what was scanned.",
     "Pin the image by digest, or set imagePullPolicy: Always.", VG_SEV_LOW, KS},
    {"VG-K8S-003", "VG-K8S-003", "Secret as a literal environment value",
     "A secret written into env[].value is committed with the manifest and readable by anyone "
     "who can read the workload.",
     "Store it in a Secret and use env[].valueFrom.secretKeyRef.", VG_SEV_HIGH, KS},
    {"VG-K8S-004", "VG-K8S-004", "Secret object with data committed",
     "A Secret manifest with data or stringData puts the secret in the repository (base64 is "
     "not encryption).",
     "Create Secrets out of band (sealed-secrets, external-secrets, SOPS, a secret manager).",
     VG_SEV_HIGH, KS},
    {"VG-K8S-005", "VG-K8S-005", "Registry credentials committed",
     "A dockerconfigjson/dockercfg Secret in the manifests holds registry passwords.",
     "Create image pull secrets out of band; reference them by name in imagePullSecrets.",
     VG_SEV_CRITICAL, KS},
    /* ---- EncryptionConfiguration: vigil's own */
    {"VG-ENC-001", "VG-ENC-001", "Secrets are not encrypted at rest",
     "No entry of the EncryptionConfiguration covers secrets, so the apiserver stores them in "
     "etcd in plain text.",
     "Add a resources entry for secrets whose first provider is kms (v2), aescbc, aesgcm or "
     "secretbox.",
     VG_SEV_HIGH, KS},
    {"VG-ENC-002", "VG-ENC-002", "identity is the first provider",
     "The first provider encrypts new writes; identity first stores the resources in plain "
     "text, whatever follows it.",
     "Put the encrypting provider first; keep identity last, only to read old data.", VG_SEV_HIGH,
     KS},
    {"VG-ENC-003", "VG-ENC-003", "aescbc provider used",
     "AES-CBC is vulnerable to padding-oracle attacks; Kubernetes no longer recommends it.",
     "Use kms (apiVersion: v2), or secretbox.", VG_SEV_MEDIUM, KS},
    {"VG-ENC-004", "VG-ENC-004", "aesgcm provider without automated rotation",
     "AES-GCM keys must be rotated every 200,000 writes; with static keys nonces repeat.",
     "Use kms (apiVersion: v2), or rotate aesgcm keys automatically.", VG_SEV_MEDIUM, KS},
    {"VG-ENC-005", "VG-ENC-005", "KMS v1 provider",
     "KMS v1 is deprecated (disabled by default since Kubernetes 1.29).",
     "Set apiVersion: v2 on the kms provider.", VG_SEV_LOW, KS},
    {"VG-ENC-006", "VG-ENC-006", "Encryption keys committed in the file",
     "aescbc, aesgcm and secretbox keys sit in the configuration file itself: whoever reads it "
     "(or the repository) decrypts etcd.",
     "Keep the file out of version control with tight permissions, or use a KMS provider.",
     VG_SEV_HIGH, KS},
    {"VG-ENC-007", "VG-ENC-007", "Invalid or weak encryption key",
     "A key that is not base64, or not of the size the provider needs (aescbc/aesgcm: 16, 24 or "
     "32 bytes; secretbox: 32), fails or weakens encryption.",
     "Generate keys with 'head -c 32 /dev/urandom | base64'.", VG_SEV_HIGH, KS},
    /* ---- not a built-in check: --policy's admission verdict (vg_misconf_add_external) */
};

static const char *const TYPE_NAMES[] = {"", "dockerfile", "kubernetes"};

const char *
vg_misconf_type_name(enum vg_misconf_type t)
{
    return (size_t)t < VG_ARRAY_LEN(TYPE_NAMES) ? TYPE_NAMES[t] : "";
}

const struct vg_misconf_check *
vg_misconf_check_find(const char *id)
{
    for (size_t i = 0; i < VG_ARRAY_LEN(CHECKS); i++) {
        if (strcmp(CHECKS[i].id, id) == 0) {
            return &CHECKS[i];
        }
    }
    return NULL;
}

static bool
ascii_ieq(const char *a, const char *b)
{
    for (; *a && *b; a++, b++) {
        char x = *a >= 'A' && *a <= 'Z' ? (char)(*a - 'A' + 'a') : *a;
        char y = *b >= 'A' && *b <= 'Z' ? (char)(*b - 'A' + 'a') : *b;
        if (x != y) {
            return false;
        }
    }
    return *a == *b;
}

enum vg_misconf_type
vg_misconf_path_type(const char *path)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    if (ascii_ieq(base, "Dockerfile") || ascii_ieq(base, "Containerfile") ||
        vg_cstr_startswith(base, "Dockerfile.") || vg_cstr_startswith(base, "Containerfile.") ||
        vg_cstr_endswith(base, ".Dockerfile") || vg_cstr_endswith(base, ".dockerfile") ||
        vg_cstr_endswith(base, ".Containerfile")) {
        return VG_MISCONF_DOCKERFILE;
    }
    if (vg_cstr_endswith(base, ".yaml") || vg_cstr_endswith(base, ".yml") ||
        vg_cstr_endswith(base, ".json")) {
        return VG_MISCONF_KUBERNETES;
    }
    return VG_MISCONF_NONE;
}

/* ---------------------------------------------------------------- inline ignore comments */

static bool
blank_or_comment(struct vg_str line)
{
    struct vg_str t = vg_str_trim(line);
    return t.len == 0 || t.ptr[0] == '#' || vg_str_eq_c(t, "---") || vg_str_eq_c(t, "...");
}

static void
ignore_ids(struct vg_misconf_ctx *m, struct vg_str ids, size_t line)
{
    size_t i = 0;
    while (i < ids.len) {
        size_t j = i;
        while (j < ids.len && ids.ptr[j] != ':' && ids.ptr[j] != ',') {
            j++;
        }
        if (j > i && j - i <= 64) {
            struct vg_misconf_ignore ig = {vg_str_dup((struct vg_str){ids.ptr + i, j - i}), line};
            vg_vec_push(&m->ignores, ig);
        }
        i = j + 1;
    }
}

/* Finds `vigil:ignore:` / `trivy:ignore:` comments; a comment alone on its line applies to
 * the next line with content, a trailing one to its own line. */
static void
collect_ignores(struct vg_misconf_ctx *m, const char *data, size_t len)
{
    size_t pending_from = 0; /* ignores added since the last content line wait for the next */
    size_t lineno = 0, off = 0;
    while (off < len) {
        const char *nl = memchr(data + off, '\n', len - off);
        size_t end = nl ? (size_t)(nl - data) : len;
        struct vg_str line = {data + off, end - off};
        lineno++;
        off = end + 1;
        bool content = !blank_or_comment(line);
        if (content) {
            if (!m->first_line) {
                m->first_line = lineno;
            }
            for (size_t k = pending_from; k < m->ignores.n; k++) {
                m->ignores.v[k].line = lineno;
            }
            pending_from = m->ignores.n;
        }
        for (size_t i = 0; i < line.len; i++) {
            if (line.ptr[i] != '#' ||
                (i > 0 && line.ptr[i - 1] != ' ' && line.ptr[i - 1] != '\t')) {
                continue;
            }
            struct vg_str rest = vg_str_trim((struct vg_str){line.ptr + i + 1, line.len - i - 1});
            const char *prefixes[] = {"vigil:ignore:", "trivy:ignore:"};
            for (size_t p = 0; p < VG_ARRAY_LEN(prefixes); p++) {
                if (!vg_str_startswith(rest, prefixes[p])) {
                    continue;
                }
                size_t n = strlen(prefixes[p]), e = n;
                while (e < rest.len && rest.ptr[e] != ' ' && rest.ptr[e] != '\t' &&
                       rest.ptr[e] != '\r') {
                    e++;
                }
                ignore_ids(m, (struct vg_str){rest.ptr + n, e - n}, content ? lineno : 0);
                if (content) {
                    pending_from = m->ignores.n;
                }
            }
            break;
        }
    }
}

static const char *
ignored_by(const struct vg_misconf_ctx *m, const char *id, size_t start, size_t scope)
{
    for (size_t i = 0; i < m->ignores.n; i++) {
        const struct vg_misconf_ignore *ig = &m->ignores.v[i];
        if (!ig->line || (strcmp(ig->id, id) != 0 && strcmp(ig->id, "*") != 0)) {
            continue;
        }
        if (ig->line == start || ig->line == scope) {
            return ig->id;
        }
    }
    return NULL;
}

/* ---------------------------------------------------------------- findings */

static const char *
check_type_of(const char *id, enum vg_misconf_type t)
{
    if (t == VG_MISCONF_DOCKERFILE) {
        return "Dockerfile Security Check";
    }
    if (vg_cstr_startswith(id, "VG-ENC-")) {
        return "EncryptionConfiguration Check";
    }
    return "Kubernetes Security Check";
}

void
vg_misconf_fail(struct vg_misconf_ctx *m, const char *id, size_t start, size_t end, size_t scope,
                char *message)
{
    const struct vg_misconf_check *c = vg_misconf_check_find(id);
    if (!c) { /* not in CHECKS: a bug the unit tests' id list catches */
        free(message);
        return;
    }
    if (!scope && !start) {
        scope = m->first_line;
    }
    const char *ig = ignored_by(m, c->id, start, scope);
    VG_ARRAY_GROW(m->r->configs, m->r->nconfigs, 1);
    m->r->configs[m->r->nconfigs++] = (struct vg_config_finding){
        .id = c->id,
        .avd_id = c->avd_id,
        .vg_id = c->id,
        .title = c->title,
        .resolution = c->resolution,
        .severity = c->severity,
        .message = message,
        .suppressed_by = ig ? vg_fmt("inline: # vigil:ignore:%s", ig) : NULL,
        .target = vg_strdup(m->target),
        .file_type = vg_misconf_type_name(m->type),
        .check_type = check_type_of(c->id, m->type),
        .description = c->description,
        .start_line = start,
        .end_line = end >= start ? end : start,
    };
}

void
vg_misconf_add_external(struct vg_scan_report *r, const char *target, const char *id,
                        const char *title, const char *resolution, enum vg_vulndb_severity severity,
                        size_t line, char *message_take)
{
    VG_ARRAY_GROW(r->configs, r->nconfigs, 1);
    r->configs[r->nconfigs++] = (struct vg_config_finding){
        .id = id,
        .avd_id = id,
        .vg_id = id,
        .title = title,
        .resolution = resolution,
        .severity = severity,
        .message = message_take,
        .target = vg_strdup(target),
        .file_type = "kubernetes",
        .check_type = "Kubernetes Admission Check",
        .description = title,
        .start_line = line,
        .end_line = line,
    };
}

char *
vg_misconf_secret_rule(const struct vg_misconf_ctx *m, const char *text)
{
    if (!m->o || !m->o->secrets || !text || !*text) {
        return NULL;
    }
    struct vg_secret_findings f = {0};
    struct vg_err *err = NULL;
    const char *strs[] = {text};
    char *title = NULL;
    if (vg_secret_scan_strings(m->o->secrets, m->target, strs, 1, &f, &err) == 0 && f.len) {
        title = vg_strdup(f.items[0].title ? f.items[0].title : f.items[0].rule_id);
    }
    vg_err_free(&err); /* the secret rules only add evidence; a failure there is no finding */
    vg_secret_findings_dispose(&f);
    return title;
}

/* ---------------------------------------------------------------- entry */

static bool
looks_binary(const char *data, size_t len, size_t *bad, struct vg_err **err, const char *target)
{
    const uint8_t *p = (const uint8_t *)data;
    size_t line = 1;
    for (size_t i = 0; i < len;) {
        if (p[i] == 0) {
            vg_autofree char *t = vg_escape(target, strlen(target), 200);
            vg_err_set(err, VG_E_PARSE, "%s: not a text file (NUL byte at offset %zu)", t, i);
            *bad = i;
            return true;
        }
        if (p[i] < 0x80) {
            line += p[i] == '\n';
            i++;
            continue;
        }
        size_t n = vg_utf8_seq_len(p + i, len - i);
        if (!n) {
            vg_autofree char *t = vg_escape(target, strlen(target), 200);
            vg_err_set(err, VG_E_PARSE, "%s:%zu: not a text file (invalid UTF-8 at offset %zu)", t,
                       line, i);
            *bad = i;
            return true;
        }
        i += n;
    }
    return false;
}

int
vg_misconf_scan_file(struct vg_scan_report *r, const char *target, const void *data, size_t len,
                     const struct vg_misconf_opts *o, struct vg_err **err)
{
    static const struct vg_misconf_opts none = {0};
    o = o ? o : &none;
    enum vg_misconf_type t = o->type ? o->type : vg_misconf_path_type(target);
    if (t == VG_MISCONF_NONE) {
        return 0;
    }
    if (len > VG_MISCONF_MAX_BYTES) {
        vg_autofree char *tt = vg_escape(target, strlen(target), 200);
        return vg_err_set(err, VG_E_LIMIT, "%s: %zu bytes, over the %u-byte limit of a config file",
                          tt, len, VG_MISCONF_MAX_BYTES);
    }
    const char *text = data;
    if (len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0) { /* a UTF-8 byte order mark */
        text += 3;
        len -= 3;
    }
    size_t bad = 0;
    if (t == VG_MISCONF_DOCKERFILE && looks_binary(text, len, &bad, err, target)) {
        return -(int)VG_E_PARSE;
    }
    struct vg_misconf_ctx m = {.r = r, .target = target, .type = t, .o = o};
    collect_ignores(&m, text, len);
    size_t before = r->nconfigs;
    int rc = t == VG_MISCONF_DOCKERFILE ? vg_misconf_dockerfile(&m, text, len, err)
                                        : vg_misconf_kubernetes(&m, text, len, err);
    if (rc < 0 || (rc == 0 && t == VG_MISCONF_KUBERNETES)) {
        for (size_t i = before; i < r->nconfigs; i++) { /* r unchanged on error */
            free(r->configs[i].message);
            free(r->configs[i].suppressed_by);
            free(r->configs[i].target);
        }
        r->nconfigs = before;
    } else {
        /* Trivy's MisconfSummary: the checks of this type that ran and did not fail */
        size_t total = 0, failed = 0;
        for (size_t i = 0; i < VG_ARRAY_LEN(CHECKS); i++) {
            if (CHECKS[i].type != t) {
                continue;
            }
            total++;
            for (size_t k = before; k < r->nconfigs; k++) {
                if (r->configs[k].id == CHECKS[i].id) {
                    failed++;
                    break;
                }
            }
        }
        VG_ARRAY_GROW(r->config_targets, r->nconfig_targets, 1);
        r->config_targets[r->nconfig_targets++] =
            (struct vg_config_target){vg_strdup(target), vg_misconf_type_name(t), total - failed};
        rc = 1;
    }
    for (size_t i = 0; i < m.ignores.n; i++) {
        free(m.ignores.v[i].id);
    }
    vg_vec_dispose(&m.ignores);
    return rc;
}
