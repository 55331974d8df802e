/* SPDX-License-Identifier: Apache-2.0
 *
 * A pickle disassembler that never executes anything. It walks the opcode stream of protocols
 * 0-5 (every opcode in CPython's pickletools table, with its argument encoding) and simulates
 * only what is needed to learn which globals the pickle would import: a stack of values that
 * remembers string constants, the mark stack, and the memo (so STACK_GLOBAL operands fetched
 * with BINGET resolve the way picklescan and fickling resolve them). Each import is then
 * classified: a deny-list of modules/functions that give code execution (CRITICAL), an
 * allow-list of what ordinary PyTorch / numpy / collections checkpoints need (silent), and
 * everything else (MEDIUM "unknown import").
 *
 * All strings are borrowed slices of the input; nothing is allocated from a declared length.
 * Truncation, stack underflow, unknown opcodes and bound violations (stack/marks, memo size,
 * opcode count) end the walk with a finding, never a crash: the imports seen before the
 * problem are still reported.
 */
#include <string.h>

#include "model_int.h"

enum arg {
    A_NONE,
    A_U1,
    A_U2,
    A_I4,
    A_U4,
    A_U8,
    A_F8,
    A_LONG1,
    A_LONG4,
    A_STR1,
    A_STR4,
    A_BYTES8,
    A_LINE,
    A_LINE2,
};

/* Stack effect classes, applied after the argument is decoded. */
enum eff {
    E_PUSH,         /* push one opaque value */
    E_PUSH_STR,     /* push the decoded argument as a string constant */
    E_NOP,          /* no stack change (PROTO, FRAME, PUT, MEMOIZE, READONLY_BUFFER...) */
    E_POP1,         /* pop one */
    E_POP2,         /* pop two (SETITEM) */
    E_POP1_PUSH,    /* replace top (TUPLE1, BINPERSID) */
    E_POP2_PUSH,    /* REDUCE, NEWOBJ, TUPLE2 */
    E_POP3_PUSH,    /* NEWOBJ_EX, TUPLE3 */
    E_MARK,         /* push a mark */
    E_TO_MARK,      /* pop to mark (APPENDS, SETITEMS, ADDITEMS, POP_MARK) */
    E_TO_MARK_PUSH, /* pop to mark, push (LIST, TUPLE, DICT, FROZENSET, OBJ) */
    E_SPECIAL,      /* handled in its own case */
};

struct opdef {
    const char *name;
    enum arg arg;
    enum eff eff;
};

