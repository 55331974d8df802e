/* SPDX-License-Identifier: Apache-2.0
 *
 * core: the pieces every vigil module builds on — the error type, growable bounded buffers,
 * borrowed string slices, checked arithmetic, a bounded reader cursor, number parsing,
 * structured logging, jansson helpers, streaming digests, and small filesystem helpers.
 *
 * It deliberately owns no policy: limits live in limits.h, and nothing here prints except the
 * logger (which writes to stderr or the file it is given).
 *
 * Thread safety: every function is safe to call from several threads on distinct objects.
 * The log level table and format are set once in main() before threads start; logging itself
 * (and switching its sink) is thread-safe, one whole line per write.
 */
#ifndef VG_CORE_H
#define VG_CORE_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "limits.h"

#define VG_PRINTF(a, b) __attribute__((format(printf, a, b)))
#define VG_NODISCARD    __attribute__((warn_unused_result))
#define VG_UNUSED       __attribute__((unused))
#define VG_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define VG_CLEANUP(f)   __attribute__((cleanup(f)))

/* ---------------------------------------------------------------- errors */

enum vg_errc {
    VG_E_IO = 1,      /* local filesystem or OS failure */
    VG_E_PARSE,       /* malformed input (corrupt data) */
    VG_E_LIMIT,       /* input exceeded a bound from limits.h */
    VG_E_NOTFOUND,    /* the named thing does not exist */
    VG_E_AUTH,        /* authentication or authorization refused */
    VG_E_VERIFY,      /* digest, size or signature mismatch */
    VG_E_NET,         /* network unreachable, timeout, unexpected HTTP status */
    VG_E_DB,          /* database failure */
    VG_E_USAGE,       /* caller supplied invalid arguments */
    VG_E_UNSUPPORTED, /* well-formed but not supported (schema1, unknown algorithm) */
    VG_E_INTERNAL,
};

struct vg_err {
    enum vg_errc code;
    int sys_errno;
    char *msg;            /* owned; this layer's context only */
    struct vg_err *cause; /* owned; lower-level error or NULL */
};

/* Each returns -(int)code so a failure site is one `return`. An error is set exactly once:
 * setting over an error that is already set is a bug, caught in debug builds (VG_ERR_CHECKS:
 * abort naming both messages); release builds keep the old error as the cause. To add context
 * to a callee's error use vg_err_wrap; to give it another code, vg_err_wrap_code; to replace
 * an error that was handled, vg_err_free it first. */
int vg_err_set(struct vg_err **err, enum vg_errc c, const char *fmt, ...) VG_PRINTF(3, 4);
int vg_err_sys(struct vg_err **err, enum vg_errc c, const char *fmt, ...) VG_PRINTF(3, 4);
/* Adds "fmt: " context around the existing error, keeping its code. */
int vg_err_wrap(struct vg_err **err, const char *fmt, ...) VG_PRINTF(2, 3);
/* Adds "fmt: " context around the existing error (if any) under a new code c. */
int vg_err_wrap_code(struct vg_err **err, enum vg_errc c, const char *fmt, ...) VG_PRINTF(3, 4);
bool vg_err_is(const struct vg_err *err, enum vg_errc c);
/* Code of the outermost error, the one a caller reports: what the CLI maps to an exit status.
 * VG_E_INTERNAL for NULL. */
enum vg_errc vg_err_code(const struct vg_err *err);
/* Code of the innermost (root) cause. */
enum vg_errc vg_err_root_code(const struct vg_err *err);
/* "outer: inner: root (errno text)" — caller frees. */
char *vg_err_format(const struct vg_err *err);
void vg_err_free(struct vg_err **err);
const char *vg_errc_name(enum vg_errc c);

/* ---------------------------------------------------------------- memory */

