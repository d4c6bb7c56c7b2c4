//===- HLSEstimate.cpp - latency and resources without the vendor tool ----===//
#include "codegen/hls/HLSEstimate.h"
#include "codegen/hls/LoopNests.h"

#include "llvm/Support/MathExtras.h"
#include "dialects/hls/HLSDialect.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Interfaces/ViewLikeInterface.h"
#include "llvm/ADT/MapVector.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/raw_ostream.h"

#include <cmath>
#include <map>

using namespace mlir;

namespace lepton::hls {

namespace {

const FpgaPart kParts[] = {
    {"xczu9eg-ffvb1156-2-e", "zynquplus", "xilinx.com:zcu102:part0:3.4", 2520, 274080, 548160, 1824},
    {"xczu7ev-ffvc1156-2-e", "zynquplus", "xilinx.com:zcu106:part0:2.6", 1728, 230400, 460800, 624},
    {"xczu3eg-sbva484-1-e", "zynquplus", "", 360, 70560, 141120, 432},
    {"xc7z020clg400-1", "zynq", "", 220, 53200, 106400, 280},
    {"xcu250-figd2104-2L-e", "alveo", "xilinx.com:au250:part0:1.3", 12288, 1728000, 3456000, 5376},
    {"xcvu9p-flga2104-2L-e", "virtexuplus", "", 6840, 1182240, 2364480, 4320},
};

/// The HLS tool's limit on the iterations it unrolls in one loop nest (the
/// limit hls4ml enforces for its io_parallel layers as well).
constexpr int64_t kUnrollLimit = 4096;

/// Bits of the two's complement form of `v`.
unsigned signedBits(const llvm::APInt &v) { return v.getSignificantBits(); }

/// What the estimator knows of a constant global: the share of its
/// elements that are not zero.
struct ConstantStats {
  double nonzero = 1;
};

class Estimator {
public:
  Estimator(ModuleOp module, const HLSOptions &options, const FpgaPart &part)
      : module(module), options(options), part(part), parallel(options.io == "parallel") {}