static const struct opdef *
opdef(uint8_t op)
{
    static const struct opdef t[256] = {
        ['('] = {"MARK", A_NONE, E_MARK},
        ['.'] = {"STOP", A_NONE, E_SPECIAL},
        ['0'] = {"POP", A_NONE, E_SPECIAL},
        ['1'] = {"POP_MARK", A_NONE, E_TO_MARK},
        ['2'] = {"DUP", A_NONE, E_SPECIAL},
        ['F'] = {"FLOAT", A_LINE, E_PUSH},
        ['I'] = {"INT", A_LINE, E_PUSH},
        ['J'] = {"BININT", A_I4, E_PUSH},
        ['K'] = {"BININT1", A_U1, E_PUSH},
        ['L'] = {"LONG", A_LINE, E_PUSH},
        ['M'] = {"BININT2", A_U2, E_PUSH},
        ['N'] = {"NONE", A_NONE, E_PUSH},
        ['P'] = {"PERSID", A_LINE, E_PUSH},
        ['Q'] = {"BINPERSID", A_NONE, E_POP1_PUSH},
        ['R'] = {"REDUCE", A_NONE, E_POP2_PUSH},
        ['S'] = {"STRING", A_LINE, E_PUSH_STR},
        ['T'] = {"BINSTRING", A_STR4, E_PUSH_STR},
        ['U'] = {"SHORT_BINSTRING", A_STR1, E_PUSH_STR},
        ['V'] = {"UNICODE", A_LINE, E_PUSH_STR},
        ['X'] = {"BINUNICODE", A_STR4, E_PUSH_STR},
        ['a'] = {"APPEND", A_NONE, E_POP1},
        ['b'] = {"BUILD", A_NONE, E_POP1},
        ['c'] = {"GLOBAL", A_LINE2, E_SPECIAL},
        ['d'] = {"DICT", A_NONE, E_TO_MARK_PUSH},
        ['}'] = {"EMPTY_DICT", A_NONE, E_PUSH},
        ['e'] = {"APPENDS", A_NONE, E_TO_MARK},
        ['g'] = {"GET", A_LINE, E_SPECIAL},
        ['h'] = {"BINGET", A_U1, E_SPECIAL},
        ['i'] = {"INST", A_LINE2, E_SPECIAL},
        ['j'] = {"LONG_BINGET", A_U4, E_SPECIAL},
        ['l'] = {"LIST", A_NONE, E_TO_MARK_PUSH},
        [']'] = {"EMPTY_LIST", A_NONE, E_PUSH},
        ['o'] = {"OBJ", A_NONE, E_TO_MARK_PUSH},
        ['p'] = {"PUT", A_LINE, E_SPECIAL},
        ['q'] = {"BINPUT", A_U1, E_SPECIAL},
        ['r'] = {"LONG_BINPUT", A_U4, E_SPECIAL},
        ['s'] = {"SETITEM", A_NONE, E_POP2},
        ['t'] = {"TUPLE", A_NONE, E_TO_MARK_PUSH},
        [')'] = {"EMPTY_TUPLE", A_NONE, E_PUSH},
        ['u'] = {"SETITEMS", A_NONE, E_TO_MARK},
        ['G'] = {"BINFLOAT", A_F8, E_PUSH},
        ['B'] = {"BINBYTES", A_STR4, E_PUSH},
        ['C'] = {"SHORT_BINBYTES", A_STR1, E_PUSH},
        [0x80] = {"PROTO", A_U1, E_SPECIAL},
        [0x81] = {"NEWOBJ", A_NONE, E_POP2_PUSH},
        [0x82] = {"EXT1", A_U1, E_SPECIAL},
        [0x83] = {"EXT2", A_U2, E_SPECIAL},
        [0x84] = {"EXT4", A_I4, E_SPECIAL},
        [0x85] = {"TUPLE1", A_NONE, E_POP1_PUSH},
        [0x86] = {"TUPLE2", A_NONE, E_POP2_PUSH},
        [0x87] = {"TUPLE3", A_NONE, E_POP3_PUSH},
        [0x88] = {"NEWTRUE", A_NONE, E_PUSH},
        [0x89] = {"NEWFALSE", A_NONE, E_PUSH},
        [0x8a] = {"LONG1", A_LONG1, E_PUSH},
        [0x8b] = {"LONG4", A_LONG4, E_PUSH},
        [0x8c] = {"SHORT_BINUNICODE", A_STR1, E_PUSH_STR},
        [0x8d] = {"BINUNICODE8", A_BYTES8, E_PUSH_STR},
        [0x8e] = {"BINBYTES8", A_BYTES8, E_PUSH},
        [0x8f] = {"EMPTY_SET", A_NONE, E_PUSH},
        [0x90] = {"ADDITEMS", A_NONE, E_TO_MARK},
        [0x91] = {"FROZENSET", A_NONE, E_TO_MARK_PUSH},
        [0x92] = {"NEWOBJ_EX", A_NONE, E_POP3_PUSH},
        [0x93] = {"STACK_GLOBAL", A_NONE, E_SPECIAL},
        [0x94] = {"MEMOIZE", A_NONE, E_SPECIAL},
        [0x95] = {"FRAME", A_U8, E_NOP},
        [0x96] = {"BYTEARRAY8", A_BYTES8, E_PUSH},
        [0x97] = {"NEXT_BUFFER", A_NONE, E_PUSH},
        [0x98] = {"READONLY_BUFFER", A_NONE, E_NOP},
    };
    return t[op].name ? &t[op] : NULL;
}

/* ---------------------------------------------------------------- classification */

struct glob_rule {
    const char *module; /* exact module, or prefix when it ends with '.' */
    const char *name;   /* exact name, NULL = any */
};

