//===- DynamicBatch.h - one compiled model for every batch size -*- C++ -*-===//
//
// A model whose inputs have a symbolic leading (batch) dim compiles once: the
// code is generated for one batch entry and the entry point runs it once per
// entry. That is only correct when no op combines different entries, which
// checkBatchParallel proves from the model imported at batch 1 and at batch 2.
//
//===----------------------------------------------------------------------===//
#ifndef LEPTON_COMPILER_DYNAMICBATCH_H
#define LEPTON_COMPILER_DYNAMICBATCH_H

#include "mlir/Dialect/Func/IR/FuncOps.h"

namespace lepton {

/// `one` and `two` are the same model imported with the batch (the inputs
/// marked `lepton.batch`) pinned to 1 and to 2. Succeeds when every op of
/// `one` treats each batch entry on its own (and the graphs agree except in
/// the batch dim), and then marks the results of `one` that carry the batch
/// with `lepton.batch`; otherwise reports the op that mixes entries.
mlir::LogicalResult checkBatchParallel(mlir::func::FuncOp one, mlir::func::FuncOp two);

} // namespace lepton

#endif // LEPTON_COMPILER_DYNAMICBATCH_H
