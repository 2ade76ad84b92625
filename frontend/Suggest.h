//===- Suggest.h - "did you mean" suggestions -------------------*- C++ -*-===//
//
// Picks the closest known name to a misspelt one by edit distance, for
// messages such as "unknown op 'relu7'; did you mean 'relu6'?".
//===----------------------------------------------------------------------===//

#ifndef CNNOPT_FRONTEND_SUGGEST_H
#define CNNOPT_FRONTEND_SUGGEST_H

#include <string>
#include <vector>

namespace cnnopt {

/// Levenshtein distance between `a` and `b`.
size_t editDistance(const std::string &a, const std::string &b);

/// `"; did you mean 'x'?"` for the closest candidate within a small edit
/// distance of `name`, or "" when none is close enough.
std::string didYouMean(const std::string &name,
                       const std::vector<std::string> &candidates);

/// For an unknown keyword argument `name` that is PyTorch's spelling of one
/// of `parameters` (`kernel_size` for `kernel`), `"; did you mean 'kernel'
/// (PyTorch's kernel_size)?"`; for one cnnopt infers or has no use for
/// (`in_channels`, `inplace`), why to leave it out; else "".
std::string pytorchKeywordHint(const std::string &name,
                               const std::vector<std::string> &parameters);

} // namespace cnnopt

#endif // CNNOPT_FRONTEND_SUGGEST_H
