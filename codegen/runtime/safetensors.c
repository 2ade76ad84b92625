/*===- safetensors.c - Load and save .safetensors checkpoints -----*- C -*-===//
 *
 * A `.safetensors` file is an 8-byte little-endian header size N, N bytes of
 * JSON naming every tensor's dtype, shape and byte range, then the data. The
 * loader reads the header once (at most 100 MB, as the reference library
 * allows), parses it with a small JSON parser for exactly that subset (objects,
 * arrays, strings with escapes, non-negative integers; depth and length
 * bounded), checks every entry against the file size and that the entries
 * tile the data section exactly (as the format requires), matches names against
 * the parameter table like `load_state_dict(strict=True)`, and only then
 * streams the data through a fixed buffer, converting to float. Nothing is
 * trusted: every count, offset and product is checked before use.
 *===----------------------------------------------------------------------===*/

#define _POSIX_C_SOURCE 200809L
#define _FILE_OFFSET_BITS 64

#include "codegen/runtime/cnnopt_runtime.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

/*===----------------------------------------------------------------------===//
 * Error messages
 *===----------------------------------------------------------------------===*/

/// Appends to the caller's error buffer; ends in "..." when it overflows.
typedef struct msgbuf {
  char *buf;
  size_t cap, len;
} msgbuf;

static void msg_init(msgbuf *m, char *buf, size_t cap) {
  m->buf = buf;
  m->cap = cap;
  m->len = 0;
  if (cap > 0)
    buf[0] = '\0';
}

static void msg_add(msgbuf *m, const char *fmt, ...) {
  va_list ap;
  size_t room;
  int n;
  if (m->cap == 0 || m->len + 1 >= m->cap)
    return;
  room = m->cap - m->len;
  va_start(ap, fmt);
  n = vsnprintf(m->buf + m->len, room, fmt, ap);
  va_end(ap);
  if (n < 0)
    return;
  if ((size_t)n < room) {
    m->len += (size_t)n;
    return;
  }
  m->len = m->cap - 1;
  if (m->cap >= 4)
    memcpy(m->buf + m->cap - 4, "...", 4);
}

/*===----------------------------------------------------------------------===//
 * Dtypes
 *===----------------------------------------------------------------------===*/

enum { DT_F32, DT_F64, DT_F16, DT_BF16, DT_I64, DT_I32, DT_OTHER };

/// Every dtype the format defines, with its element size; only the first six
/// convert to float, the rest are known so their byte ranges can be checked.
static const struct {
  const char *name;
  int size, kind;
} kDtypes[] = {
    {"F32", 4, DT_F32},  {"F64", 8, DT_F64},    {"F16", 2, DT_F16},     {"BF16", 2, DT_BF16},
    {"I64", 8, DT_I64},  {"I32", 4, DT_I32},    {"I16", 2, DT_OTHER},   {"I8", 1, DT_OTHER},
    {"U64", 8, DT_OTHER}, {"U32", 4, DT_OTHER}, {"U16", 2, DT_OTHER},   {"U8", 1, DT_OTHER},
    {"BOOL", 1, DT_OTHER}, {"F8_E4M3", 1, DT_OTHER}, {"F8_E5M2", 1, DT_OTHER},
};

static int find_dtype(const char *name) {
  size_t i;
  for (i = 0; i < sizeof(kDtypes) / sizeof(kDtypes[0]); ++i)
    if (strcmp(kDtypes[i].name, name) == 0)
      return (int)i;
  return -1;
}

static uint64_t load_le(const unsigned char *p, int n) {
  uint64_t v = 0;
  int i;
  for (i = n - 1; i >= 0; --i)
    v = (v << 8) | p[i];
  return v;
}

static float bits_to_f32(uint32_t b) {
  float f;
  memcpy(&f, &b, sizeof f);
  return f;
}

static float half_to_float(uint16_t h) {
  uint32_t sign = (uint32_t)(h >> 15) << 31, exp = (h >> 10) & 0x1f, man = h & 0x3ff;
  if (exp == 0x1f)
    return bits_to_f32(sign | 0x7f800000u | (man << 13));
  if (exp == 0) {
    /* zero or subnormal: man * 2^-24 is exact in float */
    float v = (float)man * 5.9604644775390625e-8f;
    return sign ? -v : v;
  }
  return bits_to_f32(sign | ((exp + 112) << 23) | (man << 13));
}

static float double_to_float(double d) {
  /* values at or beyond FLT_MAX plus half an ulp round to infinity */
  if (d >= 0x1.ffffffp+127)
    return HUGE_VALF;
  if (d <= -0x1.ffffffp+127)
    return -HUGE_VALF;
  return (float)d;
}

/// Converts `n` little-endian elements of dtype `kind` to float.
static void convert(int kind, const unsigned char *src, int64_t n, float *dst) {
  int64_t i;
  for (i = 0; i < n; ++i) {
    switch (kind) {
    case DT_F32: dst[i] = bits_to_f32((uint32_t)load_le(src + 4 * i, 4)); break;
    case DT_F64: {
      uint64_t b = load_le(src + 8 * i, 8);
      double d;
      memcpy(&d, &b, sizeof d);
      dst[i] = double_to_float(d);
      break;
    }
    case DT_F16: dst[i] = half_to_float((uint16_t)load_le(src + 2 * i, 2)); break;
    case DT_BF16: dst[i] = bits_to_f32((uint32_t)load_le(src + 2 * i, 2) << 16); break;
    case DT_I64: dst[i] = (float)(int64_t)load_le(src + 8 * i, 8); break;
    case DT_I32: dst[i] = (float)(int32_t)(uint32_t)load_le(src + 4 * i, 4); break;
    }
  }
}

