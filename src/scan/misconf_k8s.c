/* SPDX-License-Identifier: Apache-2.0
 *
 * Kubernetes manifest checks: the walker over a YAML (or JSON) stream of objects — every
 * document, `kind: List` items, Helm's rendered output — that finds each object's pod spec
 * (Pod; Deployment, ReplicaSet, StatefulSet, DaemonSet, Job, ReplicationController; CronJob;
 * PodTemplate) and its containers (init and ephemeral ones too), then the checks: Trivy's KSV
 * checks (the Pod Security Standards baseline and restricted profiles, resources, images) as
 * Trivy evaluates them, and vigil's own (digests, pull policy, literal secrets in env, Secret
 * objects committed). EncryptionConfiguration objects go to misconf_enc.c; every object is
 * also handed to the caller's on_object hook (the admission verdict of `--policy`).
 */
#include "scan.h"
#include "config/config.h"
#include "misconf_int.h"
#include "scan_int.h"

#include <string.h>

/* ---------------------------------------------------------------- YAML accessors */

const struct vg_config_node *
vg_misconf_map(const struct vg_config_node *n, const char *key)
{
    const struct vg_config_node *v =
        n && vg_config_node_type(n) == VG_CONFIG_MAP ? vg_config_map_get(n, key) : NULL;
    return v && vg_config_node_type(v) == VG_CONFIG_MAP ? v : NULL;
}

const struct vg_config_node *
vg_misconf_seq(const struct vg_config_node *n, const char *key)
{
    const struct vg_config_node *v =
        n && vg_config_node_type(n) == VG_CONFIG_MAP ? vg_config_map_get(n, key) : NULL;
    return v && vg_config_node_type(v) == VG_CONFIG_SEQ ? v : NULL;
}

const char *
vg_misconf_str(const struct vg_config_node *n, const char *key)
{
    const struct vg_config_node *v =
        n && vg_config_node_type(n) == VG_CONFIG_MAP ? vg_config_map_get(n, key) : NULL;
    if (!v || vg_config_node_type(v) != VG_CONFIG_SCALAR || vg_config_node_is_null(v)) {
        return NULL;
    }
    size_t len;
    const char *s = vg_config_node_scalar(v, &len);
    return s && strlen(s) == len ? s : NULL;
}

bool
vg_misconf_bool(const struct vg_config_node *n, const char *key, bool def)
{
    const char *s = vg_misconf_str(n, key);
    if (s && (strcmp(s, "true") == 0 || strcmp(s, "True") == 0 || strcmp(s, "TRUE") == 0)) {
        return true;
    }
    if (s && (strcmp(s, "false") == 0 || strcmp(s, "False") == 0 || strcmp(s, "FALSE") == 0)) {
        return false;
    }
    return def;
}

/* An integer value: true and *out set when the key holds one. */
static bool
get_int(const struct vg_config_node *n, const char *key, int64_t *out)
{
    const char *s = vg_misconf_str(n, key);
    return s && vg_parse_i64(vg_str_c(s), out) == 0;
}

static bool
has_key(const struct vg_config_node *n, const char *key)
{
    const struct vg_config_node *v =
        n && vg_config_node_type(n) == VG_CONFIG_MAP ? vg_config_map_get(n, key) : NULL;
    return v && !vg_config_node_is_null(v);
}

/* Last line of a node's subtree (config/ records where nodes start, not where they end). */
static size_t
last_line(const struct vg_config_node *n, unsigned depth)
{
    size_t l = vg_config_node_line(n);
    size_t len = vg_config_node_len(n);
    if (depth > 64 || !len) {
        return l;
    }
    const struct vg_config_node *c = vg_config_node_type(n) == VG_CONFIG_MAP
                                         ? vg_config_map_value(n, len - 1)
                                         : vg_config_seq_at(n, len - 1);
    size_t x = c ? last_line(c, depth + 1) : l;
    return x > l ? x : l;
}

