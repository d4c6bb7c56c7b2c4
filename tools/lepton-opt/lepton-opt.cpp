//===- lepton-opt.cpp - run any Lepton pass or pipeline alone -------------===//
#include "compiler/Driver.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"

int main(int argc, char **argv) {
  lepton::registerLeptonPasses();
  mlir::DialectRegistry registry;
  lepton::registerLeptonDialects(registry);
  return mlir::asMainReturnCode(
      mlir::MlirOptMain(argc, argv, "Lepton optimizer driver\n", registry));
}
