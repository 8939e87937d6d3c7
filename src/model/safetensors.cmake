# safetensors reader/writer (torch-free); included from src/model/CMakeLists.txt.
soar_library(soar_safetensors SOURCES ${CMAKE_CURRENT_LIST_DIR}/safetensors.cpp
             DEPS soar_core_base nlohmann_json::nlohmann_json)
