//===- CPUBackend.cpp - linalg -> native code for CPUs --------------------===//
#include "codegen/cpu/CPUBackend.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Export.h"

#include "lld/Common/Driver.h"
#include "llvm/Analysis/TargetTransformInfo.h"
#include "llvm/IR/IRBuilder.h"
#include "llvm/IR/LegacyPassManager.h"
#include "llvm/MC/MCSubtargetInfo.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/TargetParser/SubtargetFeature.h"
#include "llvm/Passes/PassBuilder.h"
#include "llvm/Support/CrashRecoveryContext.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FileUtilities.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/TargetParser/Host.h"

LLD_HAS_DRIVER(elf)

namespace lepton::cpu {

const char *const kLinalgPipeline =
    "lepton-convert-nn-to-linalg,canonicalize,cse,"
    "lepton-fuse-elementwise,canonicalize,cse";

// Every output is copied into its caller-owned buffer, so unlike the usual
// recipe this pipeline does not run drop-equivalent-buffer-results (it would
// drop an output that aliases an input from the entry's signature).
std::string cpuLoweringPipeline(const VectorShape &vectors, bool profile, bool threads) {
  return "lepton-innermost-parallel-loop,lepton-prepare-entry-abi,lepton-split-empty-tensors,"
         "empty-tensor-to-alloc-tensor,"
         "one-shot-bufferize{bufferize-function-boundaries "
         "function-boundary-type-conversion=identity-layout-map},"
         "cse,buffer-results-to-out-params{hoist-static-allocs=true},canonicalize,cse,"
         "lepton-strided-copy-to-linalg,"
         "lepton-vectorize-contractions{vector-bits=" +
         std::to_string(vectors.bits) + " vector-registers=" + std::to_string(vectors.registers) +
         (vectors.int8Dot.empty() ? "" : " int8-dot=" + vectors.int8Dot) +
         (vectors.wordDot.empty() ? "" : " word-dot=" + vectors.wordDot) +
         " threads=" + (threads ? "true" : "false") +
         "},lepton-collapse-contiguous-loops{threads=" + (threads ? "true" : "false") +
         "},lepton-plan-workspace," +
         (threads ? "lepton-parallelize-loops," : "") +
         (profile ? "lepton-instrument-profile," : "") +
         "lepton-approximate-math,func.func(convert-linalg-to-loops),expand-strided-metadata,"
         "lower-affine,"
         "convert-scf-to-cf,convert-vector-to-llvm,finalize-memref-to-llvm,convert-math-to-llvm,"
         "convert-math-to-libm,convert-arith-to-llvm,"
         "convert-func-to-llvm{use-bare-ptr-memref-call-conv=1},convert-cf-to-llvm,"
         "reconcile-unrealized-casts";
}

VectorShape vectorShapeOf(const llvm::TargetMachine &machine) {
  // TargetTransformInfo answers per function: ask about an empty one.
  llvm::LLVMContext context;
  llvm::Module module("probe", context);
  auto *f = llvm::Function::Create(llvm::FunctionType::get(llvm::Type::getVoidTy(context), false),
                                   llvm::GlobalValue::ExternalLinkage, "probe", module);
  f->addFnAttr("target-cpu", machine.getTargetCPU());
  f->addFnAttr("target-features", machine.getTargetFeatureString());
  llvm::TargetTransformInfo tti = machine.getTargetTransformInfo(*f);
  unsigned vectorClass = tti.getRegisterClassForType(/*Vector=*/true);
  VectorShape shape;
  shape.bits = std::max<int64_t>(
      128, tti.getRegisterBitWidth(llvm::TargetTransformInfo::RGK_FixedWidthVector)
               .getFixedValue());
  shape.registers = std::max<unsigned>(8, tti.getNumberOfRegisters(vectorClass));
  // vpdpbusd on the kernels' register width: AVX512-VNNI (512 bits, or 256
  // with AVX512VL), else AVX-VNNI (256 bits).
  const llvm::MCSubtargetInfo *subtarget = machine.getMCSubtargetInfo();
  auto has = [&](const char *features) { return subtarget->checkFeatures(features); };
  if (shape.bits == 512 && has("+avx512vnni"))
    shape.int8Dot = "llvm.x86.avx512.vpdpbusd.512";
  else if (shape.bits == 256 && has("+avx512vnni,+avx512vl"))
    shape.int8Dot = "llvm.x86.avx512.vpdpbusd.256";
  else if (shape.bits == 256 && has("+avxvnni"))
    shape.int8Dot = "llvm.x86.avxvnni.vpdpbusd.256";
  // pmaddwd on 16-bit pairs (AVX512BW, AVX2): byte products without a byte
  // dot product, and products with a 16-bit operand.
  if (shape.bits == 512 && has("+avx512bw"))
    shape.wordDot = "llvm.x86.avx512.pmaddw.d.512";
  else if (shape.bits == 256 && has("+avx2"))
    shape.wordDot = "llvm.x86.avx2.pmadd.wd";
  return shape;
}

void registerPipelines() {
  auto add = [](const char *name, const char *summary, const char *pipeline) {
    mlir::PassPipelineRegistration<>(name, summary, [pipeline](mlir::OpPassManager &pm) {
      if (failed(mlir::parsePassPipeline(pipeline, pm)))
        llvm::report_fatal_error("invalid built-in pipeline");
    });
  };
  add("lepton-linalg-pipeline", "nn -> linalg on tensors (phase 'linalg')",
      kLinalgPipeline);
  static const std::string cpu =
      cpuLoweringPipeline(VectorShape(), /*profile=*/false, /*threads=*/false);
  add("lepton-cpu-pipeline", "linalg on tensors -> LLVM dialect (phase 'target', cpu)",
      cpu.c_str());
}

std::unique_ptr<llvm::TargetMachine> createTargetMachine(const CpuOptions &options,
                                                         std::string &error) {
  bool native = options.triple.empty();
  std::string triple = native ? llvm::sys::getDefaultTargetTriple()
                              : llvm::Triple::normalize(options.triple);
  const llvm::Target *target = llvm::TargetRegistry::lookupTarget(triple, error);
  if (!target)
    return nullptr;
  std::string cpu = options.cpu;
  std::string features = options.features;
  if (cpu.empty() || cpu == "native") {
    if (native || cpu == "native") {
      cpu = llvm::sys::getHostCPUName().str();
      if (features.empty()) {
        llvm::SubtargetFeatures f;
        for (auto &[name, enabled] : llvm::sys::getHostCPUFeatures())
          f.AddFeature(name, enabled);
        features = f.getString();
      }
    } else {
      cpu = "generic";
    }
  }
  llvm::TargetOptions targetOptions;
  auto level = options.optLevel == 0   ? llvm::CodeGenOptLevel::None
               : options.optLevel == 1 ? llvm::CodeGenOptLevel::Less
               : options.optLevel == 2 ? llvm::CodeGenOptLevel::Default
                                       : llvm::CodeGenOptLevel::Aggressive;
  std::unique_ptr<llvm::TargetMachine> machine(target->createTargetMachine(
      triple, cpu, features, targetOptions, llvm::Reloc::PIC_, std::nullopt, level));
  if (!machine)
    error = "cannot create a target machine for " + triple;
  else if (!machine->getMCSubtargetInfo()->isCPUStringValid(cpu))
    error = "unknown CPU '" + cpu + "' for " + triple;
  return error.empty() ? std::move(machine) : nullptr;
}

namespace {

/// LEPTON_ABI_VERSION of lepton/abi.h, which the descriptor records.
constexpr uint32_t kAbiVersion = 3;
/// lepton_target of lepton/abi.h.
constexpr uint32_t kTargetCPU = 1, kTargetCUDA = 2;

/// Builds the descriptor and entry point of the artifact ABI (lepton/abi.h)
/// directly in LLVM IR, where C struct layout is simplest to express.
class AbiEmitter {
public:
  AbiEmitter(llvm::Module &module, const ModelSignature &sig)
      : m(module), ctx(module.getContext()), sig(sig) {}

