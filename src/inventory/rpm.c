/* SPDX-License-Identifier: Apache-2.0
 *
 * rpm: the package database in its three on-disk forms, detected by magic — SQLite
 * (rpmdb.sqlite, RHEL 9, Fedora, Mariner), Berkeley DB hash (Packages, RHEL <= 8, CentOS,
 * Amazon Linux 2) and ndb (Packages.db, SUSE).
 *
 * librpm (the only user of librpm in vigil) reads SQLite and Berkeley DB through its sqlite
 * and read-only bdb_ro backends; it needs the database as a file in a directory, so the bytes
 * are written into a private mkdtemp() directory (0700) that is removed afterwards. librpm's
 * macro table is process-global, so those opens are serialised by one mutex. librpm has no
 * ndb backend: we walk ndb's slot pages and blob records ourselves, bounds-checking every
 * offset and length against the buffer, and hand each header blob to headerImport().
 */
#include <fcntl.h>
#include <pthread.h>
#include <string.h>
#include <unistd.h>

#include <rpm/header.h>
#include <rpm/rpmdb.h>
#include <rpm/rpmlib.h>
#include <rpm/rpmlog.h>
#include <rpm/rpmmacro.h>
#include <rpm/rpmtag.h>
#include <rpm/rpmtd.h>
#include <rpm/rpmts.h>

#include "inventory/inventory_int.h"

/* Guards librpm's global macro context and config (rpmReadConfigFiles, _dbpath). */
static pthread_mutex_t rpm_lock = PTHREAD_MUTEX_INITIALIZER;
static bool rpm_configured;
static char rpm_lastmsg[256]; /* guarded by rpm_lock: librpm's last error, for our message */

/* librpm logs to stderr itself; library code must not print, so keep the message instead. */
static int
rpm_log_cb(rpmlogRec rec, rpmlogCallbackData data)
{
    (void)data;
    const char *m = rpmlogRecMessage(rec);
    if (m && rpmlogRecPriority(rec) <= RPMLOG_ERR) {
        size_t n = strcspn(m, "\n");
        if (n >= sizeof(rpm_lastmsg)) {
            n = sizeof(rpm_lastmsg) - 1;
        }
        memcpy(rpm_lastmsg, m, n);
        rpm_lastmsg[n] = '\0';
    }
    return 0;
}

#define RPM_MAX_HEADER_BYTES (64u * 1024u * 1024u) /* rpm's own header size cap is 256 MiB */

/* "openssl-1.1.1k-7.el8.src.rpm" -> name "openssl", version "1.1.1k-7.el8". */
static void
split_srpm(const char *srpm, char **name, char **ver)
{
    size_t n = strlen(srpm);
    if (vg_cstr_endswith(srpm, ".src.rpm")) {
        n -= 8;
    } else if (vg_cstr_endswith(srpm, ".nosrc.rpm")) {
        n -= 10;
    }
    const char *rel = memrchr(srpm, '-', n);
    const char *ver_start = rel ? memrchr(srpm, '-', (size_t)(rel - srpm)) : NULL;
    if (!ver_start) {
        return;
    }
    *name = vg_strndup(srpm, (size_t)(ver_start - srpm));
    *ver = vg_strndup(ver_start + 1, n - (size_t)(ver_start + 1 - srpm));
}

static void
header_files(struct vg_pkg *p, Header h)
{
    rpmtd td = rpmtdNew();
    if (headerGet(h, RPMTAG_FILENAMES, td, HEADERGET_EXT)) {
        const char *f;
        while ((f = rpmtdNextString(td)) != NULL) {
            while (*f == '/') {
                f++;
            }
            vg_pkg_add_file(p, f, strlen(f));
        }
    }
    rpmtdFreeData(td);
    rpmtdFree(td);
}

