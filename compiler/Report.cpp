//===- Report.cpp - leptonc --report: what was compiled and how -----------===//
#include "compiler/Report.h"

#include "llvm/Support/Format.h"
#include "llvm/Support/FormatVariadic.h"

#include <cmath>

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

/// An SQNR in dB; JSON has no infinity, so an exact result has none (null).
void sqnrAttribute(llvm::json::OStream &json, llvm::StringRef key, double db) {
  if (std::isfinite(db))
    json.attribute(key, db);
  else
    json.attribute(key, nullptr);
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
    if (report.compression) {
      const compress::FidelityReport &c = *report.compression;
      json.attributeObject("compression", [&] {
        json.attribute("quantize", options.quantize);
        json.attribute("prune", options.prune);
        json.attribute("calibration", c.method);
        json.attribute("bias_correction", c.biasCorrection);
        json.attribute("cross_layer_equalization", c.crossLayerEqualization);
        json.attribute("calibration_sets", static_cast<int64_t>(c.inputSets));
        json.attribute("calibration_cached", c.calibrationCached);
        json.attribute("quantized_ops", static_cast<int64_t>(c.quantizedOps));
        json.attribute("candidate_ops", static_cast<int64_t>(c.candidateOps));
        json.attribute("int16_ops", static_cast<int64_t>(c.int16Ops));
        if (c.fixedPoint)
          json.attribute("fixed_point", c.fixedPoint->name());
        json.attribute("weight_bytes_before", static_cast<int64_t>(c.weightBytesBefore));
        json.attribute("weight_bytes_after", static_cast<int64_t>(c.weightBytesAfter));
        if (c.top1Agreement)
          json.attribute("top1_agreement", *c.top1Agreement);
        if (c.kl)
          json.attribute("kl_divergence", *c.kl);
        if (c.budget) {
          json.attribute("fidelity_budget", options.fidelityBudget);
          json.attribute("budget_met", c.budgetMet);
          json.attribute("budget_trials", static_cast<int64_t>(c.budgetTrials));
        }
        json.attributeArray("layers", [&] {
          for (const compress::LayerSensitivity &l : c.layers)
            json.object([&] {
              json.attribute("node", l.node);
              json.attribute("op", l.op);
              json.attribute("precision", l.precision);
              // Alone in int8: what that costs against the float model.
              sqnrAttribute(json, "alone_sqnr_db", l.sqnrDb);
              if (l.top1)
                json.attribute("alone_top1_agreement", *l.top1);
              if (l.kl)
                json.attribute("alone_kl_divergence", *l.kl);
            });
        });
        json.attributeArray("pruned_layers", [&] {
          for (const compress::PrunedLayer &l : c.prunedLayers)
            json.object([&] {
              json.attribute("node", l.node);
              json.attribute("op", l.op);
              json.attribute("weights", l.weights);
              json.attribute("nonzero_before", l.nonzeroBefore);
              json.attribute("nonzero_after", l.nonzeroAfter);
              if (l.inputs) {
                json.attribute("refit_samples", l.samples);
                json.attribute("refit_inputs", l.inputs);
              }
              if (l.channels) {
                json.attribute("channels", l.channels);
                json.attribute("channels_kept", l.channelsKept);
              }
              json.attribute("applied", l.applied);
              json.attribute("lighter", l.lighter);
              if (l.aloneSqnrDb)
                sqnrAttribute(json, "alone_sqnr_db", *l.aloneSqnrDb);
              if (l.aloneTop1)
                json.attribute("alone_top1_agreement", *l.aloneTop1);
            });
        });
        json.attributeArray("outputs", [&] {
          for (const compress::FidelityReport::Output &o : c.outputs)
            json.object([&] {
              json.attribute("name", o.name);
              sqnrAttribute(json, "sqnr_db", o.sqnrDb);
              json.attribute("max_abs_error", o.maxAbsError);
              json.attribute("mean_abs_error", o.meanAbsError);
            });
        });
      });
    }
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

std::string renderFidelityTable(const compress::FidelityReport &c) {
  std::string text;
  llvm::raw_string_ostream os(text);
  if (c.prune) {
    int64_t before = 0, after = 0;
    for (const compress::PrunedLayer &l : c.prunedLayers) {
      before += l.nonzeroBefore;
      after += l.nonzeroAfter;
    }
    os << llvm::format("pruned %zu layers: %lld -> %lld nonzero weights (%.1f%% removed), "
                       "refit against the float model\n",
                       c.prunedLayers.size(), (long long)before, (long long)after,
                       before ? 100.0 * (before - after) / before : 0.0);
    bool alone = llvm::any_of(c.prunedLayers, [](const compress::PrunedLayer &l) {
      return l.aloneSqnrDb.has_value();
    });
    os << "  layer                      op       weights   nonzero   channels"
       << (alone ? "   alone: SQNR dB   top-1" : "") << "\n";
    for (const compress::PrunedLayer &l : c.prunedLayers) {
      std::string channels =
          l.channels ? std::to_string(l.channels) + " -> " + std::to_string(l.channelsKept) : "";
      os << llvm::format("  %-26s %-6s %9lld %8.1f%%   %-10s", l.node.c_str(), l.op.c_str(),
                         (long long)l.weights,
                         l.weights ? 100.0 * l.nonzeroAfter / l.weights : 0.0, channels.c_str());
      if (l.aloneSqnrDb) {
        std::string top1 = l.aloneTop1 ? llvm::formatv("{0:F2}%", 100 * *l.aloneTop1).str() : "-";
        os << llvm::format(" %14.1f %8s", *l.aloneSqnrDb, top1.c_str());
      }
      if (!l.applied)
        os << "   kept dense by the budget";
      else if (l.lighter)
        os << "   half the share by the budget";
      os << "\n";
    }
    size_t underdetermined = llvm::count_if(c.prunedLayers, [](const compress::PrunedLayer &l) {
      return l.inputs && l.samples < l.inputs;
    });
    if (underdetermined)
      os << llvm::format("  note: %zu layers were refit on fewer samples than they have inputs; "
                         "they fit the calibration data exactly, so the fidelity below "
                         "overstates it on other data (give more calibration input sets)\n",
                         underdetermined);
  }
  std::string int16 =
      c.int16Ops && !c.fixedPoint
          ? llvm::formatv("; int16 activations into {0} of the products", c.int16Ops).str()
          : "";
  std::string precision = c.fixedPoint ? c.fixedPoint->name() : c.int16Ops ? "int8/int16" : "int8";
  if (c.quantized)
    os << llvm::format("%s: %zu of %zu convolutions, matrix products and adds quantized%s%s%s\n",
                       precision.c_str(), c.quantizedOps, c.candidateOps,
                       int16.c_str(),
                       c.crossLayerEqualization ? "; weight ranges equalized across layers" : "",
                       c.biasCorrection ? "; biases corrected for the rounded weights" : "");
  os << llvm::format("weights %.1f KiB -> %.1f KiB\n", c.weightBytesBefore / 1024.0,
                     c.weightBytesAfter / 1024.0);
  os << llvm::format("against the float model on %zu calibration input sets", c.inputSets);
  if (c.quantized)
    os << llvm::format(" (%s%s%s)", c.fixedPoint ? "" : c.method.c_str(),
                       c.fixedPoint ? "fixed-point steps" : " ranges",
                       c.calibrationCached ? ", calibration from the cache" : "");
  os << ":\n";
  os << "  output                     SQNR dB   max |error|  mean |error|\n";
  for (const compress::FidelityReport::Output &o : c.outputs)
    os << llvm::format("  %-24s %9.1f %13.4g %13.4g\n", o.name.c_str(), o.sqnrDb, o.maxAbsError,
                       o.meanAbsError);
  if (c.top1Agreement)
    os << llvm::format("  top-1 agreement: %.2f%%", 100 * *c.top1Agreement);
  if (c.kl)
    os << llvm::format(", KL divergence %.3g", *c.kl);
  if (c.top1Agreement || c.kl)
    os << "\n";
  if (!c.layers.empty()) {
    os << "each layer alone in int8 against the float model:\n";
    os << "  layer                      op          SQNR dB   top-1       KL   precision\n";
    for (const compress::LayerSensitivity &l : c.layers) {
      std::string top1 = l.top1 ? llvm::formatv("{0:F2}%", 100 * *l.top1).str() : "-";
      std::string kl = "-";
      if (l.kl)
        llvm::raw_string_ostream(kl = "") << llvm::format("%.3g", *l.kl);
      os << llvm::format("  %-26s %-10s %8.1f %8s %8s   %s\n", l.node.c_str(), l.op.c_str(),
                         l.sqnrDb, top1.c_str(), kl.c_str(), l.precision.c_str());
    }
  }
  if (c.budget) {
    auto count = [&](llvm::StringRef precision) {
      return llvm::count_if(c.layers, [&](const compress::LayerSensitivity &l) {
        return l.precision == precision;
      });
    };
    std::string goal = c.budget->kind == compress::FidelityBudget::Kind::Top1
                           ? llvm::formatv("top-1 agreement >= {0:F2}%", 100 * c.budget->value).str()
                           : llvm::formatv("SQNR >= {0} dB", c.budget->value).str();
    std::string dense;
    if (c.prune) {
      size_t unpruned = llvm::count_if(c.prunedLayers, [](const compress::PrunedLayer &l) {
        return !l.applied;
      });
      size_t lighter = llvm::count_if(c.prunedLayers, [](const compress::PrunedLayer &l) {
        return l.lighter;
      });
      dense = llvm::formatv("{0} of {1} pruned layers kept dense, {2} at half the share, ",
                            unpruned, c.prunedLayers.size(), lighter)
                  .str();
    }
    os << llvm::format("budget %s: %s; %s%zu of %zu layers raised to int16, %zu kept in fp32 "
                       "(%zu whole-model trials)\n",
                       goal.c_str(), c.budgetMet ? "met" : "NOT met", dense.c_str(),
                       size_t(count("int16")), c.layers.size(), size_t(count("fp32")),
                       c.budgetTrials);
  }
  return text;
}

std::string renderSensitivitySvg(const compress::FidelityReport &c, llvm::StringRef model) {
  // One bar per layer: the output SQNR with only that layer in int8 (longer
  // is less sensitive), coloured by the precision it got.
  constexpr double kLabel = 260, kBar = 420, kRow = 18, kTop = 48;
  double most = 0;
  for (const compress::LayerSensitivity &l : c.layers)
    if (std::isfinite(l.sqnrDb))
      most = std::max(most, l.sqnrDb);
  double scale = kBar / std::max(most, 1.0);
  double height = kTop + kRow * c.layers.size() + 40, width = kLabel + kBar + 90;
  auto escape = [](llvm::StringRef text) {
    std::string out;
    for (char ch : text)
      out += ch == '<' ? "&lt;" : ch == '>' ? "&gt;" : ch == '&' ? "&amp;" : std::string(1, ch);
    return out;
  };
  std::string text;
  llvm::raw_string_ostream os(text);
  os << llvm::formatv("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{0}\" height=\"{1}\" "
                      "font-family=\"sans-serif\" font-size=\"11\">\n",
                      width, height);
  os << llvm::formatv("<text x=\"8\" y=\"18\" font-size=\"13\">{0}: output SQNR (dB) with one "
                      "layer in int8</text>\n",
                      escape(model));
  os << "<text x=\"8\" y=\"34\" fill=\"#555\">blue: int8, green: raised to int16, orange: "
        "kept in fp32"
     << (c.budget ? " by the fidelity budget" : "") << "</text>\n";
  for (auto [i, l] : llvm::enumerate(c.layers)) {
    double y = kTop + kRow * i;
    double length = std::isfinite(l.sqnrDb) ? std::max(0.0, l.sqnrDb) * scale : kBar;
    os << llvm::formatv("<text x=\"{0}\" y=\"{1}\" text-anchor=\"end\">{2}</text>\n",
                        kLabel - 6, y + 12, escape(l.node));
    os << llvm::formatv("<rect x=\"{0}\" y=\"{1}\" width=\"{2:F1}\" height=\"{3}\" "
                        "fill=\"{4}\"/>\n",
                        kLabel, y + 2, length, kRow - 4,
                        l.precision == "fp32"    ? "#e8892b"
                        : l.precision == "int16" ? "#3aa35a"
                                                 : "#3a76c4");
    os << llvm::formatv("<text x=\"{0:F1}\" y=\"{1}\">{2}</text>\n", kLabel + length + 4,
                        y + 12,
                        std::isfinite(l.sqnrDb) ? llvm::formatv("{0:F1}", l.sqnrDb).str()
                                                : std::string("exact"));
  }
  if (c.budget && c.budget->kind == compress::FidelityBudget::Kind::Sqnr) {
    double x = kLabel + std::max(0.0, c.budget->value) * scale;
    os << llvm::formatv("<line x1=\"{0:F1}\" y1=\"{1}\" x2=\"{0:F1}\" y2=\"{2}\" "
                        "stroke=\"#c00\" stroke-dasharray=\"4 3\"/>\n",
                        x, kTop, kTop + kRow * c.layers.size());
  }
  os << "</svg>\n";
  return text;
}

} // namespace lepton