void *vg_malloc(size_t n);            /* aborts on OOM */
void *vg_calloc(size_t n, size_t sz); /* aborts on OOM or overflow */
void *vg_realloc(void *p, size_t n);  /* aborts on OOM */
/* realloc of n elements of elem bytes; n * elem overflowing aborts (like OOM). */
void *vg_reallocarray(void *p, size_t n, size_t elem);
char *vg_strdup(const char *s); /* NULL in, NULL out */
char *vg_strndup(const char *s, size_t n);
void *vg_memdup(const void *p, size_t n);
/* free() for memory its owner holds through a pointer to const: types used both as owned
 * results and as borrowed inputs (struct vg_sign_kv, struct vg_ver_event) keep their strings
 * const for readers, and the owner releases them here. NULL is a no-op. */
void vg_free_const(const void *p);

/* qsort/bsearch that accept an empty (possibly NULL) array: the libc functions declare their
 * base nonnull even for zero elements, which UBSan reports. */
void vg_qsort(void *base, size_t n, size_t size, int (*cmp)(const void *, const void *));
void *vg_bsearch(const void *key, const void *base, size_t n, size_t size,
                 int (*cmp)(const void *, const void *));

static inline void *
vg_steal_ptr(void *pp)
{
    void **p = (void **)pp;
    void *v = *p;
    *p = NULL;
    return v;
}

static inline void
vg_freep(void *pp)
{
    free(*(void **)pp);
}
static inline void
vg_fclosep(FILE **f)
{
    if (*f) {
        fclose(*f);
    }
}
void vg_closep(int *fd);
static inline void
vg_json_decrefp(json_t **j)
{
    json_decref(*j);
}

#define vg_autofree  VG_CLEANUP(vg_freep)
#define vg_autofile  VG_CLEANUP(vg_fclosep)
#define vg_autoclose VG_CLEANUP(vg_closep)
#define vg_autojson  VG_CLEANUP(vg_json_decrefp)
#define vg_autobuf   VG_CLEANUP(vg_buf_dispose)
#define vg_autoerr   VG_CLEANUP(vg_err_free)

/* ---------------------------------------------------------------- growable arrays */

/* Returns p grown so that n + extra elements of elem bytes fit, updating *cap (the capacity in
 * elements; 0 with p NULL for a new array). Capacity doubles, so pushes are amortised O(1).
 * Overflow of n + extra or of the byte size aborts like OOM: bound input-derived counts with
 * limits.h first. */
void *vg_vec_grow(void *p, size_t *cap, size_t n, size_t extra, size_t elem);

/* A typed growable array: `VG_VEC(struct vg_pkg) pkgs = VG_VEC_INIT;`, or the same three
 * fields named v, n, cap inside a struct. Elements are v[0..n); free(v) releases them. */
#define VG_VEC(T)                                                                                  \
    struct {                                                                                       \
        T *v;                                                                                      \
        size_t n, cap;                                                                             \
    }
#define VG_VEC_INIT                                                                                \
    {                                                                                              \
        NULL, 0, 0                                                                                 \
    }
/* Makes room for `extra` more elements (v may move). */
#define vg_vec_reserve(vec, extra)                                                                 \
    ((vec)->v = vg_vec_grow((vec)->v, &(vec)->cap, (vec)->n, (extra), sizeof(*(vec)->v)))
/* Appends one element (an expression of the element type). */
#define vg_vec_push(vec, val) (vg_vec_reserve((vec), 1), (vec)->v[(vec)->n++] = (val))
/* Appends a zeroed element and returns a pointer to it. */
#define vg_vec_push_zero(vec)                                                                      \
    (vg_vec_reserve((vec), 1), memset(&(vec)->v[(vec)->n], 0, sizeof(*(vec)->v)),                  \
     &(vec)->v[(vec)->n++])
/* Frees the storage (not what elements point to) and empties the array. */
#define vg_vec_dispose(vec)                                                                        \
    do {                                                                                           \
        free((vec)->v);                                                                            \
        (vec)->v = NULL;                                                                           \
        (vec)->n = (vec)->cap = 0;                                                                 \
    } while (0)

/* For arrays kept as a bare (pointer, count) pair in a public struct, with no capacity field:
 * grows ptr by exactly `extra` elements through the checked vg_reallocarray. */