  FailureOr<DesignEstimate> run(func::FuncOp func) {
    DesignEstimate design;
    design.part = &part;
    design.clockNs = options.clockNs;
    llvm::MapVector<std::string, LayerEstimate, std::map<std::string, unsigned>> layers;
    bool ok = true;
    int64_t slowest = 1;
    // Parallel: when each buffer's last element is ready (ns), for the
    // schedule of the whole function.
    llvm::DenseMap<Value, double> bufferReady;
    double finish = 0;
    llvm::DenseMap<Operation *, int64_t> nestLatency;
    for (Operation &step : func.getBody().front()) {
      if (!isStep(&step))
        continue;
      auto root = dyn_cast<affine::AffineForOp>(step);
      FailureOr<LoopNest> nest = root ? analyzeNest(root) : FailureOr<LoopNest>(LoopNest());
      if (failed(nest))
        return failure();
      LayerEstimate estimate = root ? estimateNest(*nest, bufferReady, finish)
                                    : estimateStep(&step, bufferReady, finish);
      if (estimate.multipliers > kUnrollLimit) {
        int64_t needed = llvm::divideCeil(estimate.multiplies, kUnrollLimit);
        step.emitError() << "unsupported on the HLS target: " << estimate.multipliers
                         << " multipliers in one loop nest with --io=" << options.io
                         << " and reuse factor " << options.reuseFactor
                         << "; the HLS tool unrolls at most " << kUnrollLimit
                         << ": use --reuse-factor=" << std::max(needed, 2 * options.reuseFactor)
                         << (parallel ? " or --io=stream" : "");
        ok = false;
      }
      nestLatency[&step] = estimate.latency;
      LayerEstimate &layer = layers[estimate.layer];
      layer.layer = estimate.layer;
      layer.multiplies += estimate.multiplies;
      layer.multipliers += estimate.multipliers;
      layer.latency += estimate.latency;
      layer.interval = std::max(layer.interval, estimate.interval);
      layer.resources += estimate.resources;
    }
    if (!ok)
      return failure();
    LayerEstimate buffers = estimateBuffers(func);
    if (!parallel) {
      // A process runs its FIFO reads, its nests and its FIFO writes one
      // after the other (each copy a pipelined loop: n + 1 cycles); the
      // dataflow starts an inference when its slowest process is free.
      // Latency adds the processes up, which overstates it where a
      // consumer reads a FIFO while its producer writes it.
      DataflowGraph graph = dataflowGraph(func);
      auto elements = [](Value buffer) {
        return cast<MemRefType>(buffer.getType()).getNumElements();
      };
      for (const DataflowProcess &process : graph.processes) {
        int64_t cycles = 0;
        for (Operation *step : process.steps)
          cycles += nestLatency.lookup(step);
        int64_t copies = 0;
        for (size_t c : process.inputs)
          copies += elements(graph.channels[c].buffer) + 1;
        llvm::SmallPtrSet<Value, 4> written;
        for (size_t c : process.outputs)
          if (written.insert(graph.channels[c].buffer).second)
            copies += elements(graph.channels[c].buffer) + 1;
        for (Value port : process.outputPorts)
          if (written.insert(port).second)
            copies += elements(port) + 1;
        LayerEstimate &layer = layers[process.layer];
        layer.layer = process.layer;
        layer.latency += copies;
        layer.interval = std::max(layer.interval, cycles + copies);
        slowest = std::max(slowest, cycles + copies);
        design.latency += cycles + copies;
        // The process's own copies of the buffers it touches.
        for (Value buffer : process.buffers)
          if (!llvm::is_contained(process.inputPorts, buffer) && buffer != process.portReader &&
              !isa<BlockArgument>(buffer))
            accountBuffer(buffers, cast<MemRefType>(buffer.getType()),
                          buffer.getDefiningOp()->getAttr(kPartition), false);
      }
      for (const DataflowChannel &channel : graph.channels)
        accountFifo(buffers, channel);
    }
    for (auto &[name, layer] : layers) {
      design.resources += layer.resources;
      design.layers.push_back(layer);
    }
    design.layers.push_back(buffers);
    design.resources += buffers.resources;
    // A parallel design is one pipeline: Vitis schedules the completely
    // unrolled function as a whole, so its depth is the chained critical
    // path through the layers, not the sum of each layer's cycles.
    if (parallel) {
      design.latency = std::max<int64_t>(1, int64_t(std::ceil(finish / options.clockNs - 1e-9))) +
                       options.reuseFactor - 1;
      for (auto &[root, latency] : nestLatency)
        slowest = std::max(slowest, latency);
    }
    // The ports' input and output registers.
    design.latency += 2;
    design.interval = parallel ? options.reuseFactor : slowest;
    const Resources &r = design.resources;
    if (r.dsp > part.dsp || r.lut > part.lut || r.ff > part.ff || r.bram18k > part.bram18k) {
      InFlightDiagnostic error = emitError(func.getLoc())
          << "unsupported on the HLS target: the design needs an estimated " << r.dsp
          << " DSP, " << r.lut << " LUT, " << r.ff << " FF and " << r.bram18k
          << " BRAM_18K, more than part " << part.name << " has (" << part.dsp << ", "
          << part.lut << ", " << part.ff << ", " << part.bram18k << "): ";
      // A larger reuse factor shares operators and splits buffers into
      // fewer banks; the BRAM that whole tensors fill stays.
      if (buffers.resources.bram18k > part.bram18k) {
        error << "its buffers alone (whole tensors on chip) fill " << buffers.resources.bram18k
              << " BRAM_18K; use a larger --fpga-part or smaller inputs";
        return failure();
      }
      double over = std::max({double(r.dsp) / part.dsp, double(r.lut) / part.lut,
                              double(r.ff) / part.ff, double(r.bram18k) / part.bram18k});
      error << "use --reuse-factor=" << int64_t(std::ceil(over * options.reuseFactor))
            << (parallel ? ", --io=stream" : "") << " or a larger --fpga-part";
      return failure();
    }
    return design;
  }

private:
  /// How many cycles a nest's work is spread over: the function's II in the
  /// parallel style, the pipelined loop's iterations in the stream style.
  int64_t stepsOf(const LoopNest &nest, size_t &pipelined) {
    pipelined = nest.loops.size();
    if (parallel)
      return options.reuseFactor;
    int64_t steps = 1;
    for (size_t i = 0; i < nest.loops.size(); ++i) {
      steps *= nest.trips[i];
      if (nest.loops[i]->hasAttr(kPipeline)) {
        pipelined = i;
        if (auto factor = nest.loops[i]->getAttrOfType<IntegerAttr>(kUnroll))
          steps /= factor.getInt();
        break;
      }
    }
    return steps;
  }