static bool
str_ieq(const char *a, const char *b)
{
    return a && b && strcasecmp(a, b) == 0;
}

static bool
seq_has_ci(const struct vg_config_node *seq, const char *want)
{
    for (size_t i = 0; seq && i < vg_config_node_len(seq); i++) {
        const struct vg_config_node *v = vg_config_seq_at(seq, i);
        const char *s =
            vg_config_node_type(v) == VG_CONFIG_SCALAR ? vg_config_node_scalar(v, NULL) : NULL;
        if (str_ieq(s, want)) {
            return true;
        }
    }
    return false;
}

/* ---------------------------------------------------------------- pod specs */

struct pod {
    const struct vg_config_node *obj, *meta, *spec, *tmeta; /* tmeta: the pod's metadata */
    const char *kind, *name, *ns;
    size_t scope; /* the object's first line */
};

static char *
e(const char *s)
{
    return s ? vg_escape(s, strlen(s), 200) : vg_strdup("");
}

static void
pod_fail(struct vg_misconf_ctx *m, const struct pod *p, const char *id,
         const struct vg_config_node *at, char *msg)
{
    size_t start = at ? vg_config_node_line(at) : 0, end = at ? last_line(at, 0) : 0;
    vg_misconf_fail(m, id, start, end, p->scope, msg);
}

static const char *const BASELINE_CAPS[] = {
    "AUDIT_WRITE",      "CHOWN",   "DAC_OVERRIDE", "FOWNER",  "FSETID", "KILL",      "MKNOD",
    "NET_BIND_SERVICE", "SETFCAP", "SETGID",       "SETPCAP", "SETUID", "SYS_CHROOT"};
static const char *const SAFE_SYSCTLS[] = {"kernel.shm_rmid_forced", "net.ipv4.ip_local_port_range",
                                           "net.ipv4.ip_unprivileged_port_start",
                                           "net.ipv4.tcp_syncookies", "net.ipv4.ping_group_range"};
/* KSV028's allowed keys of a volume: the restricted profile's types, and hostPath, which Trivy
 * (and vigil) report as KSV023 instead. */
static const char *const CORE_VOLUMES[] = {
    "name",        "hostPath", "configMap", "csi",
    "downwardAPI", "emptyDir", "ephemeral", "persistentVolumeClaim",
    "projected",   "secret"};

static bool
in_list(const char *s, const char *const *list, size_t n, bool ci)
{
    for (size_t i = 0; s && i < n; i++) {
        if (ci ? strcasecmp(s, list[i]) == 0 : strcmp(s, list[i]) == 0) {
            return true;
        }
    }
    return false;
}

static bool
secret_env_name(const char *name)
{
    struct vg_str n = vg_str_c(name);
    return vg_scan_secret_name(n) && !vg_str_endswith(n, "_FILE") && !vg_str_endswith(n, "_PATH") &&
           !vg_str_endswith(n, "_DIR") && !vg_str_endswith(n, "_NAME") &&
           !vg_str_endswith(n, "_KEY_ID");
}

static void
check_env(struct vg_misconf_ctx *m, const struct pod *p, const struct vg_config_node *c,
          const char *cname)
{
    const struct vg_config_node *env = vg_misconf_seq(c, "env");
    for (size_t i = 0; env && i < vg_config_node_len(env); i++) {
        const struct vg_config_node *v = vg_config_seq_at(env, i);
        const char *name = vg_misconf_str(v, "name");
        const char *value = vg_misconf_str(v, "value");
        if (!name || !value || !*value) {
            continue;
        }
        vg_autofree char *pair = vg_fmt("%s=%s", name, value);
        vg_autofree char *rule = vg_misconf_secret_rule(m, pair);
        if (!rule && !secret_env_name(name)) {
            continue;
        }
        vg_autofree char *en = e(name), *ec = e(cname), *ek = e(p->kind), *eo = e(p->name);
        vg_autofree char *er = rule ? e(rule) : NULL;
        vg_misconf_fail(m, "VG-K8S-003", vg_config_node_line(v), last_line(v, 0), p->scope,
                        vg_fmt("Container '%s' of %s '%s' sets %s as a literal value%s%s%s: use "
                               "valueFrom.secretKeyRef",
                               ec, ek, eo, en, er ? " (" : "", er ? er : "", er ? ")" : ""));
    }
}