#define VG_ARRAY_GROW(ptr, n, extra)                                                               \
    ((ptr) = vg_reallocarray((ptr), vg_size_add_or_abort((n), (extra)), sizeof(*(ptr))))
/* Appends val to a (pointer, count) pair: ptr[n++] = val after growing by one. */
#define VG_ARRAY_PUSH(ptr, n, val) (VG_ARRAY_GROW((ptr), (n), 1), (ptr)[(n)++] = (val))
size_t vg_size_add_or_abort(size_t a, size_t b);

/* ---------------------------------------------------------------- checked math */

#define vg_ckd_add(r, a, b) __builtin_add_overflow((a), (b), (r))
#define vg_ckd_sub(r, a, b) __builtin_sub_overflow((a), (b), (r))
#define vg_ckd_mul(r, a, b) __builtin_mul_overflow((a), (b), (r))

/* ---------------------------------------------------------------- slices */

struct vg_str {
    const char *ptr;
    size_t len;
};
#define VG_STR(lit) ((struct vg_str){(lit), sizeof(lit) - 1})
#define VG_STR_NULL ((struct vg_str){NULL, 0})
struct vg_str vg_str_c(const char *s);
char *vg_str_dup(struct vg_str s);
bool vg_str_eq(struct vg_str a, struct vg_str b);
bool vg_str_eq_c(struct vg_str a, const char *b);
bool vg_str_startswith(struct vg_str s, const char *prefix);
bool vg_str_endswith(struct vg_str s, const char *suffix);
struct vg_str vg_str_trim(struct vg_str s);
/* Splits s at the first `c`: *head gets the part before, *tail the part after. False if absent
 * (then head = s, tail empty). */
bool vg_str_cut(struct vg_str s, char c, struct vg_str *head, struct vg_str *tail);

bool vg_cstr_startswith(const char *s, const char *prefix);
bool vg_cstr_endswith(const char *s, const char *suffix);

/* String lists: `v` is a heap array of `n` owned NUL-terminated strings, NULL while n is 0.
 * _free tolerates (NULL, 0); _dup returns NULL for an empty list; _push appends a copy of `s`;
 * _add_unique appends a copy unless `s` is NULL or already present (then returns false). */
void vg_strv_free(char **v, size_t n);
char **vg_strv_dup(char *const *v, size_t n);
bool vg_strv_has(char *const *v, size_t n, const char *s);
void vg_strv_push(char ***v, size_t *n, const char *s);
bool vg_strv_add_unique(char ***v, size_t *n, const char *s);

/* Digits only, at least one, no sign, no whitespace; overflow and > max are errors. */
VG_NODISCARD int vg_parse_u64(struct vg_str s, uint64_t max, uint64_t *out);
VG_NODISCARD int vg_parse_i64(struct vg_str s, int64_t *out);

/* ---------------------------------------------------------------- buffers */

/* Growable byte buffer with a hard ceiling; data is always NUL-terminated at data[len]. */
struct vg_buf {
    uint8_t *data;
    size_t len, cap, max;
};
#define VG_BUF_INIT(maxbytes) ((struct vg_buf){NULL, 0, 0, (maxbytes)})
void vg_buf_init(struct vg_buf *b, size_t max);
void vg_buf_dispose(struct vg_buf *b);
void vg_buf_reset(struct vg_buf *b);
/* Each fails with VG_E_LIMIT (leaving the buffer unchanged) when max would be exceeded. */
VG_NODISCARD int vg_buf_reserve(struct vg_buf *b, size_t extra, struct vg_err **err);
VG_NODISCARD int vg_buf_append(struct vg_buf *b, const void *p, size_t n, struct vg_err **err);
VG_NODISCARD int vg_buf_append_str(struct vg_buf *b, const char *s, struct vg_err **err);
VG_NODISCARD int vg_buf_appendc(struct vg_buf *b, char c, struct vg_err **err);
VG_NODISCARD int vg_buf_appendf(struct vg_buf *b, struct vg_err **err, const char *fmt, ...)
    VG_PRINTF(3, 4);
