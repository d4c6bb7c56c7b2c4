//===- HeaderWriter.h - the <name>.h of an artifact ---------------*- C++ -*-===//
#ifndef LEPTON_COMPILER_HEADERWRITER_H
#define LEPTON_COMPILER_HEADERWRITER_H

#include "codegen/common/ModelSignature.h"
#include <string>

namespace lepton {

/// The C header declaring a compiled model's descriptor, entry point and
/// size macros (workspace bytes, element counts per tensor).
std::string renderHeader(const ModelSignature &signature, llvm::StringRef source);

} // namespace lepton

#endif // LEPTON_COMPILER_HEADERWRITER_H
