// Rules of the monitoring engine on small hand-made tracks, and the curfew
// tracker against evaluate_curfew.
#include <catch2/catch.hpp>

#include "../src/monitor_internal.hpp"
#include "monitor_support.hpp"

#include <warden/curfew.hpp>
#include <warden/monitor.hpp>

#include <random>

using namespace warden;
using namespace warden::test;

namespace {

struct rig {
  recording_sink sink;
  monitor m;
  explicit rig(std::vector<zone> zs, monitor_config cfg = {})
      : m(std::move(monitor::create(std::move(zs), {}, std::move(cfg)).value())) {
    m.set_sink(&sink);
  }
  errc push(const stored_fix& f) { return m.push(f.view()); }
  // A subject standing at p, one fix a minute over [a_s, b_s).
  void stay(const std::string& s, xy p, double a_s, double b_s, float acc = 8.0f) {
    for (double t = a_s; t < b_s; t += 60) push(make_fix(s, ts(t), p, acc));
  }
};

}  // namespace

TEST_CASE("exclusion: confirmed entry opens one episode, confirmed exit closes it", "[monitor]") {
  rig r({circle_zone("Z1", zone_kind::exclusion, at(0, 0), 200)});
  r.stay("S1", at(600, 0), 0, 600);      // outside
  r.stay("S1", at(50, 0), 600, 1200);    // inside for 10 minutes
  r.stay("S1", at(600, 0), 1200, 1800);  // out again
  r.m.flush();
  REQUIRE(r.sink.count(alert_event_kind::opened) == 1);
  REQUIRE(r.sink.count(alert_event_kind::closed) == 1);
  CHECK(r.sink.count(alert_event_kind::retracted) == 0);
  const alert_event& open = r.sink.events.front();
  CHECK(open.type == alert_type::exclusion);
  CHECK(open.zone_id == "Z1");
  CHECK(open.start == ts(600));       // the first inside fix
  CHECK(open.decided_at == ts(660));  // confirmed by the second
  CHECK(!open.end);
  const alert_event& closed = r.sink.events.back();
  CHECK(closed.event == alert_event_kind::closed);
  CHECK(closed.alert_id == open.alert_id);
  REQUIRE(closed.end);
  CHECK(*closed.end == ts(1200));  // the first outside fix of the exit run
  CHECK(closed.fix_count == 10);
  REQUIRE(closed.max_depth_m);
  CHECK(*closed.max_depth_m == Approx(150).margin(0.5));
  CHECK(open.alert_id == make_alert_id("S1", alert_rule::exclusion, "Z1", ts(600)));
  CHECK(!closed.fixes.empty());
  CHECK(closed.zone_version == "0000000000000001");
}

TEST_CASE("exclusion: one inside fix, or fixes within accuracy of the edge, raise nothing", "[monitor]") {
  rig r({circle_zone("Z1", zone_kind::exclusion, at(0, 0), 200)});
  r.stay("S1", at(300, 0), 0, 600);
  r.push(make_fix("S1", ts(600), at(250, 0)));  // still outside
  r.stay("S1", at(195, 0), 660, 1800, 20.0f);   // 5 m inside, accuracy 20 m: uncertain
  r.stay("S1", at(300, 0), 1800, 2400);
  r.m.flush();
  CHECK(r.sink.events.empty());
}

TEST_CASE("exclusion: a multipath spike claiming 5 m is rejected, never alerts", "[monitor]") {
  rig r({circle_zone("Z1", zone_kind::exclusion, at(200, 0), 60)});
  r.stay("S1", at(0, 0), 0, 1200, 6.0f);
  r.push(make_fix("S1", ts(1230), at(200, 0), 5.0f));  // 200 m away 30 s later, inside the zone
  r.stay("S1", at(0, 0), 1260, 2400, 6.0f);
  r.m.flush();
  CHECK(r.sink.events.empty());
  CHECK(r.m.counters().motion_rejected == 1);
  CHECK(r.m.subject_set_aside("S1").at(errc::impossible_jump) == 1);
}

