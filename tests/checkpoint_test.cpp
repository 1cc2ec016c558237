// Checkpoint and restore: restoring at every record boundary and carrying
// on gives the uninterrupted alert stream byte for byte; damaged
// checkpoints are refused.
#include <catch2/catch.hpp>

#include "monitor_support.hpp"

#include <cstdio>
#include <fstream>
#include <sstream>

using namespace warden;
using namespace warden::test;

namespace {

struct scenario {
  std::vector<zone> zones;
  std::vector<stored_fix> order;   // arrival order
  std::vector<instant> watermark;  // after each record
};

scenario make_scenario() {
  scenario s;
  s.zones = small_world(3);
  std::vector<stored_fix> fixes = small_tracks(11, 3, 4.5);
  // Arrival order with some late uploads.
  std::mt19937_64 rng(99);
  std::vector<std::pair<std::int64_t, std::size_t>> arrival;
  for (std::size_t i = 0; i < fixes.size(); ++i)
    arrival.push_back({to_epoch_ms(fixes[i].time) + ((rng() % 8 == 0) ? static_cast<std::int64_t>(rng() % 3'600'000) : 2000), i});
  std::sort(arrival.begin(), arrival.end());
  std::int64_t mx = 0;
  for (const auto& [a, i] : arrival) {
    s.order.push_back(fixes[i]);
    mx = std::max(mx, a);
    s.watermark.push_back(from_epoch_ms(mx - 600'000));
  }
  return s;
}

void feed(monitor& m, const scenario& s, std::size_t from, std::size_t to) {
  for (std::size_t i = from; i < to; ++i) {
    (void)m.push(s.order[i].view());
    if (i % 25 == 24) m.advance(s.watermark[i]);
  }
}

}  // namespace

TEST_CASE("restore at every record boundary gives the uninterrupted stream", "[monitor][checkpoint]") {
  const scenario s = make_scenario();
  recording_sink whole;
  auto m = monitor::create(s.zones, {}, {});
  REQUIRE(m);
  m->set_sink(&whole);
  feed(*m, s, 0, s.order.size());
  m->flush();
  INFO(s.order.size() << " records, " << whole.events.size() << " alert events");
  REQUIRE(whole.events.size() >= 4);

  for (std::size_t k = 0; k <= s.order.size(); ++k) {
    CAPTURE(k);
    recording_sink out;
    std::string bytes;
    {
      auto a = monitor::create(s.zones, {}, {});
      a->set_sink(&out);
      feed(*a, s, 0, k);
      bytes = a->checkpoint_bytes("app");
    }
    auto b = monitor::create(s.zones, {}, {});
    b->set_sink(&out);
    std::string app;
    REQUIRE(b->restore_bytes(bytes, &app));
    CHECK(app == "app");
    feed(*b, s, k, s.order.size());
    b->flush();
    REQUIRE(out.jsonl == whole.jsonl);
  }
}

TEST_CASE("checkpoint files are written atomically and read back", "[monitor][checkpoint]") {
  const scenario s = make_scenario();
  auto a = monitor::create(s.zones, {}, {});
  feed(*a, s, 0, s.order.size() / 2);
  const std::string path = "checkpoint_test.ckpt";
  REQUIRE(a->checkpoint(path, "pos 42"));
  auto b = monitor::create(s.zones, {}, {});
  std::string app;
  REQUIRE(b->restore(path, &app));
  CHECK(app == "pos 42");
  CHECK(b->checkpoint_bytes() == a->checkpoint_bytes());
  CHECK(b->restore("no_such_checkpoint.ckpt").code() == errc::io_error);
  std::remove(path.c_str());
}

TEST_CASE("damaged, truncated, wrong-version and foreign checkpoints are refused", "[monitor][checkpoint]") {
  const scenario s = make_scenario();
  auto a = monitor::create(s.zones, {}, {});
  recording_sink sink;
  a->set_sink(&sink);
  feed(*a, s, 0, s.order.size() / 2);
  const std::string good = a->checkpoint_bytes();
  const std::string before = a->checkpoint_bytes();

  // Every truncation length class, and bit flips across the file.
  for (std::size_t len : {std::size_t{0}, std::size_t{7}, std::size_t{20}, good.size() / 2, good.size() - 1}) {
    CAPTURE(len);
    CHECK(a->restore_bytes(good.substr(0, len)).code() == errc::bad_checkpoint);
  }
  for (std::size_t pos = 0; pos < good.size(); pos += std::max<std::size_t>(1, good.size() / 97)) {
    CAPTURE(pos);
    std::string bad = good;
    bad[pos] = static_cast<char>(bad[pos] ^ 0x10);
    CHECK(a->restore_bytes(bad).code() == errc::bad_checkpoint);
  }
  CHECK(a->restore_bytes(good + "x").code() == errc::bad_checkpoint);
  std::string ver = good;
  ver[8] = static_cast<char>(ver[8] + 1);
  const auto rv = a->restore_bytes(ver);
  CHECK(rv.code() == errc::bad_checkpoint);
  CHECK(rv.err().message.find("version") != std::string::npos);
  // A refused restore leaves the monitor as it was.
  CHECK(a->checkpoint_bytes() == before);

  // Different zones: refused.
  std::vector<zone> other = s.zones;
  other[0].version = "ffffffffffffffff";
  auto c = monitor::create(other, {}, {});
  const auto rc = c->restore_bytes(good);
  CHECK(rc.code() == errc::bad_checkpoint);
  CHECK(c->subject_count() == 0);
}
