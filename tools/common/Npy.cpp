//===- Npy.cpp - NumPy .npy arrays for inputs and outputs -----------------===//
//
// The format: the magic "\x93NUMPY", a major and minor version, the header
// length (u16 in 1.0, u32 in 2.0 and 3.0), then a Python dict literal such as
// `{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }` padded with
// spaces to a newline, then the raw data. The header is parsed by a small
// recursive-descent reader for exactly those three keys; every size is
// checked against the file before anything is allocated. Files and in-memory
// images go through the same reader (readFrom).
//===----------------------------------------------------------------------===//

#include "tools/common/Npy.h"

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <sys/stat.h>
#include <unistd.h>

namespace cnnopt::npy {

namespace {

constexpr char kMagic[] = "\x93NUMPY";
constexpr size_t kMagicLen = 6;
/// Headers beyond this are refused (numpy's own default limit is 10000).
constexpr uint32_t kMaxHeader = 1u << 20;

/// Owns a FILE and closes it on every return path.
struct File {
  std::FILE *f = nullptr;
  ~File() {
    if (f)
      std::fclose(f);
  }
};

uint64_t loadLE(const unsigned char *p, int n) {
  uint64_t v = 0;
  for (int i = n - 1; i >= 0; --i)
    v = (v << 8) | p[i];
  return v;
}

/// Reads the header dict: `{'descr': .., 'fortran_order': .., 'shape': (..)}`.
class HeaderParser {
public:
  explicit HeaderParser(const std::string &text) : s(text) {}

  /// Parses the dict; on failure returns false and sets `error`.
  bool parse(std::string &descr, bool &fortran, std::vector<int64_t> &shape) {
    bool haveDescr = false, haveFortran = false, haveShape = false;
    if (!expect('{'))
      return false;
    for (;;) {
      skipWs();
      if (peek() == '}') {
        ++pos;
        break;
      }
      std::string key;
      if (!parseString(key) || !expect(':'))
        return false;
      if (key == "descr") {
        skipWs();
        if (peek() == '[')
          return fail("structured dtypes are not supported");
        if (!parseString(descr))
          return false;
        haveDescr = true;
      } else if (key == "fortran_order") {
        if (!parseBool(fortran))
          return false;
        haveFortran = true;
      } else if (key == "shape") {
        if (!parseTuple(shape))
          return false;
        haveShape = true;
      } else {
        return fail("unexpected key '" + key + "' in the header");
      }
      skipWs();
      if (peek() == ',') {
        ++pos;
        continue;
      }
      if (!expect('}'))
        return false;
      break;
    }
    skipWs();
    if (pos != s.size())
      return fail("trailing characters after the header dict");
    if (!haveDescr || !haveFortran || !haveShape)
      return fail(std::string("the header lacks '") +
                  (!haveDescr ? "descr" : !haveFortran ? "fortran_order" : "shape") + "'");
    return true;
  }

  std::string error;

private:
  const std::string &s;
  size_t pos = 0;

