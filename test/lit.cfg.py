# The cnnopt lit suite: .mlir tests run through cnnopt-opt, .cnn tests
# through cnnopt, .test files for anything else (models checked against
# torchvision).
import os
import lit.formats

config.name = "cnnopt"
config.test_format = lit.formats.ShTest(not lit_config.isWindows)
config.suffixes = [".mlir", ".cnn", ".test"]
config.excludes = ["Inputs", "unit", "CMakeLists.txt", "lit.cfg.py", "lit.site.cfg.py.in"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.cnnopt_obj_root, "test")

config.environment["PATH"] = os.pathsep.join(
    [config.cnnopt_tools_dir, config.llvm_tools_dir, config.environment.get("PATH", "")])
config.substitutions.append(("%cnnopt_bin", os.path.join(config.cnnopt_tools_dir, "cnnopt")))
config.substitutions.append(("%cnnopt_run_bin", os.path.join(config.cnnopt_tools_dir, "cnnopt-run")))
config.substitutions.append(("%infer_bin", os.path.join(config.cnnopt_tools_dir, "infer")))
for program in ["api-errors", "api-errors-asan", "api-errors-avx2", "train-api", "train_fashion_mnist",
                "gpu-api"]:
    config.substitutions.append(("%" + program.replace("-", "_") + "_bin",
                                 os.path.join(config.cnnopt_tools_dir, program)))
config.substitutions.append(("%cnnopt_runtime_lib", os.path.join(config.cnnopt_obj_root, "codegen", "runtime", "libcnnopt_runtime.a")))
config.substitutions.append(("%models", os.path.join(config.cnnopt_src_root, "models")))
config.substitutions.append(("%python", config.torch_python))
config.substitutions.append(("%srcroot", config.cnnopt_src_root))
# The package test (examples/cmake-package.test) installs this build and
# builds a project against it with the same CMake and generator.
config.substitutions.append(("%cnnopt_obj_root", config.cnnopt_obj_root))
config.substitutions.append(("%cmake_generator", config.cmake_generator))
config.substitutions.append(("%cmake", config.cmake_command))

# A build with -DCNNOPT_SANITIZE=... runs every tool and test program under
# the sanitizers, with the options CTest passes (CNNOPT_SANITIZER_ENV in the
# top-level CMakeLists.txt; lit passes *SAN_OPTIONS through). A test that
# cannot run so (an address-space limit does not mix with ASan's shadow
# memory) says `UNSUPPORTED: asan`.
if "address" in config.cnnopt_sanitize:
    config.available_features.add("asan")
# C programs that tests build by hand link the runtime library, so they use
# the build's compiler and sanitizers.
cc = config.c_compiler + " -std=c99"
if config.cnnopt_sanitize:
    cc += " -fsanitize=" + config.cnnopt_sanitize
config.substitutions.append(("%cc", cc))
