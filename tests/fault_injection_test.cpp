// Fault injection: checkpoint and trail-store writes torn at every write(2)
// call, failing with EIO and ENOSPC, dying half-way (simulated crash),
// failing fsync and rename. After each, the previous good file still
// restores to the identical state, or restore fails with a clear error;
// never a silent fresh start. Truncated and bit-flipped files are refused.
#include <catch2/catch.hpp>

#include "monitor_support.hpp"

#include <warden/detail/atomic_file.hpp>
#include <warden/trail_store.hpp>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

using namespace warden;
using namespace warden::test;
namespace fs = std::filesystem;
using detail::io_fault;

namespace {

// A fresh directory per test case, removed afterwards.
struct temp_dir {
  fs::path dir;
  explicit temp_dir(const char* name) {
    dir = fs::temp_directory_path() / ("warden_fault_" + std::string(name) + "_" + std::to_string(::getpid()));
    fs::remove_all(dir);
    fs::create_directories(dir);
  }
  ~temp_dir() {
    detail::clear_io_fault_plan();
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
  std::string operator/(const char* f) const { return (dir / f).string(); }
  // Files other than `keep` (temporary files left behind).
  std::vector<std::string> others(const std::string& keep) const {
    std::vector<std::string> out;
    for (const auto& e : fs::directory_iterator(dir))
      if (e.path().string() != keep) out.push_back(e.path().filename().string());
    return out;
  }
};

std::string slurp(const std::string& p) {
  std::ifstream f(p, std::ios::binary);
  std::ostringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

void put(const std::string& p, std::string_view bytes) {
  std::ofstream f(p, std::ios::binary | std::ios::trunc);
  f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

const char* name(io_fault f) {
  switch (f) {
    case io_fault::none: return "none";
    case io_fault::error: return "EIO";
    case io_fault::no_space: return "ENOSPC";
    case io_fault::short_write: return "short write";
    case io_fault::interrupted: return "EINTR";
    case io_fault::crash: return "crash";
  }
  return "?";
}

constexpr io_fault all_faults[] = {io_fault::error, io_fault::no_space, io_fault::crash, io_fault::short_write,
                                   io_fault::interrupted};
bool must_fail(io_fault f) { return f == io_fault::error || f == io_fault::no_space || f == io_fault::crash; }

// Write calls a write takes when split into `chunk`-byte calls.
template <class F>
std::uint64_t count_writes(std::size_t chunk, F&& write) {
  detail::io_fault_plan p;
  p.at_write = ~std::uint64_t{0};
  p.max_write_bytes = chunk;
  detail::set_io_fault_plan(p);
  write();
  const std::uint64_t n = detail::io_write_calls();
  detail::clear_io_fault_plan();
  return n;
}

struct engine_states {
  std::vector<zone> zones = small_world(3);
  std::vector<stored_fix> fixes = small_tracks(5, 3, 3.0);
  monitor make() const {
    auto m = monitor::create(zones, {}, {});
    REQUIRE(m);
    return std::move(*m);
  }
  void feed(monitor& m, std::size_t from, std::size_t to) const {
    for (std::size_t i = from; i < to; ++i) (void)m.push(fixes[i].view());
    m.advance(fixes[to - 1].time - milliseconds{60'000});
  }
};

}  // namespace

TEST_CASE("atomic_file: plain writes, short writes and EINTR give the whole file", "[fault]") {
  temp_dir d("atomic");
  const std::string path = d / "f.bin";
  std::string bytes;
  for (int i = 0; i < 5000; ++i) bytes += static_cast<char>(i * 7);
  REQUIRE(detail::write_file_atomic(path, bytes));
  CHECK(slurp(path) == bytes);
  const std::uint64_t calls = count_writes(100, [&] { REQUIRE(detail::write_file_atomic(path, "x")); });
  CHECK(calls == 1);
  for (const io_fault f : {io_fault::short_write, io_fault::interrupted}) {
    for (std::uint64_t k = 0; k < 50; k += 7) {
      CAPTURE(name(f), k);
      detail::set_io_fault_plan({k, f, 100, false, false});
      REQUIRE(detail::write_file_atomic(path, bytes + std::to_string(k)));
      detail::clear_io_fault_plan();
      CHECK(slurp(path) == bytes + std::to_string(k));
    }
  }
  CHECK(d.others(path).empty());
}

TEST_CASE("atomic_file: a failed write leaves the old file and no temporary", "[fault]") {
  temp_dir d("atomic_fail");
  const std::string path = d / "f.bin";
  REQUIRE(detail::write_file_atomic(path, "old contents"));
  const std::string big(3000, 'n');
  const std::uint64_t calls = count_writes(256, [&] { REQUIRE(detail::write_file_atomic(d / "probe", big)); });
  fs::remove(d / "probe");
  REQUIRE(calls == 12);
  for (const io_fault f : {io_fault::error, io_fault::no_space}) {
    for (std::uint64_t k = 0; k < calls; ++k) {
      CAPTURE(name(f), k);
      detail::set_io_fault_plan({k, f, 256, false, false});
      auto r = detail::write_file_atomic(path, big);
      detail::clear_io_fault_plan();
      REQUIRE_FALSE(r);
      CHECK(r.code() == errc::io_error);
      CHECK_THAT(r.err().message, Catch::Contains(f == io_fault::no_space ? "No space left on device"
                                                                          : "Input/output error"));
      CHECK(slurp(path) == "old contents");
      CHECK(d.others(path).empty());
    }
  }
  for (const bool fsync_fails : {true, false}) {
    detail::set_io_fault_plan({~std::uint64_t{0}, io_fault::none, 0, fsync_fails, !fsync_fails});
    auto r = detail::write_file_atomic(path, big);
    detail::clear_io_fault_plan();
    REQUIRE_FALSE(r);
    CHECK_THAT(r.err().message, Catch::Contains(fsync_fails ? "cannot sync" : "cannot rename"));
    CHECK(slurp(path) == "old contents");
    CHECK(d.others(path).empty());
  }
  // A crash leaves the temporary (nobody was left to remove it), never the target.
  detail::set_io_fault_plan({3, io_fault::crash, 256, false, false});
  CHECK_FALSE(detail::write_file_atomic(path, big));
  detail::clear_io_fault_plan();
  CHECK(slurp(path) == "old contents");
  CHECK(d.others(path).size() == 1);
  // Unwritable place: a clear error naming the file.
  auto r = detail::write_file_atomic(d / "no_such_dir/f.bin", "x");
  REQUIRE_FALSE(r);
  CHECK_THAT(r.err().message, Catch::Contains("no_such_dir/f.bin.tmp"));
}

TEST_CASE("checkpoint torn at every write call: the previous checkpoint restores identically", "[fault][checkpoint]") {
  temp_dir d("checkpoint");
  const std::string path = d / "engine.ckpt";
  const engine_states es;
  REQUIRE(es.fixes.size() > 200);
  monitor m = es.make();
  const std::size_t half = es.fixes.size() / 2;
  es.feed(m, 0, half);
  REQUIRE(m.checkpoint(path, "at=half"));
  const std::string good = m.checkpoint_bytes("at=half");
  es.feed(m, half, es.fixes.size());
  const std::string newer = m.checkpoint_bytes("at=end");
  REQUIRE(newer != good);

  const std::size_t chunk = 1024;
  const std::uint64_t calls = count_writes(chunk, [&] { REQUIRE(m.checkpoint(d / "probe", "at=end")); });
  fs::remove(d / "probe");
  INFO(newer.size() << " bytes, " << calls << " write calls");
  REQUIRE(calls == (newer.size() + chunk - 1) / chunk);

  for (const io_fault f : all_faults) {
    for (std::uint64_t k = 0; k < calls; ++k) {
      CAPTURE(name(f), k);
      detail::set_io_fault_plan({k, f, chunk, false, false});
      const auto r = m.checkpoint(path, "at=end");
      detail::clear_io_fault_plan();
      monitor back = es.make();
      std::string app;
      const auto restored = back.restore(path, &app);
      REQUIRE(restored);
      if (must_fail(f)) {
        REQUIRE_FALSE(r);
        CHECK(r.code() == errc::io_error);
        CHECK(app == "at=half");
        CHECK(back.checkpoint_bytes("at=half") == good);
      } else {
        REQUIRE(r);
        CHECK(app == "at=end");
        CHECK(back.checkpoint_bytes("at=end") == newer);
        put(path, good);  // the next round starts from the good checkpoint again
      }
    }
  }
  // Restore from a missing checkpoint is an error, not a fresh start.
  monitor fresh = es.make();
  const auto missing = fresh.restore(d / "missing.ckpt");
  REQUIRE_FALSE(missing);
  CHECK(missing.code() == errc::io_error);
}

TEST_CASE("truncated and bit-flipped checkpoints are refused and change nothing", "[fault][checkpoint]") {
  temp_dir d("checkpoint_damage");
  const std::string path = d / "engine.ckpt";
  const engine_states es;
  monitor src = es.make();
  es.feed(src, 0, es.fixes.size() / 3);
  const std::string good = src.checkpoint_bytes("app");
  monitor m = es.make();
  es.feed(m, 0, 40);
  const std::string before = m.checkpoint_bytes("x");
  const std::size_t stride = std::max<std::size_t>(1, good.size() / 1500);
  for (std::size_t len = 0; len < good.size(); len += (len < 64 ? 1 : stride)) {
    CAPTURE(len, good.size());
    put(path, std::string_view(good).substr(0, len));
    const auto r = m.restore(path);
    REQUIRE_FALSE(r);
    CHECK(r.code() == errc::bad_checkpoint);
  }
  for (std::size_t i = 0; i < good.size(); i += (i < 64 ? 1 : stride)) {
    CAPTURE(i);
    std::string bad = good;
    bad[i] = static_cast<char>(bad[i] ^ (1 << (i % 8)));
    const auto r = m.restore_bytes(bad);
    REQUIRE_FALSE(r);
    CHECK(r.code() == errc::bad_checkpoint);
  }
  CHECK(m.checkpoint_bytes("x") == before);
  put(path, good + "x");
  CHECK(m.restore(path).code() == errc::bad_checkpoint);
  put(path, good);
  CHECK(m.restore(path));
  CHECK(m.checkpoint_bytes("app") == good);
}

namespace {

trail_store make_store(int subjects, int fixes_each, std::uint64_t seed) {
  trail_store s;
  std::mt19937_64 rng(seed);
  for (int k = 0; k < subjects; ++k) {
    const std::string id = "T" + std::to_string(k);
    for (int i = 0; i < fixes_each; ++i) {
      const xy p = at(static_cast<double>(rng() % 20000) - 10000.0, static_cast<double>(rng() % 20000) - 10000.0);
      REQUIRE(s.append(id, ts(60.0 * i + static_cast<double>(k)), p, 5.0f + static_cast<float>(rng() % 50)));
    }
  }
  return s;
}

}  // namespace

TEST_CASE("trail-store save torn at every write call: the previous store loads identically", "[fault][trail_store]") {
  temp_dir d("store");
  const std::string path = d / "trails.wts";
  const trail_store a = make_store(4, 50, 1);
  REQUIRE(a.save(path));
  const std::string good = slurp(path);
  const trail_store b = make_store(5, 60, 2);
  REQUIRE(b.save(d / "b.wts"));
  const std::string newer = slurp(d / "b.wts");
  fs::remove(d / "b.wts");

  const std::size_t chunk = 512;
  const std::uint64_t calls = count_writes(chunk, [&] { REQUIRE(b.save(d / "probe")); });
  fs::remove(d / "probe");
  INFO(newer.size() << " bytes, " << calls << " write calls");
  REQUIRE(calls == (newer.size() + chunk - 1) / chunk);

  for (const io_fault f : all_faults) {
    for (std::uint64_t k = 0; k < calls; ++k) {
      CAPTURE(name(f), k);
      detail::set_io_fault_plan({k, f, chunk, false, false});
      const auto r = b.save(path);
      detail::clear_io_fault_plan();
      auto loaded = trail_store::load(path);
      REQUIRE(loaded);
      REQUIRE(loaded->save(d / "again.wts"));
      if (must_fail(f)) {
        REQUIRE_FALSE(r);
        CHECK(r.code() == errc::io_error);
        CHECK(loaded->fix_count() == a.fix_count());
        CHECK(slurp(d / "again.wts") == good);
      } else {
        REQUIRE(r);
        CHECK(slurp(d / "again.wts") == newer);
        put(path, good);
      }
    }
  }
  for (const bool fsync_fails : {true, false}) {
    detail::set_io_fault_plan({~std::uint64_t{0}, io_fault::none, 0, fsync_fails, !fsync_fails});
    const auto r = b.save(path);
    detail::clear_io_fault_plan();
    REQUIRE_FALSE(r);
    CHECK(r.code() == errc::io_error);
    CHECK(slurp(path) == good);
  }
  const auto missing = trail_store::load(d / "missing.wts");
  REQUIRE_FALSE(missing);
  CHECK(missing.code() == errc::io_error);
}

TEST_CASE("truncated and bit-flipped trail stores are refused", "[fault][trail_store]") {
  temp_dir d("store_damage");
  const std::string path = d / "trails.wts";
  const trail_store a = make_store(3, 40, 3);
  REQUIRE(a.save(path));
  const std::string good = slurp(path);
  const std::size_t stride = std::max<std::size_t>(1, good.size() / 1500);
  for (std::size_t len = 0; len < good.size(); len += (len < 64 ? 1 : stride)) {
    CAPTURE(len, good.size());
    put(path, std::string_view(good).substr(0, len));
    const auto r = trail_store::load(path);
    REQUIRE_FALSE(r);
    CHECK(r.code() == errc::bad_store);
  }
  for (std::size_t i = 0; i < good.size(); i += (i < 64 ? 1 : stride)) {
    CAPTURE(i);
    std::string bad = good;
    bad[i] = static_cast<char>(bad[i] ^ (1 << (i % 8)));
    put(path, bad);
    const auto r = trail_store::load(path);
    REQUIRE_FALSE(r);
    CHECK(r.code() == errc::bad_store);
  }
  put(path, good);
  CHECK(trail_store::load(path));
}