static const struct glob_rule dangerous[] = {
    {"os", NULL},
    {"posix", NULL},
    {"nt", NULL},
    {"posixpath", "system"},
    {"subprocess", NULL},
    {"runpy", NULL},
    {"socket", NULL},
    {"webbrowser", NULL},
    {"shutil", NULL},
    {"sys", NULL},
    {"pty", NULL},
    {"commands", NULL},
    {"requests", NULL},
    {"httplib", NULL},
    {"http.client", NULL},
    {"urllib", NULL},
    {"urllib2", NULL},
    {"urllib.request", NULL},
    {"ftplib", NULL},
    {"smtplib", NULL},
    {"telnetlib", NULL},
    {"pickle", NULL},
    {"_pickle", NULL},
    {"cPickle", NULL},
    {"dill", NULL},
    {"marshal", NULL},
    {"importlib", NULL},
    {"imp", NULL},
    {"code", NULL},
    {"codeop", NULL},
    {"ctypes", NULL},
    {"multiprocessing", NULL},
    {"asyncio", NULL},
    {"pdb", NULL},
    {"bdb", NULL},
    {"timeit", NULL},
    {"profile", NULL},
    {"cProfile", NULL},
    {"trace", NULL},
    {"pip", NULL},
    {"types", "CodeType"},
    {"types", "FunctionType"},
    {"operator", "attrgetter"},
    {"operator", "methodcaller"},
    {"functools", "partial"},
    {"torch.hub", NULL},
    {"torch.serialization", "load"},
    {"torch", "load"},
    {"numpy.testing._private.utils", NULL},
    {"builtins", "eval"},
    {"builtins", "exec"},
    {"builtins", "compile"},
    {"builtins", "__import__"},
    {"builtins", "open"},
    {"builtins", "getattr"},
    {"builtins", "setattr"},
    {"builtins", "delattr"},
    {"builtins", "globals"},
    {"builtins", "locals"},
    {"builtins", "vars"},
    {"builtins", "breakpoint"},
    {"builtins", "input"},
    {"builtins", "execfile"},
    {"builtins", "apply"},
    {"__builtin__", "eval"},
    {"__builtin__", "exec"},
    {"__builtin__", "compile"},
    {"__builtin__", "__import__"},
    {"__builtin__", "open"},
    {"__builtin__", "getattr"},
    {"__builtin__", "setattr"},
    {"__builtin__", "execfile"},
    {"__builtin__", "file"},
    {"__builtin__", "apply"},
    {"__builtin__", "globals"},
};

static const struct glob_rule safe[] = {
    {"collections", "OrderedDict"},
    {"collections", "defaultdict"},
    {"collections", "deque"},
    {"collections", "Counter"},
    {"_codecs", "encode"},
    {"copyreg", "_reconstructor"},
    {"copy_reg", "_reconstructor"},
    {"torch._utils", "_rebuild_tensor"},
    {"torch._utils", "_rebuild_tensor_v2"},
    {"torch._utils", "_rebuild_tensor_v3"},
    {"torch._utils", "_rebuild_parameter"},
    {"torch._utils", "_rebuild_parameter_with_state"},
    {"torch._utils", "_rebuild_qtensor"},
    {"torch._utils", "_rebuild_sparse_tensor"},
    {"torch._utils", "_rebuild_meta_tensor_no_storage"},
    {"torch._utils", "_rebuild_wrapper_subclass"},
    {"torch._utils", "_rebuild_device_tensor_from_numpy"},
    {"torch", "Size"},
    {"torch", "device"},
    {"torch", "dtype"},
    {"torch", "FloatStorage"},
    {"torch", "DoubleStorage"},
    {"torch", "HalfStorage"},
    {"torch", "BFloat16Storage"},
    {"torch", "LongStorage"},
    {"torch", "IntStorage"},
    {"torch", "ShortStorage"},
    {"torch", "CharStorage"},
    {"torch", "ByteStorage"},
    {"torch", "BoolStorage"},
    {"torch", "ComplexFloatStorage"},
    {"torch", "ComplexDoubleStorage"},
    {"torch", "QInt8Storage"},
    {"torch", "QUInt8Storage"},
    {"torch", "QInt32Storage"},
    {"torch", "UntypedStorage"},
    {"torch", "float32"},
    {"torch", "float16"},
    {"torch", "bfloat16"},
    {"torch", "float64"},
    {"torch", "int64"},
    {"torch", "int32"},
    {"torch", "int8"},
    {"torch", "uint8"},
    {"torch", "bool"},
    {"torch.storage", "UntypedStorage"},
    {"torch.storage", "TypedStorage"},
    {"numpy.core.multiarray", "_reconstruct"},
    {"numpy._core.multiarray", "_reconstruct"},
    {"numpy.core.multiarray", "scalar"},
    {"numpy._core.multiarray", "scalar"},
    {"numpy", "ndarray"},
    {"numpy", "dtype"},
    {"numpy.dtypes", NULL},
    {"joblib.numpy_pickle", "NumpyArrayWrapper"},
    {"builtins", "set"},
    {"builtins", "frozenset"},
    {"builtins", "slice"},
    {"builtins", "range"},
    {"builtins", "complex"},
    {"builtins", "bytearray"},
    {"builtins", "bytes"},
    {"builtins", "dict"},
    {"builtins", "list"},
    {"builtins", "tuple"},
    {"builtins", "int"},
    {"builtins", "float"},
    {"builtins", "str"},
    {"builtins", "bool"},
    {"builtins", "object"},
    {"__builtin__", "set"},
    {"__builtin__", "frozenset"},
    {"__builtin__", "slice"},
    {"__builtin__", "complex"},
    {"__builtin__", "object"},
    {"__builtin__", "long"},
    {"__builtin__", "unicode"},
    {"datetime", "datetime"},
    {"datetime", "date"},
    {"datetime", "time"},
    {"datetime", "timedelta"},
    {"datetime", "timezone"},
    {"decimal", "Decimal"},
    {"fractions", "Fraction"},
    {"uuid", "UUID"},
};