static int
header_to_pkg(struct vg_pkg_list *out, const char *path, Header h, struct vg_err **err)
{
    const char *name = headerGetString(h, RPMTAG_NAME);
    const char *ver = headerGetString(h, RPMTAG_VERSION);
    const char *rel = headerGetString(h, RPMTAG_RELEASE);
    if (!name || !ver || !rel || strcmp(name, "gpg-pubkey") == 0) {
        return 0; /* gpg-pubkey entries are imported keys, not software */
    }
    struct vg_pkg *p = vg_pkg_list_add(out, err);
    if (!p) {
        return -1;
    }
    p->type = VG_PKG_OS;
    p->kind = vg_strdup("rpm");
    p->name = vg_strdup(name);
    uint64_t epoch = headerGetNumber(h, RPMTAG_EPOCH);
    p->version = headerIsEntry(h, RPMTAG_EPOCH) && epoch > 0
                     ? vg_fmt("%llu:%s-%s", (unsigned long long)epoch, ver, rel)
                     : vg_fmt("%s-%s", ver, rel);
    const char *arch = headerGetString(h, RPMTAG_ARCH);
    p->arch = arch ? vg_strdup(arch) : NULL;
    const char *srpm = headerGetString(h, RPMTAG_SOURCERPM);
    if (srpm) {
        split_srpm(srpm, &p->src_name, &p->src_version);
    }
    if (!p->src_name) {
        p->src_name = vg_strdup(name);
        p->src_version = vg_strdup(p->version);
    } else if (headerIsEntry(h, RPMTAG_EPOCH) && epoch > 0) {
        char *sv = vg_fmt("%llu:%s", (unsigned long long)epoch, p->src_version);
        free(p->src_version);
        p->src_version = sv;
    }
    const char *lic = headerGetString(h, RPMTAG_LICENSE);
    if (lic) {
        vg_pkg_add_license(p, lic, strlen(lic));
    }
    const char *mod = headerGetString(h, RPMTAG_MODULARITYLABEL);
    p->modularity_label = mod && *mod ? vg_strdup(mod) : NULL;
    p->path = vg_strdup(path);
    header_files(p, h);
    return 0;
}

/* ---------------------------------------------------------------- ndb */

#define NDB_PAGE           4096u
#define NDB_SLOT           16u
#define NDB_HEAD_MAGIC     0x506d7052u /* "RpmP" little-endian */
#define NDB_SLOT_MAGIC     0x746f6c53u /* "Slot" */
#define NDB_BLOB_MAGIC     0x53626c42u /* "BlbS" */
#define NDB_MAX_SLOT_PAGES 4096u

static int
ndb_blob(struct vg_pkg_list *out, const char *path, const uint8_t *data, size_t len,
         uint32_t pkgidx, uint32_t blkoff, struct vg_err **err)
{
    uint64_t off = (uint64_t)blkoff * 16u;
    if (off > len || len - off < 16) {
        return vg_err_set(err, VG_E_PARSE, "%s: ndb blob %u at %llu beyond end", path, pkgidx,
                          (unsigned long long)off);
    }
    struct vg_reader r;
    uint32_t magic, idx, cksum, blen;
    vg_reader_init(&r, data + off, len - (size_t)off);
    if (vg_reader_le32(&r, &magic, err) < 0 || vg_reader_le32(&r, &idx, err) < 0 ||
        vg_reader_le32(&r, &cksum, err) < 0 || vg_reader_le32(&r, &blen, err) < 0) {
        return -1;
    }
    (void)cksum; /* integrity is the layer digest's job; rpm's Adler-32 adds nothing here */
    const uint8_t *blob;
    if (magic != NDB_BLOB_MAGIC || idx != pkgidx || blen > RPM_MAX_HEADER_BYTES) {
        return vg_err_set(err, VG_E_PARSE, "%s: bad ndb blob for package %u", path, pkgidx);
    }
    if (vg_reader_take(&r, blen, &blob, err) < 0) {
        return vg_err_wrap(err, "%s: bad ndb blob for package %u", path, pkgidx);
    }
    vg_autofree void *copy = vg_memdup(blob, blen);
    Header h = headerImport(copy, blen, HEADERIMPORT_COPY);
    if (!h) {
        return vg_err_set(err, VG_E_PARSE, "%s: package %u: corrupt rpm header", path, pkgidx);
    }
    int rc = header_to_pkg(out, path, h, err);
    headerFree(h);
    return rc;
}