/* Hands the memory out (NUL-terminated, caller frees) and resets the buffer. */
char *vg_buf_take(struct vg_buf *b, size_t *len);
const char *vg_buf_cstr(const struct vg_buf *b); /* "" when empty */

/* Formats into a fresh string; aborts on OOM. */
char *vg_fmt(const char *fmt, ...) VG_PRINTF(1, 2);
char *vg_vfmt(const char *fmt, va_list ap) VG_PRINTF(1, 0);

/* ---------------------------------------------------------------- reader cursor */

struct vg_reader {
    const uint8_t *p;
    size_t left;
    uint64_t off; /* bytes consumed so far, for error messages */
};
void vg_reader_init(struct vg_reader *r, const void *data, size_t len);
VG_NODISCARD int vg_reader_take(struct vg_reader *r, size_t n, const uint8_t **out,
                                struct vg_err **err);
VG_NODISCARD int vg_reader_skip(struct vg_reader *r, size_t n, struct vg_err **err);
VG_NODISCARD int vg_reader_u8(struct vg_reader *r, uint8_t *out, struct vg_err **err);
VG_NODISCARD int vg_reader_le16(struct vg_reader *r, uint16_t *out, struct vg_err **err);
VG_NODISCARD int vg_reader_le32(struct vg_reader *r, uint32_t *out, struct vg_err **err);
VG_NODISCARD int vg_reader_le64(struct vg_reader *r, uint64_t *out, struct vg_err **err);
VG_NODISCARD int vg_reader_be16(struct vg_reader *r, uint16_t *out, struct vg_err **err);
VG_NODISCARD int vg_reader_be32(struct vg_reader *r, uint32_t *out, struct vg_err **err);
VG_NODISCARD int vg_reader_be64(struct vg_reader *r, uint64_t *out, struct vg_err **err);
/* Reads one line (without the '\n'); false at end of input. A line longer than max is an
 * error (VG_E_LIMIT). */
VG_NODISCARD int vg_reader_line(struct vg_reader *r, size_t max, struct vg_str *line,
                                struct vg_err **err);
/* vg_reader_line for text files that may have CRLF endings: one '\r' before the newline (or at
 * the end of input) is dropped too. max counts the '\r'. */
VG_NODISCARD int vg_reader_text_line(struct vg_reader *r, size_t max, struct vg_str *line,
                                     struct vg_err **err);

/* ---------------------------------------------------------------- logging */

enum vg_log_level { VG_LOG_ERROR = 0, VG_LOG_WARN, VG_LOG_INFO, VG_LOG_DEBUG, VG_LOG_TRACE };

/* Sets the levels from a spec such as "info,registry=trace" (unknown items are ignored).
 * vg_log_init(NULL) reads the environment instead: levels from $VG_LOG then $VIGIL_LOG_LEVEL,
 * the format from $VIGIL_LOG_FORMAT (json|text; text is the CLI's "vigil: warn: msg"), and
 * $VIGIL_LOG_FILE, a file to append to instead of stderr. A bad value is logged, not fatal.
 * Call from main() before threads start. */
void vg_log_init(const char *spec);
void vg_log_set_json(bool json);
/* A command's --quiet: only errors are logged, whatever the levels say (so $VG_LOG=debug with
 * -q still logs errors only). Call before threads start. */
void vg_log_set_quiet(bool quiet);
/* The sink: an fd the caller keeps open (negative: stderr again), or a file opened for
 * appending (0640) that the logger owns. Safe while other threads log. */
void vg_log_set_fd(int fd);
VG_NODISCARD int vg_log_open_file(const char *path, struct vg_err **err);
/* The calling thread's request id (copied, at most 127 bytes; NULL clears): added to each of
 * its events as "req_id". vg_log_request_id() is NULL when none is set. */
void vg_log_set_request_id(const char *id);
const char *vg_log_request_id(void);
bool vg_log_enabled(enum vg_log_level lvl, const char *component);
void vg_log_write(enum vg_log_level lvl, const char *component, const char *fmt, ...)
    VG_PRINTF(3, 4);
