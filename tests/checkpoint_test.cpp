// Checkpoint and restore: restoring at every record boundary and carrying
// on gives the uninterrupted alert stream byte for byte; damaged
// checkpoints are refused.
#include <catch2/catch.hpp>

#include "monitor_support.hpp"

#include <cstdio>
#include <fstream>
#include <set>
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
  arrival_stream a = late_upload_stream(fixes, rng);
  s.order = std::move(a.order);
  s.watermark = std::move(a.watermark);
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

namespace {

// Issue-6 state: a subject linked to a victim device that comes near and
// goes away, device events (tamper, battery, no GPS) and an unmonitored gap,
// with late uploads.
struct rec {
  bool is_fix = true;
  stored_fix f;
  stored_device_event e;
};

struct health_scenario {
  std::vector<zone> zones;
  std::vector<victim_link> links;
  std::vector<rec> order;
  std::vector<instant> watermark;
};

health_scenario make_health_scenario() {
  health_scenario s;
  s.zones = small_world(3);
  victim_link l;
  l.subject_id = "S0";
  l.victim_id = "V0";
  s.links = {l};
  const instant t18 = parse_instant("2026-03-23T18:00:00Z").value();
  auto at_h = [&](double h) { return t18 + milliseconds{static_cast<std::int64_t>(h * 3'600'000)}; };
  std::vector<std::pair<std::int64_t, rec>> recs;
  for (const stored_fix& f : small_tracks(11, 3, 4.5)) {
    // S2 loses GPS at 1.5 h: cell fixes for 15 minutes (a no_gps episode),
    // then silence until 2.2 h (the unmonitored episode takes over).
    if (f.subject_id == "S2" && f.time >= at_h(1.75) && f.time < at_h(2.2)) continue;
    rec r;
    r.f = f;
    if (f.subject_id == "S2" && f.time >= at_h(1.5) && f.time < at_h(1.75)) {
      r.f.source = fix_source::lbs;
      r.f.accuracy_m = 400;
    }
    recs.push_back({to_epoch_ms(f.time), r});
    if (f.subject_id == "S0") {
      // The victim's device 30 s later: 250 m away in the second and fourth
      // hours, 4 km away otherwise.
      const double h = std::chrono::duration<double>(f.time - t18).count() / 3600;
      const bool near = (h >= 1 && h < 2) || (h >= 3 && h < 4);
      const xy p = frame().forward(f.pos);
      rec v;
      v.f = make_fix("V0", f.time + std::chrono::seconds{30}, {p.x_m + (near ? 250 : 4000), p.y_m}, 9.0f);
      recs.push_back({to_epoch_ms(v.f.time), v});
    }
  }
  const std::pair<double, device_event_type> evs[] = {
      {1.0, device_event_type::strap_tamper},   {1.3, device_event_type::strap_ok},
      {2.0, device_event_type::battery_low},    {3.0, device_event_type::battery_critical},
      {3.5, device_event_type::charging_start}, {1.5, device_event_type::no_gps},
      {2.2, device_event_type::gps_ok},         {0.5, device_event_type::device_offline},
      {0.6, device_event_type::device_online}};
  for (const auto& [h, type] : evs) {
    rec r;
    r.is_fix = false;
    r.e.subject_id = type == device_event_type::no_gps || type == device_event_type::gps_ok ? "S2" : "S1";
    r.e.time = at_h(h);
    r.e.type = type;
    recs.push_back({to_epoch_ms(r.e.time), r});
  }
  std::stable_sort(recs.begin(), recs.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  std::mt19937_64 rng(5);
  std::vector<std::int64_t> t;
  for (const auto& r : recs) t.push_back(r.first);
  arrival_plan p = late_upload_order(t, rng);
  for (const std::size_t i : p.order) s.order.push_back(recs[i].second);
  s.watermark = std::move(p.watermark);
  return s;
}

void feed(monitor& m, const health_scenario& s, std::size_t from, std::size_t to) {
  for (std::size_t i = from; i < to; ++i) {
    if (s.order[i].is_fix)
      (void)m.push(s.order[i].f.view());
    else
      (void)m.push(s.order[i].e.view());
    if (i % 25 == 24) m.advance(s.watermark[i]);
  }
}

}  // namespace

TEST_CASE("restore at every record boundary with proximity, device and unmonitored state", "[monitor][checkpoint]") {
  const health_scenario s = make_health_scenario();
  recording_sink whole;
  auto m = monitor::create(s.zones, s.links, {});
  REQUIRE(m);
  m->set_sink(&whole);
  feed(*m, s, 0, s.order.size());
  m->advance(parse_instant("2026-03-24T02:00:00Z").value());
  m->flush();
  INFO(s.order.size() << " records, " << whole.events.size() << " alert events");
  std::set<alert_rule> rules;
  for (const auto& e : whole.events) rules.insert(e.rule);
  for (const alert_rule r : {alert_rule::proximity, alert_rule::proximity_warning, alert_rule::unmonitored,
                             alert_rule::tamper, alert_rule::battery_low, alert_rule::battery_critical,
                             alert_rule::no_gps}) {
    CAPTURE(to_string(r));
    CHECK(rules.count(r) == 1);
  }
  for (std::size_t k = 0; k <= s.order.size(); k += (k < 40 ? 1 : 3)) {
    CAPTURE(k);
    recording_sink out;
    std::string bytes;
    {
      auto a = monitor::create(s.zones, s.links, {});
      a->set_sink(&out);
      feed(*a, s, 0, k);
      bytes = a->checkpoint_bytes("app");
    }
    auto b = monitor::create(s.zones, s.links, {});
    b->set_sink(&out);
    REQUIRE(b->restore_bytes(bytes));
    CHECK(b->checkpoint_bytes("app") == bytes);
    feed(*b, s, k, s.order.size());
    b->advance(parse_instant("2026-03-24T02:00:00Z").value());
    b->flush();
    REQUIRE(out.jsonl == whole.jsonl);
  }
  // Different links: refused.
  auto a = monitor::create(s.zones, s.links, {});
  feed(*a, s, 0, s.order.size() / 2);
  std::vector<victim_link> other = s.links;
  other[0].alert_m = 400;
  auto c = monitor::create(s.zones, other, {});
  CHECK(c->restore_bytes(a->checkpoint_bytes()).code() == errc::bad_checkpoint);
}

TEST_CASE("scheduled absences are part of the checkpoint's configuration fingerprint", "[monitor][checkpoint][absence]") {
  auto cfg_with = [](const char* end) {
    monitor_config c;
    schedule_spec a;
    a.windows = {{{"mon"}, "09:00", end}};
    c.subjects["S1"].absences = {a};
    return c;
  };
  auto a = monitor::create(small_world(2), {}, cfg_with("11:00"));
  REQUIRE(a);
  for (const stored_fix& f : small_tracks(3, 2, 1.0)) (void)a->push(f.view());
  const std::string bytes = a->checkpoint_bytes("x");
  auto same = monitor::create(small_world(2), {}, cfg_with("11:00"));
  CHECK(same->restore_bytes(bytes));
  auto other = monitor::create(small_world(2), {}, cfg_with("12:00"));
  CHECK(other->restore_bytes(bytes).code() == errc::bad_checkpoint);
  auto none = monitor::create(small_world(2), {}, {});
  CHECK(none->restore_bytes(bytes).code() == errc::bad_checkpoint);
  // Without absences the fingerprint is what it was: a monitor without them
  // restores a checkpoint of another without them.
  auto b = monitor::create(small_world(2), {}, {});
  CHECK(none->restore_bytes(b->checkpoint_bytes()));
}
