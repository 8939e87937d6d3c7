// Diversity of a set of texts (the teacher's questions): the Vendi score (Friedman & Dieng 2023,
// "The Vendi Score: A Diversity Evaluation Metric for Machine Learning") over character n-gram
// embeddings, which need no model and see near-duplicate questions as similar.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace soar::meta {

// How often each run of `n` consecutive Unicode code points occurs in `text` (UTF-8; a byte that does
// not start a well-formed sequence counts as one character of its own). The text is taken as it is:
// no case folding or whitespace normalization. A text shorter than n characters (the empty text too)
// is its own single n-gram, so every text has a non-zero embedding and equal texts are similar.
// Fails when n < 1.
std::map<std::string, int64_t> char_ngram_counts(std::string_view text, int n);

// The Vendi score of `texts`: exp(-sum_i l_i log l_i), where l_i are the eigenvalues of K / n and
// K[i][j] is the cosine similarity of the character `ngram` count vectors of texts i and j (K[i][i] = 1).
// It is the effective number of distinct texts: 1 for n equal texts, n for texts with no n-gram in
// common, in between for overlapping ones. Eigenvalues <= 0 (rounding) contribute nothing, as
// 0 log 0 = 0 (as in the reference implementation, the vendi_score package). An empty set scores 0.
double vendi_score(const std::vector<std::string>& texts, int ngram = 3);

}  // namespace soar::meta