  const ConstantStats *constantOf(Value memref) {
    auto get = rootBuffer(memref).getDefiningOp<memref::GetGlobalOp>();
    if (!get)
      return nullptr;
    auto global = module.lookupSymbol<memref::GlobalOp>(get.getNameAttr());
    if (!global || !global.getConstant())
      return nullptr;
    auto [it, inserted] = constants.try_emplace(global.getOperation());
    if (inserted) {
      ConstantStats &stats = it->second;
      bool integer = global.getType().getElementType().isInteger();
      int64_t zeros = 0, count = global.getType().getNumElements();
      forEachElementBits(global.getInitialValueAttr(), count, [&](const llvm::APInt &bits) {
        // Float zeros are +0 and -0: all bits but the sign clear.
        zeros += integer ? bits.isZero() : (bits.getLoBits(bits.getBitWidth() - 1).isZero());
      });
      stats.nonzero = count ? double(count - zeros) / count : 1;
    }
    return &it->second;
  }

  const ConstantStats *loadedConstant(Value value) {
    if (auto load = value.getDefiningOp<affine::AffineLoadOp>())
      return constantOf(load.getMemRef());
    if (auto load = value.getDefiningOp<memref::LoadOp>())
      return constantOf(load.getMemRef());
    return nullptr;
  }

  /// The bits a value really needs: extensions and constants say less than
  /// their type. An element of a constant array has its declared width
  /// whatever its value: Vitis HLS binds operators by declared widths (an
  /// hls4ml ap_fixed<16,6> design takes a DSP per multiplication, however
  /// small its weights are).
  unsigned effectiveBits(Value value) {
    if (auto ext = value.getDefiningOp<arith::ExtSIOp>())
      return effectiveBits(ext.getIn());
    if (auto ext = value.getDefiningOp<arith::ExtUIOp>())
      return ext.getIn().getType().getIntOrFloatBitWidth() + 1;
    if (auto constant = value.getDefiningOp<arith::ConstantIntOp>())
      return signedBits(llvm::APInt(64, constant.value()));
    Type type = value.getType();
    return type.isIntOrFloat() ? type.getIntOrFloatBitWidth() : 32;
  }

  /// Whether `v` is a constant power of two (a product with it is a shift).
  static bool isPowerOfTwo(Value v) {
    while (auto cast = v.getDefiningOp<CastOpInterface>())
      v = cast->getOperand(0);
    auto constant = v.getDefiningOp<arith::ConstantIntOp>();
    return constant && constant.value() > 0 && llvm::isPowerOf2_64(uint64_t(constant.value()));
  }

  /// Whether each lane of an operation sees one fixed value here: a
  /// constant, or (in the parallel style, where every multiply is its own
  /// lane) an element of a constant array.
  bool isFixedFactor(Value v) {
    while (auto cast = v.getDefiningOp<CastOpInterface>())
      v = cast->getOperand(0);
    return v.getDefiningOp<arith::ConstantOp>() || (parallel && loadedConstant(v));
  }