  bool emit(bool exportFixedDescriptor) {
    llvm::Function *impl = m.getFunction(sig.name);
    size_t params = sig.inputs.size() + sig.outputs.size() + 1;
    if (!impl || impl->arg_size() != params)
      return false;
    impl->setLinkage(llvm::GlobalValue::InternalLinkage);
    llvm::Function *entry = emitEntry(impl);
    llvm::GlobalVariable *desc = emitDescriptor(entry);
    if (!desc)
      return false;
    if (exportFixedDescriptor)
      llvm::GlobalAlias::create(llvm::GlobalValue::ExternalLinkage,
                                "lepton_model_descriptor", desc);
    if (!sig.profile.empty()) {
      llvm::GlobalVariable *profile = emitProfile();
      if (!profile)
        return false;
      if (exportFixedDescriptor)
        llvm::GlobalAlias::create(llvm::GlobalValue::ExternalLinkage, "lepton_model_profile",
                                  profile);
    }
    return true;
  }

private:
  llvm::Type *ptr() { return llvm::PointerType::get(ctx, 0); }
  llvm::Type *i32() { return llvm::Type::getInt32Ty(ctx); }
  llvm::Type *i64() { return llvm::Type::getInt64Ty(ctx); }

  // int32_t <name>_run(const void *const *inputs, void *const *outputs, void *ws,
  //                     int64_t batch)
  // A model with batched tensors runs its one-entry code for each of the
  // `batch` entries, stepping those tensors' pointers by one entry.
  llvm::Function *emitEntry(llvm::Function *impl) {
    auto *type = llvm::FunctionType::get(i32(), {ptr(), ptr(), ptr(), i64()}, false);
    auto *entry = llvm::Function::Create(type, llvm::GlobalValue::ExternalLinkage,
                                         sig.name + "_run", m);
    llvm::IRBuilder<> b(llvm::BasicBlock::Create(ctx, "entry", entry));
    bool batched = llvm::any_of(sig.inputs, [](const auto &t) { return t.batched; }) ||
                   llvm::any_of(sig.outputs, [](const auto &t) { return t.batched; });
    llvm::SmallVector<llvm::Value *> pointers;
    auto loadAll = [&](llvm::Value *array, size_t count) {
      for (size_t i = 0; i < count; ++i)
        pointers.push_back(b.CreateLoad(ptr(), b.CreateConstGEP1_64(ptr(), array, i)));
    };
    loadAll(entry->getArg(0), sig.inputs.size());
    loadAll(entry->getArg(1), sig.outputs.size());
    auto callAt = [&](llvm::Value *index) {
      llvm::SmallVector<llvm::Value *> args;
      auto tensors = llvm::concat<const TensorSignature>(sig.inputs, sig.outputs);
      for (auto [t, p] : llvm::zip(tensors, pointers))
        args.push_back(t.batched ? b.CreateGEP(b.getInt8Ty(), p,
                                               b.CreateMul(index, b.getInt64(t.entryBytes)))
                                 : p);
      args.push_back(entry->getArg(2));
      b.CreateCall(impl, args);
    };
    if (!batched) {
      callAt(b.getInt64(0));
      b.CreateRet(b.getInt32(0));
      return entry;
    }
    llvm::BasicBlock *head = b.GetInsertBlock();
    auto *loop = llvm::BasicBlock::Create(ctx, "entries", entry);
    auto *done = llvm::BasicBlock::Create(ctx, "done", entry);
    b.CreateCondBr(b.CreateICmpSGT(entry->getArg(3), b.getInt64(0)), loop, done);
    b.SetInsertPoint(loop);
    llvm::PHINode *index = b.CreatePHI(i64(), 2);
    index->addIncoming(b.getInt64(0), head);
    callAt(index);
    llvm::Value *next = b.CreateAdd(index, b.getInt64(1));
    index->addIncoming(next, loop);
    b.CreateCondBr(b.CreateICmpSLT(next, entry->getArg(3)), loop, done);
    b.SetInsertPoint(done);
    b.CreateRet(b.getInt32(0));
    return entry;
  }

