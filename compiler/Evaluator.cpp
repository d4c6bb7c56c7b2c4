//===- Evaluator.cpp - the teacher's executor: the CPU backend ------------===//
#include "compiler/Evaluator.h"
#include "codegen/common/LinalgLowering.h"
#include "codegen/common/ModelSignature.h"
#include "codegen/cpu/CPUBackend.h"

#include "lepton/runtime.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringSwitch.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FileUtilities.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

#include <cstring>

using namespace mlir;

namespace lepton {

namespace {

/// The ONNX data type of a numpy dtype descriptor ("<f4", "|u1" ...), or 0.
int32_t dtypeOfNumpy(llvm::StringRef descr) {
  if (descr.size() < 3 || descr[0] == '>')
    return 0;
  return llvm::StringSwitch<int32_t>(descr.drop_front())
      .Case("f4", 1).Case("u1", 2).Case("i1", 3).Case("u2", 4).Case("i2", 5).Case("i4", 6)
      .Case("i8", 7).Case("b1", 9).Case("f2", 10).Case("f8", 11).Case("u4", 12).Case("u8", 13)
      .Default(0);
}

/// Reads a version 1-3 `.npy` file (C order, little-endian).
bool readNumpyFile(const std::string &path, onnx::HostTensor &out, std::string &error) {
  auto buffer = llvm::MemoryBuffer::getFile(path);
  if (!buffer) {
    error = "cannot read '" + path + "'";
    return false;
  }
  llvm::StringRef data = (*buffer)->getBuffer();
  error = "'" + path + "' is not a .npy file Lepton reads (C-order, little-endian numbers)";
  if (!data.starts_with("\x93NUMPY") || data.size() < 10)
    return false;
  size_t headerLength, start;
  if (data[6] == 1) {
    headerLength = uint8_t(data[8]) | uint8_t(data[9]) << 8;
    start = 10;
  } else {
    if (data.size() < 12)
      return false;
    headerLength = uint32_t(uint8_t(data[8])) | uint32_t(uint8_t(data[9])) << 8 |
                   uint32_t(uint8_t(data[10])) << 16 | uint32_t(uint8_t(data[11])) << 24;
    start = 12;
  }
  if (data.size() < start + headerLength)
    return false;
  llvm::StringRef header = data.substr(start, headerLength);
  auto field = [&](llvm::StringRef key) {
    size_t at = header.find("'" + key.str() + "':");
    return at == llvm::StringRef::npos ? llvm::StringRef()
                                       : header.drop_front(at + key.size() + 3).ltrim();
  };
  llvm::StringRef descr = field("descr"), order = field("fortran_order"), shape = field("shape");
  if (!descr.consume_front("'") || !order.starts_with("False") || !shape.consume_front("("))
    return false;
  out.dtype = dtypeOfNumpy(descr.take_until([](char c) { return c == '\''; }));
  if (!out.dtype)
    return false;
  out.shape.clear();
  llvm::SmallVector<llvm::StringRef> dims;
  shape.take_until([](char c) { return c == ')'; }).split(dims, ',', -1, false);
  for (llvm::StringRef dim : dims) {
    int64_t d;
    if (dim.trim().getAsInteger(10, d) || d < 0)
      return false;
    out.shape.push_back(d);
  }
  size_t bytes = out.numElements() * onnx::dtypeSize(out.dtype);
  if (data.size() - start - headerLength != bytes)
    return false;
  out.data.assign(data.begin() + start + headerLength, data.end());
  error.clear();
  return true;
}

/// Reads `dir`/input_N.{pb,npy}, N = 0, 1 ...; false with `error` set when
/// one cannot be read. `found` says whether input_0 exists at all.
bool readSetFiles(const std::string &dir, size_t count, InputSet &set, bool &found,
                  std::string &error) {
  found = false;
  for (size_t i = 0; i < count; ++i) {
    std::string base = dir + "/input_" + std::to_string(i);
    onnx::HostTensor t;
    bool ok;
    if (llvm::sys::fs::exists(base + ".pb"))
      ok = onnx::readTensorFile(base + ".pb", t, error);
    else if (llvm::sys::fs::exists(base + ".npy"))
      ok = readNumpyFile(base + ".npy", t, error);
    else if (i == 0)
      return true;
    else {
      error = "'" + dir + "' has " + std::to_string(i) + " inputs, the model " +
              std::to_string(count);
      return false;
    }
    if (!ok)
      return false;
    found = true;
    set.push_back(std::move(t));
  }
  return true;
}

} // namespace

bool readInputSets(const std::string &dir, const ModelSignature &signature,
                   std::vector<InputSet> &sets, std::string &error) {
  if (!llvm::sys::fs::is_directory(dir)) {
    error = "calibration data '" + dir + "' is not a directory";
    return false;
  }
  std::vector<std::string> dirs = {dir};
  std::error_code ec;
  std::vector<std::string> children;
  for (llvm::sys::fs::directory_iterator it(dir, ec), end; it != end && !ec; it.increment(ec))
    if (llvm::sys::fs::is_directory(it->path()))
      children.push_back(it->path());
  llvm::sort(children);
  llvm::append_range(dirs, children);
  for (const std::string &d : dirs) {
    InputSet set;
    bool found;
    if (!readSetFiles(d, signature.inputs.size(), set, found, error))
      return false;
    if (!found)
      continue;
    // A batched input (leading dim -1 in the signature) with several entries
    // gives one set per entry.
    int64_t entries = 1;
    for (size_t i = 0; i < set.size(); ++i) {
      const onnx::HostTensor &t = set[i];
      const TensorSignature &want = signature.inputs[i];
      bool batched = !want.shape.empty() && want.shape[0] < 0 && !t.shape.empty();
      llvm::ArrayRef<int64_t> got(t.shape), wanted(want.shape);
      if (batched) {
        entries = t.shape[0];
        got = got.drop_front();
        wanted = wanted.drop_front();
      }
      if (t.dtype != want.dtype || got != wanted) {
        auto dims = [](llvm::ArrayRef<int64_t> shape) {
          return "[" + llvm::join(llvm::map_range(shape, [](int64_t v) {
                   return v < 0 ? std::string("N") : std::to_string(v);
                 }), "x") + "]";
        };
        error = "calibration input " + std::to_string(i) + " in '" + d + "' is " +
                onnx::dtypeName(t.dtype) + " " + dims(t.shape) + ", but the model's input '" +
                want.name + "' is " + onnx::dtypeName(want.dtype) + " " + dims(want.shape);
        return false;
      }
    }
    for (int64_t e = 0; e < entries; ++e) {
      InputSet entry = set;
      for (size_t i = 0; i < entry.size(); ++i) {
        if (signature.inputs[i].shape.empty() || signature.inputs[i].shape[0] >= 0)
          continue;
        size_t bytes = set[i].data.size() / set[i].shape[0];
        entry[i].data.assign(set[i].data.begin() + e * bytes, set[i].data.begin() + (e + 1) * bytes);
        entry[i].shape[0] = 1;
      }
      sets.push_back(std::move(entry));
    }
  }
  if (sets.empty()) {
    error = "calibration data '" + dir + "' holds no input sets (input_0.pb or input_0.npy in it "
            "or in its subdirectories)";
    return false;
  }
  return true;
}

namespace {

class CpuEvaluation : public compress::Evaluation {
public:
  CpuEvaluation(lepton_model *model, const std::vector<InputSet> &sets, size_t firstTap)
      : model(model), sets(sets), firstTap(firstTap) {}
  ~CpuEvaluation() override { lepton_unload(model); }

