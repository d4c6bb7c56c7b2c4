//===- SparseRefitTest.cpp - the pruning refit against float64 references -===//
#include "passes/compress/SparseRefit.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

using namespace lepton::compress;

namespace {

/// `rows` x `k` weights and `count` samples of `k` features, seeded.
struct Problem {
  int64_t rows, k, count;
  std::vector<double> w, x; // row-major; x holds the samples one after another
  Problem(int64_t rows, int64_t k, int64_t count, unsigned seed) : rows(rows), k(k), count(count) {
    std::mt19937_64 rng(seed);
    std::normal_distribution<double> normal;
    for (int64_t i = 0; i < rows * k; ++i)
      w.push_back(normal(rng));
    // Correlated features, as a layer's inputs are.
    for (int64_t s = 0; s < count; ++s) {
      double common = normal(rng);
      for (int64_t j = 0; j < k; ++j)
        x.push_back(normal(rng) + 0.5 * common);
    }
  }
  GramMatrix gram() const {
    GramMatrix g(k);
    g.add(x, count);
    return g;
  }
  /// sum over samples and rows of ((a - w) x)^2.
  double error(const std::vector<double> &a) const {
    double e = 0;
    for (int64_t s = 0; s < count; ++s)
      for (int64_t r = 0; r < rows; ++r) {
        double d = 0;
        for (int64_t j = 0; j < k; ++j)
          d += (a[r * k + j] - w[r * k + j]) * x[s * k + j];
        e += d * d;
      }
    return e;
  }
};

/// Solves a x = b (n x n, row-major) by Gaussian elimination with partial
/// pivoting, in double.
std::vector<double> solve(std::vector<double> a, std::vector<double> b, int64_t n) {
  for (int64_t c = 0; c < n; ++c) {
    int64_t p = c;
    for (int64_t r = c + 1; r < n; ++r)
      if (std::fabs(a[r * n + c]) > std::fabs(a[p * n + c]))
        p = r;
    for (int64_t j = 0; j < n; ++j)
      std::swap(a[c * n + j], a[p * n + j]);
    std::swap(b[c], b[p]);
    for (int64_t r = c + 1; r < n; ++r) {
      double f = a[r * n + c] / a[c * n + c];
      for (int64_t j = c; j < n; ++j)
        a[r * n + j] -= f * a[c * n + j];
      b[r] -= f * b[c];
    }
  }
  std::vector<double> x(n);
  for (int64_t r = n - 1; r >= 0; --r) {
    double v = b[r];
    for (int64_t j = r + 1; j < n; ++j)
      v -= a[r * n + j] * x[j];
    x[r] = v / a[r * n + r];
  }
  return x;
}

TEST(GramMatrix, SumsOuterProducts) {
  Problem p(1, 7, 40, 1);
  GramMatrix g(p.k);
  g.add(llvm::ArrayRef(p.x).take_front(25 * p.k), 25);
  g.add(llvm::ArrayRef(p.x).drop_front(25 * p.k), 15);
  EXPECT_EQ(g.samples(), 40u);
  std::vector<double> h = g.matrix();
  for (int64_t i = 0; i < p.k; ++i)
    for (int64_t j = 0; j < p.k; ++j) {
      double expected = 0;
      for (int64_t s = 0; s < p.count; ++s)
        expected += p.x[s * p.k + i] * p.x[s * p.k + j];
      EXPECT_NEAR(h[i * p.k + j], expected, 1e-9 * std::fabs(expected) + 1e-12);
    }
}

// With whole columns pruned ahead of every kept one, the sequential update
// is the exact (damped) least-squares refit of the kept columns:
// W'_S = W_S + W_P H_PS H_SS^-1, with H damped by 1% of its mean diagonal.
TEST(RefitPruned, LeadingColumnsGiveTheLeastSquaresSolution) {
  Problem p(5, 12, 60, 2);
  const int64_t pruned = 4;
  PruneRule rule;
  rule.pruned.assign(p.rows * p.k, false);
  for (int64_t r = 0; r < p.rows; ++r)
    for (int64_t j = 0; j < pruned; ++j)
      rule.pruned[r * p.k + j] = true;
  std::vector<double> w = p.w;
  ASSERT_TRUE(refitPruned(w, p.rows, p.gram(), rule));

  std::vector<double> h = p.gram().matrix();
  double mean = 0;
  for (int64_t j = 0; j < p.k; ++j)
    mean += h[j * p.k + j] / p.k;
  for (int64_t j = 0; j < p.k; ++j)
    h[j * p.k + j] += 0.01 * mean;
  int64_t kept = p.k - pruned;
  std::vector<double> hss(kept * kept);
  for (int64_t i = 0; i < kept; ++i)
    for (int64_t j = 0; j < kept; ++j)
      hss[i * kept + j] = h[(pruned + i) * p.k + pruned + j];
  for (int64_t r = 0; r < p.rows; ++r) {
    // H_SS y = (W_P H_PS)^T, since H is symmetric.
    std::vector<double> rhs(kept, 0.0);
    for (int64_t j = 0; j < kept; ++j)
      for (int64_t q = 0; q < pruned; ++q)
        rhs[j] += p.w[r * p.k + q] * h[q * p.k + pruned + j];
    std::vector<double> y = solve(hss, rhs, kept);
    for (int64_t q = 0; q < pruned; ++q)
      EXPECT_EQ(w[r * p.k + q], 0.0);
    for (int64_t j = 0; j < kept; ++j)
      EXPECT_NEAR(w[r * p.k + pruned + j], p.w[r * p.k + pruned + j] + y[j], 1e-9) << r << "," << j;
  }
}

TEST(RefitPruned, ZeroesExactlyTheChosenWeightsAndBeatsZeroingAlone) {
  Problem p(8, 20, 200, 3);
  PruneRule rule;
  rule.pruned.assign(p.rows * p.k, false);
  std::mt19937_64 rng(4);
  for (int64_t i = 0; i < p.rows * p.k; ++i)
    rule.pruned[i] = rng() % 2;
  std::vector<double> refit = p.w, zeroed = p.w;
  ASSERT_TRUE(refitPruned(refit, p.rows, p.gram(), rule));
  for (int64_t i = 0; i < p.rows * p.k; ++i) {
    EXPECT_EQ(refit[i] == 0, bool(rule.pruned[i])) << i;
    if (rule.pruned[i])
      zeroed[i] = 0;
  }
  EXPECT_LT(p.error(refit), 0.95 * p.error(zeroed));
}

TEST(RefitPruned, NOfMKeepsNInEveryGroupAndLeavesTheRest) {
  Problem p(6, 23, 100, 5);
  PruneRule rule;
  rule.group = 4;
  rule.share = 0.5;         // 2:4
  rule.groupedColumns = 22; // the last column (a bias, say) is not pruned
  std::vector<double> w = p.w;
  ASSERT_TRUE(refitPruned(w, p.rows, p.gram(), rule));
  for (int64_t r = 0; r < p.rows; ++r) {
    for (int64_t g = 0; g + 4 <= 20; g += 4) {
      int nonzero = 0;
      for (int64_t j = g; j < g + 4; ++j)
        nonzero += w[r * p.k + j] != 0;
      EXPECT_EQ(nonzero, 2) << r << "," << g;
    }
    // The partial group of two keeps both: 2 * 0.5 rounds down to one drop.
    EXPECT_EQ((w[r * p.k + 20] != 0) + (w[r * p.k + 21] != 0), 1);
    EXPECT_NE(w[r * p.k + 22], 0.0);
  }
}

TEST(RefitPruned, UnusedFeaturesDoNotBreakTheFactorization) {
  Problem p(3, 6, 30, 6);
  for (int64_t s = 0; s < p.count; ++s)
    p.x[s * p.k + 2] = 0; // a dead input
  PruneRule rule;
  rule.group = 6;
  rule.share = 0.5;
  rule.groupedColumns = 6;
  std::vector<double> w = p.w;
  EXPECT_TRUE(refitPruned(w, p.rows, p.gram(), rule));
  for (double v : w)
    EXPECT_TRUE(std::isfinite(v));
}

} // namespace