static int
parse_ndb(struct vg_pkg_list *out, const char *path, const uint8_t *data, size_t len,
          struct vg_err **err)
{
    struct vg_reader r;
    uint32_t magic, version, gen, npages;
    vg_reader_init(&r, data, len);
    if (vg_reader_le32(&r, &magic, err) < 0 || vg_reader_le32(&r, &version, err) < 0 ||
        vg_reader_le32(&r, &gen, err) < 0 || vg_reader_le32(&r, &npages, err) < 0 ||
        vg_reader_skip(&r, 16, err) < 0) {
        return vg_err_wrap(err, "%s: ndb header", path);
    }
    if (magic != NDB_HEAD_MAGIC || version != 0 || npages == 0 || npages > NDB_MAX_SLOT_PAGES) {
        return vg_err_set(err, VG_E_PARSE, "%s: not an ndb database (or %u slot pages)", path,
                          npages);
    }
    size_t nslots = (size_t)npages * (NDB_PAGE / NDB_SLOT) - 2;
    for (size_t i = 0; i < nslots; i++) {
        uint32_t smagic, pkgidx, blkoff, blkcnt;
        if (vg_reader_le32(&r, &smagic, err) < 0 || vg_reader_le32(&r, &pkgidx, err) < 0 ||
            vg_reader_le32(&r, &blkoff, err) < 0 || vg_reader_le32(&r, &blkcnt, err) < 0) {
            return vg_err_wrap(err, "%s: ndb slot %zu", path, i);
        }
        if (smagic != NDB_SLOT_MAGIC) {
            return vg_err_set(err, VG_E_PARSE, "%s: ndb slot %zu: bad magic", path, i);
        }
        if (pkgidx == 0) {
            continue;
        }
        if (ndb_blob(out, path, data, len, pkgidx, blkoff, err) < 0) {
            return -1;
        }
    }
    return 0;
}

/* ---------------------------------------------------------------- librpm (sqlite, bdb) */

static int
write_private(const char *dir, const char *name, const uint8_t *data, size_t len,
              struct vg_err **err)
{
    vg_autofree char *p = vg_fmt("%s/%s", dir, name);
    vg_autoclose int fd = open(p, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) {
        return vg_err_sys(err, VG_E_IO, "create %s", p);
    }
    while (len > 0) {
        ssize_t n = write(fd, data, len);
        if (n < 0) {
            return vg_err_sys(err, VG_E_IO, "write %s", p);
        }
        data += n;
        len -= (size_t)n;
    }
    return 0;
}

static void
remove_private(const char *dir)
{
    static const char *const names[] = {
        "rpmdb.sqlite", "rpmdb.sqlite-shm", "rpmdb.sqlite-wal", "rpmdb.sqlite-journal",
        "Packages",     ".rpm.lock",        ".dbenv.lock"};
    for (size_t i = 0; i < VG_ARRAY_LEN(names); i++) {
        vg_autofree char *p = vg_fmt("%s/%s", dir, names[i]);
        unlink(p);
    }
    rmdir(dir);
}