static void
check_image(struct vg_misconf_ctx *m, const struct pod *p, const struct vg_config_node *c,
            const char *cname, const char *image)
{
    vg_autofree char *ec = e(cname), *ek = e(p->kind), *eo = e(p->name), *ei = e(image);
    size_t start = vg_config_node_line(c), end = last_line(c, 0);
    bool digest = strchr(image, '@') != NULL;
    const char *slash = strrchr(image, '/');
    const char *colon = strrchr(slash ? slash : image, ':');
    bool latest = !digest && (!colon || strcmp(colon, ":latest") == 0);
    if (latest) {
        vg_misconf_fail(
            m, "KSV013", start, end, p->scope,
            vg_fmt("Container '%s' of %s '%s' should specify an image tag", ec, ek, eo));
    }
    if (!digest) {
        vg_misconf_fail(
            m, "VG-K8S-001", start, end, p->scope,
            vg_fmt("Container '%s' of %s '%s': image %s is not pinned by digest", ec, ek, eo, ei));
        const char *pol = vg_misconf_str(c, "imagePullPolicy");
        if (pol && strcmp(pol, "Always") != 0) {
            vg_autofree char *ep = e(pol);
            vg_misconf_fail(m, "VG-K8S-002", start, end, p->scope,
                            vg_fmt("Container '%s' of %s '%s': imagePullPolicy %s on the tag %s",
                                   ec, ek, eo, ep, ei));
        }
    }
    if (strstr(image, "tiller")) {
        vg_misconf_fail(m, "KSV102", start, end, p->scope,
                        vg_fmt("%s '%s' runs Tiller (%s)", ek, eo, ei));
    }
}

/* The effective securityContext value: the container's, else the pod's. */
static const struct vg_config_node *
eff(const struct vg_config_node *csc, const struct vg_config_node *psc, const char *key)
{
    if (has_key(csc, key)) {
        return csc;
    }
    return has_key(psc, key) ? psc : NULL;
}