  double nonzeroShare(Operation *multiply) {
    double share = 1;
    for (Value operand : multiply->getOperands()) {
      Value v = operand;
      while (auto ext = v.getDefiningOp<CastOpInterface>())
        v = ext->getOperand(0);
      if (const ConstantStats *stats = loadedConstant(v))
        share = std::min(share, stats->nonzero);
    }
    return share;
  }

  /// The cost of one instance of `op` (a lane), and its delay: combinational
  /// nanoseconds, or whole cycles for the multi-cycle operators.
  struct OpCost {
    Resources resources;
    double ns = 0;
    int64_t cycles = 0;
  };

  OpCost costOf(Operation *op) {
    OpCost c;
    auto width = [&](Value v) -> int64_t {
      Type t = v.getType();
      return t.isIntOrFloat() ? t.getIntOrFloatBitWidth() : 32;
    };
    if (isa<arith::MulIOp, arith::MulSIExtendedOp>(op) &&
        (isPowerOfTwo(op->getOperand(0)) || isPowerOfTwo(op->getOperand(1)))) {
      // Wiring.
    } else if (isa<arith::MulIOp, arith::MulSIExtendedOp>(op)) {
      int64_t a = effectiveBits(op->getOperand(0)), b = effectiveBits(op->getOperand(1));
      // A lane whose other factor is one fixed number (a constant, or a
      // weight when every lane has its own) multiplies by shifts and adds:
      // about one adder per three bits of the constant.
      int constantSide = isFixedFactor(op->getOperand(1)) ? 1 : isFixedFactor(op->getOperand(0)) ? 0 : -1;
      if (constantSide >= 0 && (constantSide ? b : a) <= 10) {
        int64_t variable = constantSide ? a : b, fixed = constantSide ? b : a;
        c.resources.lut = (variable + fixed) * llvm::divideCeil(fixed, 3);
        c.ns = 0.6 + 0.2 * llvm::divideCeil(fixed, 3);
      } else if (std::max(a, b) <= 10) {
        // Narrow products go to LUTs.
        c.resources.lut = a * b;
        c.ns = 2.5;
      } else {
        // DSP48E2 slices (27 x 18 bits), cascaded for wider products: one
        // cycle for a single slice, one more per cascade step.
        c.resources.dsp = std::min(llvm::divideCeil(a, 27) * llvm::divideCeil(b, 18), llvm::divideCeil(b, 27) * llvm::divideCeil(a, 18));
        c.cycles = c.resources.dsp == 1 ? 1 : c.resources.dsp <= 2 ? 2 : 3;
      }
      c.resources.ff = a + b;
    } else if (isa<arith::MulFOp>(op)) {
      c.resources = {3, 130, 150, 0};
      c.cycles = 3;
    } else if (isa<arith::AddFOp, arith::SubFOp>(op)) {
      c.resources = {2, 220, 300, 0};
      c.cycles = 4;
    } else if (isa<arith::DivFOp>(op)) {
      c.resources = {0, 800, 1400, 0};
      c.cycles = 10;
    } else if (isa<math::ExpOp, math::LogOp, math::TanhOp, math::ErfOp, math::PowFOp,
                   math::SqrtOp, math::RsqrtOp, math::SinOp, math::CosOp, math::TanOp,
                   math::SinhOp, math::CoshOp, math::AsinOp, math::AcosOp, math::AtanOp,
                   math::AsinhOp, math::AcoshOp, math::AtanhOp>(op)) {
      c.resources = {7, 1500, 1800, 0};
      c.cycles = 12;
    } else if (isa<arith::SIToFPOp, arith::UIToFPOp, arith::FPToSIOp, arith::FPToUIOp,
                   math::RoundEvenOp, math::FloorOp, math::CeilOp, arith::MaximumFOp,
                   arith::MinimumFOp, arith::CmpFOp>(op)) {
      c.resources = {0, 150, 100, 0};
      c.cycles = 2;
    } else if (isa<arith::DivSIOp, arith::DivUIOp, arith::RemSIOp, arith::RemUIOp,
                   arith::FloorDivSIOp, arith::CeilDivSIOp>(op)) {
      // A pipelined radix-2 divider: a subtractor per quotient bit.
      int64_t w = width(op->getResult(0));
      c.resources.lut = w * w;
      c.resources.ff = w * w;
      c.cycles = w + 3;
    } else if (isa<arith::AddIOp, arith::SubIOp, arith::CmpIOp, arith::MaxSIOp, arith::MinSIOp,
                   arith::MaxUIOp, arith::MinUIOp, arith::SelectOp, arith::AndIOp, arith::OrIOp,
                   arith::XOrIOp>(op)) {
      int64_t w = width(op->getResult(0));
      if (isa<arith::CmpIOp>(op))
        w = width(op->getOperand(0));
      c.resources.lut = w;
      c.resources.ff = width(op->getResult(0));
      c.ns = 0.6 + 0.03 * w;
    }
    // Extensions, truncations, shifts by constants and index arithmetic are
    // wiring.
    return c;
  }