TEST_CASE("inclusion: leaving the zone is the breach", "[monitor]") {
  rig r({square_zone("IN", zone_kind::inclusion, at(0, 0), 300)});
  r.stay("S1", at(0, 0), 0, 600);
  r.stay("S1", at(800, 0), 600, 1500);
  r.stay("S1", at(0, 0), 1500, 2100);
  r.m.flush();
  REQUIRE(r.sink.count(alert_event_kind::opened) == 1);
  REQUIRE(r.sink.count(alert_event_kind::closed) == 1);
  CHECK(r.sink.events.front().type == alert_type::inclusion);
  CHECK(r.sink.events.front().start == ts(600));
  CHECK(*r.sink.events.back().end == ts(1500));
}

TEST_CASE("curfew: away at the window start is a late-arrival breach after the grace period", "[monitor]") {
  zone home = circle_zone("H1", zone_kind::curfew_home, at(0, 0), 50, {"S1"});
  schedule_spec spec;
  spec.tz = "UTC";
  spec.windows = {{{"mon", "tue", "wed", "thu", "fri", "sat", "sun"}, "01:00", "03:00"}};
  home.schedule = spec;
  rig r({home});
  r.stay("S1", at(0, 0), 0, 1800);         // home before the window
  r.stay("S1", at(900, 0), 1800, 5400);     // away 00:30 - 01:30
  r.stay("S1", at(0, 0), 5400, 12000);      // home
  r.m.flush();
  REQUIRE(r.sink.count(alert_event_kind::opened) == 1);
  REQUIRE(r.sink.count(alert_event_kind::closed) == 1);
  const alert_event& c = r.sink.events.back();
  CHECK(c.type == alert_type::curfew);
  CHECK(c.start == ts(3600));  // the window start
  CHECK(c.late_arrival);
  REQUIRE(c.end);
  CHECK(*c.end == ts(5400));
  CHECK(c.schedule_json.find("\"01:00\"") != std::string::npos);
}

TEST_CASE("curfew: a short absence within grace is not a breach; outside the window nothing counts", "[monitor]") {
  zone home = circle_zone("H1", zone_kind::curfew_home, at(0, 0), 50, {"S1"});
  schedule_spec spec;
  spec.tz = "UTC";
  spec.windows = {{{"mon", "tue", "wed", "thu", "fri", "sat", "sun"}, "01:00", "03:00"}};
  home.schedule = spec;
  rig r({home});
  r.stay("S1", at(900, 0), 0, 3600);     // away before the window: fine
  r.stay("S1", at(0, 0), 3600, 6000);
  r.stay("S1", at(900, 0), 6000, 6600);  // 10 minutes away: within grace
  r.stay("S1", at(0, 0), 6600, 12000);
  r.m.flush();
  CHECK(r.sink.events.empty());
}

TEST_CASE("transit: a straight path through an exclusion zone between two fixes", "[monitor]") {
  rig r({circle_zone("Z1", zone_kind::exclusion, at(0, 0), 150)});
  // 15 m/s eastwards, one fix a minute: 900 m between fixes, the zone in between.
  r.push(make_fix("S1", ts(0), at(-1350, 0)));
  r.push(make_fix("S1", ts(60), at(-450, 0)));
  r.push(make_fix("S1", ts(120), at(450, 0)));
  r.push(make_fix("S1", ts(180), at(1350, 0)));
  r.m.flush();
  REQUIRE(r.sink.events.size() == 2);
  const alert_event& o = r.sink.events[0];
  CHECK(o.rule == alert_rule::transit);
  CHECK(o.type == alert_type::exclusion);
  CHECK(o.confidence == alert_confidence::probable);
  CHECK(o.priority >= 3);
  // Entry at x = -150: (450 - 150) / 900 of the way from t = 60 to 120.
  CHECK(o.start == ts(80));
  REQUIRE(o.fixes.size() == 3);
  const xy entry = frame().forward(lat_lon::from_degrees(o.fixes[1].lat_deg, o.fixes[1].lon_deg).value());
  CHECK(distance_m(entry, at(-150, 0)) < 0.5);
  CHECK(r.sink.events[1].event == alert_event_kind::closed);
}

