//===- Report.cpp - leptonc --report: what was compiled and how -----------===//
#include "compiler/Report.h"

#include "llvm/Support/JSON.h"
#include "llvm/Support/raw_ostream.h"

namespace lepton {

namespace {

void writeTensors(llvm::json::OStream &json, llvm::StringRef key,
                  const std::vector<TensorSignature> &tensors) {
  json.attributeArray(key, [&] {
    for (const TensorSignature &t : tensors)
      json.object([&] {
        json.attribute("name", t.name);
        json.attribute("dtype", t.dtype);
        json.attributeArray("shape", [&] {
          for (int64_t d : t.shape)
            json.value(d);
        });
        json.attribute("batched", t.batched);
      });
  });
}

} // namespace

std::string renderReport(const CompileOptions &options, const ModelSignature &signature,
                         const CompileReport &report) {
  std::string text;
  llvm::raw_string_ostream os(text);
  llvm::json::OStream json(os, /*IndentSize=*/2);
  json.object([&] {
    json.attribute("lepton_report_version", 1);
    json.attribute("model", options.input);
    json.attribute("name", signature.name);
    json.attribute("target", options.target);
    json.attribute("emit", report.emit);
    json.attributeObject("options", [&] {
      json.attribute("triple", report.triple);
      json.attribute("cpu", report.cpu);
      json.attribute("features", report.features);
      json.attribute("opt_level", static_cast<int64_t>(options.cpu.optLevel));
      json.attribute("threads", options.cpu.threads ? "pool" : "single");
      json.attribute("profile", options.profile);
      if (signature.cuda)
        json.attributeArray("gpu_archs", [&] {
          for (const auto &[arch, text] : signature.cuda->ptx)
            json.value(arch);
        });
      json.attributeArray("shapes", [&] {
        for (const std::string &shape : options.shapes)
          json.value(shape);
      });
    });
    json.attributeArray("files", [&] {
      for (const std::string &file : report.files)
        json.value(file);
    });
    json.attribute("output_bytes", static_cast<int64_t>(report.outputBytes));
    writeTensors(json, "inputs", signature.inputs);
    writeTensors(json, "outputs", signature.outputs);
    json.attribute("workspace_bytes", static_cast<int64_t>(signature.workspaceBytes));
    json.attribute("workspace_align", static_cast<int64_t>(signature.workspaceAlign));
    json.attribute("intermediate_bytes", static_cast<int64_t>(signature.intermediateBytes));
    if (signature.cuda)
      json.attributeObject("cuda", [&] {
        json.attribute("kernels", static_cast<int64_t>(signature.cuda->kernels.size()));
        uint64_t weightBytes = 0;
        for (const CudaImage::Weight &weight : signature.cuda->weights)
          weightBytes += weight.bytes;
        json.attribute("weight_bytes", static_cast<int64_t>(weightBytes));
        json.attributeObject("ptx_bytes", [&] {
          for (const auto &[arch, text] : signature.cuda->ptx)
            json.attribute(arch, static_cast<int64_t>(text.size()));
        });
      });
    json.attributeObject("seconds", [&] {
      double total = 0;
      for (const auto &[phase, seconds] : report.phaseSeconds) {
        json.attribute(phase, seconds);
        total += seconds;
      }
      json.attribute("total", total);
    });
  });
  os << "\n";
  return text;
}

} // namespace lepton