/* Checks the level before evaluating any argument. */
#define VG_LOG(lvl, comp, ...)                                                                     \
    do {                                                                                           \
        if (vg_log_enabled((lvl), (comp))) {                                                       \
            vg_log_write((lvl), (comp), __VA_ARGS__);                                              \
        }                                                                                          \
    } while (0)
/* A structured event: a fixed message plus typed key/values. JSON: one line
 * {"ts":"2026-01-02T03:04:05.678Z","level":..,"component":..,"req_id":..,"msg":..,key:value...}
 * (a key that would shadow one of those gets an "x_" prefix); text: "vigil: info: msg k=v".
 * Strings are escaped here (control characters; invalid UTF-8 as the text \xNN); a NULL
 * string is null. At most 64 key/values and 8 KiB per value are written. */
enum vg_log_kv_type { VG_KV_T_STR, VG_KV_T_I64, VG_KV_T_U64, VG_KV_T_BOOL, VG_KV_T_F64 };
struct vg_log_kv {
    const char *key;
    enum vg_log_kv_type type;
    union {
        const char *s;
        int64_t i;
        uint64_t u;
        bool b;
        double d;
    } v;
};
#define VG_KV_STR(k, x)  ((struct vg_log_kv){.key = (k), .type = VG_KV_T_STR, .v.s = (x)})
#define VG_KV_I64(k, x)  ((struct vg_log_kv){.key = (k), .type = VG_KV_T_I64, .v.i = (x)})
#define VG_KV_U64(k, x)  ((struct vg_log_kv){.key = (k), .type = VG_KV_T_U64, .v.u = (x)})
#define VG_KV_BOOL(k, x) ((struct vg_log_kv){.key = (k), .type = VG_KV_T_BOOL, .v.b = (x)})
#define VG_KV_F64(k, x)  ((struct vg_log_kv){.key = (k), .type = VG_KV_T_F64, .v.d = (x)})
void vg_log_event(enum vg_log_level lvl, const char *component, const char *msg,
                  const struct vg_log_kv *kv, size_t nkv);
/* VG_EVENT(VG_LOG_INFO, "registry", "blob stored", VG_KV_STR("digest", d), VG_KV_U64("bytes",
 * n)): at least one key/value (use VG_LOG for a bare message); nothing is evaluated when the
 * level is off. */
#define VG_EVENT(lvl, comp, msg, ...)                                                              \
    do {                                                                                           \
        if (vg_log_enabled((lvl), (comp))) {                                                       \
            const struct vg_log_kv vg_event_kv_[] = {__VA_ARGS__};                                 \
            vg_log_event((lvl), (comp), (msg), vg_event_kv_, VG_ARRAY_LEN(vg_event_kv_));          \
        }                                                                                          \
    } while (0)
#define VG_WARN(comp, ...)  VG_LOG(VG_LOG_WARN, comp, __VA_ARGS__)
#define VG_INFO(comp, ...)  VG_LOG(VG_LOG_INFO, comp, __VA_ARGS__)
#define VG_DEBUG(comp, ...) VG_LOG(VG_LOG_DEBUG, comp, __VA_ARGS__)

/* Copies s with control characters and non-UTF-8-safe bytes escaped (\xNN); caller frees.
 * For putting input-derived text into messages and logs. */
char *vg_escape(const char *s, size_t len, size_t maxlen);
/* Length (1-4) of the well-formed UTF-8 sequence at p (n bytes available), or 0 if the bytes
 * there are not one (overlong, surrogate, over U+10FFFF, truncated, stray continuation). */
size_t vg_utf8_seq_len(const uint8_t *p, size_t n);

/* ---------------------------------------------------------------- JSON helpers */

/* Parses with JSON_REJECT_DUPLICATES; input over max bytes is VG_E_LIMIT. `what` names the
 * document in error messages ("manifest sha256:..."). */
VG_NODISCARD int vg_json_parse(json_t **out, const void *data, size_t len, size_t max,
                               const char *what, struct vg_err **err);