static int
librpm_iterate(struct vg_pkg_list *out, const char *path, const char *dbdir, const char *backend,
               struct vg_err **err)
{
    if (!rpm_configured) {
        if (rpmReadConfigFiles(NULL, NULL) != 0) {
            return vg_err_set(err, VG_E_INTERNAL, "librpm: cannot read its configuration");
        }
        rpm_configured = true;
        /* A database without index files is normal for us; librpm would warn per index. */
        rpmSetVerbosity(RPMLOG_ERR);
        rpmlogSetCallback(rpm_log_cb, NULL);
    }
    rpm_lastmsg[0] = '\0';
    rpmPushMacro(NULL, "_dbpath", NULL, dbdir, RMIL_CMDLINE);
    rpmPushMacro(NULL, "_db_backend", NULL, backend, RMIL_CMDLINE);
    rpmts ts = rpmtsCreate();
    rpmtsSetRootDir(ts, "/");
    rpmtsSetVSFlags(ts, _RPMVSF_NOSIGNATURES | _RPMVSF_NODIGESTS);
    int rc = 0;
    if (rpmtsOpenDB(ts, O_RDONLY) != 0) {
        rc = vg_err_set(err, VG_E_PARSE, "%s: librpm cannot open the %s database: %s", path,
                        backend, rpm_lastmsg[0] ? rpm_lastmsg : "unknown error");
    } else {
        rpmdbMatchIterator mi = rpmtsInitIterator(ts, RPMDBI_PACKAGES, NULL, 0);
        Header h;
        while (rc == 0 && mi && (h = rpmdbNextIterator(mi)) != NULL) {
            rc = header_to_pkg(out, path, h, err);
        }
        rpmdbFreeIterator(mi);
    }
    rpmtsCloseDB(ts);
    rpmtsFree(ts);
    rpmPopMacro(NULL, "_db_backend");
    rpmPopMacro(NULL, "_dbpath");
    return rc;
}

static int
parse_librpm(struct vg_pkg_list *out, const char *path, const uint8_t *data, size_t len,
             bool sqlite, struct vg_err **err)
{
    const char *tmp = getenv("TMPDIR");
    vg_autofree char *dir = vg_fmt("%s/vigil-rpmdb-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(dir)) {
        return vg_err_sys(err, VG_E_IO, "mkdtemp %s", dir);
    }
    int rc = write_private(dir, sqlite ? "rpmdb.sqlite" : "Packages", data, len, err);
    if (rc == 0) {
        pthread_mutex_lock(&rpm_lock);
        rc = librpm_iterate(out, path, dir, sqlite ? "sqlite" : "bdb_ro", err);
        pthread_mutex_unlock(&rpm_lock);
    }
    remove_private(dir);
    return rc;
}

/* SQLite file header sanity (sqlite.org/fileformat.html 1.3): a power-of-two page size and a
 * whole number of pages. librpm leaks its connection on files SQLite refuses, so obviously
 * corrupt ones are refused here first. */
static bool
sqlite_header_sane(const uint8_t *data, size_t len)
{
    if (len < 100) {
        return false;
    }
    uint32_t ps = (uint32_t)data[16] << 8 | data[17];
    if (ps == 1) {
        ps = 65536;
    }
    return ps >= 512 && (ps & (ps - 1)) == 0 && len % ps == 0;
}

int
vg_inv_parse_rpmdb(struct vg_pkg_list *out, const char *path, const uint8_t *data, size_t len,
                   struct vg_err **err)
{
    size_t start = out->n;
    int rc;
    if (len >= 16 && memcmp(data, "SQLite format 3", 16) == 0) {
        rc = sqlite_header_sane(data, len)
                 ? parse_librpm(out, path, data, len, true, err)
                 : vg_err_set(err, VG_E_PARSE, "%s: corrupt SQLite header", path);
    } else if (len >= 4 && memcmp(data, "RpmP", 4) == 0) {
        rc = parse_ndb(out, path, data, len, err);
    } else if (len >= 16 && (memcmp(data + 12, "\x61\x15\x06\x00", 4) == 0 ||
                             memcmp(data + 12, "\x00\x06\x15\x61", 4) == 0)) {
        /* Berkeley DB hash magic 0x061561 at offset 12, either byte order. */
        rc = parse_librpm(out, path, data, len, false, err);
    } else {
        rc = vg_err_set(err, VG_E_PARSE, "%s: not an rpm database (unknown format)", path);
    }
    if (rc < 0) {
        vg_pkg_list_truncate(out, start);
    }
    return rc;
}
