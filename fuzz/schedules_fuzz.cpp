// libFuzzer target: schedules as written in a zone (JSON), compiled and queried. The entry
// point and its invariants are in fuzz_targets.hpp (shared with
// tests/regressions_test.cpp).
#include "fuzz_targets.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  return warden::fuzz::schedules(data, size);
}