static bool
rule_matches(const struct glob_rule *r, struct vg_str mod, struct vg_str name)
{
    size_t ml = strlen(r->module);
    bool mod_ok = vg_str_eq_c(mod, r->module) ||
                  (mod.len > ml && memcmp(mod.ptr, r->module, ml) == 0 && mod.ptr[ml] == '.');
    if (!mod_ok) {
        return false;
    }
    if (!r->name) {
        return true;
    }
    /* A dotted qualname (protocol 4) is judged by its first component: "system.x" is
     * os.system's attribute and as dangerous. */
    struct vg_str head, tail;
    vg_str_cut(name, '.', &head, &tail);
    return vg_str_eq_c(head, r->name);
}

enum verdict { V_SAFE, V_UNKNOWN, V_DANGEROUS };

static enum verdict
classify(struct vg_str mod, struct vg_str name)
{
    for (size_t i = 0; i < VG_ARRAY_LEN(dangerous); i++) {
        if (rule_matches(&dangerous[i], mod, name)) {
            return V_DANGEROUS;
        }
    }
    for (size_t i = 0; i < VG_ARRAY_LEN(safe); i++) {
        if (rule_matches(&safe[i], mod, name) && !memchr(name.ptr, '.', name.len)) {
            return V_SAFE;
        }
    }
    /* torch.nn module classes are plain data containers rebuilt with NEWOBJ/BUILD. */
    if (vg_str_startswith(mod, "torch.nn.modules.") && name.len > 0 && name.ptr[0] >= 'A' &&
        name.ptr[0] <= 'Z' && !memchr(name.ptr, '.', name.len)) {
        return V_SAFE;
    }
    return V_UNKNOWN;
}

/* ---------------------------------------------------------------- machine */

enum vkind { K_OTHER, K_STR };

struct val {
    enum vkind kind;
    struct vg_str s;
};

struct memo_slot {
    uint64_t key;
    struct val v;
    bool used;
};

struct pm {
    const char *path;
    const uint8_t *data;
    size_t len, pos;
    uint64_t base;
    struct vg_model_findings *out;
    struct val *stack;
    size_t sp, stack_cap;
    size_t *marks;
    size_t nmarks, marks_cap;
    struct memo_slot *memo;
    size_t memo_cap, memo_n;
    struct vg_str seen_mod[VG_PICKLE_MAX_GLOBALS];
    struct vg_str seen_name[VG_PICKLE_MAX_GLOBALS];
    size_t nseen;
    uint64_t op_off; /* offset of the current opcode */
    int proto;
};

