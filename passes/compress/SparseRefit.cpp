//===- SparseRefit.cpp - pruning with a least-squares refit ---------------===//
#include "passes/compress/SparseRefit.h"

#include "llvm/Support/Parallel.h"

#include <algorithm>
#include <cmath>
#include <numeric>

// LAPACK and BLAS through their Fortran interface (OpenBLAS provides both;
// Debian ships no LAPACKE header for it). Matrices are column-major; the
// trailing arguments are the hidden lengths of the character arguments.
extern "C" {
void dsyrk_(const char *uplo, const char *trans, const int *n, const int *k, const double *alpha,
            const double *a, const int *lda, const double *beta, double *c, const int *ldc,
            size_t uploLength, size_t transLength);
void dpotrf_(const char *uplo, const int *n, double *a, const int *lda, int *info,
             size_t uploLength);
void dtrtri_(const char *uplo, const char *diag, const int *n, double *a, const int *lda,
             int *info, size_t uploLength, size_t diagLength);
}

namespace lepton::compress {

void GramMatrix::add(llvm::ArrayRef<double> samples, int64_t count) {
  if (count == 0)
    return;
  // Column t of the K x count matrix is sample t: H += S S^T.
  int n = int(k), depth = int(count);
  double one = 1;
  dsyrk_("U", "N", &n, &depth, &one, samples.data(), &n, &one, h.data(), &n, 1, 1);
  seen += count;
}

std::vector<double> GramMatrix::matrix() const {
  std::vector<double> full(k * k);
  for (int64_t j = 0; j < k; ++j)
    for (int64_t i = 0; i <= j; ++i)
      full[i * k + j] = full[j * k + i] = h[j * k + i];
  return full;
}

namespace {

/// The upper Cholesky factor U of H^-1 (H^-1 = U^T U), row-major, for the
/// symmetric positive definite row-major `h`, which it overwrites. With J
/// the reversal permutation, J H J = L L^T gives H^-1 = U^T U for
/// U = J L^-1 J: one factorization and one triangular inverse.
bool inverseCholesky(std::vector<double> &h, int64_t k, std::vector<double> &u) {
  std::reverse(h.begin(), h.end()); // J H J, symmetric, so also column-major
  int n = int(k), info = 0;
  dpotrf_("L", &n, h.data(), &n, &info, 1);
  if (info != 0)
    return false;
  dtrtri_("L", "N", &n, h.data(), &n, &info, 1, 1);
  if (info != 0)
    return false;
  // L^-1 is column-major: U(i, j) = L^-1(k-1-i, k-1-j) sits at the reversed
  // position j * k + i.
  u.assign(k * k, 0.0);
  for (int64_t i = 0; i < k; ++i)
    for (int64_t j = i; j < k; ++j)
      u[i * k + j] = h[(k * k - 1) - (j * k + i)];
  return true;
}

} // namespace

bool refitPruned(std::vector<double> &weights, int64_t rows, const GramMatrix &gram,
                 const PruneRule &rule) {
  int64_t k = gram.features();
  std::vector<double> h = gram.matrix();
  // Features the samples never use get a unit diagonal (their weights then
  // take no part in the update); all get a damping of 1% of the mean
  // diagonal, as SparseGPT does, which keeps H positive definite.
  double diagonal = 0;
  int64_t live = 0;
  for (int64_t j = 0; j < k; ++j)
    if (h[j * k + j] > 0) {
      diagonal += h[j * k + j];
      ++live;
    }
  double damping = live ? 0.01 * diagonal / live : 1.0;
  std::vector<double> u;
  bool factored = false;
  for (int attempt = 0; attempt < 4 && !factored; ++attempt, damping *= 10) {
    std::vector<double> damped = h;
    for (int64_t j = 0; j < k; ++j)
      damped[j * k + j] = (damped[j * k + j] > 0 ? damped[j * k + j] : 1.0) + damping;
    factored = inverseCholesky(damped, k, u);
  }
  if (!factored)
    return false;

  // Rows are independent: blocks of rows share each row of U as it streams.
  constexpr int64_t kBlock = 16;
  int64_t blocks = (rows + kBlock - 1) / kBlock;
  llvm::parallelFor(0, blocks, [&](size_t block) {
    int64_t first = block * kBlock, count = std::min(kBlock, rows - first);
    std::vector<bool> pruned(count * k, false); // the group choices of this block
    std::vector<double> error(count);
    for (int64_t j = 0; j < k; ++j) {
      if (rule.group > 0 && j < rule.groupedColumns && j % rule.group == 0) {
        int64_t end = std::min<int64_t>(j + rule.group, rule.groupedColumns);
        int64_t drop = prunedInGroup(end - j, rule.share);
        std::vector<int64_t> order(end - j);
        for (int64_t r = 0; r < count; ++r) {
          const double *w = &weights[(first + r) * k];
          std::iota(order.begin(), order.end(), j);
          std::sort(order.begin(), order.end(), [&](int64_t a, int64_t b) {
            double sa = w[a] * w[a] / (u[a * k + a] * u[a * k + a]);
            double sb = w[b] * w[b] / (u[b * k + b] * u[b * k + b]);
            return sa < sb || (sa == sb && a < b);
          });
          for (int64_t d = 0; d < drop; ++d)
            pruned[r * k + order[d]] = true;
        }
      }
      bool any = false;
      for (int64_t r = 0; r < count; ++r) {
        double &w = weights[(first + r) * k + j];
        bool drop = rule.group > 0 ? pruned[r * k + j] : rule.pruned[(first + r) * k + j];
        error[r] = drop ? w / u[j * k + j] : 0.0;
        if (drop)
          w = 0;
        any |= error[r] != 0;
      }
      if (!any)
        continue;
      const double *row = &u[j * k];
      for (int64_t r = 0; r < count; ++r) {
        if (error[r] == 0)
          continue;
        double *w = &weights[(first + r) * k];
        for (int64_t c = j + 1; c < k; ++c)
          w[c] -= error[r] * row[c];
      }
    }
  });
  return true;
}

} // namespace lepton::compress