  llvm::Constant *string(const std::string &s) {
    return llvm::IRBuilder<>(ctx).CreateGlobalString(s, "", 0, &m);
  }

  llvm::Constant *tensorArray(const std::vector<TensorSignature> &tensors,
                              const char *role) {
    auto *descType = llvm::StructType::get(ctx, {ptr(), i32(), i32(), ptr()});
    std::vector<llvm::Constant *> entries;
    for (auto [i, t] : llvm::enumerate(tensors)) {
      auto *shapeInit = llvm::ConstantDataArray::get(
          ctx, llvm::ArrayRef<uint64_t>(reinterpret_cast<const uint64_t *>(t.shape.data()),
                                        t.shape.size()));
      auto *shape = new llvm::GlobalVariable(
          m, shapeInit->getType(), true, llvm::GlobalValue::PrivateLinkage, shapeInit,
          sig.name + "_" + role + std::to_string(i) + "_shape");
      entries.push_back(llvm::ConstantStruct::get(
          descType, {string(t.name), llvm::ConstantInt::get(i32(), t.dtype),
                     llvm::ConstantInt::get(i32(), t.shape.size()), shape}));
    }
    return privateArray(descType, entries, llvm::Twine("_") + role + "s");
  }

  llvm::Constant *privateArray(llvm::Type *element, llvm::ArrayRef<llvm::Constant *> entries,
                               const llvm::Twine &suffix) {
    if (entries.empty())
      return llvm::ConstantPointerNull::get(llvm::PointerType::get(ctx, 0));
    auto *type = llvm::ArrayType::get(element, entries.size());
    return new llvm::GlobalVariable(m, type, true, llvm::GlobalValue::PrivateLinkage,
                                    llvm::ConstantArray::get(type, entries), sig.name + suffix);
  }

