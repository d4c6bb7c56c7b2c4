//===- Passes.td - code generation passes ------------------*- tablegen -*-===//
#ifndef LEPTON_CODEGEN_PASSES
#define LEPTON_CODEGEN_PASSES

include "mlir/Pass/PassBase.td"

def ConvertNNToLinalg : Pass<"lepton-convert-nn-to-linalg", "mlir::ModuleOp"> {
  let summary = "Lower the nn and compress dialects to linalg, tensor and arith on tensors";
  let description = [{
    Shared by all targets. Every nn and compress op becomes linalg ops on
    tensors, and every unsigned or quantized tensor its signless storage
    integers; an op this lowering cannot handle is reported with its ONNX
    node location, all of them in one run, and the pass fails.
  }];
  let dependentDialects = ["mlir::linalg::LinalgDialect",
                           "mlir::tensor::TensorDialect",
                           "mlir::arith::ArithDialect",
                           "mlir::math::MathDialect",
                           "mlir::scf::SCFDialect"];
}

def PrepareEntryABI : Pass<"lepton-prepare-entry-abi", "mlir::ModuleOp"> {
  let summary = "Make function boundaries follow the artifact ABI before bufferization";
  let description = [{
    Marks arguments read-only (`bufferization.writable = false`: inputs are
    the caller's) and copies every result that is an argument, a constant or
    a repeated result into a fresh tensor, so each output owns a buffer that
    buffer-results-to-out-params can turn into a caller-owned out-parameter.
    Runs right before bufferization, after the last canonicalization that
    could fold such copies away.
  }];
  let dependentDialects = ["mlir::linalg::LinalgDialect", "mlir::tensor::TensorDialect"];
}

def PlanWorkspace : Pass<"lepton-plan-workspace", "mlir::ModuleOp"> {
  let summary = "Place every intermediate buffer in one caller-owned arena";
  let description = [{
    Runs after bufferization (on the CPU after the kernel passes, so that
    live ranges are those of the fused kernels). Each statically shaped
    memref.alloc in the entry (public) function becomes a memref.view into
    a new trailing `workspace` argument (memref<?xi8>) at an offset chosen
    by liveness-based best-fit packing, so
    the generated code never calls malloc. The arena size in bytes is stored
    as `lepton.workspace_bytes` on the function, the sum of the buffers it
    holds (the size without reuse) as `lepton.intermediate_bytes`.
  }];
  let options = [
    Option<"alignment", "alignment", "int64_t", "64",
           "byte alignment of every buffer in the arena">
  ];
  let dependentDialects = ["mlir::memref::MemRefDialect",
                           "mlir::arith::ArithDialect"];
}

def StridedCopyToLinalg : Pass<"lepton-strided-copy-to-linalg", "mlir::ModuleOp"> {
  let summary = "Turn memref.copy between strided views into linalg.copy";
  let description = [{
    finalize-memref-to-llvm lowers a copy between non-contiguous views (as
    bufferized tensor.pad and tensor.insert_slice produce) to a call of the
    `memrefCopy` runtime function, which generated code cannot link against.
    As linalg.copy it becomes plain loops; contiguous copies stay memref.copy
    and become memcpy, unless `all-copies` is set (the CUDA target, where
    every copy must become a kernel).
  }];
  let options = [
    Option<"allCopies", "all-copies", "bool", /*default=*/"false",
           "turn contiguous copies into linalg.copy too">
  ];
  let dependentDialects = ["mlir::linalg::LinalgDialect"];
}

def FuseElementwise : Pass<"lepton-fuse-elementwise", "mlir::ModuleOp"> {
  let summary = "Fuse elementwise producers into consumers that read each element once";
  let description = [{
    MLIR's linalg-fuse-elementwise-ops with one more condition: the consumer's
    indexing map for the fused operand must use every consumer loop. Upstream
    also fuses into a consumer that reads each element many times (a GELU into
    the matmul that follows recomputes its erf for every output column); here
    such producers stay materialized.
  }];
  let dependentDialects = ["mlir::linalg::LinalgDialect", "mlir::tensor::TensorDialect",
                           "mlir::affine::AffineDialect"];
}

def InnermostParallelLoop : Pass<"lepton-innermost-parallel-loop", "mlir::ModuleOp"> {
  let summary = "Move a contraction's reduction loops outside its last parallel loop";
  let description = [{
    A matmul, convolution or pooling generic lists its reduction loops last,
    so the loops it lowers to end in a reduction that walks a weight column
    with a stride, which LLVM cannot vectorize. When the last parallel loop
    indexes the innermost dim of the output and of some input, this pass
    interchanges it to be the innermost loop (i, j, k -> i, k, j): the inner
    loop then streams through contiguous rows and vectorizes. Each output
    element still accumulates its reduction in the same order.
  }];
  let dependentDialects = ["mlir::linalg::LinalgDialect"];
}

def VectorizeContractions : Pass<"lepton-vectorize-contractions", "mlir::ModuleOp"> {
  let summary = "Register-tiled vector kernels for matmul-like linalg.generic ops";
  let description = [{
    Runs after bufferization on linalg.generic ops computing
    C[..., m, n] += A[...] * B[..., s * n + ...] (matmuls, batched matmuls,
    convolutions in im2col form, Gemm, and depthwise convolutions, whose B
    index is a window): any number of outer and reduction loops, and an
    innermost output dim n that B reads along its contiguous innermost dim,
    s elements apart. Each becomes a register-blocked kernel: a tile of
    `rows` x 2 vectors of C stays in registers while the reductions run,
    each step loading one row of B (for s > 1 a contiguous stretch of which a
    shuffle keeps every s-th element) and broadcasting one element of A per
    row into a fused multiply-add (the BLIS/MLAS microkernel shape). Tiles
    are ordered n-outer so a panel of B stays in cache across all rows; a
    partial last column tile uses masked loads and stores. A fill or bias
    broadcast right before the kernel becomes its accumulators' start; an
    elementwise op right after that reads only C (an activation such as Relu
    or Clip, through reshapes) is applied to the accumulators before they are
    stored to its output, unless that output shares arena bytes with A or B.
    Each output still sums its products in reduction order. Other generics are
    left for convert-linalg-to-loops.

    Integer products (int32 accumulators of operands extended from narrower
    integers inside the body, as the compress lowering writes them) get the
    same kernels with the extension on vectors. With `int8-dot`, unsigned by
    signed byte products whose A is read contiguously along the one
    reduction take four reduction steps per instruction: B's four rows
    interleaved so each int32 lane holds one column's bytes, A's four bytes
    broadcast as one word (x86 vpdpbusd; exact, as int32 sums do not depend
    on their order). Without it, `word-dot` takes two steps per instruction
    for any byte products: both rows and A's two elements widened to 16 bits
    and paired per int32 lane (x86 pmaddwd; exact too). A depthwise window
    of up to four taps (B's last index bStride * n + k, A's last dim the
    taps) takes a whole kernel row per `int8-dot` instruction instead: B's
    row read once from the first tap, each lane's four bytes gathered by a
    byte shuffle, A's taps one word with zeros above them.

    A float max pooling (`out = max(out, in)` over a window, with an input
    that only gives the window its shape) gets the same kernel with a
    maximum for a step.

    A float matmul whose A is a constant global with at most 55% nonzeros
    (a pruned layer's weights: convolutions in im2col form) gets a sparse
    kernel instead: A becomes compressed-row tables built at compile time
    (codegen/cpu/SparseWeights.cpp; values, one-byte columns within blocks of
    128, each row padded to the fullest row's count per block) and the dense
    global is dropped. Per column tile of 64 and block, B's 128 rows are
    packed into a 32 KiB stack panel; then one or two rows at a time walk
    their entries, a broadcast of each value times the panel row's vectors.

    A window kernel whose B is a bufferized tensor.pad (a buffer filled with
    a constant, the source copied into its interior, read by nothing else)
    reads the source instead: masked loads give the pad value outside it,
    and the fill, the copy and the padded buffer are erased. Runs before
    lepton-plan-workspace, which then sees the source live up to the kernel.

    With `threads`, a kernel of at least `parallel-min-flops` whose row tiles,
    else column tiles, else an outer loop number at least 6 is outlined into
    `<func>_kernel<i>_body` (a range of those) and replaced by a call of
    `<func>_kernel<i>_parallel`, which the artifact writer defines as a call
    of lepton_parallel_for.
  }];
  let options = [
    Option<"vectorBits", "vector-bits", "int64_t", "256",
           "width of the target's vector registers in bits">,
    Option<"vectorRegisters", "vector-registers", "int64_t", "16",
           "number of vector registers, which bounds the rows of a tile">,
    Option<"threads", "threads", "bool", "false",
           "split kernels over the runtime's thread pool (lepton_parallel_for)">,
    Option<"parallelMinFlops", "parallel-min-flops", "int64_t", "500000",
           "smallest kernel, in floating-point operations, worth splitting">,
    Option<"int8Dot", "int8-dot", "std::string", "\"\"",
           "LLVM intrinsic of the target's unsigned-by-signed byte dot product "
           "on vector-bits of int32 lanes (e.g. llvm.x86.avx512.vpdpbusd.512); "
           "empty: byte products are widened and multiplied">,
    Option<"wordDot", "word-dot", "std::string", "\"\"",
           "LLVM intrinsic of the target's signed 16-bit pair dot product on "
           "vector-bits of int32 lanes (e.g. llvm.x86.avx2.pmadd.wd), for byte "
           "products when there is no int8-dot">
  ];
  let dependentDialects = ["mlir::vector::VectorDialect", "mlir::scf::SCFDialect",
                           "mlir::arith::ArithDialect", "mlir::memref::MemRefDialect",
                           "mlir::affine::AffineDialect", "mlir::LLVM::LLVMDialect"];
}

def SplitEmptyTensors : Pass<"lepton-split-empty-tensors", "mlir::ModuleOp"> {
  let summary = "Give a padded tensor's destination an empty tensor of its own";
  let description = [{
    Runs before bufferization on the CPU. CSE merges identical tensor.empty
    ops, so the op writing a tensor.pad's source can share its destination
    with later ops; one-shot bufferization then writes one of those over the
    source in place. The CPU kernels read a pad's source directly (no padded
    copy), so that source must keep its bytes: the other users of its empty
    tensor get one each. Other in-place reuse is unchanged.
  }];
  let dependentDialects = ["mlir::tensor::TensorDialect"];
}

def CollapseContiguousLoops : Pass<"lepton-collapse-contiguous-loops", "mlir::ModuleOp"> {
  let summary = "Merge the trailing loops of elementwise generics that walk memory contiguously";
  let description = [{
    Runs on the generics lepton-vectorize-contractions left (elementwise ops,
    residual adds, broadcasts). An all-parallel generic whose trailing loops
    every operand walks as one contiguous run (a 1x32x28x28 add) gets those
    loops merged into one (1x32x784), through MLIR's collapseOpIterationDims.
    LLVM vectorizes an innermost loop of 28 iterations with 16-lane vectors
    interleaved four times not at all; one of 784 iterations runs at full
    width (a 1x32x28x28 add took 8x as long as the same add on 25088
    elements). With `threads`, a generic of at least `min-iterations` keeps
    leading loops of at least 16 iterations in all, which
    lepton-parallelize-loops splits into tasks.
  }];
  let options = [
    Option<"threads", "threads", "bool", "false",
           "keep the leading loops lepton-parallelize-loops splits">,
    Option<"minIterations", "min-iterations", "int64_t", "131072",
           "lepton-parallelize-loops' min-iterations">
  ];
  let dependentDialects = ["mlir::memref::MemRefDialect"];
}

def ParallelizeLoops : Pass<"lepton-parallelize-loops", "mlir::ModuleOp"> {
  let summary = "Run large linalg.generic ops on the runtime's thread pool";
  let description = [{
    Runs after lepton-vectorize-contractions, on the generics it left (copies
    such as im2col windows and padding, elementwise ops, pooling, reductions;
    named linalg ops are generalized first). A generic in a function's top level with at least
    `min-iterations` iterations, static shapes and operands that can cross a
    function boundary (views that cannot, such as the strided interior of a
    padded buffer, are rebuilt inside over their captured source) is split
    over its leading parallel loops into at least
    16 tasks; each task runs the generic on its operands' slices at one point
    of those loops (which must index the operands only as themselves), in
    `<func>_loop<i>_body`, which `<func>_loop<i>_parallel` hands to
    lepton_parallel_for.
  }];
  let options = [
    Option<"minIterations", "min-iterations", "int64_t", "131072",
           "smallest generic, in loop iterations, worth splitting">
  ];
  let dependentDialects = ["mlir::scf::SCFDialect", "mlir::arith::ArithDialect",
                           "mlir::func::FuncDialect", "mlir::memref::MemRefDialect"];
}

def ApproximateMath : Pass<"lepton-approximate-math", "mlir::ModuleOp"> {
  let summary = "Inline polynomial approximations of f32 transcendental functions";
  let description = [{
    Applies upstream's math polynomial approximations to f32 exp, expm1, log,
    log1p, log2, tanh and erf, so the loops that use them (softmax, GELU,
    sigmoid and tanh gates) vectorize instead of calling libm once per
    element. Other functions (asin's approximation is 2.5% off near 1), f64
    and other types keep their libm calls.
  }];
  let dependentDialects = ["mlir::math::MathDialect", "mlir::arith::ArithDialect",
                           "mlir::vector::VectorDialect"];
}

def InstrumentProfile : Pass<"lepton-instrument-profile", "mlir::ModuleOp"> {
  let summary = "Time every operation of the model function (leptonc --profile)";
  let description = [{
    Runs after bufferization. Each top-level operation of a function that
    does work (not a constant, view or allocation) is bracketed by two reads
    of CLOCK_MONOTONIC, and the elapsed nanoseconds are added to its slot of
    the global `lepton_profile_ns`. The function records, per slot, the ONNX
    node names of the operation's location and what kind of operation it is
    as `lepton.profile` (pairs of strings), from which the artifact writer
    builds the lepton_profile table (lepton/abi.h) that `lepton-run --profile`
    prints.
  }];
  let dependentDialects = ["mlir::memref::MemRefDialect", "mlir::arith::ArithDialect",
                           "mlir::func::FuncDialect"];
}

def MergeGpuModules : Pass<"lepton-merge-gpu-modules", "mlir::ModuleOp"> {
  let summary = "Gather every outlined GPU kernel into one gpu.module";
  let description = [{
    Runs after gpu-kernel-outlining, which gives each kernel its own
    gpu.module. Moves all kernels into the first one and retargets the
    gpu.launch_func ops, so the model becomes one PTX module per GPU
    architecture: one cuModuleLoad, one JIT, one text to check with ptxas.
  }];
  let dependentDialects = ["mlir::gpu::GPUDialect"];
}

def SerialKernels : Pass<"lepton-serial-kernels", "mlir::func::FuncOp"> {
  let summary = "Run the host code left after GPU mapping as one-thread kernels";
  let description = [{
    Runs after convert-parallel-loops-to-gpu. Loop nests the mapping to
    blocks and threads leaves alone (a reduction over a whole tensor, a loop
    whose parallel dims folded away) would read and write device memory from
    the host. Each top-level op of the function that touches memory, has no
    results and launches no kernel itself is moved into a gpu.launch of one
    block of one thread: slow, but every byte of tensor data stays on the GPU.
  }];
  let dependentDialects = ["mlir::gpu::GPUDialect"];
}

def FuseParallelLoops : Pass<"lepton-fuse-parallel-loops", "mlir::func::FuncOp"> {
  let summary = "Fuse adjacent parallel loop nests over the same elements (CUDA target)";
  let description = [{
    Runs after convert-linalg-to-parallel-loops. Adjacent scf.parallel ops
    with the same bounds whose dependences are element-wise (what the second
    reads of the first's writes is the same element) become one, so a bias,
    the products and the activation of a Gemm run in one kernel. Upstream's
    fusion, with an alias oracle that knows the workspace plan: views at
    constant, disjoint byte ranges of one buffer do not alias, nor do
    distinct function arguments.
  }];
}

def SplitReductions : Pass<"lepton-split-reductions", "mlir::func::FuncOp"> {
  let summary = "Split long reductions with few outputs over more threads (CUDA target)";
  let description = [{
    Runs on tensors, before bufferization. A linalg op with one reduction
    dim of at least 256 steps, static shapes and fewer than `min-threads`
    outputs has its
    reduction split into equal chunks of at least 32 steps, as many as keep
    the threads (outputs x chunks) within `min-threads`, by upstream's
    linalg::splitReduction: the chunks' partial results go to a temporary
    with the chunk as its outermost dim, and a second op combines them into
    the output with the reduction's combiner. Reductions whose combiner
    upstream does not recognize stay whole.
  }];
  let options = [
    Option<"minThreads", "min-threads", "int64_t", /*default=*/"65536",
           "threads below which a reduction is split">,
  ];
  let dependentDialects = ["mlir::linalg::LinalgDialect", "mlir::tensor::TensorDialect",
                           "mlir::arith::ArithDialect"];
}

def RegisterTileReductions : Pass<"lepton-register-tile-reductions", "mlir::func::FuncOp"> {
  let summary = "Reductions as parallel loops that accumulate in registers (CUDA target)";
  let description = [{
    Runs on buffers, before convert-linalg-to-parallel-loops. Each linalg op
    with parallel and reduction dims, static bounds and one output indexed by
    the parallel dims (and zeros for kept dims) becomes an scf.parallel over
    output tiles whose reduction loops carry the tile's sums as iter_args: one load and one
    store of each output element instead of one per reduction step. Tiles
    (up to 4 x 4) step along the output's contiguous dim and one other
    parallel dim, each only where some input does not depend on it (that
    input's value then serves the whole tile row or column); they shrink
    while the grid would have fewer than `min-threads` threads. Partial tiles
    compute on clamped indices and store only their points in bounds. A
    fill or broadcast of the output right before the op starts the sums
    instead of running on its own; float ops get `contract` (fma, as nvcc).
    Ops with one reduction dim whose inputs each vary along at most one of
    the two tile dims (matmuls, im2col convolutions), both at least 16 long,
    become a gpu.launch of 16 x 16-thread blocks that stage chunks of 16
    reduction steps of those inputs in workgroup memory between two
    gpu.barriers. Element-wise ops right after the op that only transform
    its result (also through reshapes of its buffer) run on the sums before
    they are stored, unless they write a buffer the op reads.
  }];
  let options = [
    Option<"minThreads", "min-threads", "int64_t", /*default=*/"65536",
           "smallest number of threads (tiles) worth trading for register reuse">,
  ];
  let dependentDialects = ["mlir::scf::SCFDialect", "mlir::arith::ArithDialect",
                           "mlir::affine::AffineDialect", "mlir::memref::MemRefDialect",
                           "mlir::gpu::GPUDialect"];
}

def TileParallelLoops : Pass<"lepton-tile-parallel-loops", "mlir::func::FuncOp"> {
  let summary = "Shape each parallel loop nest into blocks and threads for the GPU";
  let description = [{
    Runs after convert-linalg-to-parallel-loops, before gpu-map-parallel-loops
    (which maps loop dims 0, 1, 2 to x, y, z). Each outermost scf.parallel of
    static bounds is collapsed into up to three dims -- its innermost
    (contiguous) dims, until they span 64 elements, first, for coalesced
    accesses on thread x; the next dim; all outer dims -- and the first two
    are tiled into blocks of up to 256 threads (powers of two sized to the
    dims), with in-bounds checks inside rather than min bounds. Where grid y
    or z would exceed CUDA's 65535 blocks, all dims become one on x.
  }];
  let dependentDialects = ["mlir::scf::SCFDialect", "mlir::arith::ArithDialect",
                           "mlir::affine::AffineDialect"];
}

def SinkScalarLoads : Pass<"lepton-sink-scalar-loads", "mlir::func::FuncOp"> {
  let summary = "Move host reads of tensor data into the kernels that use them";
  let description = [{
    Runs after convert-parallel-loops-to-gpu. A scalar read on the host (a
    Clip's min and max, an 0-d input) would read device memory there. Each
    top-level memref.load, and each pure op computed from such values, whose
    every use is inside gpu.launch bodies is cloned into those bodies and
    removed from the host, when the kernels read the same value: the memref
    is a read-only input, or no launch lies between the load and the kernel.
    Values the host itself needs (loop bounds, grid sizes, offsets of views)
    stay, and lepton's host-code check reports them.
  }];
  let dependentDialects = ["mlir::gpu::GPUDialect"];
}

def LowerHostAccesses : Pass<"lepton-lower-host-accesses", "mlir::ModuleOp"> {
  let summary = "Host reads and writes of tensor elements as copies through the runtime";
  let description = [{
    Runs after kernel outlining, when the host functions hold only host code.
    A memref.load or memref.store there (a Slice's start, a loop bound the
    host needs, a value lepton-sink-scalar-loads could not move into a
    kernel) touches device memory: it becomes a call of the runtime's
    lepton_cuda_read / lepton_cuda_write (lepton/abi.h), which copy the
    element between the device and a host staging slot once the launches
    before it are done. Accesses to host allocas are left alone.
  }];
  let dependentDialects = ["mlir::memref::MemRefDialect", "mlir::arith::ArithDialect",
                           "mlir::func::FuncDialect", "mlir::LLVM::LLVMDialect"];
}

def MathToLibdevice : Pass<"lepton-math-to-libdevice", "mlir::gpu::GPUModuleOp"> {
  let summary = "Call libdevice for the math ops convert-gpu-to-nvvm leaves alone";
  let description = [{
    convert-gpu-to-nvvm maps most math ops on f32/f64 to CUDA's libdevice
    (__nv_expf, ...), but not asin, acos, sinh, cosh, asinh, acosh, atanh
    and roundeven, which would then fail translation. This pass turns those
    into calls of their libdevice functions (declared in the gpu.module), which
    gpu-module-to-binary links from the CUDA toolkit like the others.
  }];
  let dependentDialects = ["mlir::LLVM::LLVMDialect"];
}

def DeviceWeights : Pass<"lepton-device-weights", "mlir::ModuleOp"> {
  let summary = "Give the weights a place in the workspace arena (CUDA target)";
  let description = [{
    Runs after lepton-plan-workspace. On the CUDA target the workspace is
    device memory and the weights must be there too: each constant
    memref.global the entry function reads gets an aligned offset after the
    intermediate buffers, recorded as `lepton.workspace_offset` on the
    global, and its memref.get_global becomes a memref.view of the workspace
    at that offset. The workspace argument and `lepton.workspace_bytes` grow
    to cover them. The globals stay on the host: the runtime copies their
    bytes to their offsets when it loads the model.
  }];
  let options = [
    Option<"alignment", "alignment", "int64_t", "256",
           "byte alignment of every weight in the arena">
  ];
  let dependentDialects = ["mlir::memref::MemRefDialect", "mlir::arith::ArithDialect"];
}

def LowerKernelLaunches : Pass<"lepton-lower-kernel-launches", "mlir::ModuleOp"> {
  let summary = "Turn gpu.launch_func into calls of the runtime's lepton_cuda_launch";
  let description = [{
    Runs after convert-gpu-to-nvvm, when each kernel is an llvm.func whose
    parameters are final: a memref argument is expanded as MLIR's default
    calling convention does (allocated and aligned pointer, offset, sizes,
    strides), scalars are one parameter each. Every launch in the host
    functions becomes a call of `lepton_cuda_launch(kernel index, grid,
    block, dynamic shared memory, slots, slot count)` (lepton/abi.h) with one
    8-byte slot per kernel parameter, filled in the same order, in a stack
    buffer of the calling function. The kernels' names, in index order, are
    stored as the module's `lepton.cuda_kernels`. A launch whose operands do
    not expand to its kernel's parameter count is an error.
  }];
  let dependentDialects = ["mlir::memref::MemRefDialect", "mlir::arith::ArithDialect",
                           "mlir::func::FuncDialect", "mlir::LLVM::LLVMDialect"];
}

def HLSDirectives : Pass<"lepton-hls-directives", "mlir::ModuleOp"> {
  let summary = "Choose the HLS directives of every loop nest and buffer";
  let description = [{
    Runs on the affine loop nests of the HLS target (one top-level nest per
    linalg op) and records its choices as `hls` dialect attributes, which the
    emitter prints as pragmas:

    - Every top-level nest gets `hls.layer`, the ONNX node it computes.
    - `io=parallel` (a latency design, for small MLPs): the whole function is
      one pipeline with II = reuse factor, every loop is unrolled, every
      array is partitioned into registers, and each nest may use at most
      ceil(multiplies / reuse factor) multipliers (`hls.allocation`).
    - `io=stream` (a dataflow design, for CNNs): each nest is a dataflow
      process. A nest's reduction loops (those whose induction variable no
      store index uses) hold K multiply-adds per output; the innermost loops
      holding up to ceil(K / reuse factor) iterations are unrolled (the next
      loop out partially, by the largest factor of its trip count that
      fits), that next loop is pipelined at II 1, and the arrays read inside
      are partitioned cyclically to match. Layers exchange buffers through
      FIFOs (LoopNests.h, dataflowGraph); each buffer gets `hls.fifo_depths`,
      2 for a FIFO its consumer reads first, the whole buffer for a later one.
  }];
  let options = [
    Option<"io", "io", "std::string", /*default=*/"\"parallel\"",
           "parallel (one pipeline, fully unrolled) or stream (dataflow of layers)">,
    Option<"reuseFactor", "reuse-factor", "int64_t", /*default=*/"1",
           "how many times each multiplier is used per inference step">
  ];
  let dependentDialects = ["lepton::hls::HLSDialect"];
}

def HLSNarrowAccumulators : Pass<"lepton-hls-narrow-accumulators", "mlir::ModuleOp"> {
  let summary = "Give each integer buffer of an HLS design the width its values need";
  let description = [{
    The integer contract sums in int32 (and rescales in wider types); an
    FPGA design pays for every bit. For each top-level integer buffer whose
    only users are affine loads and stores (through views), the values it
    can hold are bounded in program order: a stored value's range follows
    its arithmetic back to constants, extensions and constant weights; a
    store of (the element + p) adds p's range once per iteration of the
    loops its address does not use. With W the bits of that bound, the
    buffer holds iW: stores truncate (exact, everything fits), loads
    sign-extend, and an accumulation adds in iW. The values computed do not
    change. A buffer stored to twice within one top-level step, or read by
    anything else, keeps its type.
  }];
}

def HLSAccumulateInRegisters : Pass<"lepton-hls-accumulate-in-registers",
                                    "mlir::func::FuncOp"> {
  let summary = "Carry reductions in loop variables instead of their output arrays";
  let description = [{
    linalg's loops accumulate a reduction through its output array: each
    iteration loads the element, adds and stores it back, so a pipelined
    reduction loop carries a dependence through memory (a read, an add and a
    write per iteration, II 2 or more in Vitis HLS). Where an affine.for's
    body loads and stores one element whose address does not depend on the
    loop, and nothing else in the loop touches that buffer, the element is
    loaded once before the loop, carried as an iter_arg and stored once after
    it; repeated from the innermost loop out, a whole reduction band
    accumulates in a register. The values computed are the same (the same
    operations in the same order). Runs after the estimate, which models the
    result: integer accumulations at II 1, float ones at the adder's latency.
  }];
}

#endif // LEPTON_CODEGEN_PASSES