static void
malformed(struct pm *m, const char *fmt, const char *what)
{
    vg_model_add(m->out, VG_MODEL_ID_PICKLE_MALFORMED, VG_SCAN_SEV_HIGH, "Malformed pickle stream",
                 m->path, m->base + m->op_off, fmt, what,
                 (unsigned long long)(m->base + m->op_off));
}

static void
limit(struct pm *m, const char *what, unsigned long long bound)
{
    vg_model_add(m->out, VG_MODEL_ID_PICKLE_LIMIT, VG_SCAN_SEV_HIGH,
                 "Pickle exceeds analysis bounds", m->path, m->base + m->op_off,
                 "pickle %s exceeds %llu at offset %llu", what, bound,
                 (unsigned long long)(m->base + m->op_off));
}

static bool
push(struct pm *m, struct val v)
{
    if (m->sp + m->nmarks >= VG_PICKLE_MAX_STACK) {
        limit(m, "stack depth", VG_PICKLE_MAX_STACK);
        return false;
    }
    m->stack = vg_vec_grow(m->stack, &m->stack_cap, m->sp, 1, sizeof(*m->stack));
    m->stack[m->sp++] = v;
    return true;
}

static bool
pop(struct pm *m, size_t n, const char *opname)
{
    size_t floor = m->nmarks ? m->marks[m->nmarks - 1] : 0;
    if (m->sp < floor + n) {
        malformed(m, "%s: stack underflow at offset %llu", opname);
        return false;
    }
    m->sp -= n;
    return true;
}

static bool
mark(struct pm *m)
{
    if (m->sp + m->nmarks >= VG_PICKLE_MAX_STACK) {
        limit(m, "stack depth", VG_PICKLE_MAX_STACK);
        return false;
    }
    m->marks = vg_vec_grow(m->marks, &m->marks_cap, m->nmarks, 1, sizeof(*m->marks));
    m->marks[m->nmarks++] = m->sp;
    return true;
}

/* Pops to the topmost mark; returns the number of values that were above it. */
static bool
pop_mark(struct pm *m, const char *opname, size_t *nvals)
{
    if (m->nmarks == 0) {
        malformed(m, "%s: no MARK on the stack at offset %llu", opname);
        return false;
    }
    size_t at = m->marks[--m->nmarks];
    *nvals = m->sp - at;
    m->sp = at;
    return true;
}

static struct memo_slot *
memo_find(struct pm *m, uint64_t key, bool create)
{
    if (create && (m->memo_n + 1) * 2 > m->memo_cap) {
        size_t ncap = m->memo_cap ? m->memo_cap * 2 : 64;
        struct memo_slot *nm = vg_calloc(ncap, sizeof(*nm));
        for (size_t i = 0; i < m->memo_cap; i++) {
            if (m->memo[i].used) {
                size_t h = (size_t)(m->memo[i].key * 0x9e3779b97f4a7c15ull) & (ncap - 1);
                while (nm[h].used) {
                    h = (h + 1) & (ncap - 1);
                }
                nm[h] = m->memo[i];
            }
        }
        free(m->memo);
        m->memo = nm;
        m->memo_cap = ncap;
    }
    if (m->memo_cap == 0) {
        return NULL;
    }
    size_t h = (size_t)(key * 0x9e3779b97f4a7c15ull) & (m->memo_cap - 1);
    while (m->memo[h].used) {
        if (m->memo[h].key == key) {
            return &m->memo[h];
        }
        h = (h + 1) & (m->memo_cap - 1);
    }
    if (!create) {
        return NULL;
    }
    m->memo[h].used = true;
    m->memo[h].key = key;
    m->memo_n++;
    return &m->memo[h];
}

static bool
memo_put(struct pm *m, uint64_t key, const char *opname)
{
    if (m->sp == 0 || (m->nmarks && m->marks[m->nmarks - 1] == m->sp)) {
        malformed(m, "%s: empty stack at offset %llu", opname);
        return false;
    }
    if (!memo_find(m, key, false) && m->memo_n >= VG_PICKLE_MAX_MEMO) {
        limit(m, "memo size", VG_PICKLE_MAX_MEMO);
        return false;
    }
    memo_find(m, key, true)->v = m->stack[m->sp - 1];
    return true;
}