  size_t numInputSets() const override { return sets.size(); }

  LogicalResult runBytes(size_t set, std::vector<std::vector<char>> &taps) override {
    std::vector<lepton_tensor> inputs;
    for (const onnx::HostTensor &t : sets[set])
      inputs.push_back({const_cast<char *>(t.data.data()), t.dtype, int32_t(t.shape.size()),
                        t.shape.data()});
    uint32_t count = lepton_num_outputs(model);
    std::vector<std::vector<char>> buffers(count);
    std::vector<lepton_tensor> outputs;
    // Every set holds one entry of a batched model (readInputSets split
    // them): a dynamic (batch) dim is 1.
    std::vector<std::vector<int64_t>> shapes(count);
    for (uint32_t i = 0; i < count; ++i) {
      const lepton_tensor_desc *info = lepton_output_info(model, i);
      int64_t elements = 1;
      for (int32_t d = 0; d < info->rank; ++d) {
        shapes[i].push_back(info->shape[d] < 0 ? 1 : info->shape[d]);
        elements *= shapes[i].back();
      }
      buffers[i].assign(elements * lepton_dtype_size(info->dtype), 0);
      outputs.push_back({buffers[i].data(), info->dtype, info->rank, shapes[i].data()});
    }
    if (lepton_run(model, inputs.data(), inputs.size(), outputs.data(), count) != LEPTON_OK) {
      llvm::errs() << "error: evaluating the model on calibration set " << set << ": "
                   << lepton_last_error() << "\n";
      return failure();
    }
    taps.assign(std::make_move_iterator(buffers.begin() + firstTap),
                std::make_move_iterator(buffers.end()));
    return success();
  }

private:
  lepton_model *model;
  const std::vector<InputSet> &sets;
  size_t firstTap;
};

} // namespace

FailureOr<std::unique_ptr<compress::Evaluation>>
CpuEvaluator::compile(ModuleOp module, llvm::ArrayRef<Value> taps) {
  // A copy whose function returns the taps after its own results.
  IRMapping mapping;
  OwningOpRef<ModuleOp> copy = cast<ModuleOp>(module->clone(mapping));
  (*copy)->setAttr(lowering::kSharesWeightsAttr, UnitAttr::get(module.getContext()));
  auto func = copy->lookupSymbol<func::FuncOp>(entry);
  Operation *ret = func.getBody().back().getTerminator();
  SmallVector<Value> results(ret->getOperands());
  size_t firstTap = results.size();
  SmallVector<DictionaryAttr> resultAttrs;
  func.getAllResultAttrs(resultAttrs);
  Builder b(module.getContext());
  for (auto [i, tap] : llvm::enumerate(taps)) {
    results.push_back(mapping.lookupOrDefault(tap));
    resultAttrs.push_back(
        b.getDictionaryAttr(b.getNamedAttr("lepton.name", b.getStringAttr("tap_" + std::to_string(i)))));
  }
  ret->setOperands(results);
  func.setType(b.getFunctionType(func.getArgumentTypes(), ValueRange(results).getTypes()));
  func.setAllResultAttrs(resultAttrs);

  FailureOr<ModelSignature> signature = signatureOf(func);
  if (failed(signature))
    return failure();
  PassManager pm(module.getContext());
  std::string lowering = std::string(cpu::kLinalgPipeline) + "," +
                         cpu::cpuLoweringPipeline(cpu::vectorShapeOf(machine), /*profile=*/false,
                                                  /*threads=*/false);
  if (failed(parsePassPipeline(lowering, pm)) || failed(pm.run(*copy)))
    return failure();
  if (auto lowered = copy->lookupSymbol<LLVM::LLVMFuncOp>(entry))
    if (auto bytes = lowered->getAttrOfType<IntegerAttr>("lepton.workspace_bytes"))
      signature->workspaceBytes = bytes.getInt();

  llvm::LLVMContext context;
  std::vector<cpu::WeightBlob> weights;
  std::unique_ptr<llvm::Module> llvmModule =
      cpu::translateToLLVMIR(*copy, context, *signature, machine, true, &weights);
  if (!llvmModule)
    return failure();
  cpu::optimize(*llvmModule, machine, /*optLevel=*/2);
  llvm::SmallVector<char> object;
  std::string error;
  llvm::SmallString<128> library;
  if (!cpu::emitObject(*llvmModule, machine, object, error) ||
      llvm::sys::fs::createTemporaryFile("lepton-teacher", "so", library) ||
      !cpu::linkSharedLibrary(object, weights, library, error)) {
    emitError(func.getLoc()) << "cannot build the model for evaluation: " << error;
    return failure();
  }
  llvm::FileRemover removeLibrary(library);
  lepton_model *loaded;
  if (lepton_load(library.c_str(), &loaded) != LEPTON_OK) {
    emitError(func.getLoc()) << "cannot load the model for evaluation: " << lepton_last_error();
    return failure();
  }
  return std::unique_ptr<compress::Evaluation>(new CpuEvaluation(loaded, sets, firstTap));
}

} // namespace lepton