TEST_CASE("bad records are set aside with reason codes and never alert", "[monitor]") {
  rig r({circle_zone("Z1", zone_kind::exclusion, at(0, 0), 200)});
  auto f = make_fix("S1", ts(0), at(0, 0));
  f.accuracy_m = 0;
  CHECK(r.push(f) == errc::bad_accuracy);
  f.accuracy_m = std::numeric_limits<float>::quiet_NaN();
  CHECK(r.push(f) == errc::bad_accuracy);
  f.accuracy_m = 90000;
  CHECK(r.push(f) == errc::bad_accuracy);
  auto g = make_fix("S1", ts(0) - std::chrono::hours{24 * 7 * 1024}, at(0, 0));
  g.received = ts(5);
  CHECK(r.push(g) == errc::gps_week_rollover);
  auto h = make_fix("S1", ts(3600), at(0, 0));
  h.received = ts(0);
  CHECK(r.push(h) == errc::future_time);
  // Before any advance() there is no watermark, but a fix received twenty
  // years after it was taken (a corrupt date, not a rollover) is still late
  // by its own received time and must not open twenty years of episodes.
  auto old_fix = make_fix("S1", ts(0) - std::chrono::hours{24 * 365 * 20}, at(0, 0));
  old_fix.received = ts(5);
  CHECK(r.push(old_fix) == errc::too_late);
  auto d = make_fix("S1", ts(10), at(0, 0));
  CHECK(r.push(d) == errc::ok);
  CHECK(r.push(d) == errc::duplicate_record);
  r.m.advance(ts(3 * 86400.0));
  CHECK(r.push(make_fix("S1", ts(20), at(0, 0))) == errc::too_late);
  r.m.flush();
  // Three days without a valid fix: unmonitored since the one good fix,
  // whatever bad records came after it; nothing else.
  REQUIRE(r.sink.events.size() == 1);
  CHECK(r.sink.events[0].type == alert_type::unmonitored);
  CHECK(r.sink.events[0].start == ts(10));
  const auto per = r.m.subject_set_aside("S1");
  CHECK(per.at(errc::bad_accuracy) == 3);
  CHECK(per.at(errc::gps_week_rollover) == 1);
  CHECK(per.at(errc::future_time) == 1);
  CHECK(per.at(errc::duplicate_record) == 1);
  CHECK(per.at(errc::too_late) == 2);
  CHECK(r.sink.aside.at(errc::too_late) == 2);
}

TEST_CASE("late data: an earlier inside fix amends the start, keeping the id", "[monitor]") {
  rig r({circle_zone("Z1", zone_kind::exclusion, at(0, 0), 200)});
  r.stay("S1", at(600, 0), 0, 600);
  // 660 is missing for now: confirmed at 720/780.
  r.stay("S1", at(50, 0), 720, 1200);
  r.m.advance(ts(1200));
  REQUIRE(r.sink.count(alert_event_kind::opened) == 1);
  const std::string id = r.sink.events.front().alert_id;
  CHECK(r.sink.events.front().start == ts(720));
  // The late fix: inside at 660 (and the 600 fix was in fact inside too).
  r.push(make_fix("S1", ts(660), at(50, 0)));
  r.m.flush();
  REQUIRE(r.sink.count(alert_event_kind::amended) == 1);
  const alert_event& a = r.sink.events.back();
  CHECK(a.event == alert_event_kind::amended);
  CHECK(a.alert_id == id);
  CHECK(a.start == ts(660));
}

TEST_CASE("late data: an outside fix that breaks the confirming run retracts the alert", "[monitor]") {
  monitor_config cfg;
  rig r({circle_zone("Z1", zone_kind::exclusion, at(0, 0), 200)}, cfg);
  r.stay("S1", at(600, 0), 0, 600);
  r.push(make_fix("S1", ts(600), at(50, 0)));
  r.push(make_fix("S1", ts(720), at(50, 0)));  // confirmed (2 inside, 120 s apart)
  r.stay("S1", at(600, 0), 840, 1500);
  r.m.advance(ts(1500));
  REQUIRE(r.sink.count(alert_event_kind::opened) == 1);
  // The fix at 660 arrives late: outside, so 600 and 720 were not consecutive.
  r.push(make_fix("S1", ts(660), at(600, 0)));
  r.m.flush();
  CHECK(r.sink.count(alert_event_kind::retracted) == 1);
  CHECK(r.sink.final_set().empty());
}