  char peek() const { return pos < s.size() ? s[pos] : '\0'; }
  void skipWs() {
    while (pos < s.size() && (s[pos] == ' ' || s[pos] == '\t' || s[pos] == '\n' || s[pos] == '\r'))
      ++pos;
  }
  bool fail(const std::string &what) {
    if (error.empty())
      error = "malformed header: " + what;
    return false;
  }
  bool expect(char c) {
    skipWs();
    if (peek() != c || pos >= s.size())
      return fail(std::string("expected '") + c + "' at byte " + std::to_string(pos));
    ++pos;
    return true;
  }
  bool parseString(std::string &out) {
    skipWs();
    char quote = peek();
    if (quote != '\'' && quote != '"')
      return fail("expected a quoted string at byte " + std::to_string(pos));
    size_t end = s.find(quote, pos + 1);
    if (end == std::string::npos)
      return fail("unterminated string");
    out = s.substr(pos + 1, end - pos - 1);
    if (out.find('\\') != std::string::npos)
      return fail("escapes in header strings are not supported");
    pos = end + 1;
    return true;
  }
  bool parseBool(bool &out) {
    skipWs();
    if (s.compare(pos, 4, "True") == 0) {
      out = true;
      pos += 4;
      return true;
    }
    if (s.compare(pos, 5, "False") == 0) {
      out = false;
      pos += 5;
      return true;
    }
    return fail("fortran_order must be True or False");
  }
  bool parseTuple(std::vector<int64_t> &out) {
    out.clear();
    if (!expect('('))
      return false;
    for (;;) {
      skipWs();
      if (peek() == ')') {
        ++pos;
        // "(3)" is an int in Python, not a tuple: numpy always writes "(3,)".
        return true;
      }
      if (peek() < '0' || peek() > '9')
        return fail("shape must be a tuple of non-negative integers");
      int64_t v = 0;
      while (peek() >= '0' && peek() <= '9') {
        int d = s[pos++] - '0';
        if (v > (INT64_MAX - d) / 10)
          return fail("dimension too large in shape");
        v = v * 10 + d;
      }
      if (peek() == 'L') // Python 2 longs
        ++pos;
      if (out.size() == 32)
        return fail("shape has too many dimensions");
      out.push_back(v);
      skipWs();
      if (peek() == ',') {
        ++pos;
        continue;
      }
      return expect(')');
    }
  }
};

/// Checks `descr` and returns our dtype name ("f4", ...), or sets `error`.
bool parseDescr(const std::string &descr, std::string &dtype, std::string &error) {
  if (descr.size() >= 2 && descr[0] == '>' && itemSize(descr.substr(1)) > 1) {
    error = "big-endian arrays are not supported (dtype '" + descr + "')";
    return false;
  }
  if (descr.size() < 2 || (descr[0] != '<' && descr[0] != '=') || !itemSize(descr.substr(1))) {
    error = "unsupported dtype '" + descr + "' (expected <f4, <f8, <i4 or <i8)";
    return false;
  }
  dtype = descr.substr(1);
  return true;
}

/// Multiplies the dims into an element count; false on overflow.
bool checkedCount(const std::vector<int64_t> &shape, int64_t elemSize, int64_t &bytes) {
  bytes = elemSize;
  for (int64_t d : shape) {
    if (d < 0 || (d && bytes > INT64_MAX / d))
      return false;
    bytes *= d;
  }
  return true;
}

std::string headerFor(const Array &a) {
  std::string shape = "(";
  for (size_t i = 0; i < a.shape.size(); ++i)
    shape += (i ? ", " : "") + std::to_string(a.shape[i]);
  if (a.shape.size() == 1)
    shape += ",";
  shape += ")";
  std::string h = "{'descr': '<" + a.dtype + "', 'fortran_order': False, 'shape': " + shape + ", }";
  // Pad with spaces so the data starts on a 64-byte boundary, ending in '\n'.
  size_t total = kMagicLen + 2 + 2 + h.size() + 1;
  h.append((64 - total % 64) % 64, ' ');
  h += '\n';
  return h;
}

} // namespace

int itemSize(const std::string &dtype) {
  if (dtype == "f4" || dtype == "i4")
    return 4;
  if (dtype == "f8" || dtype == "i8")
    return 8;
  return 0;
}

int64_t numElements(const std::vector<int64_t> &shape) {
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  return n;
}

namespace {

/// Sequential reads from an open file; read() and readMemory() share one
/// parser and one set of checks through this and MemorySource.
struct FileSource {
  std::FILE *f;
  bool get(void *dst, size_t n) { return std::fread(dst, 1, n, f) == n; }
};

struct MemorySource {
  const char *p;
  size_t left;
  bool get(void *dst, size_t n) {
    if (n > left)
      return false;
    if (n)
      std::memcpy(dst, p, n);
    p += n;
    left -= n;
    return true;
  }
};

/// Reads an array of `fileSize` bytes from `src`, positioned at its start.
/// On failure returns false with the problem (without the file name) in `what`.
template <typename Source>
bool readFrom(Source &src, int64_t fileSize, Array &out, std::string &what) {
  auto failWith = [&](const std::string &message) {
    what = message;
    return false;
  };
  unsigned char prefix[12];
  if (fileSize < 10 || !src.get(prefix, 10))
    return failWith("not an npy file (too short)");
  if (std::memcmp(prefix, kMagic, kMagicLen) != 0)
    return failWith("not an npy file (bad magic)");
  int major = prefix[6], minor = prefix[7];
  if (major < 1 || major > 3 || minor != 0)
    return failWith("unsupported npy version " + std::to_string(major) + "." +
                    std::to_string(minor));
  uint64_t headerLen;
  int64_t dataStart;
  if (major == 1) {
    headerLen = loadLE(prefix + 8, 2);
    dataStart = 10;
  } else {
    if (fileSize < 12 || !src.get(prefix + 10, 2))
      return failWith("not an npy file (too short)");
    headerLen = loadLE(prefix + 8, 4);
    dataStart = 12;
  }
  if (headerLen > kMaxHeader)
    return failWith("header length " + std::to_string(headerLen) + " exceeds the limit of " +
                    std::to_string(kMaxHeader) + " bytes");
  if ((int64_t)headerLen > fileSize - dataStart)
    return failWith("header length " + std::to_string(headerLen) +
                    " exceeds the file size: file truncated");
  std::string header(headerLen, '\0');
  if (headerLen && !src.get(header.data(), headerLen))
    return failWith("cannot read the header");
  dataStart += (int64_t)headerLen;
  if (header.find('\0') != std::string::npos)
    return failWith("malformed header: nul byte in the header");

  std::string descr;
  bool fortran = false;
  std::vector<int64_t> shape;
  HeaderParser parser(header);
  if (!parser.parse(descr, fortran, shape))
    return failWith(parser.error);
  std::string dtype, descrError;
  if (!parseDescr(descr, dtype, descrError))
    return failWith(descrError);
  if (fortran)
    return failWith("fortran_order arrays are not supported (save with C order)");
  int64_t bytes;
  if (!checkedCount(shape, itemSize(dtype), bytes))
    return failWith("shape is too large");
  int64_t available = fileSize - dataStart;
  if (bytes > available)
    return failWith("file truncated: the data needs " + std::to_string(bytes) +
                    " bytes, the file holds " + std::to_string(available));
  if (bytes < available)
    return failWith(std::to_string(available - bytes) + " trailing bytes after the array data");

  out.dtype = dtype;
  out.shape = shape;
  out.data.resize((size_t)bytes);
  if (bytes && !src.get(out.data.data(), (size_t)bytes))
    return failWith("cannot read the data");
  return true;
}

} // namespace

bool read(const std::string &path, Array &out, std::string &error) {
  auto failWith = [&](const std::string &what) {
    error = path + ": " + what;
    return false;
  };
  File file;
  file.f = std::fopen(path.c_str(), "rb");
  if (!file.f)
    return failWith(std::string("cannot open: ") + std::strerror(errno));
  struct stat st;
  if (fstat(fileno(file.f), &st) == 0 && S_ISDIR(st.st_mode))
    return failWith("cannot read: it is a directory");
  if (std::fseek(file.f, 0, SEEK_END) != 0)
    return failWith("cannot determine the file size");
  long fileSize = std::ftell(file.f);
  if (fileSize < 0 || std::fseek(file.f, 0, SEEK_SET) != 0)
    return failWith("cannot determine the file size");
  FileSource src{file.f};
  std::string what;
  if (!readFrom(src, fileSize, out, what))
    return failWith(what);
  return true;
}

bool readMemory(const void *bytes, size_t size, const std::string &name, Array &out,
                std::string &error) {
  MemorySource src{static_cast<const char *>(bytes), size};
  std::string what;
  if (size > (size_t)INT64_MAX || !readFrom(src, (int64_t)size, out, what)) {
    error = name + ": " + (what.empty() ? "too large" : what);
    return false;
  }
  return true;
}

bool write(const std::string &path, const Array &a, std::string &error) {
  auto failWith = [&](const std::string &what) {
    error = path + ": " + what;
    return false;
  };
  if (!itemSize(a.dtype))
    return failWith("cannot write dtype '" + a.dtype + "' (expected f4, f8, i4 or i8)");
  struct stat st;
  if (stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode))
    return failWith("cannot write: it is a directory");
  int64_t bytes;
  if (!checkedCount(a.shape, itemSize(a.dtype), bytes) || bytes != (int64_t)a.data.size())
    return failWith("the data holds " + std::to_string(a.data.size()) +
                    " bytes, which does not match the shape");
  std::string header = headerFor(a);
  unsigned char prefix[10];
  std::memcpy(prefix, kMagic, kMagicLen);
  prefix[6] = 1;
  prefix[7] = 0;
  prefix[8] = (unsigned char)(header.size() & 0xff);
  prefix[9] = (unsigned char)(header.size() >> 8);

