//===- Report.h - leptonc --report: what was compiled and how -----*- C++ -*-===//
#ifndef LEPTON_COMPILER_REPORT_H
#define LEPTON_COMPILER_REPORT_H

#include "codegen/common/ModelSignature.h"
#include "compiler/Driver.h"
#include "passes/compress/Compress.h"

#include <optional>

#include <string>
#include <utility>
#include <vector>

namespace lepton {

/// What a successful compile produced, for build systems (`--report`).
struct CompileReport {
  std::string triple, cpu, features; // as resolved (host defaults filled in)
  std::string emit;                  // the artifact kind: nn, linalg, llvm, obj, so
  std::vector<std::string> files;    // everything written: the output, its header
  uint64_t outputBytes = 0;
  std::vector<std::pair<std::string, double>> phaseSeconds; // in order
  std::optional<compress::FidelityReport> compression;       // with --quantize or --prune
};

/// The human-readable table of a compression's fidelity (stderr).
std::string renderFidelityTable(const compress::FidelityReport &fidelity);

/// An SVG bar chart of the per-layer sensitivities of `fidelity` (which must
/// have some), titled with `model`.
std::string renderSensitivitySvg(const compress::FidelityReport &fidelity, llvm::StringRef model);

/// The JSON document (docs/pipelines.md describes its fields).
std::string renderReport(const CompileOptions &options, const ModelSignature &signature,
                         const CompileReport &report);

} // namespace lepton

#endif // LEPTON_COMPILER_REPORT_H