/*===----------------------------------------------------------------------===//
 * JSON header
 *===----------------------------------------------------------------------===*/

#define MAX_HEADER_SIZE 100000000u /* the reference implementation's limit */
#define MAX_DEPTH 32
#define MAX_FILE_RANK 8 /* ranks above this are refused */

/// One tensor of the header. Names point into the header buffer, decoded.
typedef struct entry {
  const char *name;
  char dtype[16];
  int rank;
  int64_t shape[MAX_FILE_RANK];
  int64_t begin, end;
} entry;

typedef struct parser {
  char *start, *p, *end;
  const char *error; /* first problem, static text */
  char detail[160];  /* filled with the error when it needs values */
  entry *entries;
  size_t count, cap;
} parser;

static int fail(parser *ps, const char *what) {
  if (!ps->error)
    ps->error = what;
  return 0;
}

/// Fails with a message that needs values.
static int failf(parser *ps, const char *fmt, ...) {
  va_list ap;
  if (ps->error)
    return 0;
  va_start(ap, fmt);
  vsnprintf(ps->detail, sizeof ps->detail, fmt, ap);
  va_end(ap);
  ps->error = ps->detail;
  return 0;
}

static void skip_ws(parser *ps) {
  while (ps->p < ps->end &&
         (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\n' || *ps->p == '\r'))
    ++ps->p;
}

static int expect(parser *ps, char c) {
  skip_ws(ps);
  if (ps->p >= ps->end || *ps->p != c)
    return failf(ps, "bad json: expected '%c' at byte %ld", c, (long)(ps->p - ps->start));
  ++ps->p;
  return 1;
}

static int hex4(const char *s, unsigned *out) {
  unsigned v = 0;
  int i;
  for (i = 0; i < 4; ++i) {
    char c = s[i];
    v <<= 4;
    if (c >= '0' && c <= '9')
      v |= (unsigned)(c - '0');
    else if (c >= 'a' && c <= 'f')
      v |= (unsigned)(c - 'a' + 10);
    else if (c >= 'A' && c <= 'F')
      v |= (unsigned)(c - 'A' + 10);
    else
      return 0;
  }
  *out = v;
  return 1;
}

/// Parses a string and decodes it in place (decoding never lengthens it);
/// `*out` is NUL-terminated. Embedded NULs are refused.
static int parse_string(parser *ps, char **out) {
  char *w, *r;
  skip_ws(ps);
  if (ps->p >= ps->end || *ps->p != '"')
    return fail(ps, "bad json: expected a string");
  r = w = ++ps->p;
  *out = w;
  for (;;) {
    unsigned char c;
    if (r >= ps->end)
      return fail(ps, "bad json: unterminated string");
    c = (unsigned char)*r++;
    if (c == '"')
      break;
    if (c < 0x20)
      return fail(ps, "bad json: control character in string");
    if (c != '\\') {
      *w++ = (char)c;
      continue;
    }
    if (r >= ps->end)
      return fail(ps, "bad json: unterminated string");
    c = (unsigned char)*r++;
    switch (c) {
    case '"': case '\\': case '/': *w++ = (char)c; break;
    case 'b': *w++ = '\b'; break;
    case 'f': *w++ = '\f'; break;
    case 'n': *w++ = '\n'; break;
    case 'r': *w++ = '\r'; break;
    case 't': *w++ = '\t'; break;
    case 'u': {
      unsigned cp, lo;
      if (ps->end - r < 4 || !hex4(r, &cp))
        return fail(ps, "bad json: bad \\u escape");
      r += 4;
      if (cp >= 0xd800 && cp <= 0xdbff) {
        if (ps->end - r < 6 || r[0] != '\\' || r[1] != 'u' || !hex4(r + 2, &lo) ||
            lo < 0xdc00 || lo > 0xdfff)
          return fail(ps, "bad json: unpaired surrogate in \\u escape");
        r += 6;
        cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
      } else if (cp >= 0xdc00 && cp <= 0xdfff) {
        return fail(ps, "bad json: unpaired surrogate in \\u escape");
      }
      if (cp == 0)
        return fail(ps, "bad json: nul character in string");
      if (cp < 0x80) {
        *w++ = (char)cp;
      } else if (cp < 0x800) {
        *w++ = (char)(0xc0 | (cp >> 6));
        *w++ = (char)(0x80 | (cp & 0x3f));
      } else if (cp < 0x10000) {
        *w++ = (char)(0xe0 | (cp >> 12));
        *w++ = (char)(0x80 | ((cp >> 6) & 0x3f));
        *w++ = (char)(0x80 | (cp & 0x3f));
      } else {
        *w++ = (char)(0xf0 | (cp >> 18));
        *w++ = (char)(0x80 | ((cp >> 12) & 0x3f));
        *w++ = (char)(0x80 | ((cp >> 6) & 0x3f));
        *w++ = (char)(0x80 | (cp & 0x3f));
      }
      break;
    }
    default:
      return fail(ps, "bad json: bad escape in string");
    }
  }
  ps->p = r;
  *w = '\0'; /* w < r: the closing quote or earlier */
  return 1;
}

/// Parses a non-negative integer below 2^63.
static int parse_uint(parser *ps, int64_t *out) {
  int64_t v = 0;
  skip_ws(ps);
  if (ps->p >= ps->end || *ps->p < '0' || *ps->p > '9')
    return fail(ps, "bad json: expected a non-negative integer");
  if (*ps->p == '0' && ps->p + 1 < ps->end && ps->p[1] >= '0' && ps->p[1] <= '9')
    return fail(ps, "bad json: integer with a leading zero");
  while (ps->p < ps->end && *ps->p >= '0' && *ps->p <= '9') {
    int d = *ps->p++ - '0';
    if (v > (INT64_MAX - d) / 10)
      return fail(ps, "bad json: integer too large");
    v = v * 10 + d;
  }
  if (ps->p < ps->end && (*ps->p == '.' || *ps->p == 'e' || *ps->p == 'E'))
    return fail(ps, "bad json: expected an integer, not a fraction");
  *out = v;
  return 1;
}

/// Parses a list of integers into `out` (at most `max`); `what` names it.
static int parse_int_list(parser *ps, int64_t *out, int max, int *n, const char *what) {
  *n = 0;
  if (!expect(ps, '['))
    return 0;
  skip_ws(ps);
  if (ps->p < ps->end && *ps->p == ']') {
    ++ps->p;
    return 1;
  }
  for (;;) {
    if (*n == max)
      return failf(ps, "too many entries in %s (at most %d)", what, max);
    if (!parse_uint(ps, &out[(*n)++]))
      return 0;
    skip_ws(ps);
    if (ps->p < ps->end && *ps->p == ',') {
      ++ps->p;
      continue;
    }
    return expect(ps, ']');
  }
}

/// Skips any JSON value (for `__metadata__` and unknown fields).
static int skip_value(parser *ps, int depth) {
  char *s;
  if (depth > MAX_DEPTH)
    return fail(ps, "bad json: nested too deeply");
  skip_ws(ps);
  if (ps->p >= ps->end)
    return fail(ps, "bad json: unexpected end of header");
  if (*ps->p == '"')
    return parse_string(ps, &s);
  if (*ps->p == '{' || *ps->p == '[') {
    char close = *ps->p == '{' ? '}' : ']';
    int object = close == '}';
    ++ps->p;
    skip_ws(ps);
    if (ps->p < ps->end && *ps->p == close) {
      ++ps->p;
      return 1;
    }
    for (;;) {
      if (object && (!parse_string(ps, &s) || !expect(ps, ':')))
        return 0;
      if (!skip_value(ps, depth + 1))
        return 0;
      skip_ws(ps);
      if (ps->p < ps->end && *ps->p == ',') {
        ++ps->p;
        continue;
      }
      return expect(ps, close);
    }
  }
  {
    /* numbers and literals: a run of their characters */
    char *start = ps->p;
    while (ps->p < ps->end && strchr("0123456789+-.eEtruefalsn", *ps->p) && *ps->p)
      ++ps->p;
    if (ps->p == start)
      return fail(ps, "bad json: unexpected character");
    return 1;
  }
}

/// Parses `{"dtype": .., "shape": [..], "data_offsets": [b, e]}`.
static int parse_entry(parser *ps, entry *e) {
  int have_dtype = 0, have_shape = 0, have_offsets = 0;
  if (!expect(ps, '{'))
    return 0;
  skip_ws(ps);
  if (ps->p < ps->end && *ps->p == '}')
    ++ps->p;
  else
    for (;;) {
      char *key;
      if (!parse_string(ps, &key) || !expect(ps, ':'))
        return 0;
      if (strcmp(key, "dtype") == 0) {
        char *dt;
        if (!parse_string(ps, &dt))
          return 0;
        if (strlen(dt) >= sizeof e->dtype)
          return fail(ps, "dtype name too long");
        strcpy(e->dtype, dt);
        have_dtype = 1;
      } else if (strcmp(key, "shape") == 0) {
        if (!parse_int_list(ps, e->shape, MAX_FILE_RANK, &e->rank, "a shape"))
          return 0;
        have_shape = 1;
      } else if (strcmp(key, "data_offsets") == 0) {
        int64_t off[2];
        int n;
        if (!parse_int_list(ps, off, 2, &n, "data_offsets"))
          return 0;
        if (n != 2)
          return fail(ps, "data_offsets must hold two integers");
        e->begin = off[0];
        e->end = off[1];
        have_offsets = 1;
      } else if (!skip_value(ps, 2)) {
        return 0;
      }
      skip_ws(ps);
      if (ps->p < ps->end && *ps->p == ',') {
        ++ps->p;
        continue;
      }
      if (!expect(ps, '}'))
        return 0;
      break;
    }
  if (!have_dtype || !have_shape || !have_offsets)
    return failf(ps, "tensor \"%.100s\" lacks %s", e->name,
                 !have_dtype ? "a dtype" : !have_shape ? "a shape" : "data_offsets");
  return 1;
}

/// Parses the whole header into `ps->entries`.
static int parse_header(parser *ps) {
  if (!expect(ps, '{'))
    return 0;
  skip_ws(ps);
  if (ps->p < ps->end && *ps->p == '}') {
    ++ps->p;
  } else {
    for (;;) {
      char *name;
      if (!parse_string(ps, &name) || !expect(ps, ':'))
        return 0;
      if (strcmp(name, "__metadata__") == 0) {
        if (!skip_value(ps, 1))
          return 0;
      } else {
        if (ps->count == ps->cap) {
          size_t cap = ps->cap ? 2 * ps->cap : 64;
          entry *grown = (entry *)realloc(ps->entries, cap * sizeof(entry));
          if (!grown)
            return fail(ps, "out of memory");
          ps->entries = grown;
          ps->cap = cap;
        }
        memset(&ps->entries[ps->count], 0, sizeof(entry));
        ps->entries[ps->count].name = name;
        if (!parse_entry(ps, &ps->entries[ps->count]))
          return 0;
        ++ps->count;
      }
      skip_ws(ps);
      if (ps->p < ps->end && *ps->p == ',') {
        ++ps->p;
        continue;
      }
      if (!expect(ps, '}'))
        return 0;
      break;
    }
  }
  skip_ws(ps);
  if (ps->p != ps->end)
    return fail(ps, "bad json: trailing characters after the header object");
  return 1;
}

/*===----------------------------------------------------------------------===//
 * Loading
 *===----------------------------------------------------------------------===*/

/// A table name with its index, for sorting without global state.
typedef struct named {
  const char *name;
  int index;
} named;

static int cmp_named(const void *a, const void *b) {
  return strcmp(((const named *)a)->name, ((const named *)b)->name);
}

static int cmp_entry_name(const void *a, const void *b) {
  return strcmp((*(const entry *const *)a)->name, (*(const entry *const *)b)->name);
}

/// Finds `name` through `order` (the table's names, sorted).
static int lookup(const named *order, int count, const char *name) {
  int lo = 0, hi = count - 1;
  while (lo <= hi) {
    int mid = lo + (hi - lo) / 2;
    int c = strcmp(order[mid].name, name);
    if (c == 0)
      return order[mid].index;
    if (c < 0)
      lo = mid + 1;
    else
      hi = mid - 1;
  }
  return -1;
}

static void add_shape(msgbuf *m, const int64_t *shape, int rank) {
  int i;
  msg_add(m, "[");
  for (i = 0; i < rank; ++i)
    msg_add(m, i ? ", %lld" : "%lld", (long long)shape[i]);
  msg_add(m, "]");
}

/// Checks the table itself (ranks, sizes and offsets consistent) and that
/// `params` is there when some tensor has elements.
static int check_table(const cnnopt_param_info *table, int count, const void *params,
                       msgbuf *m) {
  int i, d, any = 0;
  for (i = 0; i < count; ++i) {
    const cnnopt_param_info *t = &table[i];
    int64_t n = 1;
    if (!t->name || t->rank < 0 || t->rank > CNNOPT_MAX_RANK || t->offset < 0) {
      msg_add(m, "bad parameter table entry %d", i);
      return 0;
    }
    for (d = 0; d < t->rank; ++d) {
      if (t->shape[d] < 0 || (t->shape[d] && n > INT64_MAX / t->shape[d])) {
        msg_add(m, "bad shape in parameter table entry \"%s\"", t->name);
        return 0;
      }
      n *= t->shape[d];
    }
    if (n != t->size) {
      msg_add(m, "parameter table entry \"%s\" has size %lld, but its shape holds %lld",
              t->name, (long long)t->size, (long long)n);
      return 0;
    }
    any |= n > 0;
  }
  if (any && !params) {
    msg_add(m, "invalid arguments: no parameter array");
    return 0;
  }
  return 1;
}

/// Checks every entry's dtype and byte range against the data size.
static int check_entries(const parser *ps, int64_t data_size, msgbuf *m) {
  size_t i;
  int d;
  for (i = 0; i < ps->count; ++i) {
    const entry *e = &ps->entries[i];
    int dt = find_dtype(e->dtype);
    int64_t bytes;
    if (dt < 0) {
      msg_add(m, "tensor \"%s\" has unknown dtype \"%s\"", e->name, e->dtype);
      return 0;
    }
    if (e->begin > e->end || e->end > data_size) {
      msg_add(m, "data_offsets [%lld, %lld] of tensor \"%s\" out of range (%lld bytes of data)",
              (long long)e->begin, (long long)e->end, e->name, (long long)data_size);
      return 0;
    }
    bytes = kDtypes[dt].size;
    for (d = 0; d < e->rank; ++d) {
      if (e->shape[d] && bytes > INT64_MAX / e->shape[d]) {
        msg_add(m, "shape of tensor \"%s\" is too large", e->name);
        return 0;
      }
      bytes *= e->shape[d];
    }
    if (bytes != e->end - e->begin) {
      msg_add(m, "tensor \"%s\" has %lld bytes of data, but dtype %s and shape ", e->name,
              (long long)(e->end - e->begin), e->dtype);
      add_shape(m, e->shape, e->rank);
      msg_add(m, " need %lld", (long long)bytes);
      return 0;
    }
  }
  return 1;
}

static int cmp_entry_range(const void *a, const void *b) {
  const entry *x = *(const entry *const *)a, *y = *(const entry *const *)b;
  if (x->begin != y->begin)
    return x->begin < y->begin ? -1 : 1;
  return x->end < y->end ? -1 : x->end > y->end;
}

/// The format requires the tensors' byte ranges to tile the data section
/// exactly: no overlap, no alias, no gap, nothing after the last one (so a
/// file cannot hide other content, and every byte belongs to one tensor).
static int check_tiling(const parser *ps, int64_t data_size, msgbuf *m) {
  const char *kRule = "; the tensors must tile the data section exactly";
  const entry **sorted = (const entry **)malloc((ps->count + 1) * sizeof(entry *));
  const entry *previous = NULL;
  int64_t cursor = 0;
  size_t i;
  int ok = 1;
  if (!sorted) {
    msg_add(m, "out of memory");
    return 0;
  }
  for (i = 0; i < ps->count; ++i)
    sorted[i] = &ps->entries[i];
  qsort(sorted, ps->count, sizeof(entry *), cmp_entry_range);
  for (i = 0; i < ps->count && ok; ++i) {
    const entry *e = sorted[i];
    if (e->begin < cursor) {
      msg_add(m, "tensors \"%s\" [%lld, %lld] and \"%s\" [%lld, %lld] %s%s", previous->name,
              (long long)previous->begin, (long long)previous->end, e->name,
              (long long)e->begin, (long long)e->end,
              previous->begin == e->begin && previous->end == e->end ? "share their bytes"
                                                                     : "overlap",
              kRule);
      ok = 0;
    } else if (e->begin > cursor) {
      if (previous)
        msg_add(m, "bytes [%lld, %lld) between tensors \"%s\" and \"%s\" belong to no tensor%s",
                (long long)cursor, (long long)e->begin, previous->name, e->name, kRule);
      else
        msg_add(m, "bytes [0, %lld) before tensor \"%s\" belong to no tensor%s",
                (long long)e->begin, e->name, kRule);
      ok = 0;
    }
    cursor = e->end;
    previous = e;
  }
  if (ok && cursor < data_size) {
    if (previous)
      msg_add(m, "bytes [%lld, %lld) after tensor \"%s\" belong to no tensor%s",
              (long long)cursor, (long long)data_size, previous->name, kRule);
    else
      msg_add(m, "%lld bytes of data belong to no tensor%s", (long long)data_size, kRule);
    ok = 0;
  }
  free(sorted);
  return ok;
}

static int ends_with(const char *s, const char *suffix) {
  size_t n = strlen(s), k = strlen(suffix);
  return n >= k && strcmp(s + n - k, suffix) == 0;
}

static int is_counter(const cnnopt_param_info *t) {
  return ends_with(t->name, "num_batches_tracked");
}

/// Whether entry `e` loads into `t`: the same shape, or -- as PyTorch 1.13's
/// Module._load_from_state_dict allows (for checkpoints of PyTorch 0.3) -- a
/// 1-D tensor of at least one element into a 0-D one, which takes its first
/// element (a num_batches_tracked saved with shape [1]).
static int loads_into(const entry *e, const cnnopt_param_info *t) {
  int d;
  if (t->rank == 0 && e->rank == 1 && e->shape[0] >= 1)
    return 1;
  if (e->rank != t->rank)
    return 0;
  for (d = 0; d < e->rank; ++d)
    if (e->shape[d] != t->shape[d])
      return 0;
  return 1;
}

/// Matches entries to the table like load_state_dict(strict=True); `match`
/// gets the table index of each entry (or -1). Lists every problem. A
/// missing num_batches_tracked is no problem: BatchNorm's
/// _load_from_state_dict adds it as 0 to a state_dict without version
/// metadata (which a safetensors file never has).
static int match_names(const parser *ps, const cnnopt_param_info *table, int count,
                       const named *order, int *match, msgbuf *m) {
  char *found = (char *)calloc((size_t)count + 1, 1);
  size_t i;
  int t, missing = 0, unexpected = 0, mismatched = 0;
  if (!found) {
    msg_add(m, "out of memory");
    return 0;
  }
  for (i = 0; i < ps->count; ++i) {
    match[i] = lookup(order, count, ps->entries[i].name);
    if (match[i] >= 0)
      found[match[i]] = 1;
  }
  for (t = 0; t < count; ++t)
    missing += !found[t] && !is_counter(&table[t]);
  for (i = 0; i < ps->count; ++i) {
    unexpected += match[i] < 0;
    mismatched += match[i] >= 0 && !loads_into(&ps->entries[i], &table[match[i]]);
  }
  if (missing || unexpected || mismatched) {
    int first = 1;
    msg_add(m, "error(s) in loading state_dict");
    if (missing) {
      msg_add(m, "\n  missing key(s) in state_dict: ");
      for (t = 0; t < count; ++t)
        if (!found[t] && !is_counter(&table[t])) {
          msg_add(m, first ? "\"%s\"" : ", \"%s\"", table[t].name);
          first = 0;
        }
    }
    if (unexpected) {
      first = 1;
      msg_add(m, "\n  unexpected key(s) in state_dict: ");
      for (i = 0; i < ps->count; ++i)
        if (match[i] < 0) {
          msg_add(m, first ? "\"%s\"" : ", \"%s\"", ps->entries[i].name);
          first = 0;
        }
    }
    for (i = 0; i < ps->count; ++i) {
      const entry *e = &ps->entries[i];
      if (match[i] < 0 || loads_into(e, &table[match[i]]))
        continue;
      msg_add(m, "\n  size mismatch for %s: copying a param with shape ", e->name);
      add_shape(m, e->shape, e->rank);
      msg_add(m, " from checkpoint, the shape in current model is ");
      add_shape(m, table[match[i]].shape, table[match[i]].rank);
    }
  }
  free(found);
  return !(missing || unexpected || mismatched);
}

/// The elements of table entry `t` (1 for a scalar).
static int64_t element_count(const cnnopt_param_info *t) {
  int64_t n = 1;
  int d;
  for (d = 0; d < t->rank; ++d)
    n *= t->shape[d];
  return n;
}

/// Streams the first `elements` of one tensor's data into `dst`, converting
/// to float.
static int read_tensor(FILE *f, int64_t data_start, const entry *e, int64_t elements,
                       float *dst, msgbuf *m) {
  unsigned char buf[16384];
  int dt = find_dtype(e->dtype);
  int size = kDtypes[dt].size;
  int64_t left = (e->end - e->begin) / size, chunk = (int64_t)sizeof buf / size;
  if (left > elements)
    left = elements;
  if (kDtypes[dt].kind == DT_OTHER) {
    msg_add(m, "tensor \"%s\" has dtype %s, which cannot be converted to float", e->name,
            e->dtype);
    return 0;
  }
  if (fseeko(f, (off_t)(data_start + e->begin), SEEK_SET) != 0) {
    msg_add(m, "cannot seek to tensor \"%s\": %s", e->name, strerror(errno));
    return 0;
  }
  while (left > 0) {
    int64_t n = left < chunk ? left : chunk;
    if (fread(buf, (size_t)size, (size_t)n, f) != (size_t)n) {
      msg_add(m, "cannot read tensor \"%s\": file truncated", e->name);
      return 0;
    }
    convert(kDtypes[dt].kind, buf, n, dst);
    dst += n;
    left -= n;
  }
  return 1;
}

/// Names what a file whose header length makes no sense most likely is, from
/// its first bytes: torch.save's formats (a zip archive since PyTorch 1.6, a pickle
/// before), with the way to convert them. False if it recognises nothing.
static int name_other_format(const unsigned char *first, msgbuf *m) {
  static const char convert[] =
      ": convert it with tools/pt2safetensors.py (README, 'Weights from PyTorch')";
  if (memcmp(first, "PK\x03\x04", 4) == 0) {
    msg_add(m, "not a safetensors file but a zip archive, as torch.save writes (.pt, .pth)%s",
            convert);
    return 1;
  }
  if (first[0] == 0x80 && first[1] >= 2 && first[1] <= 5) {
    msg_add(m, "not a safetensors file but a Python pickle, as torch.save wrote before "
               "PyTorch 1.6%s", convert);
    return 1;
  }
  return 0;
}

/// Reads the header of an open file into a fresh buffer and parses it.
static int read_header(FILE *f, int64_t file_size, parser *ps, char **header,
                       int64_t *data_start, msgbuf *m) {
  unsigned char len8[8];
  uint64_t n;
  if (file_size < 8 || fread(len8, 1, 8, f) != 8) {
    msg_add(m, "file too short for a safetensors header (%lld bytes)", (long long)file_size);
    return 0;
  }
  n = load_le(len8, 8);
  if ((n > MAX_HEADER_SIZE || (int64_t)n > file_size - 8) && name_other_format(len8, m))
    return 0;
  if (n > MAX_HEADER_SIZE) {
    msg_add(m, "header length %llu exceeds the limit of %u bytes", (unsigned long long)n,
            MAX_HEADER_SIZE);
    return 0;
  }
  if ((int64_t)n > file_size - 8) {
    msg_add(m, "header length %llu exceeds the file size (%lld bytes): file truncated",
            (unsigned long long)n, (long long)file_size);
    return 0;
  }
  *header = (char *)malloc(n ? (size_t)n : 1);
  if (!*header) {
    msg_add(m, "out of memory reading a %llu-byte header", (unsigned long long)n);
    return 0;
  }
  if (fread(*header, 1, (size_t)n, f) != (size_t)n) {
    msg_add(m, "cannot read the header: file truncated");
    return 0;
  }
  ps->start = ps->p = *header;
  ps->end = *header + n;
  if (!parse_header(ps)) {
    msg_add(m, "malformed header: %s", ps->error);
    return 0;
  }
  *data_start = 8 + (int64_t)n;
  return 1;
}

int cnnopt_load_safetensors(const char *path, const cnnopt_param_info *table, int count,
                            float *params, char *err, size_t errlen) {
  msgbuf m;
  parser ps;
  FILE *f = NULL;
  char *header = NULL;
  named *order = NULL;
  int *match = NULL, ok = 0, i;
  int64_t file_size, data_start = 0;
  size_t k;

  msg_init(&m, err, errlen);
  memset(&ps, 0, sizeof ps);
  if (!path || (!table && count) || count < 0) {
    msg_add(&m, "invalid arguments");
    return 1;
  }
  msg_add(&m, "%s: ", path);
  if (!check_table(table, count, params, &m))
    return 1;
  f = fopen(path, "rb");
  if (!f) {
    msg_add(&m, "cannot open: %s", strerror(errno));
    return 1;
  }
  {
    struct stat st;
    if (fstat(fileno(f), &st) == 0 && S_ISDIR(st.st_mode)) {
      msg_add(&m, "cannot read: it is a directory");
      goto done;
    }
  }
  if (fseeko(f, 0, SEEK_END) != 0 || (file_size = (int64_t)ftello(f)) < 0 ||
      fseeko(f, 0, SEEK_SET) != 0) {
    msg_add(&m, "cannot determine the file size: %s", strerror(errno));
    goto done;
  }
  if (!read_header(f, file_size, &ps, &header, &data_start, &m))
    goto done;
  if (!check_entries(&ps, file_size - data_start, &m))
    goto done;

  /* duplicate names, in the file or in the table */
  {
    const entry **byname = (const entry **)malloc((ps.count + 1) * sizeof(entry *));
    int dup = 0;
    if (!byname) {
      msg_add(&m, "out of memory");
      goto done;
    }
    for (k = 0; k < ps.count; ++k)
      byname[k] = &ps.entries[k];
    qsort(byname, ps.count, sizeof(entry *), cmp_entry_name);
    for (k = 1; k < ps.count && !dup; ++k)
      if (strcmp(byname[k - 1]->name, byname[k]->name) == 0) {
        msg_add(&m, "malformed header: duplicate tensor \"%s\"", byname[k]->name);
        dup = 1;
      }
    free(byname);
    if (dup)
      goto done;
  }
  if (!check_tiling(&ps, file_size - data_start, &m))
    goto done;
  order = (named *)malloc(((size_t)count + 1) * sizeof(named));
  match = (int *)malloc((ps.count + 1) * sizeof(int));
  if (!order || !match) {
    msg_add(&m, "out of memory");
    goto done;
  }
  for (i = 0; i < count; ++i) {
    order[i].name = table[i].name;
    order[i].index = i;
  }
  qsort(order, (size_t)count, sizeof(named), cmp_named);
  for (i = 1; i < count; ++i)
    if (strcmp(order[i - 1].name, order[i].name) == 0) {
      msg_add(&m, "duplicate name \"%s\" in the parameter table", order[i].name);
      goto done;
    }
  if (!match_names(&ps, table, count, order, match, &m))
    goto done;
  for (i = 0; i < count; ++i) /* the counters a file leaves out start at 0 */
    if (is_counter(&table[i]))
      params[table[i].offset] = 0.0f;
  for (k = 0; k < ps.count; ++k)
    if (ps.entries[k].end > ps.entries[k].begin &&
        !read_tensor(f, data_start, &ps.entries[k], element_count(&table[match[k]]),
                     params + table[match[k]].offset, &m))
      goto done;
  ok = 1;

done:
  if (f)
    fclose(f);
  free(header);
  free(ps.entries);
  free(order);
  free(match);
  if (ok)
    msg_init(&m, err, errlen);
  return !ok;
}

/*===----------------------------------------------------------------------===//
 * Saving
 *===----------------------------------------------------------------------===*/

/// A growable byte string for the header.
typedef struct strbuf {
  char *data;
  size_t len, cap;
  int oom;
} strbuf;

static void sb_add(strbuf *s, const char *text, size_t n) {
  if (s->oom)
    return;
  if (s->len + n + 1 > s->cap) {
    size_t cap = s->cap ? s->cap : 4096;
    char *grown;
    while (cap < s->len + n + 1)
      cap *= 2;
    grown = (char *)realloc(s->data, cap);
    if (!grown) {
      s->oom = 1;
      return;
    }
    s->data = grown;
    s->cap = cap;
  }
  memcpy(s->data + s->len, text, n);
  s->len += n;
}

static void sb_printf(strbuf *s, const char *fmt, ...) {
  char tmp[64];
  va_list ap;
  int n;
  va_start(ap, fmt);
  n = vsnprintf(tmp, sizeof tmp, fmt, ap);
  va_end(ap);
  if (n > 0)
    sb_add(s, tmp, (size_t)n < sizeof tmp ? (size_t)n : sizeof tmp - 1);
}

/// Appends `name` as a JSON string.
static void sb_json_string(strbuf *s, const char *name) {
  const unsigned char *c;
  sb_add(s, "\"", 1);
  for (c = (const unsigned char *)name; *c; ++c) {
    if (*c == '"' || *c == '\\') {
      char esc[2] = {'\\', (char)*c};
      sb_add(s, esc, 2);
    } else if (*c < 0x20) {
      sb_printf(s, "\\u%04x", *c);
    } else {
      sb_add(s, (const char *)c, 1);
    }
  }
  sb_add(s, "\"", 1);
}

/// Builds the header: counters (I64) first, then floats, so every tensor
/// stays aligned to its element size. Pads with spaces to 8 bytes.
static void build_header(strbuf *s, const cnnopt_param_info *table, int count) {
  int64_t offset = 0;
  int pass, i, d;
  sb_add(s, "{\"__metadata__\":{\"format\":\"pt\"}", 31);
  for (pass = 0; pass < 2; ++pass)
    for (i = 0; i < count; ++i) {
      const cnnopt_param_info *t = &table[i];
      int counter = is_counter(t);
      int64_t bytes = t->size * (counter ? 8 : 4);
      if (counter != (pass == 0))
        continue;
      sb_add(s, ",", 1);
      sb_json_string(s, t->name);
      sb_printf(s, ":{\"dtype\":\"%s\",\"shape\":[", counter ? "I64" : "F32");
      for (d = 0; d < t->rank; ++d)
        sb_printf(s, d ? ",%lld" : "%lld", (long long)t->shape[d]);
      sb_printf(s, "],\"data_offsets\":[%lld,%lld]}", (long long)offset,
                (long long)(offset + bytes));
      offset += bytes;
    }
  sb_add(s, "}", 1);
  while ((s->len + 8) % 8)
    sb_add(s, " ", 1);
}

static int64_t float_to_i64(float v) {
  if (!(v == v))
    return 0;
  if (v >= 9.2233720368547758e18f)
    return INT64_MAX;
  if (v <= -9.2233720368547758e18f)
    return INT64_MIN;
  return (int64_t)v;
}

/// Writes the data of every tensor in header order, little-endian.
static int write_data(FILE *f, const cnnopt_param_info *table, int count, const float *params) {
  unsigned char buf[16384];
  int pass, i, b;
  for (pass = 0; pass < 2; ++pass)
    for (i = 0; i < count; ++i) {
      const cnnopt_param_info *t = &table[i];
      int counter = is_counter(t), width = counter ? 8 : 4;
      int64_t e;
      size_t used = 0;
      if (counter != (pass == 0))
        continue;
      for (e = 0; e < t->size; ++e) {
        uint64_t bits;
        if (counter) {
          bits = (uint64_t)float_to_i64(params[t->offset + e]);
        } else {
          uint32_t u;
          memcpy(&u, &params[t->offset + e], 4);
          bits = u;
        }
        for (b = 0; b < width; ++b)
          buf[used++] = (unsigned char)(bits >> (8 * b));
        if (used + 8 > sizeof buf) {
          if (fwrite(buf, 1, used, f) != used)
            return 0;
          used = 0;
        }
      }
      if (used && fwrite(buf, 1, used, f) != used)
        return 0;
    }
  return 1;
}

/// Opens a fresh temporary file beside `path`; its name goes in `tmp`.
static FILE *open_temp(const char *path, char *tmp, size_t cap) {
  static unsigned counter;
  int attempt;
  for (attempt = 0; attempt < 100; ++attempt) {
    int fd;
    FILE *f;
    snprintf(tmp, cap, "%s.tmp.%ld.%u", path, (long)getpid(), counter++);
    fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL, 0666);
    if (fd < 0) {
      if (errno == EEXIST)
        continue;
      return NULL;
    }
    f = fdopen(fd, "wb");
    if (!f) {
      int saved = errno;
      close(fd);
      remove(tmp);
      errno = saved;
    }
    return f;
  }
  return NULL;
}

int cnnopt_save_safetensors(const char *path, const cnnopt_param_info *table, int count,
                            const float *params, char *err, size_t errlen) {
  msgbuf m;
  strbuf header = {NULL, 0, 0, 0};
  unsigned char len8[8];
  char *tmp;
  size_t tmpcap;
  FILE *f;
  int i, ok;

  msg_init(&m, err, errlen);
  if (!path || (!table && count) || count < 0) {
    msg_add(&m, "invalid arguments");
    return 1;
  }
  msg_add(&m, "%s: ", path);
  if (!check_table(table, count, params, &m))
    return 1;
  build_header(&header, table, count);
  if (header.oom) {
    free(header.data);
    msg_add(&m, "out of memory");
    return 1;
  }
  for (i = 0; i < 8; ++i)
    len8[i] = (unsigned char)((uint64_t)header.len >> (8 * i));

  tmpcap = strlen(path) + 64;
  tmp = (char *)malloc(tmpcap);
  if (!tmp) {
    free(header.data);
    msg_add(&m, "out of memory");
    return 1;
  }
  f = open_temp(path, tmp, tmpcap);
  if (!f) {
    msg_add(&m, "cannot create a temporary file: %s", strerror(errno));
    free(header.data);
    free(tmp);
    return 1;
  }
  ok = fwrite(len8, 1, 8, f) == 8 && fwrite(header.data, 1, header.len, f) == header.len &&
       write_data(f, table, count, params) && fflush(f) == 0 && fsync(fileno(f)) == 0;
  if (!ok)
    msg_add(&m, "cannot write: %s", strerror(errno));
  if (fclose(f) != 0 && ok) {
    msg_add(&m, "cannot write: %s", strerror(errno));
    ok = 0;
  }
  if (ok && rename(tmp, path) != 0) {
    msg_add(&m, "cannot rename the temporary file into place: %s", strerror(errno));
    ok = 0;
  }
  if (!ok)
    remove(tmp);
  free(header.data);
  free(tmp);
  if (ok)
    msg_init(&m, err, errlen);
  return !ok;
}