/* procMount, seccomp, AppArmor, SELinux, Windows hostProcess and host ports of a container. */
static void
check_profiles(struct vg_misconf_ctx *m, const struct pod *p, const struct vg_config_node *c,
               const struct vg_config_node *csc, const struct vg_config_node *psc,
               const char *cname)
{
    vg_autofree char *ec = e(cname), *ek = e(p->kind), *eo = e(p->name);
    int64_t v;
#define CFAIL(id, ...) pod_fail(m, p, id, c, vg_fmt(__VA_ARGS__))
    const char *pm = vg_misconf_str(csc, "procMount");
    if (pm && strcmp(pm, "Default") != 0) {
        CFAIL("KSV027",
              "Container '%s' of %s '%s' should set 'securityContext.procMount' to 'Default'", ec,
              ek, eo);
    }
    const struct vg_config_node *sp = vg_misconf_map(csc, "seccompProfile");
    sp = sp ? sp : vg_misconf_map(psc, "seccompProfile");
    const char *st = vg_misconf_str(sp, "type");
    const struct vg_config_node *ann = vg_misconf_map(p->tmeta, "annotations");
    const char *pod_ann = vg_misconf_str(ann, "seccomp.security.alpha.kubernetes.io/pod");
    vg_autofree char *ck =
        vg_fmt("container.seccomp.security.alpha.kubernetes.io/%s", cname ? cname : "");
    const char *c_ann = vg_misconf_str(ann, ck);
    const char *a = c_ann ? c_ann : pod_ann;
    bool sec_ok = (st && (strcmp(st, "RuntimeDefault") == 0 || strcmp(st, "Localhost") == 0)) ||
                  (!st && a &&
                   (strcmp(a, "runtime/default") == 0 || strcmp(a, "docker/default") == 0 ||
                    vg_cstr_startswith(a, "localhost/")));
    if (!sec_ok) {
        CFAIL("KSV030",
              "Either Pod or Container '%s' of %s '%s' should set "
              "'securityContext.seccompProfile.type' to 'RuntimeDefault'",
              ec, ek, eo);
        CFAIL("KSV104", "Container '%s' of %s '%s' should specify a seccomp profile", ec, ek, eo);
    }
    vg_autofree char *ak =
        vg_fmt("container.apparmor.security.beta.kubernetes.io/%s", cname ? cname : "");
    const char *aa = vg_misconf_str(ann, ak);
    const struct vg_config_node *ap = vg_misconf_map(csc, "appArmorProfile");
    const char *apt = vg_misconf_str(ap ? ap : vg_misconf_map(psc, "appArmorProfile"), "type");
    if ((aa && strcmp(aa, "runtime/default") != 0 && !vg_cstr_startswith(aa, "localhost/")) ||
        (apt && strcmp(apt, "Unconfined") == 0)) {
        CFAIL("KSV002",
              "Container '%s' of %s '%s' should specify an AppArmor profile (runtime/default or "
              "localhost/...)",
              ec, ek, eo);
    }
    const struct vg_config_node *sel = vg_misconf_map(csc, "seLinuxOptions");
    const char *selt = vg_misconf_str(sel, "type");
    if (sel && ((selt && strcmp(selt, "container_t") != 0 &&
                 strcmp(selt, "container_init_t") != 0 && strcmp(selt, "container_kvm_t") != 0) ||
                has_key(sel, "user") || has_key(sel, "role"))) {
        CFAIL("KSV025",
              "Container '%s' of %s '%s' uses invalid seLinuxOptions (type, user or role)", ec, ek,
              eo);
    }
    if (vg_misconf_bool(vg_misconf_map(csc, "windowsOptions"), "hostProcess", false)) {
        CFAIL("KSV103",
              "Container '%s' of %s '%s' should not set "
              "'securityContext.windowsOptions.hostProcess' to true",
              ec, ek, eo);
    }
    const struct vg_config_node *ports = vg_misconf_seq(c, "ports");
    for (size_t i = 0; ports && i < vg_config_node_len(ports); i++) {
        if (get_int(vg_config_seq_at(ports, i), "hostPort", &v) && v != 0) {
            CFAIL("KSV024",
                  "Container '%s' of %s '%s' should not set host ports, 'ports[*].hostPort'", ec,
                  ek, eo);
            break;
        }
    }
#undef CFAIL
}