  /// A step outside the loop-nest model (an scf loop or branch, a store at
  /// the top level): one operator per operation, run one after the other
  /// (each at least a cycle), every execution counted. It starts after the
  /// buffers it reads, in the parallel style's schedule.
  LayerEstimate estimateStep(Operation *step, llvm::DenseMap<Value, double> &bufferReady,
                             double &finish) {
    LayerEstimate estimate;
    estimate.layer = nodeName(step->getLoc());
    if (estimate.layer.empty())
      estimate.layer = "(model)";
    double begin = 0;
    step->walk([&](Operation *op) {
      if (std::optional<MemoryAccess> access = memoryAccess(op); access && !access->store)
        begin = std::max(begin, bufferReady.lookup(rootBuffer(access->memref)));
      if (op->getNumRegions() > 0 || op->hasTrait<OpTrait::IsTerminator>())
        return;
      OpCost cost = costOf(op);
      int64_t count = executions(op);
      if (isa<arith::MulIOp, arith::MulSIExtendedOp, arith::MulFOp>(op)) {
        estimate.multiplies += count;
        estimate.multipliers += 1;
      }
      estimate.resources += cost.resources;
      bool timed = cost.cycles || cost.ns > 0 || isa<memref::LoadOp, memref::StoreOp,
                                                     affine::AffineLoadOp, affine::AffineStoreOp>(op);
      estimate.latency += timed ? count * std::max<int64_t>(1, cost.cycles) : 0;
    });
    estimate.latency = std::max<int64_t>(1, estimate.latency);
    estimate.interval = estimate.latency;
    double end = begin + estimate.latency * options.clockNs;
    step->walk([&](Operation *op) {
      if (std::optional<MemoryAccess> access = memoryAccess(op); access && access->store) {
        double &at = bufferReady[rootBuffer(access->memref)];
        at = std::max(at, end);
      }
    });
    finish = std::max(finish, end);
    return estimate;
  }