/* Typed getters: NULL / default when absent or of another type. */
const char *vg_json_str(const json_t *obj, const char *key);
json_t *vg_json_obj(const json_t *obj, const char *key);
json_t *vg_json_arr(const json_t *obj, const char *key);
bool vg_json_u64(const json_t *obj, const char *key, uint64_t *out);
/* Builders that take ownership of `v`; silently ignore NULL values. */
void vg_json_set_take(json_t *obj, const char *key, json_t *v);
void vg_json_set_str(json_t *obj, const char *key, const char *s); /* NULL s: not set */
void vg_json_append_take(json_t *arr, json_t *v);
/* json_dumps(j, flags) in memory the caller frees with free() (jansson's buffer is released
 * through jansson's free function); NULL when jansson cannot serialise (invalid UTF-8). */
char *vg_json_dumps(const json_t *j, size_t flags);
/* Serialises with sorted-or-ordered keys as given by flags plus JSON_COMPACT when compact. */
char *vg_json_dump(const json_t *j, bool pretty);
VG_NODISCARD int vg_json_write_file(const json_t *j, FILE *f, bool pretty, struct vg_err **err);

/* ---------------------------------------------------------------- digests */

enum vg_digest_alg { VG_DIGEST_SHA256 = 1, VG_DIGEST_SHA512 };

/* A validated digest "alg:hex" (lowercase hex of the exact length). */
struct vg_digest {
    enum vg_digest_alg alg;
    char text[7 + 1 + 128 + 1]; /* "sha512:" + 128 hex + NUL */
};

/* Strict parse: known algorithm, lowercase hex, exact length. */
VG_NODISCARD int vg_digest_parse(struct vg_digest *out, const char *s, struct vg_err **err);
bool vg_digest_valid(const char *s);
bool vg_digest_eq(const struct vg_digest *a, const struct vg_digest *b); /* constant time */
const char *vg_digest_hex(const struct vg_digest *d);                    /* part after ':' */

struct vg_hasher; /* opaque streaming hasher (OpenSSL EVP) */
struct vg_hasher *vg_hasher_new(enum vg_digest_alg alg);
void vg_hasher_update(struct vg_hasher *h, const void *data, size_t n);
void vg_hasher_final(struct vg_hasher *h, struct vg_digest *out);
void vg_hasher_free(struct vg_hasher *h);
/* One-shot. */
void vg_digest_of(struct vg_digest *out, enum vg_digest_alg alg, const void *data, size_t n);
/* Raw 32-byte SHA-256. */
void vg_sha256_raw(uint8_t out[32], const void *data, size_t n);

/* ---------------------------------------------------------------- base64 / hex */

/* Standard alphabet with padding. Decoding rejects invalid characters; whitespace is skipped
 * when skip_ws. Caller frees. */
char *vg_base64_encode(const void *data, size_t n);
VG_NODISCARD int vg_base64_decode(uint8_t **out, size_t *outlen, const char *s, size_t n,
                                  bool skip_ws, struct vg_err **err);
void vg_hex_encode(char *out, const uint8_t *data, size_t n); /* out holds 2n+1 */

/* Percent-decoding (RFC 3986 §2.1, core/pct.c) of s[0..len) into out, which holds at least
 * len + 1 bytes (decoding never lengthens); out is NUL-terminated, *outlen (may be NULL) gets
 * the decoded length. Hex digits in either case. Flags:
 *   VG_PCT_PLUS_SPACE   '+' is a space (HTML forms, Go's url.ParseQuery);
 *   VG_PCT_KEEP_INVALID a '%' without two hex digits stays as it is (else VG_E_PARSE
 *                       "bad percent-escape at offset N");
 *   VG_PCT_REFUSE_NUL   a NUL byte, escaped or not, is VG_E_PARSE;
 *   VG_PCT_REFUSE_CTL   any byte below 0x20 or 0x7f, escaped or not, is VG_E_PARSE.
 * Offsets are those of the input. _dup returns a heap copy (caller frees) or NULL with *err
 * set. */
