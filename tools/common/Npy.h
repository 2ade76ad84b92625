//===- Npy.h - NumPy .npy arrays for inputs and outputs ---------*- C++ -*-===//
//
// Reads and writes NumPy's `.npy` format (versions 1.0, 2.0 and 3.0), the
// file format of model inputs and outputs in cnnopt's tools. Only C-order,
// little-endian float32/float64/int32/int64 arrays are supported; anything
// else is refused with a message naming the file and the problem. No
// exceptions: errors come back as strings.
//===----------------------------------------------------------------------===//

#ifndef CNNOPT_TOOLS_COMMON_NPY_H
#define CNNOPT_TOOLS_COMMON_NPY_H

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace cnnopt::npy {

/// An array as stored: element type, shape and raw little-endian bytes.
struct Array {
  std::string dtype;          ///< "f4", "f8", "i4" or "i8"
  std::vector<int64_t> shape; ///< empty for a 0-d array
  std::vector<char> data;     ///< C order, little-endian, numElements * itemSize bytes
};

/// Returns the size in bytes of one element of `dtype`, or 0 if unsupported.
int itemSize(const std::string &dtype);

/// Returns the number of elements of `shape` (1 for a 0-d array).
int64_t numElements(const std::vector<int64_t> &shape);

/// Reads the `.npy` file at `path` into `out`. Returns false with a message
/// in `error` ("x.npy: fortran_order arrays are not supported") on failure.
bool read(const std::string &path, Array &out, std::string &error);

/// Reads a `.npy` image already in memory (`size` bytes at `bytes`), with the
/// same checks and messages as read(); `name` stands for the path in them.
bool readMemory(const void *bytes, size_t size, const std::string &name, Array &out,
                std::string &error);

/// Writes `a` to `path` as a version 1.0 `.npy` file, through a temporary
/// file renamed into place. Returns false with a message in `error` on failure.
bool write(const std::string &path, const Array &a, std::string &error);

/// Returns the elements of `a` converted to float (empty for an unknown dtype).
std::vector<float> asFloat(const Array &a);

/// Returns a float32 array of `shape` holding `values`.
Array fromFloat(const std::vector<int64_t> &shape, const std::vector<float> &values);

} // namespace cnnopt::npy

#endif // CNNOPT_TOOLS_COMMON_NPY_H
