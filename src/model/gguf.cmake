# GGUF reader and dequantisation (torch-free); included from src/model/CMakeLists.txt.
soar_library(soar_gguf SOURCES ${CMAKE_CURRENT_LIST_DIR}/gguf.cpp ${CMAKE_CURRENT_LIST_DIR}/gguf_dequantize.cpp
             DEPS soar_core_base)
# Bit-exact with gguf-py's numpy: Q4_1's d * q + m rounds twice, never as one fused multiply-add.
set_source_files_properties(${CMAKE_CURRENT_LIST_DIR}/gguf_dequantize.cpp PROPERTIES COMPILE_OPTIONS -ffp-contract=off)