  static unsigned counter;
  std::string tmp;
  File file;
  for (int attempt = 0; attempt < 100 && !file.f; ++attempt) {
    tmp = path + ".tmp." + std::to_string((long)getpid()) + "." + std::to_string(counter++);
    file.f = std::fopen(tmp.c_str(), "wbx");
    if (!file.f && errno != EEXIST)
      break;
  }
  if (!file.f)
    return failWith(std::string("cannot create a temporary file: ") + std::strerror(errno));
  bool ok = std::fwrite(prefix, 1, 10, file.f) == 10 &&
            std::fwrite(header.data(), 1, header.size(), file.f) == header.size() &&
            (a.data.empty() ||
             std::fwrite(a.data.data(), 1, a.data.size(), file.f) == a.data.size()) &&
            std::fflush(file.f) == 0 && fsync(fileno(file.f)) == 0;
  std::string why = std::strerror(errno);
  if (std::fclose(file.f) != 0 && ok) {
    ok = false;
    why = std::strerror(errno);
  }
  file.f = nullptr;
  if (ok && std::rename(tmp.c_str(), path.c_str()) != 0) {
    std::remove(tmp.c_str());
    return failWith(std::string("cannot rename the temporary file into place: ") +
                    std::strerror(errno));
  }
  if (!ok) {
    std::remove(tmp.c_str());
    return failWith("cannot write: " + why);
  }
  return true;
}