static bool
memo_get(struct pm *m, uint64_t key, const char *opname)
{
    struct memo_slot *s = memo_find(m, key, false);
    if (!s) {
        malformed(m, "%s: memo key missing at offset %llu", opname);
        return false;
    }
    return push(m, s->v);
}

static void
report_global(struct pm *m, struct vg_str mod, struct vg_str name, const char *how)
{
    for (size_t i = 0; i < m->nseen; i++) {
        if (vg_str_eq(m->seen_mod[i], mod) && vg_str_eq(m->seen_name[i], name)) {
            return;
        }
    }
    if (m->nseen < VG_PICKLE_MAX_GLOBALS) {
        m->seen_mod[m->nseen] = mod;
        m->seen_name[m->nseen++] = name;
    }
    enum verdict v = classify(mod, name);
    if (v == V_SAFE) {
        return;
    }
    char *em = vg_escape(mod.ptr, mod.len, 200);
    char *en = vg_escape(name.ptr, name.len, 200);
    if (v == V_DANGEROUS) {
        vg_model_add(m->out, VG_MODEL_ID_DANGEROUS_IMPORT, VG_SCAN_SEV_CRITICAL,
                     "Pickle imports a dangerous global", m->path, m->base + m->op_off,
                     "pickle imports %s.%s (%s) at offset %llu", em, en, how,
                     (unsigned long long)(m->base + m->op_off));
    } else {
        vg_model_add(m->out, VG_MODEL_ID_UNKNOWN_IMPORT, VG_SCAN_SEV_MEDIUM,
                     "Pickle imports an unknown global", m->path, m->base + m->op_off,
                     "pickle imports %s.%s (%s) at offset %llu, outside the safe allow-list", em,
                     en, how, (unsigned long long)(m->base + m->op_off));
    }
    free(em);
    free(en);
}

/* ---------------------------------------------------------------- argument decoding */

struct arg_out {
    struct vg_str s, s2;
    uint64_t num;
};

static bool
need(struct pm *m, size_t n, const char *opname)
{
    if (m->len - m->pos < n) {
        malformed(m, "%s: stream truncated inside the argument of the opcode at offset %llu",
                  opname);
        return false;
    }
    return true;
}

static uint64_t
le(const uint8_t *p, size_t n)
{
    uint64_t v = 0;
    for (size_t i = n; i > 0; i--) {
        v = (v << 8) | p[i - 1];
    }
    return v;
}

static bool
take_line(struct pm *m, struct vg_str *out, const char *opname)
{
    const uint8_t *nl = memchr(m->data + m->pos, '\n', m->len - m->pos);
    if (!nl) {
        malformed(m, "%s: unterminated text argument at offset %llu", opname);
        return false;
    }
    size_t n = (size_t)(nl - (m->data + m->pos));
    *out = (struct vg_str){(const char *)m->data + m->pos, n};
    m->pos += n + 1;
    return true;
}

static bool
take_counted(struct pm *m, size_t width, bool is_signed, struct vg_str *out, const char *opname)
{
    if (!need(m, width, opname)) {
        return false;
    }
    uint64_t n = le(m->data + m->pos, width);
    if (is_signed && width == 4 && (n & 0x80000000u)) {
        malformed(m, "%s: negative length at offset %llu", opname);
        return false;
    }
    m->pos += width;
    if (n > m->len - m->pos) {
        char what[96];
        snprintf(what, sizeof(what), "%s (declared length %llu, %zu bytes left)", opname,
                 (unsigned long long)n, m->len - m->pos);
        malformed(m, "%s: length exceeds the stream at offset %llu", what);
        return false;
    }
    *out = (struct vg_str){(const char *)m->data + m->pos, (size_t)n};
    m->pos += (size_t)n;
    return true;
}