TEST_CASE("configuration file: overrides per zone and per subject", "[monitor]") {
  auto c = parse_monitor_config(R"({"rules":{"confirm_fixes":3},"zones":{"Z1":{"exit_fixes":4}},
    "subjects":{"S1":{"risk":"high","zones":{"Z1":{"confirm_fixes":2}}}},"allowed_lateness_s":3600})");
  REQUIRE(c);
  CHECK(c->rules.confirm_fixes == 3);
  CHECK(c->allowed_lateness == std::chrono::hours{1});
  CHECK(c->subjects.at("S1").risk == risk_level::high);
  CHECK(!parse_monitor_config(R"({"rules":{"confirm_fixes":0}})"));
  CHECK(parse_monitor_config(R"({"nonsense":1})").code() == errc::bad_property);
  rig r({circle_zone("Z1", zone_kind::exclusion, at(0, 0), 200)}, *c);
  r.stay("S2", at(600, 0), 0, 300);
  r.stay("S2", at(50, 0), 300, 420);  // two inside fixes: not enough for S2 (3 needed)
  r.stay("S2", at(600, 0), 420, 900);
  r.stay("S1", at(600, 0), 0, 300);
  r.stay("S1", at(50, 0), 300, 420);  // enough for S1 in Z1
  r.stay("S1", at(600, 0), 420, 900);
  r.m.flush();
  REQUIRE(r.sink.count(alert_event_kind::opened) == 1);
  CHECK(r.sink.events.front().subject_id == "S1");
  CHECK(r.sink.events.front().priority == 1);  // high risk
  CHECK(r.sink.events.front().params_json.find("\"confirm_fixes\":2") != std::string::npos);
}

// The incremental curfew tracker must give the same absences as the batch
// evaluator on any sorted sample sequence.
TEST_CASE("curfew tracker agrees with evaluate_curfew", "[monitor][curfew]") {
  const std::uint64_t seed = 20260323;
  std::mt19937_64 rng(seed);
  for (int trial = 0; trial < 2000; ++trial) {
    CAPTURE(seed, trial);
    const std::int64_t w0 = 3'600'000, w1 = w0 + 3'600'000 * (1 + static_cast<std::int64_t>(rng() % 4));
    std::vector<presence_sample> samples;
    std::int64_t t = static_cast<std::int64_t>(rng() % 3'600'000);
    while (t < w1 + 1'800'000) {
      const auto k = rng() % 10;
      const presence p = k < 4 ? presence::inside : k < 8 ? presence::outside : k < 9 ? presence::uncertain : presence::no_data;
      samples.push_back({from_epoch_ms(t), p});
      if (rng() % 7 == 0) samples.push_back({from_epoch_ms(t), rng() % 2 ? presence::inside : presence::outside});
      t += 1000 * static_cast<std::int64_t>(10 + rng() % (rng() % 5 == 0 ? 1500 : 180));
    }
    curfew_options opt;
    const auto rep = evaluate_curfew(samples, {from_epoch_ms(w0), from_epoch_ms(w1)}, opt);
    const detail::curfew_timing ct{opt.grace.count(), opt.stale_after.count(), opt.min_return.count()};
    detail::curfew_tracker tr;
    struct ep {
      std::int64_t s, e;
      bool breach, late;
    };
    std::vector<ep> got;
    auto on = [&](detail::curfew_event ev, const detail::curfew_tracker& c) {
      if (ev == detail::curfew_event::closed)
        got.push_back({c.ep_start, c.last_out_end, c.last_out_end - c.ep_start > ct.grace_ms, c.ep_start == w0});
    };
    bool started = false, ended = false;
    for (const auto& s : samples) {
      const std::int64_t st = to_epoch_ms(s.time);
      if (!started && st >= w0) {
        tr.start_window(w0, w1, on);
        started = true;
      }
      if (!ended && st >= w1) {
        if (!started) tr.start_window(w0, w1, on), started = true;
        tr.end_window(ct, on);
        ended = true;
      }
      tr.sample(st, s.state, ct, on);
    }
    if (!started) tr.start_window(w0, w1, on);
    if (!ended) tr.end_window(ct, on);
    REQUIRE(got.size() == rep.absences.size());
    for (std::size_t i = 0; i < got.size(); ++i) {
      CHECK(got[i].s == to_epoch_ms(rep.absences[i].start));
      CHECK(got[i].e == to_epoch_ms(rep.absences[i].end));
      CHECK(got[i].breach == rep.absences[i].breach);
      CHECK(got[i].late == rep.absences[i].late_arrival);
    }
  }
}