static void
check_container(struct vg_misconf_ctx *m, const struct pod *p, const struct vg_config_node *c)
{
    const char *cname = vg_misconf_str(c, "name");
    const char *image = vg_misconf_str(c, "image");
    const struct vg_config_node *csc = vg_misconf_map(c, "securityContext");
    const struct vg_config_node *psc = vg_misconf_map(p->spec, "securityContext");
    const struct vg_config_node *caps = vg_misconf_map(csc, "capabilities");
    const struct vg_config_node *add = vg_misconf_seq(caps, "add");
    const struct vg_config_node *drop = vg_misconf_seq(caps, "drop");
    const struct vg_config_node *res = vg_misconf_map(c, "resources");
    vg_autofree char *ec = e(cname), *ek = e(p->kind), *eo = e(p->name);
#define CFAIL(id, ...) pod_fail(m, p, id, c, vg_fmt(__VA_ARGS__))
    if (vg_misconf_bool(csc, "allowPrivilegeEscalation", true)) {
        CFAIL("KSV001",
              "Container '%s' of %s '%s' should set 'securityContext.allowPrivilegeEscalation' to "
              "false",
              ec, ek, eo);
    }
    if (!seq_has_ci(drop, "ALL")) {
        CFAIL("KSV003",
              "Container '%s' of %s '%s' should add 'ALL' to 'securityContext.capabilities.drop'",
              ec, ek, eo);
    }
    bool other_add = false;
    for (size_t i = 0; add && i < vg_config_node_len(add); i++) {
        const char *cap = vg_config_node_scalar(vg_config_seq_at(add, i), NULL);
        if (!cap) {
            continue;
        }
        if (str_ieq(cap, "SYS_ADMIN")) {
            CFAIL("KSV005",
                  "Container '%s' of %s '%s' should not include 'SYS_ADMIN' in "
                  "'securityContext.capabilities.add'",
                  ec, ek, eo);
        }
        if (!in_list(cap, BASELINE_CAPS, VG_ARRAY_LEN(BASELINE_CAPS), true)) {
            vg_autofree char *ecap = e(cap);
            CFAIL("KSV022",
                  "Container '%s' of %s '%s' should not set "
                  "'securityContext.capabilities.add' to %s",
                  ec, ek, eo, ecap);
        }
        other_add |= !str_ieq(cap, "NET_BIND_SERVICE");
    }
    if (!seq_has_ci(drop, "ALL") || other_add) {
        CFAIL("KSV106",
              "Container '%s' of %s '%s' should drop all capabilities and add only "
              "NET_BIND_SERVICE",
              ec, ek, eo);
    }
    static const struct {
        const char *part, *res, *id;
    } rq[] = {{"limits", "cpu", "KSV011"},
              {"requests", "cpu", "KSV015"},
              {"requests", "memory", "KSV016"},
              {"limits", "memory", "KSV018"}};
    for (size_t i = 0; i < VG_ARRAY_LEN(rq); i++) {
        if (!has_key(vg_misconf_map(res, rq[i].part), rq[i].res)) {
            CFAIL(rq[i].id, "Container '%s' of %s '%s' should set 'resources.%s.%s'", ec, ek, eo,
                  rq[i].part, rq[i].res);
        }
    }
    const struct vg_config_node *nr = eff(csc, psc, "runAsNonRoot");
    if (!vg_misconf_bool(nr, "runAsNonRoot", false)) {
        CFAIL("KSV012",
              "Container '%s' of %s '%s' should set 'securityContext.runAsNonRoot' to true", ec, ek,
              eo);
    }
    if (!vg_misconf_bool(csc, "readOnlyRootFilesystem", false)) {
        CFAIL("KSV014",
              "Container '%s' of %s '%s' should set 'securityContext.readOnlyRootFilesystem' to "
              "true",
              ec, ek, eo);
    }
    if (vg_misconf_bool(csc, "privileged", false)) {
        CFAIL("KSV017",
              "Container '%s' of %s '%s' should set 'securityContext.privileged' to false", ec, ek,
              eo);
    }
    int64_t v;
    const struct vg_config_node *u = eff(csc, psc, "runAsUser");
    if (!(get_int(u, "runAsUser", &v) && v > 10000)) {
        CFAIL("KSV020", "Container '%s' of %s '%s' should set 'securityContext.runAsUser' > 10000",
              ec, ek, eo);
    }
    if (u && get_int(u, "runAsUser", &v) && v == 0) {
        CFAIL("KSV105", "Container '%s' of %s '%s' should not set 'securityContext.runAsUser' to 0",
              ec, ek, eo);
    }
    const struct vg_config_node *g = eff(csc, psc, "runAsGroup");
    if (!(get_int(g, "runAsGroup", &v) && v > 10000)) {
        CFAIL("KSV021", "Container '%s' of %s '%s' should set 'securityContext.runAsGroup' > 10000",
              ec, ek, eo);
    }
    check_profiles(m, p, c, csc, psc, cname);
#undef CFAIL
    if (image) {
        check_image(m, p, c, cname, image);
    }
    check_env(m, p, c, cname);
}

