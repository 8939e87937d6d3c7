# Finds libtorch inside the PyTorch wheel of the project's virtualenv (scripts/setup.sh) and
# works around the two measured traps of that wheel (docs/toolchain.md):
#  1. select_compute_arch.cmake tries to run a GPU probe: fix the arch list up front.
#  2. the CUDA toolkit's older system NCCL shadows the wheel's: rpath-link the wheel's NCCL.
if(NOT SOAR_PYTHON)
  if(DEFINED ENV{SOAR_HOME})
    set(_soar_home "$ENV{SOAR_HOME}")
  else()
    set(_soar_home "$ENV{HOME}/.cache/soar")
  endif()
  if(EXISTS "${_soar_home}/venv/bin/python")
    set(_default_python "${_soar_home}/venv/bin/python")
  else()
    find_program(_default_python NAMES python3 REQUIRED)
  endif()
  set(SOAR_PYTHON "${_default_python}" CACHE FILEPATH "Python with torch and the reference libraries")
endif()

execute_process(
  COMMAND "${SOAR_PYTHON}" -c "import torch, os; print(torch.utils.cmake_prefix_path); print(os.path.dirname(os.path.dirname(torch.__file__))); print(torch.__version__)"
  OUTPUT_VARIABLE _torch_info OUTPUT_STRIP_TRAILING_WHITESPACE RESULT_VARIABLE _torch_rc)
if(NOT _torch_rc EQUAL 0)
  message(FATAL_ERROR "soar: '${SOAR_PYTHON}' cannot import torch. Run scripts/setup.sh first, or pass -DSOAR_PYTHON=/path/to/python.")
endif()
string(REPLACE "\n" ";" _torch_info "${_torch_info}")
list(GET _torch_info 0 _torch_prefix)
list(GET _torch_info 1 SOAR_SITE_PACKAGES)
list(GET _torch_info 2 SOAR_TORCH_VERSION)
message(STATUS "soar: torch ${SOAR_TORCH_VERSION} from ${_torch_prefix}")

if(NOT TORCH_CUDA_ARCH_LIST)
  set(TORCH_CUDA_ARCH_LIST "9.0" CACHE STRING "CUDA architectures for torch's CMake config")
endif()
set(ENV{TORCH_CUDA_ARCH_LIST} "${TORCH_CUDA_ARCH_LIST}")
list(PREPEND CMAKE_PREFIX_PATH "${_torch_prefix}")
if(NOT SOAR_CUDA)
  # torch's config enables CUDA whenever nvcc is present; CMake then gives CMAKE_CUDA_ARCHITECTURES
  # a default, which torch warns about on every configure. A CPU build compiles no CUDA: no default.
  cmake_policy(SET CMP0104 OLD)
endif()
find_package(Torch REQUIRED)

set(_nccl_lib "${SOAR_SITE_PACKAGES}/nvidia/nccl/lib")
if(EXISTS "${_nccl_lib}")
  add_link_options("LINKER:-rpath-link,${_nccl_lib}")
endif()

# torch's config adds flags meant for its own build; keep only the targets.
add_library(soar_torch INTERFACE)
target_link_libraries(soar_torch INTERFACE ${TORCH_LIBRARIES})
# at::parallel_for is a header template: without OpenMP in the code that calls it, it runs every
# loop on the calling thread (ATen/Parallel-inl.h: INTRA_OP_PARALLEL needs _OPENMP); found
# 2026-12-07 (docs/journal/2026-12-07-cpu-real-model-engine.md). The wheel's libgomp.so.1
# (torch/lib, on the rpath) is then the one OpenMP runtime in the process, the one whose thread
# count at::set_num_threads sets.
find_package(OpenMP REQUIRED COMPONENTS CXX)
target_link_libraries(soar_torch INTERFACE OpenMP::OpenMP_CXX)
target_include_directories(soar_torch SYSTEM INTERFACE ${TORCH_INCLUDE_DIRS})
# SOAR_CUDA is defined only in the few files with CUDA-specific code (see soar_cuda_code()), so every
# other object is identical in the CPU and CUDA builds and ccache serves both.
function(soar_cuda_code target)
  if(SOAR_CUDA)
    target_compile_definitions(${target} PRIVATE SOAR_CUDA=1)
  endif()
endfunction()