TEST_CASE("max_subjects: records of new subjects beyond the limit are set aside and counted, never a crash",
          "[monitor][limits]") {
  // S_ORD has an order (a zone names it) and V1 is a victim device: both are
  // taken beyond the limit. Limit 3: S0, S1, S2 get in, S3..S9 do not.
  std::vector<zone> zs = {circle_zone("H", zone_kind::curfew_home, at(0, 0), 50, {"S_ORD"})};
  victim_link l;
  l.subject_id = "S0";
  l.victim_id = "V1";
  monitor_config cfg;
  cfg.max_subjects = 3;
  auto m = monitor::create(zs, {l}, cfg);
  REQUIRE(m);
  recording_sink sink;
  m->set_sink(&sink);
  std::size_t refused = 0;
  for (int minute = 0; minute < 5; ++minute)
    for (int i = 0; i < 10; ++i) {
      const std::string id = "S" + std::to_string(i);
      const errc e = m->push(make_fix(id, ts(minute * 60.0), at(100.0 * i, 0)).view());
      CHECK(e == (i < 3 ? errc::ok : errc::subject_limit));
      refused += e == errc::subject_limit;
    }
  // The batch path refuses the same way.
  std::vector<stored_fix> batch = {make_fix("S7", ts(400), at(0, 0)), make_fix("S1", ts(400), at(100, 0)),
                                   make_fix("S_ORD", ts(400), at(0, 0)), make_fix("V1", ts(400), at(0, 0))};
  std::vector<fix> views;
  for (const auto& f : batch) views.push_back(f.view());
  std::vector<errc> out(views.size());
  CHECK(m->push_batch(views, out) == 3);
  CHECK(out[0] == errc::subject_limit);
  CHECK(out[1] == errc::ok);
  CHECK(out[2] == errc::ok);  // an order: always taken
  CHECK(out[3] == errc::ok);  // a victim device: always taken
  ++refused;
  stored_device_event d;
  d.subject_id = "S9";
  d.time = ts(420);
  d.type = device_event_type::strap_tamper;
  CHECK(m->push(d.view()) == errc::subject_limit);
  ++refused;
  CHECK(m->subject_count() == 5);
  CHECK(m->counters().set_aside.at(errc::subject_limit) == refused);
  CHECK(sink.aside[errc::subject_limit] == static_cast<int>(refused) - 1);  // fixes only
  CHECK(m->subject_set_aside("S7").empty());  // no state for refused ids
  CHECK(to_string(errc::subject_limit) == "subject_limit");
  m->flush();
  // 0 = unlimited; and the configuration file's key.
  cfg.max_subjects = 0;
  auto u = monitor::create({}, {}, cfg);
  for (int i = 0; i < 50; ++i) CHECK(u->push(make_fix("X" + std::to_string(i), ts(0), at(0, 0)).view()) == errc::ok);
  CHECK(u->subject_count() == 50);
  const auto c = parse_monitor_config(R"({"max_subjects": 1000})");
  REQUIRE(c);
  CHECK(c->max_subjects == 1000);
  CHECK(monitor_config{}.max_subjects == 2'000'000);
  CHECK(!parse_monitor_config(R"({"max_subjects": -1})"));
}

TEST_CASE("quantise_deg rounds exactly as std::llround(deg * 1e7)", "[monitor]") {
  std::mt19937_64 rng(20261122);
  std::uniform_real_distribution<double> lat(-90.0, 90.0), lon(-180.0, 180.0);
  auto check = [](double deg) {
    CAPTURE(deg);
    REQUIRE(detail::quantise_deg(deg) == static_cast<std::int32_t>(std::llround(deg * 1e7)));
  };
  for (int i = 0; i < 200000; ++i) {
    check(lat(rng));
    check(lon(rng));
  }
  // Ties and the values either side of them, both signs, and the ends.
  for (const double base : {0.0, 1.0, 51.5, 179.9999999, 89.9999999}) {
    for (const double half : {0.5e-7, 1.5e-7, 2.5e-7}) {
      for (const double sign : {1.0, -1.0}) {
        const double t = sign * (base + half);
        check(t);
        check(std::nextafter(t, 0.0));
        check(std::nextafter(t, 2.0 * t));
      }
    }
  }
  for (const double e : {-180.0, -90.0, 0.0, -0.0, 90.0, 180.0}) check(e);
  std::int64_t n = 0;  // exact ties of the scaled value: x.5
  for (std::int64_t k = -1'800'000'000; k <= 1'800'000'000; k += 7'777'777) {
    const double x = static_cast<double>(k) + 0.5;
    check(x / 1e7);
    ++n;
  }
  CHECK(n > 400);
}
