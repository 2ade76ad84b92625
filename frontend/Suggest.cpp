//===- Suggest.cpp - "did you mean" suggestions ---------------------------===//
//
// Plain dynamic-programming edit distance; a candidate is suggested when it
// is within a third of the name's length (at least 1, at most 3 edits).
//===----------------------------------------------------------------------===//

#include "frontend/Suggest.h"

#include <algorithm>

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
