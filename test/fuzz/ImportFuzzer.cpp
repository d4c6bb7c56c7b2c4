//===- ImportFuzzer.cpp - libFuzzer over the ONNX frontend ----------------===//
//
// Every byte string must be imported (and survive the graph passes) or be
// rejected with diagnostics: never a crash, a sanitizer report or a hang.
// Built with -DLEPTON_FUZZ=ON; docs/reliability.md has the command.
//
//===----------------------------------------------------------------------===//
#include "compiler/Driver.h"
#include "compiler/frontend/onnx/OnnxImporter.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"

#include <cstdio>
#include <string>
#include <unistd.h>

// The importer reads a path (libonnx's checker and external data need one),
// so each input goes through a file in memory-backed /dev/shm.
static std::string scratchPath() {
  return "/dev/shm/lepton-fuzz-import-" + std::to_string(getpid()) + ".onnx";
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static const std::string path = scratchPath();
  static mlir::DialectRegistry *registry = [] {
    lepton::registerLeptonPasses();
    auto *r = new mlir::DialectRegistry();
    lepton::registerLeptonDialects(*r);
    return r;
  }();
  FILE *file = std::fopen(path.c_str(), "wb");
  if (!file)
    return 0;
  std::fwrite(data, 1, size, file);
  std::fclose(file);

  mlir::MLIRContext context(*registry, mlir::MLIRContext::Threading::DISABLED);
  context.printOpOnDiagnostic(false);
  mlir::ScopedDiagnosticHandler quiet(&context, [](mlir::Diagnostic &) {
    return mlir::success();
  });
  // libonnx runs in-process: a fork per input under ASan runs at 60/s, not
  // thousands. A crash inside libonnx is then reported here although
  // leptonc, which isolates libonnx, turns it into an error; replaying the
  // input through leptonc tells the two apart (docs/reliability.md).
  mlir::OwningOpRef<mlir::ModuleOp> module = lepton::onnx::importModel(
      context, path, "model", {}, /*batch=*/1, /*isolateLibonnx=*/false);
  if (!module)
    return 0;
  mlir::PassManager pm(module.get()->getName());
  if (succeeded(mlir::parsePassPipeline("canonicalize,cse", pm)))
    (void)pm.run(*module);
  return 0;
}
