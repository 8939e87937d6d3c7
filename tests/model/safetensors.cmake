# safetensors tests; included from tests/model/CMakeLists.txt.
soar_test(safetensors_test SOURCES ${CMAKE_CURRENT_LIST_DIR}/safetensors_test.cpp
          DEPS soar_safetensors nlohmann_json::nlohmann_json LABELS unit)
soar_fuzz_replay_test(safetensors 5 DEPS soar_safetensors)

# Python library -> our reader.
soar_python_fixture(safetensors_reference make_safetensors_reference.py)
soar_test(safetensors_reference_test SOURCES ${CMAKE_CURRENT_LIST_DIR}/safetensors_reference_test.cpp
          DEPS soar_safetensors nlohmann_json::nlohmann_json LABELS reference FIXTURES safetensors_reference)

# Our writer -> the Python library: the C++ test writes files, then the checker loads them.
soar_test(safetensors_written_test SOURCES ${CMAKE_CURRENT_LIST_DIR}/safetensors_written_test.cpp
          DEPS soar_safetensors nlohmann_json::nlohmann_json LABELS reference)
set_tests_properties(safetensors_written_test PROPERTIES FIXTURES_SETUP safetensors_written)
add_test(NAME safetensors_written_check
  COMMAND "${SOAR_PYTHON}" "${PROJECT_SOURCE_DIR}/tests/python/check_safetensors_written.py"
          "${CMAKE_BINARY_DIR}/reference/safetensors_written")
set_tests_properties(safetensors_written_check PROPERTIES LABELS reference TIMEOUT 300
  FIXTURES_REQUIRED safetensors_written ENVIRONMENT "HF_HUB_OFFLINE=1;OMP_NUM_THREADS=1")