static void
check_pod(struct vg_misconf_ctx *m, const struct pod *p)
{
    vg_autofree char *ek = e(p->kind), *eo = e(p->name);
    static const struct {
        const char *key, *id;
    } host[] = {{"hostIPC", "KSV008"}, {"hostNetwork", "KSV009"}, {"hostPID", "KSV010"}};
    for (size_t i = 0; i < VG_ARRAY_LEN(host); i++) {
        if (vg_misconf_bool(p->spec, host[i].key, false)) {
            pod_fail(m, p, host[i].id, vg_config_map_get(p->spec, host[i].key),
                     vg_fmt("%s '%s' should not set 'spec.template.spec.%s' to true", ek, eo,
                            host[i].key));
        }
    }
    const struct vg_config_node *vols = vg_misconf_seq(p->spec, "volumes");
    for (size_t i = 0; vols && i < vg_config_node_len(vols); i++) {
        const struct vg_config_node *vol = vg_config_seq_at(vols, i);
        const struct vg_config_node *hp = vg_misconf_map(vol, "hostPath");
        if (hp) {
            pod_fail(m, p, "KSV023", vol,
                     vg_fmt("%s '%s' should not set 'spec.template.volumes.hostPath'", ek, eo));
            const char *path = vg_misconf_str(hp, "path");
            if (path && (strcmp(path, "/var/run/docker.sock") == 0 ||
                         strcmp(path, "/run/docker.sock") == 0)) {
                pod_fail(m, p, "KSV006", vol,
                         vg_fmt("%s '%s' should not specify '/var/run/docker.sock' in "
                                "'spec.template.volumes.hostPath.path'",
                                ek, eo));
            }
        }
        for (size_t k = 0; vol && k < vg_config_node_len(vol); k++) {
            const char *key = vg_config_node_scalar(vg_config_map_key(vol, k), NULL);
            if (vg_config_node_type(vol) == VG_CONFIG_MAP && key &&
                !in_list(key, CORE_VOLUMES, VG_ARRAY_LEN(CORE_VOLUMES), false)) {
                vg_autofree char *ev = e(key);
                pod_fail(m, p, "KSV028", vol,
                         vg_fmt("%s '%s' should set 'spec.volumes[*]' to an allowed volume type "
                                "(not %s)",
                                ek, eo, ev));
                break;
            }
        }
    }
    const struct vg_config_node *psc = vg_misconf_map(p->spec, "securityContext");
    const struct vg_config_node *sysctls = vg_misconf_seq(psc, "sysctls");
    for (size_t i = 0; sysctls && i < vg_config_node_len(sysctls); i++) {
        const char *name = vg_misconf_str(vg_config_seq_at(sysctls, i), "name");
        if (name && !in_list(name, SAFE_SYSCTLS, VG_ARRAY_LEN(SAFE_SYSCTLS), false)) {
            vg_autofree char *en = e(name);
            pod_fail(m, p, "KSV026", vg_config_seq_at(sysctls, i),
                     vg_fmt("%s '%s' should set 'securityContext.sysctl' to the allowed values "
                            "(not %s)",
                            ek, eo, en));
        }
    }
    const struct vg_config_node *sel = vg_misconf_map(psc, "seLinuxOptions");
    const char *selt = vg_misconf_str(sel, "type");
    if (sel && ((selt && strcmp(selt, "container_t") != 0 &&
                 strcmp(selt, "container_init_t") != 0 && strcmp(selt, "container_kvm_t") != 0) ||
                has_key(sel, "user") || has_key(sel, "role"))) {
        pod_fail(m, p, "KSV025", sel,
                 vg_fmt("%s '%s' uses invalid seLinuxOptions (type, user or role)", ek, eo));
    }
    if (vg_misconf_bool(vg_misconf_map(psc, "windowsOptions"), "hostProcess", false)) {
        pod_fail(m, p, "KSV103", psc,
                 vg_fmt("%s '%s' should not set 'securityContext.windowsOptions.hostProcess' to "
                        "true",
                        ek, eo));
    }
    int64_t v;
    bool root_gid = (get_int(psc, "runAsGroup", &v) && v == 0) ||
                    (get_int(psc, "fsGroup", &v) && v == 0) || !has_key(psc, "runAsGroup");
    const struct vg_config_node *sg = vg_misconf_seq(psc, "supplementalGroups");
    for (size_t i = 0; sg && i < vg_config_node_len(sg); i++) {
        const char *s = vg_config_node_scalar(vg_config_seq_at(sg, i), NULL);
        root_gid |= s && strcmp(s, "0") == 0;
    }
    if (root_gid) {
        pod_fail(m, p, "KSV116", NULL,
                 vg_fmt("%s '%s' should set spec.securityContext.runAsGroup, "
                        "spec.securityContext.supplementalGroups[*] and "
                        "spec.securityContext.fsGroup to integer greater than 0",
                        ek, eo));
    }
    if (p->ns && strcmp(p->ns, "kube-system") == 0) {
        pod_fail(m, p, "KSV037", NULL,
                 vg_fmt("%s '%s' should not be set with 'kube-system' namespace", ek, eo));
    }
    if (p->ns && strcmp(p->ns, "default") == 0) {
        pod_fail(m, p, "KSV110", NULL,
                 vg_fmt("%s '%s' should not be set with 'default' namespace", ek, eo));
    }
    static const char *const lists[] = {"initContainers", "containers", "ephemeralContainers"};
    for (size_t l = 0; l < VG_ARRAY_LEN(lists); l++) {
        const struct vg_config_node *cs = vg_misconf_seq(p->spec, lists[l]);
        for (size_t i = 0; cs && i < vg_config_node_len(cs); i++) {
            const struct vg_config_node *c = vg_config_seq_at(cs, i);
            if (vg_config_node_type(c) == VG_CONFIG_MAP) {
                check_container(m, p, c);
            }
        }
    }
}