  // struct lepton_cuda_image, or NULL for a CPU model.
  llvm::Constant *cudaImage() {
    if (!sig.cuda)
      return llvm::ConstantPointerNull::get(llvm::PointerType::get(ctx, 0));
    const CudaImage &image = *sig.cuda;
    // Oldest architecture first, by number (sm_100 after sm_90).
    std::vector<std::pair<unsigned, const std::string *>> archs;
    for (const auto &[arch, text] : image.ptx) {
      unsigned version = 0;
      llvm::StringRef(arch).drop_front(3).getAsInteger(10, version);
      archs.push_back({version, &arch});
    }
    llvm::sort(archs);
    auto *ptxType = llvm::StructType::get(ctx, {ptr(), ptr()});
    std::vector<llvm::Constant *> ptx, kernels, weights;
    for (auto [version, arch] : archs)
      ptx.push_back(llvm::ConstantStruct::get(ptxType, {string(*arch), string(image.ptx.at(*arch))}));
    for (const std::string &kernel : image.kernels)
      kernels.push_back(string(kernel));
    auto *weightType = llvm::StructType::get(ctx, {ptr(), i64(), i64()});
    for (const CudaImage::Weight &weight : image.weights) {
      llvm::GlobalVariable *global = m.getNamedGlobal(weight.global);
      if (!global)
        return nullptr;
      weights.push_back(llvm::ConstantStruct::get(
          weightType, {global, llvm::ConstantInt::get(i64(), weight.offset),
                       llvm::ConstantInt::get(i64(), weight.bytes)}));
    }
    auto *type = llvm::StructType::get(ctx, {i32(), ptr(), i32(), ptr(), i32(), ptr()});
    auto *init = llvm::ConstantStruct::get(
        type, {llvm::ConstantInt::get(i32(), ptx.size()), privateArray(ptxType, ptx, "_ptx"),
               llvm::ConstantInt::get(i32(), kernels.size()),
               privateArray(ptr(), kernels, "_kernels"),
               llvm::ConstantInt::get(i32(), weights.size()),
               privateArray(weightType, weights, "_weights")});
    return new llvm::GlobalVariable(m, type, true, llvm::GlobalValue::PrivateLinkage, init,
                                    sig.name + "_cuda");
  }

  llvm::GlobalVariable *emitDescriptor(llvm::Function *entry) {
    llvm::Constant *cuda = cudaImage();
    if (!cuda)
      return nullptr;
    auto *type = llvm::StructType::get(
        ctx, {i32(), i32(), ptr(), i32(), i32(), ptr(), ptr(), i64(), i64(), ptr(), ptr()});
    auto *init = llvm::ConstantStruct::get(
        type, {llvm::ConstantInt::get(i32(), kAbiVersion),
               llvm::ConstantInt::get(i32(), sig.cuda ? kTargetCUDA : kTargetCPU),
               string(sig.name), llvm::ConstantInt::get(i32(), sig.inputs.size()),
               llvm::ConstantInt::get(i32(), sig.outputs.size()),
               tensorArray(sig.inputs, "input"), tensorArray(sig.outputs, "output"),
               llvm::ConstantInt::get(i64(), sig.workspaceBytes),
               llvm::ConstantInt::get(i64(), sig.workspaceAlign), entry, cuda});
    return new llvm::GlobalVariable(m, type, true, llvm::GlobalValue::ExternalLinkage,
                                    init, sig.name + "_descriptor");
  }