enum {
    VG_PCT_PLUS_SPACE = 1u << 0,
    VG_PCT_KEEP_INVALID = 1u << 1,
    VG_PCT_REFUSE_NUL = 1u << 2,
    VG_PCT_REFUSE_CTL = 1u << 3,
};
VG_NODISCARD int vg_pct_decode(char *out, size_t *outlen, const char *s, size_t len, unsigned flags,
                               struct vg_err **err);
char *vg_pct_decode_dup(const char *s, size_t len, unsigned flags, struct vg_err **err);

/* ---------------------------------------------------------------- filesystem */

/* Reads a whole file; more than max bytes is VG_E_LIMIT. Missing file is VG_E_NOTFOUND. */
VG_NODISCARD int vg_file_read(struct vg_buf *out, const char *path, size_t max,
                              struct vg_err **err);
/* Reads from a dir fd (openat, no symlink follow for the last component when nofollow). */
VG_NODISCARD int vg_file_read_at(struct vg_buf *out, int dirfd, const char *path, size_t max,
                                 struct vg_err **err);
/* Writes all n bytes to fd, retrying on EINTR and short writes; -1 with errno on failure. */
VG_NODISCARD int vg_fd_write_all(int fd, const void *data, size_t n);
/* Writes atomically: temp file in the same dir, fsync, rename, fsync dir. */
VG_NODISCARD int vg_file_write_atomic(const char *path, const void *data, size_t n, unsigned mode,
                                      struct vg_err **err);
/* Creates path exclusively (O_EXCL|O_NOFOLLOW: never follows or replaces anything, so a
 * planted symlink cannot redirect a secret), writes data, sets mode, fsyncs. A partial file is
 * removed on failure. An existing path is VG_E_IO with sys_errno EEXIST. */
VG_NODISCARD int vg_file_write_exclusive(const char *path, const void *data, size_t n,
                                         unsigned mode, struct vg_err **err);
/* mkdir -p with mode. */
VG_NODISCARD int vg_mkdir_p(const char *path, unsigned mode, struct vg_err **err);
bool vg_path_exists(const char *path);
/* vigil's cache directory (caller frees): $VIGIL_CACHE_DIR (what --cache-dir sets), else
 * $XDG_CACHE_HOME/vigil, else ~/.cache/vigil. */
char *vg_cache_dir(void);
/* rm -r of path (a file, a symlink or a directory tree) without following any symlink;
 * *removed (may be NULL) counts the non-directory entries removed. Absent path: 0, nothing
 * done. Trees deeper than VG_REMOVE_TREE_MAX_DEPTH are refused (VG_E_LIMIT). */
#define VG_REMOVE_TREE_MAX_DEPTH 64
VG_NODISCARD int vg_remove_tree(const char *path, uint64_t *removed, struct vg_err **err);

/* ---------------------------------------------------------------- time, tty */

int64_t vg_now_unix(void);
uint64_t vg_now_ns(void); /* monotonic */
/* RFC 3339 UTC "2006-01-02T15:04:05Z" into out (>= 21 bytes). */
void vg_time_rfc3339(char *out, size_t outlen, int64_t unix_secs);
bool vg_isatty_stderr(void);
/* Width of the terminal on fd: 0 when fd is not a terminal (pipes and files get layouts that do
 * not depend on a width); else $COLUMNS when it is a positive number, else the window size,
 * else 80. At most VG_TTY_COLUMNS_MAX. */
#define VG_TTY_COLUMNS_MAX 4096u
unsigned vg_tty_columns(int fd);

/* "512 B", "35.1 MB", "126 MB" (powers of 1000, one decimal below 100) into out (>= 16 bytes). */
void vg_size_human(char *out, size_t outlen, uint64_t bytes);
/* Progress line on stderr, only when stderr is a TTY and not quiet: "layers  28% 35.1 MB/126 MB"
 * (byte counts: every current user counts bytes). */
struct vg_progress {
    const char *label;
    uint64_t total, done;
    uint64_t last_draw_ns;
    bool active;
};
void vg_progress_start(struct vg_progress *p, const char *label, uint64_t total, bool quiet);
void vg_progress_update(struct vg_progress *p, uint64_t done);
void vg_progress_finish(struct vg_progress *p);

#endif