  /// The estimate of one nest. Parallel: its loads start when
  /// `bufferReady` says their buffers are, its stores make theirs ready at
  /// its end, and `finish` is the latest end so far (ns).
  LayerEstimate estimateNest(const LoopNest &nest, llvm::DenseMap<Value, double> &bufferReady,
                             double &finish) {
    LayerEstimate estimate;
    affine::AffineForOp root = nest.root;
    auto layer = root->getAttrOfType<StringAttr>(kLayer);
    estimate.layer = layer ? layer.str() : nodeName(root.getLoc());
    size_t pipelined;
    int64_t steps = stepsOf(nest, pipelined);
    // The schedule of one iteration of the innermost body, chained at the
    // clock: each value's ready time in ns.
    double clock = options.clockNs;
    llvm::DenseMap<Value, double> ready;
    double begin = 0;
    if (parallel)
      nest.root->walk([&](affine::AffineLoadOp load) {
        begin = std::max(begin, bufferReady.lookup(rootBuffer(load.getMemRef())));
      });
    double depthNs = begin;
    auto startCycle = [&](double t) { return std::ceil(t / clock - 1e-9) * clock; };
    nest.root->walk([&](Operation *op) {
      if (isa<affine::AffineForOp, affine::AffineYieldOp>(op))
        return;
      int64_t count = executions(op);
      bool multiply = isa<arith::MulIOp, arith::MulSIExtendedOp, arith::MulFOp>(op);
      double share = multiply ? nonzeroShare(op) : 1;
      int64_t performed = int64_t(std::ceil(count * share));
      int64_t lanes = performed ? llvm::divideCeil(performed, std::max<int64_t>(1, steps)) : 0;
      OpCost cost = costOf(op);
      if (multiply) {
        estimate.multiplies += performed;
        estimate.multipliers += lanes;
      }
      estimate.resources.dsp += lanes * cost.resources.dsp;
      estimate.resources.lut += lanes * cost.resources.lut;
      estimate.resources.ff += lanes * cost.resources.ff;
      double start = begin;
      for (Value operand : op->getOperands())
        start = std::max(start, ready.lookup(operand));
      // A read of an array that is not in registers takes a cycle.
      if (auto load = dyn_cast<affine::AffineLoadOp>(op)) {
        Value root = rootBuffer(load.getMemRef());
        Operation *def = root.getDefiningOp();
        if (!parallel && !(def && def->hasAttr(kPartition)))
          start = startCycle(start) + clock;
      }
      double end = start;
      if (cost.cycles)
        end = startCycle(start) + cost.cycles * clock;
      else if (cost.ns > 0)
        end = (std::fmod(start, clock) + cost.ns > clock ? startCycle(start) : start) + cost.ns;
      for (Value result : op->getResults())
        ready[result] = end;
      depthNs = std::max(depthNs, end);
    });
    // Unrolled reductions become adder trees (integers; HLS keeps the order
    // of float additions, so those stay a chain).
    int64_t unrolledReduction = 1;
    for (size_t i = parallel ? 0 : pipelined + 1; i < nest.loops.size(); ++i)
      if (nest.reduction[i])
        unrolledReduction *= nest.trips[i];
    if (pipelined < nest.loops.size() && nest.reduction[pipelined])
      if (auto factor = nest.loops[pipelined]->getAttrOfType<IntegerAttr>(kUnroll))
        unrolledReduction *= factor.getInt();
    bool floating = false;
    nest.root->walk([&](arith::AddFOp) { floating = true; });
    // The tree's adders are as wide as the nest's widest integer sum.
    unsigned sumBits = 1;
    nest.root->walk([&](arith::AddIOp add) {
      sumBits = std::max(sumBits, add.getType().getIntOrFloatBitWidth());
    });
    if (unrolledReduction > 1) {
      double levels = floating ? double(unrolledReduction - 1)
                               : std::ceil(std::log2(double(unrolledReduction)));
      depthNs += levels * (floating ? 4 * clock : 0.6 + 0.03 * sumBits);
    }
    if (parallel) {
      nest.root->walk([&](affine::AffineStoreOp store) {
        double &at = bufferReady[rootBuffer(store.getMemRef())];
        at = std::max(at, depthNs);
      });
      finish = std::max(finish, depthNs);
    }
    int64_t depth = std::max<int64_t>(1, int64_t(std::ceil((depthNs - begin) / clock - 1e-9)));
    // A pipelined reduction loop carries its accumulator from iteration to
    // iteration (lepton-hls-accumulate-in-registers keeps it in a register):
    // an integer adder closes the loop within a cycle, but a float sum in
    // its order is a chain of adders, 4 cycles each, per iteration.
    int64_t ii = 1;
    if (!parallel && floating && pipelined < nest.loops.size() && nest.reduction[pipelined])
      ii = 4 * unrolledReduction;
    estimate.latency = parallel ? depth + options.reuseFactor - 1 : (steps - 1) * ii + depth;
    estimate.interval = parallel ? options.reuseFactor : steps * ii;
    return estimate;
  }

