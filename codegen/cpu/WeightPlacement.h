//===- WeightPlacement.h - weights written into a linked library -*- C++ -*-===//
#ifndef LEPTON_CODEGEN_CPU_WEIGHTPLACEMENT_H
#define LEPTON_CODEGEN_CPU_WEIGHTPLACEMENT_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"

#include <string>

namespace lepton::cpu {

/// A weight compiled as a zero-filled global named `name`, whose bytes go
/// into the artifact after linking.
struct WeightBlob {
  std::string name;
  llvm::ArrayRef<char> bytes;
};

/// Writes `weights` into the ELF shared library at `libraryPath`, where the
/// linker left their globals in the zero-filled tail of the last loadable
/// segment; that tail becomes file data. Returns false with `error` set.
bool placeWeights(llvm::StringRef libraryPath, llvm::ArrayRef<WeightBlob> weights,
                  std::string &error);

} // namespace lepton::cpu

#endif // LEPTON_CODEGEN_CPU_WEIGHTPLACEMENT_H
