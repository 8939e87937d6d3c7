#include "meta/diversity.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <cmath>
#include <utility>

#include "core/error.h"
#include "core/utf8.h"

namespace soar::meta {

std::map<std::string, int64_t> char_ngram_counts(std::string_view text, int n) {
  if (n < 1) fail("char_ngram_counts: n must be at least 1, got ", n);
  std::vector<std::size_t> starts;  // byte offset of each character
  for (std::size_t at = 0; at < text.size(); at += std::max<std::size_t>(1, utf8_sequence_length(text, at)))
    starts.push_back(at);
  std::map<std::string, int64_t> counts;
  if (starts.size() < std::size_t(n)) {
    ++counts[std::string(text)];
    return counts;
  }
  starts.push_back(text.size());
  for (std::size_t i = 0; i + std::size_t(n) < starts.size(); ++i)
    ++counts[std::string(text.substr(starts[i], starts[i + std::size_t(n)] - starts[i]))];
  return counts;
}

double vendi_score(const std::vector<std::string>& texts, int ngram) {
  if (ngram < 1) fail("vendi_score: ngram must be at least 1, got ", ngram);
  const auto n = int64_t(texts.size());
  if (n == 0) return 0.0;

  // Each text as a sparse vector (n-gram id, count) sorted by id, so a dot product is one merge.
  std::map<std::string, int64_t> ids;
  std::vector<std::vector<std::pair<int64_t, double>>> vectors;
  std::vector<double> norms;
  for (const std::string& text : texts) {
    auto& vector = vectors.emplace_back();
    double squares = 0;
    for (const auto& [gram, count] : char_ngram_counts(text, ngram)) {
      vector.emplace_back(ids.try_emplace(gram, int64_t(ids.size())).first->second, double(count));
      squares += double(count) * double(count);
    }
    std::sort(vector.begin(), vector.end());
    norms.push_back(std::sqrt(squares));
  }
  auto dot = [](const auto& a, const auto& b) {
    double sum = 0;
    for (auto i = a.begin(), j = b.begin(); i != a.end() && j != b.end();) {
      if (i->first < j->first) ++i;
      else if (j->first < i->first) ++j;
      else sum += (i++)->second * (j++)->second;
    }
    return sum;
  };

  at::Tensor kernel = at::empty({n, n}, at::kDouble);
  auto k = kernel.accessor<double, 2>();
  for (int64_t i = 0; i < n; ++i) {
    k[i][i] = 1.0;  // exactly, not the rounded cosine of a vector with itself
    for (int64_t j = i + 1; j < n; ++j) {
      const auto a = std::size_t(i), b = std::size_t(j);
      k[i][j] = k[j][i] = dot(vectors[a], vectors[b]) / (norms[a] * norms[b]);
    }
  }
  at::Tensor eigenvalues = at::linalg_eigvalsh(kernel / double(n));
  auto lambda = eigenvalues.accessor<double, 1>();
  double entropy = 0;
  for (int64_t i = 0; i < n; ++i)
    if (lambda[i] > 0) entropy -= lambda[i] * std::log(lambda[i]);
  return std::exp(entropy);
}

}  // namespace soar::meta
