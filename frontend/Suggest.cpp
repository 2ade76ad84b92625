//===- Suggest.cpp - "did you mean" suggestions ---------------------------===//
//
// Plain dynamic-programming edit distance; a candidate is suggested when it
// is within a third of the name's length (at least 1, at most 3 edits);
// torch.nn's keyword spellings map to DSL.md's by a table.
//===----------------------------------------------------------------------===//

#include "frontend/Suggest.h"

#include <algorithm>
#include <map>

using namespace cnnopt;

size_t cnnopt::editDistance(const std::string &a, const std::string &b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j)
    row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diag = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t up = row[j];
      size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + cost});
      diag = up;
    }
  }
  return row[b.size()];
}

std::string cnnopt::didYouMean(const std::string &name,
                               const std::vector<std::string> &candidates) {
  if (name.size() > 64)
    return "";
  size_t limit = std::min<size_t>(3, std::max<size_t>(1, name.size() / 3));
  const std::string *best = nullptr;
  size_t bestDistance = limit + 1;
  for (const std::string &c : candidates) {
    if (c == name || c.size() > 64)
      continue;
    size_t d = editDistance(name, c);
    // Ties go to the candidate closest in length (`relu7` -> `relu6`, not
    // `relu`), then to the first in alphabetical order.
    auto lengthGap = [&](const std::string &s) {
      return s.size() > name.size() ? s.size() - name.size()
                                    : name.size() - s.size();
    };
    bool better =
        d < bestDistance ||
        (d == bestDistance && best &&
         (lengthGap(c) < lengthGap(*best) ||
          (lengthGap(c) == lengthGap(*best) && c < *best)));
    if (better) {
      best = &c;
      bestDistance = d;
    }
  }
  if (!best)
    return "";
  return "; did you mean '" + *best + "'?";
}

std::string cnnopt::pytorchKeywordHint(const std::string &name,
                                       const std::vector<std::string> &parameters) {
  // torch.nn's keyword -> DSL.md's, where they differ.
  static const std::map<std::string, std::vector<std::string>> renamed = {
      {"kernel_size", {"kernel"}},  {"out_channels", {"out"}},   {"out_features", {"out"}},
      {"negative_slope", {"slope"}}, {"num_groups", {"groups"}}, {"dim", {"axis", "axes"}},
      {"start_dim", {"start"}},     {"scale_factor", {"scale"}}, {"output_size", {"size"}},
      {"num_parameters", {"num"}},  {"upscale_factor", {"factor"}}, {"pad", {"pads"}},
      {"exponent", {"e"}},
  };
  auto found = renamed.find(name);
  if (found != renamed.end())
    for (const std::string &ours : found->second)
      if (std::find(parameters.begin(), parameters.end(), ours) != parameters.end())
        return "; did you mean '" + ours + "' (PyTorch's " + name + ")?";
  static const char *inferred[] = {"in_channels", "in_features", "num_features", "num_channels"};
  for (const char *shape : inferred)
    if (name == shape)
      return "; cnnopt takes '" + name + "' from the input's shape: leave it out";
  if (name == "inplace")
    return "; every op makes a new value here: leave 'inplace' out";
  return "";
}