  // struct lepton_profile over the counters lepton-instrument-profile added.
  llvm::GlobalVariable *emitProfile() {
    llvm::GlobalVariable *counters = m.getNamedGlobal("lepton_profile_ns");
    if (!counters)
      return nullptr;
    auto strings = [&](auto field, const char *suffix) {
      std::vector<llvm::Constant *> entries;
      for (const auto &slot : sig.profile)
        entries.push_back(string(slot.*field));
      auto *type = llvm::ArrayType::get(ptr(), entries.size());
      return new llvm::GlobalVariable(m, type, true, llvm::GlobalValue::PrivateLinkage,
                                      llvm::ConstantArray::get(type, entries),
                                      sig.name + suffix);
    };
    using Slot = std::pair<std::string, std::string>;
    auto *type = llvm::StructType::get(ctx, {i32(), ptr(), ptr(), ptr()});
    auto *init = llvm::ConstantStruct::get(
        type, {llvm::ConstantInt::get(i32(), sig.profile.size()),
               strings(&Slot::first, "_profile_nodes"), strings(&Slot::second, "_profile_kinds"),
               counters});
    return new llvm::GlobalVariable(m, type, false, llvm::GlobalValue::ExternalLinkage, init,
                                    sig.name + "_profile");
  }

  llvm::Module &m;
  llvm::LLVMContext &ctx;
  const ModelSignature &sig;
};

/// Defines each `<kernel>_parallel(i64 tasks, captured...)` that
/// codegen/cpu/ParallelOutline.cpp declared: it packs the captured values
/// (bare pointers and scalars) into a context and has lepton_parallel_for
/// (lepton/abi.h) call `<kernel>_task(ctx, begin, end)`, which unpacks them
/// for `<kernel>_body(begin, end, captured...)`.
void defineParallelKernels(llvm::Module &m) {
  llvm::LLVMContext &ctx = m.getContext();
  auto *ptr = llvm::PointerType::get(ctx, 0);
  auto *i64 = llvm::Type::getInt64Ty(ctx);
  auto *voidType = llvm::Type::getVoidTy(ctx);
  llvm::SmallVector<std::pair<llvm::Function *, llvm::Function *>> kernels;
  for (llvm::Function &f : m)
    if (f.isDeclaration() && f.getName().ends_with("_parallel"))
      if (llvm::Function *body = m.getFunction(
              (f.getName().drop_back(strlen("_parallel")) + "_body").str()))
        kernels.push_back({&f, body});
  if (kernels.empty())
    return;
  llvm::FunctionCallee parallelFor = m.getOrInsertFunction(
      "lepton_parallel_for", llvm::FunctionType::get(voidType, {i64, ptr, ptr}, false));
  for (auto [parallel, body] : kernels) {
    unsigned operands = parallel->arg_size() - 1;
    auto *contextType = llvm::StructType::get(
        ctx, llvm::ArrayRef(parallel->getFunctionType()->param_begin() + 1,
                            parallel->getFunctionType()->param_end()));
    auto *task = llvm::Function::Create(
        llvm::FunctionType::get(voidType, {ptr, i64, i64}, false),
        llvm::GlobalValue::InternalLinkage,
        body->getName().drop_back(strlen("_body")) + "_task", m);
    llvm::IRBuilder<> b(llvm::BasicBlock::Create(ctx, "entry", task));
    llvm::SmallVector<llvm::Value *> args = {task->getArg(1), task->getArg(2)};
    for (unsigned i = 0; i < operands; ++i)
      args.push_back(b.CreateLoad(contextType->getElementType(i),
                                  b.CreateStructGEP(contextType, task->getArg(0), i)));
    b.CreateCall(body, args);
    b.CreateRetVoid();

    parallel->setLinkage(llvm::GlobalValue::InternalLinkage);
    b.SetInsertPoint(llvm::BasicBlock::Create(ctx, "entry", parallel));
    llvm::Value *context = b.CreateAlloca(contextType);
    for (unsigned i = 0; i < operands; ++i)
      b.CreateStore(parallel->getArg(i + 1), b.CreateStructGEP(contextType, context, i));
    b.CreateCall(parallelFor, {parallel->getArg(0), task, context});
    b.CreateRetVoid();
    body->setLinkage(llvm::GlobalValue::InternalLinkage);
  }
}

/// A weight held as a blob, whose LLVM initializer is made from its bytes.
struct BlobGlobal {
  std::string name;
  llvm::ArrayRef<char> bytes;
  mlir::Type element;
  mlir::LLVM::Linkage linkage;
};

/// Takes the blob initializers off the module's globals: MLIR's translation
/// builds an LLVM constant per element, seconds for a model's weights, where
/// ConstantDataArray::getRaw takes the bytes as they are.
std::vector<BlobGlobal> detachBlobInitializers(mlir::ModuleOp module) {
  std::vector<BlobGlobal> blobs;
  module.walk([&](mlir::LLVM::GlobalOp global) {
    auto resource = llvm::dyn_cast_or_null<mlir::DenseResourceElementsAttr>(
        global.getValueOrNull());
    if (!resource || !resource.getRawHandle().getBlob())
      return;
    mlir::Type element = resource.getType().getElementType();
    if (!element.isIntOrFloat() || element.getIntOrFloatBitWidth() % 8 != 0)
      return;
    blobs.push_back({global.getSymName().str(), resource.getRawHandle().getBlob()->getData(),
                     element, global.getLinkage()});
    global.removeValueAttr();
    global.setLinkage(mlir::LLVM::Linkage::External); // a declaration until attached
  });
  return blobs;
}

llvm::Type *llvmElementType(mlir::Type element, llvm::LLVMContext &ctx) {
  if (element.isF32())
    return llvm::Type::getFloatTy(ctx);
  if (element.isF64())
    return llvm::Type::getDoubleTy(ctx);
  if (element.isF16())
    return llvm::Type::getHalfTy(ctx);
  if (element.isBF16())
    return llvm::Type::getBFloatTy(ctx);
  return llvm::Type::getIntNTy(ctx, element.getIntOrFloatBitWidth());
}

/// Gives each detached global its initializer back, as one flat array; or,
/// with `placed`, a zero initializer, the bytes going to `placed` instead.
/// Placed weights are writable to the optimizer (a zero-filled constant would
/// fold to zeros) and hidden with external linkage, so nothing assumes their
/// contents and the library's code reaches them PC-relative.
void attachBlobInitializers(llvm::Module &m, const std::vector<BlobGlobal> &blobs,
                            std::vector<WeightBlob> *placed) {
  for (const BlobGlobal &blob : blobs) {
    llvm::GlobalVariable *old = m.getNamedGlobal(blob.name);
    if (!old)
      continue;
    llvm::Type *element = llvmElementType(blob.element, m.getContext());
    uint64_t count = blob.bytes.size() / (blob.element.getIntOrFloatBitWidth() / 8);
    llvm::Constant *init =
        placed ? llvm::ConstantAggregateZero::get(llvm::ArrayType::get(element, count))
               : llvm::ConstantDataArray::getRaw(
                     llvm::StringRef(blob.bytes.data(), blob.bytes.size()), count, element);
    bool internal = !placed && (blob.linkage == mlir::LLVM::Linkage::Private ||
                                blob.linkage == mlir::LLVM::Linkage::Internal);
    auto *global = new llvm::GlobalVariable(
        m, init->getType(), !placed && old->isConstant(),
        internal ? llvm::GlobalValue::InternalLinkage : llvm::GlobalValue::ExternalLinkage, init);
    global->setAlignment(old->getAlign());
    global->takeName(old);
    if (placed) {
      global->setVisibility(llvm::GlobalValue::HiddenVisibility);
      global->setDSOLocal(true);
      placed->push_back({global->getName().str(), blob.bytes});
    }
    old->replaceAllUsesWith(global);
    old->eraseFromParent();
  }
}

} // namespace

std::unique_ptr<llvm::Module> translateToLLVMIR(mlir::ModuleOp module,
                                                llvm::LLVMContext &context,
                                                const ModelSignature &signature,
                                                llvm::TargetMachine &machine,
                                                bool exportFixedDescriptor,
                                                std::vector<WeightBlob> *placedWeights) {
  mlir::registerBuiltinDialectTranslation(*module->getContext());
  mlir::registerLLVMDialectTranslation(*module->getContext());
  std::vector<BlobGlobal> blobs = detachBlobInitializers(module);
  std::unique_ptr<llvm::Module> llvmModule =
      mlir::translateModuleToLLVMIR(module, context, signature.name);
  if (!llvmModule)
    return nullptr;
  attachBlobInitializers(*llvmModule, blobs, placedWeights);
  llvmModule->setTargetTriple(machine.getTargetTriple().str());
  llvmModule->setDataLayout(machine.createDataLayout());
  defineParallelKernels(*llvmModule);
  if (!AbiEmitter(*llvmModule, signature).emit(exportFixedDescriptor)) {
    mlir::emitError(module.getLoc()) << "internal error: the lowered model function '"
                                     << signature.name << "' has an unexpected signature";
    return nullptr;
  }
  // Record the CPU in the IR too, so --emit=llvm output is self-describing.
  for (llvm::Function &f : *llvmModule)
    if (!f.isDeclaration()) {
      f.addFnAttr("target-cpu", machine.getTargetCPU());
      if (!machine.getTargetFeatureString().empty())
        f.addFnAttr("target-features", machine.getTargetFeatureString());
    }
  return llvmModule;
}

void optimize(llvm::Module &module, llvm::TargetMachine &machine, unsigned optLevel) {
  llvm::LoopAnalysisManager lam;
  llvm::FunctionAnalysisManager fam;
  llvm::CGSCCAnalysisManager cgam;
  llvm::ModuleAnalysisManager mam;
  llvm::PipelineTuningOptions tuning;
  tuning.LoopVectorization = optLevel >= 2;
  tuning.SLPVectorization = optLevel >= 2;
  llvm::PassBuilder pb(&machine, tuning);
  pb.registerModuleAnalyses(mam);
  pb.registerCGSCCAnalyses(cgam);
  pb.registerFunctionAnalyses(fam);
  pb.registerLoopAnalyses(lam);
  pb.crossRegisterProxies(lam, fam, cgam, mam);
  llvm::OptimizationLevel level = optLevel == 0   ? llvm::OptimizationLevel::O0
                                  : optLevel == 1 ? llvm::OptimizationLevel::O1
                                  : optLevel == 2 ? llvm::OptimizationLevel::O2
                                                  : llvm::OptimizationLevel::O3;
  llvm::ModulePassManager mpm = optLevel == 0
                                    ? pb.buildO0DefaultPipeline(level)
                                    : pb.buildPerModuleDefaultPipeline(level);
  mpm.run(module, mam);
}

bool emitObject(llvm::Module &module, llvm::TargetMachine &machine,
                llvm::SmallVectorImpl<char> &out, std::string &error) {
  llvm::raw_svector_ostream os(out);
  llvm::legacy::PassManager pm;
  if (machine.addPassesToEmitFile(pm, os, nullptr, llvm::CodeGenFileType::ObjectFile)) {
    error = "the target cannot emit object files";
    return false;
  }
  pm.run(module);
  return true;
}

bool linkSharedLibrary(llvm::ArrayRef<char> object, llvm::ArrayRef<WeightBlob> weights,
                       llvm::StringRef outputPath, std::string &error) {
  llvm::SmallString<128> objectPath;
  int fd;
  if (llvm::sys::fs::createTemporaryFile("lepton", "o", fd, objectPath)) {
    error = "cannot create a temporary object file";
    return false;
  }
  llvm::FileRemover removeObject(objectPath);
  {
    llvm::raw_fd_ostream os(fd, /*shouldClose=*/true);
    os.write(object.data(), object.size());
  }
  std::string objectFile = objectPath.str().str(), output = outputPath.str();
  const char *args[] = {"ld.lld", "-shared", "--build-id=none", "-o",
                        output.c_str(), objectFile.c_str()};
  std::string messages;
  llvm::raw_string_ostream os(messages);
  lld::Result result = lld::lldMain(args, os, os, {{lld::Gnu, &lld::elf::link}});
  if (result.retCode != 0) {
    error = "linking the shared library failed: " + messages;
    return false;
  }
  return placeWeights(outputPath, weights, error);
}

} // namespace lepton::cpu