  /// Arrays: registers when completely partitioned (constants fold into the
  /// logic that reads them), LUTRAM up to 1 Kbit per bank, BRAM_18K beyond.
  static void accountBuffer(LayerEstimate &buffers, MemRefType type, Attribute partition,
                            bool constant) {
    int64_t bits = type.getNumElements() * type.getElementType().getIntOrFloatBitWidth();
    if (partition && isa<StringAttr>(partition)) {
      if (!constant)
        buffers.resources.ff += bits;
      return;
    }
    int64_t banks = partition ? cast<IntegerAttr>(partition).getInt() : 1;
    int64_t perBank = llvm::divideCeil(bits, banks);
    if (perBank <= 1024)
      buffers.resources.lut += banks * llvm::divideCeil(perBank, 64);
    else
      buffers.resources.bram18k += banks * llvm::divideCeil(perBank, 18432);
  }

  /// A FIFO: shift registers (SRL32, a LUT per bit per 32 places) up to 32
  /// deep, then LUTRAM up to 1 Kbit, then BRAM_18K; registers at its output.
  static void accountFifo(LayerEstimate &buffers, const DataflowChannel &channel) {
    auto type = cast<MemRefType>(channel.buffer.getType());
    int64_t width = type.getElementType().getIntOrFloatBitWidth();
    int64_t bits = channel.depth * width;
    if (channel.depth <= 32)
      buffers.resources.lut += width;
    else if (bits <= 1024)
      buffers.resources.lut += llvm::divideCeil(bits, 64);
    else
      buffers.resources.bram18k += llvm::divideCeil(bits, 18432);
    buffers.resources.ff += width;
  }

  /// The ports, the constant arrays and (parallel: the stream style counts
  /// each process's copies) the buffers.
  LayerEstimate estimateBuffers(func::FuncOp func) {
    LayerEstimate buffers;
    buffers.layer = "(buffers, FIFOs and ports)";
    for (BlockArgument arg : func.getArguments())
      accountBuffer(buffers, cast<MemRefType>(arg.getType()),
                    func.getArgAttr(arg.getArgNumber(), kPartition), false);
    llvm::SmallPtrSet<Operation *, 16> globals;
    func.walk([&](Operation *op) {
      if (parallel && isa<memref::AllocOp, memref::AllocaOp>(op))
        accountBuffer(buffers, cast<MemRefType>(op->getResult(0).getType()),
                      op->getAttr(kPartition), false);
      if (auto get = dyn_cast<memref::GetGlobalOp>(op)) {
        auto global = module.lookupSymbol<memref::GlobalOp>(get.getNameAttr());
        if (global && globals.insert(global).second)
          accountBuffer(buffers, global.getType(), global->getAttr(kPartition),
                        global.getConstant());
      }
    });
    return buffers;
  }