static bool
decode_arg(struct pm *m, uint8_t op, const struct opdef *d, struct arg_out *a)
{
    static const size_t fixed[] = {
        [A_U1] = 1, [A_U2] = 2, [A_I4] = 4, [A_U4] = 4, [A_U8] = 8, [A_F8] = 8};
    switch (d->arg) {
    case A_NONE:
        return true;
    case A_U1:
    case A_U2:
    case A_I4:
    case A_U4:
    case A_U8:
    case A_F8:
        if (!need(m, fixed[d->arg], d->name)) {
            return false;
        }
        a->num = le(m->data + m->pos, fixed[d->arg]);
        m->pos += fixed[d->arg];
        return true;
    case A_LONG1:
        return take_counted(m, 1, false, &a->s, d->name);
    case A_LONG4:
        return take_counted(m, 4, true, &a->s, d->name);
    case A_STR1:
        return take_counted(m, 1, false, &a->s, d->name);
    case A_STR4:
        return take_counted(m, 4, op == 'T', &a->s, d->name);
    case A_BYTES8:
        return take_counted(m, 8, false, &a->s, d->name);
    case A_LINE:
        return take_line(m, &a->s, d->name);
    case A_LINE2:
        return take_line(m, &a->s, d->name) && take_line(m, &a->s2, d->name);
    }
    return false;
}

/* Protocol 0 STRING arguments are Python reprs: strip the quotes. */
static struct vg_str
unquote(struct vg_str s)
{
    if (s.len >= 2 && (s.ptr[0] == '\'' || s.ptr[0] == '"') && s.ptr[s.len - 1] == s.ptr[0]) {
        return (struct vg_str){s.ptr + 1, s.len - 2};
    }
    return s;
}

/* ---------------------------------------------------------------- special opcodes */

static bool
stack_global(struct pm *m)
{
    size_t floor = m->nmarks ? m->marks[m->nmarks - 1] : 0;
    if (m->sp < floor + 2) {
        malformed(m, "%s: stack underflow at offset %llu", "STACK_GLOBAL");
        return false;
    }
    struct val mod = m->stack[m->sp - 2], name = m->stack[m->sp - 1];
    if (mod.kind == K_STR && name.kind == K_STR) {
        report_global(m, mod.s, name.s, "STACK_GLOBAL");
    } else {
        vg_model_add(m->out, VG_MODEL_ID_PICKLE_DYNAMIC, VG_SCAN_SEV_HIGH,
                     "Pickle imports a global computed at load time", m->path, m->base + m->op_off,
                     "pickle STACK_GLOBAL at offset %llu takes a module or name that is not a "
                     "string constant",
                     (unsigned long long)(m->base + m->op_off));
    }
    m->sp -= 2;
    return push(m, (struct val){K_OTHER, VG_STR_NULL});
}

static bool
special(struct pm *m, uint8_t op, const struct opdef *d, const struct arg_out *a)
{
    uint64_t key = 0;
    size_t n = 0;
    switch (op) {
    case 0x80:
        m->proto = (int)a->num;
        if (a->num > 5) {
            malformed(m, "%s: unsupported protocol at offset %llu", "PROTO");
            return false;
        }
        return true;
    case '0':
        if (m->sp > (m->nmarks ? m->marks[m->nmarks - 1] : 0)) {
            m->sp--;
            return true;
        }
        return pop_mark(m, d->name, &n);
    case '2':
        if (m->sp == 0) {
            malformed(m, "%s: stack underflow at offset %llu", d->name);
            return false;
        }
        return push(m, m->stack[m->sp - 1]);
    case 'c':
    case 'i':
        report_global(m, a->s, a->s2, d->name);
        if (op == 'i' && !pop_mark(m, d->name, &n)) {
            return false;
        }
        return push(m, (struct val){K_OTHER, VG_STR_NULL});
    case 0x93:
        return stack_global(m);
    case 'g':
    case 'p':
        if (vg_parse_u64(vg_str_trim(a->s), UINT32_MAX, &key) < 0) {
            malformed(m, "%s: invalid memo index at offset %llu", d->name);
            return false;
        }
        return op == 'g' ? memo_get(m, key, d->name) : memo_put(m, key, d->name);
    case 'h':
    case 'j':
        return memo_get(m, a->num, d->name);
    case 'q':
    case 'r':
        return memo_put(m, a->num, d->name);
    case 0x94:
        return memo_put(m, m->memo_n, d->name);
    case 0x82:
    case 0x83:
    case 0x84:
        vg_model_add(m->out, VG_MODEL_ID_UNKNOWN_IMPORT, VG_SCAN_SEV_MEDIUM,
                     "Pickle imports an unknown global", m->path, m->base + m->op_off,
                     "pickle %s loads extension registry code %llu at offset %llu", d->name,
                     (unsigned long long)a->num, (unsigned long long)(m->base + m->op_off));
        return push(m, (struct val){K_OTHER, VG_STR_NULL});
    default:
        break;
    }
    malformed(m, "%s: internal opcode table error at offset %llu", d->name);
    return false;
}