std::vector<float> asFloat(const Array &a) {
  int size = itemSize(a.dtype);
  if (!size)
    return {};
  size_t n = a.data.size() / size;
  std::vector<float> out(n);
  const unsigned char *p = reinterpret_cast<const unsigned char *>(a.data.data());
  for (size_t i = 0; i < n; ++i, p += size) {
    uint64_t bits = loadLE(p, size);
    if (a.dtype == "f4") {
      uint32_t b = (uint32_t)bits;
      std::memcpy(&out[i], &b, 4);
    } else if (a.dtype == "f8") {
      double d;
      std::memcpy(&d, &bits, 8);
      out[i] = d >= 0x1.ffffffp+127 ? HUGE_VALF : d <= -0x1.ffffffp+127 ? -HUGE_VALF : (float)d;
    } else if (a.dtype == "i4") {
      out[i] = (float)(int32_t)(uint32_t)bits;
    } else {
      out[i] = (float)(int64_t)bits;
    }
  }
  return out;
}

Array fromFloat(const std::vector<int64_t> &shape, const std::vector<float> &values) {
  Array a;
  a.dtype = "f4";
  a.shape = shape;
  a.data.resize(values.size() * 4);
  for (size_t i = 0; i < values.size(); ++i) {
    uint32_t b;
    std::memcpy(&b, &values[i], 4);
    for (int k = 0; k < 4; ++k)
      a.data[4 * i + k] = (char)(b >> (8 * k));
  }
  return a;
}

} // namespace cnnopt::npy
