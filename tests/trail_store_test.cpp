// Tests of warden/trail_store.hpp: exact round trip at the stored
// resolution, ordered late inserts, duplicates, gaps, limits and the file.
#include <catch2/catch.hpp>

#include <warden/trail_store.hpp>

#include "trail_gen.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <tuple>
#include <vector>

using namespace warden;

namespace {

struct raw_fix {
  std::uint32_t subject;
  std::int64_t t_ms;
  xy pos;
  float acc;
};

std::vector<raw_fix> generated(std::uint64_t seed, std::uint32_t subjects, std::uint32_t days) {
  testgen::gen_params p;
  p.seed = seed;
  p.subjects = subjects;
  p.days = days;
  std::vector<raw_fix> out;
  testgen::generate(p, [&](std::uint32_t s, std::int64_t t, xy q, float a) { out.push_back({s, t, q, a}); });
  return out;
}

// What the store must give back for a fix: the nearest centimetre, the
// same millisecond, the accuracy rounded up to its code.
trail_fix expected(const raw_fix& f) {
  return trail_fix{from_epoch_ms(f.t_ms),
                   xy{static_cast<double>(std::llround(f.pos.x_m * 100.0)) / 100.0,
                      static_cast<double>(std::llround(f.pos.y_m * 100.0)) / 100.0},
                   detail::decode_accuracy(detail::encode_accuracy(f.acc))};
}

std::string temp_path(const std::string& name) {
  return (std::filesystem::temp_directory_path() / ("warden_trail_store_test_" + name)).string();
}

std::vector<char> read_all(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::vector<char>(std::istreambuf_iterator<char>(in), {});
}
void write_all(const std::string& path, const std::vector<char>& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

}  // namespace

TEST_CASE("accuracy codes round up, are monotone and round-trip", "[trail_store]") {
  float prev = 0;
  for (int k = 0; k < 256; ++k) {
    const float m = detail::decode_accuracy(static_cast<std::uint8_t>(k));
    CAPTURE(k, m);
    REQUIRE(m > prev);
    REQUIRE(detail::encode_accuracy(m) == k);
    prev = m;
  }
  CHECK(detail::decode_accuracy(0) == 0.5f);
  CHECK(detail::decode_accuracy(19) == 10.0f);  // the default accuracy is stored exactly
  CHECK(detail::decode_accuracy(127) == 64.0f);
  CHECK(detail::decode_accuracy(255) == Approx(15871.26));
  testgen::rng r(7);
  for (int i = 0; i < 100000; ++i) {
    const auto a = static_cast<float>(std::exp(r.uniform(-3, 10)));
    const std::uint8_t c = detail::encode_accuracy(a);
    CAPTURE(a, int(c));
    if (a <= detail::decode_accuracy(255)) {
      REQUIRE(detail::decode_accuracy(c) >= a);  // never smaller than reported
      if (c > 0) REQUIRE(detail::decode_accuracy(static_cast<std::uint8_t>(c - 1)) < a);
      // The step is at most 0.5 m or 4.4%.
      REQUIRE(detail::decode_accuracy(c) - a <= std::max(0.5f, a * 0.045f));
    } else {
      REQUIRE(c == 255);
    }
  }
}

TEST_CASE("fixes round-trip exactly at centimetre, millisecond and code resolution", "[trail_store]") {
  const auto fixes = generated(11, 6, 2);
  REQUIRE(fixes.size() > 10000);
  trail_store store;
  for (const raw_fix& f : fixes) REQUIRE(store.append(testgen::subject_name(f.subject), from_epoch_ms(f.t_ms), f.pos, f.acc));
  REQUIRE(store.subject_count() == 6);
  REQUIRE(store.fix_count() == fixes.size());
  std::size_t k = 0;
  for (std::uint32_t s = 0; s < 6; ++s) {
    const auto si = store.find(testgen::subject_name(s));
    REQUIRE(si == s);
    const trail_view v = store.view(si);
    for (std::size_t i = 0; i < v.size(); ++i, ++k) {
      CAPTURE(s, i);
      REQUIRE(v.at(i) == expected(fixes[k]));
      REQUIRE(std::fabs(v.pos(i).x_m - fixes[k].pos.x_m) <= 0.005 + 1e-9);
    }
  }
  // <= 12 bytes a fix, per-subject tables included.
  CHECK(static_cast<double>(store.stored_bytes()) / static_cast<double>(store.fix_count()) <= 12.1);
  // Re-appending what was read back is a duplicate: the round trip is exact.
  trail_store again;
  const trail_view v = store.view(0);
  for (std::size_t i = 0; i < v.size(); ++i) REQUIRE(again.append("x", v.time(i), v.pos(i), v.accuracy_m(i)));
  for (std::size_t i = 0; i < v.size(); ++i)
    REQUIRE(*again.append("x", v.time(i), v.pos(i), v.accuracy_m(i)) == append_outcome::duplicate);
  CHECK(again.duplicates_dropped() == v.size());
}

TEST_CASE("late fixes are inserted in order; content does not depend on arrival order", "[trail_store]") {
  auto fixes = generated(23, 3, 1);
  trail_store in_order, shuffled;
  for (const raw_fix& f : fixes) REQUIRE(in_order.append(testgen::subject_name(f.subject), from_epoch_ms(f.t_ms), f.pos, f.acc));
  testgen::rng r(5);
  for (std::size_t i = fixes.size(); i > 1; --i) std::swap(fixes[i - 1], fixes[r.below(i)]);
  std::size_t inserted = 0;
  for (const raw_fix& f : fixes) {
    auto o = shuffled.append(testgen::subject_name(f.subject), from_epoch_ms(f.t_ms), f.pos, f.acc);
    REQUIRE(o);
    inserted += *o == append_outcome::inserted;
  }
  CHECK(inserted > fixes.size() / 2);
  CHECK(shuffled.late_inserted() == inserted);
  for (std::uint32_t s = 0; s < 3; ++s) {
    const trail_view a = in_order.view(in_order.find(testgen::subject_name(s)));
    const trail_view b = shuffled.view(shuffled.find(testgen::subject_name(s)));
    REQUIRE(a.size() == b.size());
    for (std::size_t i = 0; i < a.size(); ++i) REQUIRE(a.at(i) == b.at(i));
  }
  // Same content, same file bytes (subjects are written in id order).
  const std::string pa = temp_path("order_a.wts"), pb = temp_path("order_b.wts");
  REQUIRE(in_order.save(pa));
  REQUIRE(shuffled.save(pb));
  CHECK(read_all(pa) == read_all(pb));
  std::filesystem::remove(pa);
  std::filesystem::remove(pb);
}

TEST_CASE("same-millisecond fixes, duplicates and the 49.7-day time words", "[trail_store]") {
  trail_store st;
  const auto t = from_epoch_ms(1774224000000LL);
  REQUIRE(*st.append("A", t, xy{100, 200}, 10) == append_outcome::appended);
  REQUIRE(*st.append("A", t, xy{100, 200}, 10) == append_outcome::duplicate);
  // Same time, different position: kept, ordered by position.
  REQUIRE(*st.append("A", t, xy{99, 200}, 10) == append_outcome::inserted);
  REQUIRE(*st.append("A", t, xy{100, 200}, 20) == append_outcome::appended);
  const trail_view v = st.view(0);
  REQUIRE(v.size() == 3);
  CHECK(v.pos(0).x_m == 99);
  CHECK(v.accuracy_m(2) == 20);
  // Times on both sides of 2^32 ms boundaries, appended out of order.
  trail_store w;
  const std::int64_t base = (std::int64_t{411} << 32) - 5000;  // 2^32 ms boundaries are 49.7 days apart
  std::vector<std::int64_t> times;
  for (int k = 0; k < 40; ++k) times.push_back(base + k * 1000 + (k % 7) * (std::int64_t{1} << 32) / 3);
  std::vector<std::int64_t> order = times;
  std::reverse(order.begin(), order.end());
  for (std::int64_t tm : order) REQUIRE(w.append("B", from_epoch_ms(tm), xy{0, 0}, 5));
  std::sort(times.begin(), times.end());
  const trail_view b = w.view(0);
  REQUIRE(b.size() == times.size());
  for (std::size_t i = 0; i < times.size(); ++i) REQUIRE(b.time_ms(i) == times[i]);
  for (std::int64_t tm : times) CHECK(b.time_ms(b.lower_bound(tm)) == tm);
}

TEST_CASE("bad fixes are refused with stable codes", "[trail_store]") {
  trail_store st;
  const auto t = from_epoch_ms(1774224000000LL);
  CHECK(st.append("", t, xy{0, 0}, 10).code() == errc::bad_id);
  CHECK(st.append("A", t, xy{0, 0}, 0).code() == errc::bad_accuracy);
  CHECK(st.append("A", t, xy{0, 0}, -1).code() == errc::bad_accuracy);
  CHECK(st.append("A", t, xy{0, 0}, std::nanf("")).code() == errc::bad_accuracy);
  CHECK(st.append("A", from_epoch_ms(-1), xy{0, 0}, 10).code() == errc::time_out_of_range);
  CHECK(st.append("A", t, xy{std::nan(""), 0}, 10).code() == errc::limit_exceeded);
  REQUIRE(st.append("A", t, xy{500000, 200000}, 10));
  // 2^27 - 1 cm from the first fix is the last that fits.
  CHECK(st.append("A", t + milliseconds{1}, xy{500000 + 1342177.27, 200000}, 10));
  CHECK(st.append("A", t + milliseconds{2}, xy{500000 - 1342177.28, 200000 - 1342177.28}, 10));
  CHECK(st.append("A", t + milliseconds{3}, xy{500000 + 1342177.28, 200000}, 10).code() == errc::limit_exceeded);
  CHECK(st.append("A", t + milliseconds{4}, xy{500000, 200000 - 1342177.29}, 10).code() == errc::limit_exceeded);
  CHECK(st.fix_count() == 3);
  // Accuracy above the table is stored as its maximum.
  REQUIRE(st.append("A", t + milliseconds{5}, xy{500000, 200000}, 50000));
  CHECK(st.view(0).accuracy_m(3) == detail::decode_accuracy(255));
}

TEST_CASE("gaps are segments strictly longer than max_gap", "[trail_store]") {
  trail_store_options opt;
  opt.max_gap = milliseconds{15 * 60 * 1000};
  trail_store st(opt);
  const std::int64_t t0 = 1774224000000LL;
  const std::int64_t offs[] = {0, 60'000, 60'000 + 900'000, 60'000 + 900'000 + 900'001, 3'000'000};
  for (std::int64_t o : offs) REQUIRE(st.append("A", from_epoch_ms(t0 + o), xy{0, 0}, 10));
  const auto g = st.gaps(0);
  REQUIRE(g.size() == 2);
  CHECK(g[0].before == 2);  // exactly 15 min is tracked, 15 min + 1 ms is a gap
  CHECK(to_epoch_ms(g[0].to) - to_epoch_ms(g[0].from) == 900'001);
  CHECK(g[1].before == 3);
  const trail_view v = st.view(0);
  CHECK_FALSE(v.is_gap(1));
  CHECK(v.is_gap(2));
}

TEST_CASE("save and load round-trip; damaged files are refused", "[trail_store]") {
  const auto fixes = generated(31, 4, 1);
  trail_store_options opt;
  opt.max_gap = milliseconds{600'000};
  trail_store st(opt, *tm_frame::utm(31));
  for (const raw_fix& f : fixes) REQUIRE(st.append(testgen::subject_name(3 - f.subject), from_epoch_ms(f.t_ms), f.pos, f.acc));
  const std::string path = temp_path("round.wts");
  REQUIRE(st.save(path));
  REQUIRE(trail_store::looks_like_store(path));
  auto back = trail_store::load(path);
  REQUIRE(back);
  CHECK(back->fix_count() == st.fix_count());
  CHECK(back->options().max_gap == opt.max_gap);
  CHECK(back->frame().describe() == st.frame().describe());
  for (std::uint32_t s = 0; s < 4; ++s) {
    const std::string id = testgen::subject_name(s);
    REQUIRE(back->find(id) == s);  // a loaded store numbers subjects in id order
    const trail_view a = st.view(st.find(id)), b = back->view(s);
    REQUIRE(a.size() == b.size());
    for (std::size_t i = 0; i < a.size(); ++i) REQUIRE(a.at(i) == b.at(i));
  }
  // Saving what was loaded gives the same bytes.
  const std::string path2 = temp_path("round2.wts");
  REQUIRE(back->save(path2));
  const auto bytes = read_all(path);
  REQUIRE(read_all(path2) == bytes);
  std::filesystem::remove(path2);

  auto expect_bad = [&](const std::vector<char>& b, const std::string& what) {
    const std::string p = temp_path("bad.wts");
    write_all(p, b);
    auto r = trail_store::load(p);
    INFO(what);
    REQUIRE_FALSE(r);
    CHECK(r.code() == errc::bad_store);
    std::filesystem::remove(p);
    return r.ok() ? std::string() : r.err().message;
  };
  // Every single flipped byte is caught (sampled across the file).
  testgen::rng r(3);
  for (int k = 0; k < 300; ++k) {
    auto b = bytes;
    const std::size_t at = k < 64 ? static_cast<std::size_t>(k) : r.below(b.size());
    b[at] = static_cast<char>(b[at] ^ static_cast<char>(1 + r.below(255)));
    CAPTURE(at);
    expect_bad(b, "flipped byte");
  }
  {
    auto b = bytes;
    b.resize(b.size() - 1);
    CHECK_THAT(expect_bad(b, "truncated"), Catch::Contains("truncated"));
    b.resize(20);
    expect_bad(b, "truncated header");
    b.resize(3);
    CHECK_THAT(expect_bad(b, "tiny"), Catch::Contains("not a warden trail store"));
  }
  {
    auto b = bytes;
    b.push_back('x');
    CHECK_THAT(expect_bad(b, "extended"), Catch::Contains("extended"));
  }
  {
    auto b = bytes;
    b[8] = 2;  // version 2
    CHECK_THAT(expect_bad(b, "version"), Catch::Contains("version 2"));
  }
  {
    auto b = bytes;
    b[b.size() - 20] ^= 0x10;
    CHECK_THAT(expect_bad(b, "checksum"), Catch::Contains("checksum"));
  }
  CHECK_THAT(expect_bad(std::vector<char>{'a', ',', 'b', '\n'}, "csv"), Catch::Contains("not a warden trail store"));
  CHECK(expect_bad(std::vector<char>{}, "empty").size() > 0);
  CHECK(trail_store::load(temp_path("does_not_exist.wts")).code() == errc::io_error);
  CHECK_FALSE(trail_store::looks_like_store(temp_path("does_not_exist.wts")));
  std::filesystem::remove(path);
}