static bool
apply(struct pm *m, uint8_t op, const struct opdef *d, const struct arg_out *a)
{
    size_t n = 0;
    struct val other = {K_OTHER, VG_STR_NULL};
    switch (d->eff) {
    case E_PUSH:
        return push(m, other);
    case E_PUSH_STR:
        return push(m, (struct val){K_STR, op == 'S' ? unquote(a->s) : a->s});
    case E_NOP:
        return true;
    case E_POP1:
        return pop(m, 1, d->name);
    case E_POP2:
        return pop(m, 2, d->name);
    case E_POP1_PUSH:
        return pop(m, 1, d->name) && push(m, other);
    case E_POP2_PUSH:
        return pop(m, 2, d->name) && push(m, other);
    case E_POP3_PUSH:
        return pop(m, 3, d->name) && push(m, other);
    case E_MARK:
        return mark(m);
    case E_TO_MARK:
        return pop_mark(m, d->name, &n);
    case E_TO_MARK_PUSH:
        if (!pop_mark(m, d->name, &n)) {
            return false;
        }
        if (op == 'o' && n == 0) {
            malformed(m, "%s: no class above the MARK at offset %llu", d->name);
            return false;
        }
        return push(m, other);
    case E_SPECIAL:
        return special(m, op, d, a);
    }
    return false;
}

static size_t
run(struct pm *m)
{
    uint64_t ops = 0;
    while (m->pos < m->len) {
        m->op_off = m->pos;
        if (++ops > VG_PICKLE_MAX_OPS) {
            limit(m, "opcode count", VG_PICKLE_MAX_OPS);
            return 0;
        }
        uint8_t op = m->data[m->pos++];
        const struct opdef *d = opdef(op);
        if (!d) {
            char what[32];
            snprintf(what, sizeof(what), "opcode 0x%02x", op);
            malformed(m, "unknown %s at offset %llu", what);
            return 0;
        }
        struct arg_out a = {VG_STR_NULL, VG_STR_NULL, 0};
        if (!decode_arg(m, op, d, &a)) {
            return 0;
        }
        if (op == '.') {
            if (!pop(m, 1, d->name)) {
                return 0;
            }
            return m->pos;
        }
        if (!apply(m, op, d, &a)) {
            return 0;
        }
    }
    m->op_off = m->pos;
    malformed(m, "%s: stream ends without STOP at offset %llu", "pickle");
    return 0;
}

size_t
vg_pickle_scan_one(const char *path, const uint8_t *data, size_t len, uint64_t base,
                   struct vg_model_findings *out)
{
    struct pm *m = vg_calloc(1, sizeof(*m));
    *m = (struct pm){.path = path, .data = data, .len = len, .base = base, .out = out};
    size_t used = run(m);
    free(m->stack);
    free(m->marks);
    free(m->memo);
    free(m);
    return used;
}

size_t
vg_pickle_scan_stream(const char *path, const uint8_t *data, size_t len, uint64_t base,
                      struct vg_model_findings *out)
{
    size_t off = 0;
    for (unsigned i = 0; i < VG_MODEL_MAX_PICKLES && (i == 0 || off < len); i++) {
        if (i > 0 && data[off] != 0x80) {
            break; /* trailing non-pickle data (e.g. joblib/legacy torch raw arrays) */
        }
        size_t used = vg_pickle_scan_one(path, data + off, len - off, base + off, out);
        if (used == 0) {
            break;
        }
        off += used;
    }
    return off;
}

int
vg_model_check_pickle(const char *path, const void *data, size_t len, struct vg_model_findings *out,
                      struct vg_err **err)
{
    (void)err;
    out->format = VG_MODEL_PICKLE;
    vg_pickle_scan_stream(path, data, len, 0, out);
    return 0;
}
