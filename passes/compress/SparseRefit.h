//===- SparseRefit.h - pruning with a least-squares refit ---------*- C++ -*-===//
//
// The numerical core of --prune: a layer computes y = W x (W: rows x K, x: K
// input features per sample). Pruning zeroes weights; the refit moves each
// zeroed weight's contribution onto the weights that stay, so that W' x
// stays close to W x over the teacher's calibration samples. This is the
// sequential optimal-brain-surgeon update of SparseGPT (Frantar & Alistarh,
// 2023) over the inverse of H = sum x x^T. The dense linear algebra
// (symmetric rank-k update, Cholesky, triangular inverse) is LAPACK's, from
// Debian's OpenBLAS.
//
//===----------------------------------------------------------------------===//
#ifndef LEPTON_PASSES_COMPRESS_SPARSEREFIT_H
#define LEPTON_PASSES_COMPRESS_SPARSEREFIT_H

#include "llvm/ADT/ArrayRef.h"

#include <cstdint>
#include <vector>

namespace lepton::compress {

/// H = sum over samples of x x^T, in double.
class GramMatrix {
public:
  explicit GramMatrix(int64_t features) : k(features), h(features * features, 0.0) {}

  /// Adds `count` samples held one after another (`count` x K values).
  void add(llvm::ArrayRef<double> samples, int64_t count);

  int64_t features() const { return k; }
  uint64_t samples() const { return seen; }
  double diagonal(int64_t i) const { return h[i * k + i]; }
  /// The full symmetric matrix, row-major.
  std::vector<double> matrix() const;

private:
  int64_t k;
  std::vector<double> h; // upper triangle in LAPACK's column-major terms
  uint64_t seen = 0;
};

/// How many of a group of `size` weights a share `share` prunes: rounded
/// down (a partial group of n:m drops proportionally fewer).
inline int64_t prunedInGroup(int64_t size, double share) {
  return int64_t(size * share + 1e-9);
}

/// Which weights go: either a fixed choice per weight, or, in each row,
/// the share `share` of every `group` consecutive columns, chosen as the
/// update reaches the group (n:m is group m, share (m - n) / m).
struct PruneRule {
  std::vector<bool> pruned;   // rows x K, when group is 0
  int64_t group = 0;
  double share = 0;
  int64_t groupedColumns = 0; // groups cover columns [0, groupedColumns)
};

/// Prunes `weights` (rows x K, row-major) in place by `rule` and refits the
/// weights that stay against the samples `gram` summarizes: column by
/// column, each zeroed weight's error is spread over the later columns of
/// its row along the Cholesky factor of the damped inverse of H. Columns
/// after `groupedColumns` (a bias column of ones, say) are never pruned but
/// take part in the refit. Groups drop the weights with the least
/// w^2 / U_jj^2 (the optimal-brain-surgeon saliency, U the factor of H^-1:
/// the weight's magnitude scaled by how much the inputs need it), as
/// SparseGPT's adaptive mask does. Returns false when
/// H cannot be factored even with damping.
bool refitPruned(std::vector<double> &weights, int64_t rows, const GramMatrix &gram,
                 const PruneRule &rule);

} // namespace lepton::compress

#endif // LEPTON_PASSES_COMPRESS_SPARSEREFIT_H
