# lit configuration for Lepton's FileCheck tests.
import os

import lit.formats
from lit.llvm import llvm_config

config.name = "Lepton"
config.test_format = lit.formats.ShTest(not llvm_config.use_lit_shell)
config.suffixes = [".mlir", ".test"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.lepton_obj_root, "test")
config.excludes = ["Inputs", "e2e", "unit", "CMakeLists.txt", "lit.cfg.py"]

llvm_config.with_system_environment(["HOME", "TMPDIR"])
llvm_config.use_default_substitutions()
config.substitutions.append(("%python", config.python_with_onnx))
config.substitutions.append(("%inputs", os.path.join(config.test_source_root, "Inputs")))
config.substitutions.append(("%lepton_bin", config.lepton_tools_dir))
config.substitutions.append(("%fake_cuda_driver", config.fake_cuda_driver))
config.substitutions.append(("%examples", os.path.join(config.lepton_src_root, "examples")))

llvm_config.with_environment("PATH", config.llvm_tools_dir, append_path=True)
llvm_config.with_environment("PATH", config.lepton_tools_dir, append_path=True)