/* The pod spec of a pod-carrying object, and the pod's metadata. */
static const struct vg_config_node *
pod_spec(const char *kind, const struct vg_config_node *obj, const struct vg_config_node **tmeta)
{
    const struct vg_config_node *spec = vg_misconf_map(obj, "spec");
    *tmeta = vg_misconf_map(obj, "metadata");
    if (strcmp(kind, "Pod") == 0) {
        return spec;
    }
    const struct vg_config_node *tpl = NULL;
    if (strcmp(kind, "CronJob") == 0) {
        tpl =
            vg_misconf_map(vg_misconf_map(vg_misconf_map(spec, "jobTemplate"), "spec"), "template");
    } else if (strcmp(kind, "PodTemplate") == 0) {
        tpl = vg_misconf_map(obj, "template");
    } else if (strcmp(kind, "Deployment") == 0 || strcmp(kind, "ReplicaSet") == 0 ||
               strcmp(kind, "StatefulSet") == 0 || strcmp(kind, "DaemonSet") == 0 ||
               strcmp(kind, "Job") == 0 || strcmp(kind, "ReplicationController") == 0) {
        tpl = vg_misconf_map(spec, "template");
    }
    *tmeta = vg_misconf_map(tpl, "metadata");
    return vg_misconf_map(tpl, "spec");
}