  ModuleOp module;
  const HLSOptions &options;
  const FpgaPart &part;
  bool parallel;
  llvm::DenseMap<Operation *, ConstantStats> constants;
};

} // namespace

Resources &Resources::operator+=(const Resources &other) {
  dsp += other.dsp;
  lut += other.lut;
  ff += other.ff;
  bram18k += other.bram18k;
  return *this;
}

const FpgaPart *findPart(llvm::StringRef name) {
  for (const FpgaPart &part : kParts)
    if (name == part.name)
      return &part;
  return nullptr;
}

std::string knownParts() {
  std::string list;
  for (const FpgaPart &part : kParts)
    list += (list.empty() ? "" : ", ") + std::string(part.name);
  return list;
}

FailureOr<DesignEstimate> estimateDesign(ModuleOp module, const HLSOptions &options,
                                         const FpgaPart &part) {
  auto func = module.lookupSymbol<func::FuncOp>(options.name);
  if (!func)
    return module.emitError() << "no function '" << options.name << "' to estimate";
  return Estimator(module, options, part).run(func);
}

std::string renderEstimateTable(const DesignEstimate &e, const HLSOptions &options) {
  std::string text;
  llvm::raw_string_ostream os(text);
  os << "HLS estimate for " << e.part->name << " at " << llvm::format("%.2f", e.clockNs)
     << " ns (" << llvm::format("%.0f", 1000 / e.clockNs) << " MHz), io=" << options.io
     << ", reuse factor " << options.reuseFactor << "\n";
  os << llvm::format("%-28s %10s %9s %9s %6s %8s %8s %8s %8s\n", (const char *)"layer",
                     (const char *)"multiplies", (const char *)"mults", (const char *)"latency",
                     (const char *)"II", (const char *)"DSP", (const char *)"LUT",
                     (const char *)"FF", (const char *)"BRAM_18K");
  auto row = [&](llvm::StringRef name, int64_t multiplies, int64_t multipliers, int64_t latency,
                 int64_t interval, const Resources &r) {
    std::string label = name.size() > 28 ? name.take_back(28).str() : name.str();
    os << llvm::format("%-28s %10lld %9lld %9lld %6lld %8lld %8lld %8lld %8lld\n", label.c_str(),
                       (long long)multiplies, (long long)multipliers, (long long)latency,
                       (long long)interval, (long long)r.dsp, (long long)r.lut, (long long)r.ff,
                       (long long)r.bram18k);
  };
  int64_t multiplies = 0, multipliers = 0;
  for (const LayerEstimate &layer : e.layers) {
    row(layer.layer, layer.multiplies, layer.multipliers, layer.latency, layer.interval,
        layer.resources);
    multiplies += layer.multiplies;
    multipliers += layer.multipliers;
  }
  row("total", multiplies, multipliers, e.latency, e.interval, e.resources);
  os << llvm::format("latency %lld cycles = %.1f ns, a new input every %lld cycles; ",
                     (long long)e.latency, e.latency * e.clockNs, (long long)e.interval)
     << llvm::format("uses %.1f%% DSP, %.1f%% LUT, %.1f%% FF, %.1f%% BRAM_18K of the part\n",
                     100.0 * e.resources.dsp / e.part->dsp, 100.0 * e.resources.lut / e.part->lut,
                     100.0 * e.resources.ff / e.part->ff,
                     100.0 * e.resources.bram18k / e.part->bram18k);
  return text;
}

std::string renderEstimateJson(const DesignEstimate &e, const HLSOptions &options) {
  std::string text;
  llvm::raw_string_ostream os(text);
  llvm::json::OStream json(os, /*IndentSize=*/2);
  auto resources = [&](const Resources &r) {
    json.attribute("dsp", r.dsp);
    json.attribute("lut", r.lut);
    json.attribute("ff", r.ff);
    json.attribute("bram_18k", r.bram18k);
  };
  json.object([&] {
    json.attribute("top", options.name);
    json.attribute("part", e.part->name);
    json.attribute("clock_ns", e.clockNs);
    json.attribute("io", options.io);
    json.attribute("reuse_factor", options.reuseFactor);
    json.attribute("latency_cycles", e.latency);
    json.attribute("latency_ns", e.latency * e.clockNs);
    json.attribute("interval_cycles", e.interval);
    json.attributeObject("resources", [&] { resources(e.resources); });
    json.attributeObject("available",
                         [&] { resources({e.part->dsp, e.part->lut, e.part->ff, e.part->bram18k}); });
    json.attributeArray("layers", [&] {
      for (const LayerEstimate &layer : e.layers)
        json.object([&] {
          json.attribute("layer", layer.layer);
          json.attribute("multiplies", layer.multiplies);
          json.attribute("multipliers", layer.multipliers);
          json.attribute("latency_cycles", layer.latency);
          json.attribute("interval_cycles", layer.interval);
          resources(layer.resources);
        });
    });
  });
  os << "\n";
  return text;
}

} // namespace lepton::hls
