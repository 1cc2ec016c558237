// Replays every fuzzing seed (fuzz/corpus/<target>/) and every input that
// once crashed a fuzz target (tests/regressions/<target>/) through the same
// entry points as the fuzzers (fuzz/fuzz_targets.hpp), built with the normal
// compiler. A crash, a sanitizer report (in the sanitizer CI stage) or a
// violated invariant (abort) fails the test; the file being replayed is
// printed first so that the failing input is named.
#include <catch2/catch.hpp>

#include "../fuzz/fuzz_targets.hpp"

#include <algorithm>
#include <filesystem>
#include <iostream>

namespace fs = std::filesystem;

namespace {

std::vector<fs::path> files_under(const fs::path& dir) {
  std::vector<fs::path> out;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return out;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.is_regular_file() && e.path().filename().string().front() != '.') out.push_back(e.path());
  std::sort(out.begin(), out.end());
  return out;
}

std::string slurp(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  std::ostringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

std::size_t replay(const fs::path& dir, int (*run)(const std::uint8_t*, std::size_t)) {
  std::size_t n = 0;
  for (const fs::path& p : files_under(dir)) {
    const std::string bytes = slurp(p);
    std::cerr << "replaying " << p.lexically_relative(WARDEN_SOURCE_DIR).string() << "\n";
    run(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size());
    ++n;
  }
  return n;
}

}  // namespace

TEST_CASE("every fuzz seed and crash regression replays cleanly", "[fuzz][regression]") {
  const fs::path src = WARDEN_SOURCE_DIR;
  for (const auto& t : warden::fuzz::all_targets) {
    CAPTURE(t.name);
    const std::size_t seeds = replay(src / "fuzz" / "corpus" / t.name, t.run);
    CHECK(seeds > 0);  // every target has a committed seed corpus
    replay(src / "tests" / "regressions" / t.name, t.run);
  }
}

// Inputs that crash warden today and wait for a fix in library code live in
// tests/regressions/<target>/open/ (each named in docs/reliability.md). They
// are replayed only on request (`regressions_test "[open]"`), so that the
// ordinary tests stay green; once fixed, move the file up one directory.
TEST_CASE("open crash regressions (known to fail until fixed)", "[.][open][fuzz]") {
  const fs::path src = WARDEN_SOURCE_DIR;
  std::size_t n = 0;
  for (const auto& t : warden::fuzz::all_targets) n += replay(src / "tests" / "regressions" / t.name / "open", t.run);
  WARN("replayed " << n << " open crash inputs without a crash");
}

TEST_CASE("the fuzz invariants reject what they should", "[fuzz][regression]") {
  // The checkpoint framing gives a restorable file for a real payload and
  // the trail-store repair keeps a valid store valid: otherwise the fuzzers
  // would spend their time on checksum failures.
  auto m = warden::fuzz::make_checkpoint_monitor();
  const std::string whole = m.checkpoint_bytes("app");
  const std::string payload = whole.substr(28, whole.size() - 36);
  CHECK(warden::fuzz::frame_checkpoint(payload) == whole);

  const fs::path store = WARDEN_SOURCE_DIR "/fuzz/corpus/trail_store/two_subjects";
  const std::string bytes = slurp(store);
  REQUIRE(bytes.size() > 32);
  std::string copy = bytes;
  warden::fuzz::put_le64(reinterpret_cast<unsigned char*>(copy.data()) + copy.size() - 8,
                         warden::fuzz::store_checksum::of(reinterpret_cast<const unsigned char*>(copy.data()),
                                                          copy.size() - 8));
  CHECK(copy == bytes);
}

TEST_CASE("the committed checkpoint seeds restore with the current engine", "[fuzz][regression]") {
  // The seeds are engine state in the current checkpoint format: when the
  // format or the state changes they stop restoring and the fuzzer only sees
  // bad_checkpoint. Regenerate them with `fuzz_make_seeds fuzz/corpus`
  // (docs/reliability.md).
  const auto seeds = files_under(WARDEN_SOURCE_DIR "/fuzz/corpus/checkpoint");
  REQUIRE(seeds.size() >= 2);
  for (const fs::path& p : seeds) {
    const std::string in = slurp(p);
    REQUIRE(!in.empty());
    const std::string_view rest = std::string_view(in).substr(1);
    const std::string bytes =
        (static_cast<unsigned char>(in[0]) & 1u) ? std::string(rest) : warden::fuzz::frame_checkpoint(rest);
    auto m = warden::fuzz::make_checkpoint_monitor();
    std::string app;
    const auto r = m.restore_bytes(bytes, &app);
    INFO(p.filename().string() << ": " << r.err().message);
    CHECK(r.ok());
    // A restored engine checkpoints back to the same file.
    if (r.ok()) CHECK(m.checkpoint_bytes(app) == bytes);
  }
}