static void
check_secret(struct vg_misconf_ctx *m, const struct vg_config_node *obj, const char *name,
             size_t scope)
{
    const struct vg_config_node *data = vg_misconf_map(obj, "data");
    const struct vg_config_node *sdata = vg_misconf_map(obj, "stringData");
    size_t n = (data ? vg_config_node_len(data) : 0) + (sdata ? vg_config_node_len(sdata) : 0);
    if (!n) {
        return;
    }
    const char *type = vg_misconf_str(obj, "type");
    const struct vg_config_node *at = data ? data : sdata;
    vg_autofree char *eo = e(name);
    if (type && (strcmp(type, "kubernetes.io/dockerconfigjson") == 0 ||
                 strcmp(type, "kubernetes.io/dockercfg") == 0)) {
        vg_autofree char *et = e(type);
        vg_misconf_fail(m, "VG-K8S-005", vg_config_node_line(at), last_line(at, 0), scope,
                        vg_fmt("Secret '%s' (%s) holds registry credentials", eo, et));
        return;
    }
    vg_misconf_fail(m, "VG-K8S-004", vg_config_node_line(at), last_line(at, 0), scope,
                    vg_fmt("Secret '%s' commits %zu key%s of data", eo, n, n == 1 ? "" : "s"));
}

static int walk(struct vg_misconf_ctx *m, const struct vg_config_node *obj, unsigned depth,
                int *found, struct vg_err **err);

static int
check_object(struct vg_misconf_ctx *m, const struct vg_config_node *obj, const char *kind,
             struct vg_err **err)
{
    const struct vg_config_node *meta = vg_misconf_map(obj, "metadata");
    struct pod p = {.obj = obj,
                    .meta = meta,
                    .kind = kind,
                    .name = vg_misconf_str(meta, "name"),
                    .ns = vg_misconf_str(meta, "namespace"),
                    .scope = vg_config_node_line(obj)};
    if (strcmp(kind, "EncryptionConfiguration") == 0) {
        vg_misconf_encryption(m, obj);
    } else if (strcmp(kind, "Secret") == 0) {
        check_secret(m, obj, p.name, p.scope);
    } else if ((p.spec = pod_spec(kind, obj, &p.tmeta)) != NULL) {
        check_pod(m, &p);
    }
    if (m->o->on_object) {
        return m->o->on_object(m->o->ctx, m->r, m->target, obj, err);
    }
    return 0;
}

static int
walk(struct vg_misconf_ctx *m, const struct vg_config_node *obj, unsigned depth, int *found,
     struct vg_err **err)
{
    const char *kind = vg_misconf_str(obj, "kind");
    const char *api = vg_misconf_str(obj, "apiVersion");
    if (!kind || !api) {
        return 0;
    }
    *found = 1;
    const struct vg_config_node *items = vg_misconf_seq(obj, "items");
    if (vg_cstr_endswith(kind, "List") && items && depth < 4) {
        for (size_t i = 0; i < vg_config_node_len(items); i++) {
            if (walk(m, vg_config_seq_at(items, i), depth + 1, found, err) < 0) {
                return -1;
            }
        }
        return 0;
    }
    return check_object(m, obj, kind, err);
}

int
vg_misconf_kubernetes(struct vg_misconf_ctx *m, const char *data, size_t len, struct vg_err **err)
{
    struct vg_config_limits lim = VG_CONFIG_LIMITS_INIT;
    lim.max_bytes = VG_MISCONF_MAX_BYTES;
    lim.max_nodes = VG_MISCONF_YAML_NODES;
    lim.max_documents = VG_MISCONF_YAML_DOCUMENTS;
    struct vg_config_doc *doc = NULL;
    if (vg_config_load_buf(&doc, m->target, data, len, &lim, err) < 0) {
        return -1;
    }
    int found = 0, rc = 0;
    for (size_t i = 0; rc == 0 && i < vg_config_doc_count(doc); i++) {
        rc = walk(m, vg_config_doc_root(doc, i), 0, &found, err);
    }
    vg_config_doc_free(doc);
    return rc < 0 ? -1 : found;
}
