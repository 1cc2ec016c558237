// Unmonitored time, silent approach, device-health episodes and the "who is
// not being monitored" query of the monitoring engine.
#include <catch2/catch.hpp>

#include "monitor_support.hpp"

using namespace warden;
using namespace warden::test;

namespace {

struct urig {
  recording_sink sink;
  monitor m;
  explicit urig(std::vector<zone> zs = {}, std::vector<victim_link> links = {}, monitor_config cfg = {})
      : m(std::move(monitor::create(std::move(zs), std::move(links), std::move(cfg)).value())) {
    m.set_sink(&sink);
  }
  void fix(const std::string& id, double t_s, xy p, float acc = 8.0f) { (void)m.push(make_fix(id, ts(t_s), p, acc).view()); }
  void stay(const std::string& id, xy p, double a_s, double b_s) {
    for (double t = a_s; t < b_s; t += 60) fix(id, t, p);
  }
  void event(const std::string& id, double t_s, device_event_type e) {
    stored_device_event d;
    d.subject_id = id;
    d.time = ts(t_s);
    d.type = e;
    (void)m.push(d.view());
  }
  std::vector<alert_event> of(alert_rule r) const {
    std::vector<alert_event> v;
    for (const auto& e : sink.events)
      if (e.rule == r) v.push_back(e);
    return v;
  }
};

}  // namespace

TEST_CASE("unmonitored: a gap over 15 minutes is one episode from the last fix to the next", "[monitor][unmonitored]") {
  urig r;
  r.stay("S1", at(0, 0), 0, 600);
  // Silent from 540 s; the watermark moves on through the gap.
  r.m.advance(ts(540 + 900));  // exactly the gap: not yet
  CHECK(r.of(alert_rule::unmonitored).empty());
  r.m.advance(ts(540 + 901));
  auto u = r.of(alert_rule::unmonitored);
  REQUIRE(u.size() == 1);
  CHECK(u[0].event == alert_event_kind::opened);
  CHECK(u[0].type == alert_type::unmonitored);
  CHECK(u[0].start == ts(540));
  CHECK(u[0].priority == 3);
  REQUIRE(u[0].fixes.size() == 1);  // the last fix: where the subject was last seen
  CHECK(u[0].fixes[0].time == ts(540));
  // Priority rises with duration: 1 h, then 4 h.
  r.m.advance(ts(540 + 3600));
  r.m.advance(ts(540 + 4 * 3600 + 30));
  u = r.of(alert_rule::unmonitored);
  REQUIRE(u.size() == 3);
  CHECK(u[1].event == alert_event_kind::updated);
  CHECK(u[1].priority == 2);
  CHECK(u[2].priority == 1);
  r.stay("S1", at(0, 0), 540 + 5 * 3600, 540 + 5 * 3600 + 600);
  r.m.flush();
  u = r.of(alert_rule::unmonitored);
  REQUIRE(u.size() == 4);
  CHECK(u[3].event == alert_event_kind::closed);
  CHECK(u[3].alert_id == u[0].alert_id);
  REQUIRE(u[3].end);
  CHECK(*u[3].end == ts(540 + 5 * 3600));
  CHECK(u[3].fixes.back().time == ts(540 + 5 * 3600));  // and the fix that ended it
}

TEST_CASE("unmonitored: a gap found only when the next fix arrives is opened and closed at once", "[monitor][unmonitored]") {
  urig r;
  r.stay("S1", at(0, 0), 0, 600);
  r.stay("S1", at(0, 0), 3000, 3600);  // 540 .. 3000: 41 minutes
  r.m.flush();
  const auto u = r.of(alert_rule::unmonitored);
  REQUIRE(u.size() == 2);
  CHECK(u[0].event == alert_event_kind::opened);
  CHECK(u[1].event == alert_event_kind::closed);
  CHECK(u[1].start == ts(540));
  CHECK(*u[1].end == ts(3000));
  // A 14-minute gap is nothing.
  urig q;
  q.stay("S1", at(0, 0), 0, 600);
  q.stay("S1", at(0, 0), 540 + 840, 2400);
  q.m.flush();
  CHECK(q.sink.events.empty());
}

TEST_CASE("unmonitored: at home in RF range and charging explains a gap", "[monitor][unmonitored]") {
  urig r;
  r.stay("S1", at(0, 0), 0, 600);
  r.event("S1", 500, device_event_type::rf_in_range);
  r.event("S1", 550, device_event_type::charging_start);
  r.event("S1", 4000, device_event_type::charging_end);
  r.m.advance(ts(4000 + 600));
  CHECK(r.of(alert_rule::unmonitored).empty());  // unplugged 10 minutes ago: not yet
  r.m.advance(ts(4000 + 1000));
  const auto u = r.of(alert_rule::unmonitored);
  REQUIRE(u.size() == 1);
  CHECK(u[0].start == ts(4000));  // unexplained from the end of the explanation
  const auto who = r.m.unmonitored_now(ts(4000 + 1000));
  REQUIRE(who.size() == 1);
  CHECK(who[0].subject_id == "S1");
  CHECK(!who[0].explained);
}

TEST_CASE("unmonitored: silent approach — the reachable area touches a victim home", "[monitor][unmonitored]") {
  // The victim's home 20 km away: out of reach (13.9 m/s) after 16 minutes,
  // within it after 25.
  std::vector<zone> zs = {circle_zone("VH", zone_kind::victim_home, at(20'000, 0), 300, {"S1"}),
                          circle_zone("FAR", zone_kind::exclusion, at(-60'000, 0), 300, {"S1"})};
  urig r(zs);
  r.stay("S1", at(0, 0), 0, 120);
  r.m.advance(ts(60 + 16 * 60));
  auto u = r.of(alert_rule::unmonitored);
  REQUIRE(u.size() == 1);
  CHECK(u[0].evidence_extra_json.find("\"silent_approach\":false") != std::string::npos);
  const int p0 = u[0].priority;
  r.fix("S1", 60 + 25 * 60, at(0, 0));
  r.m.flush();
  u = r.of(alert_rule::unmonitored);
  REQUIRE(u.size() == 2);
  const alert_event& c = u[1];
  CHECK(c.event == alert_event_kind::closed);
  CHECK(c.evidence_extra_json.find("\"silent_approach\":true") != std::string::npos);
  CHECK(c.evidence_extra_json.find("\"zone_id\":\"VH\",\"kind\":\"victim_home\"") != std::string::npos);
  CHECK(c.evidence_extra_json.find("FAR") == std::string::npos);
  CHECK(c.priority == p0 - 1);
}

TEST_CASE("unmonitored: silent approach — the victim's last known position", "[monitor][unmonitored]") {
  victim_link l;
  l.subject_id = "S1";
  l.victim_id = "V1";
  urig r({}, {l});
  r.stay("V1", at(12'000, 0), 0, 3000);
  r.stay("S1", at(0, 0), 0, 120);
  r.stay("S1", at(0, 0), 60 + 20 * 60, 3000);  // 20 min: 16.7 km reachable, the victim is 12 km away
  r.m.flush();
  const auto u = r.of(alert_rule::unmonitored);
  REQUIRE(u.size() == 2);
  CHECK(u[1].evidence_extra_json.find("\"victim_id\":\"V1\"") != std::string::npos);
  // The victim device itself is not monitored: no episodes of its own.
  for (const auto& e : r.sink.events) CHECK(e.subject_id == "S1");
}

TEST_CASE("device events: deduplicated episodes with the fixes around them", "[monitor][device]") {
  urig r;
  r.stay("S1", at(0, 0), 0, 300);
  r.event("S1", 310, device_event_type::strap_tamper);
  r.event("S1", 320, device_event_type::strap_tamper);  // repeated: same episode
  r.event("S1", 330, device_event_type::case_tamper);
  r.stay("S1", at(0, 0), 360, 600);
  r.event("S1", 610, device_event_type::strap_ok);
  r.fix("S1", 660, at(0, 0));
  r.event("S1", 700, device_event_type::battery_low);
  r.stay("S1", at(0, 0), 720, 800);
  r.event("S1", 800, device_event_type::battery_low);  // repeated: same episode
  r.fix("S1", 840, at(0, 0));
  r.event("S1", 900, device_event_type::battery_critical);
  r.stay("S1", at(0, 0), 960, 1200);
  r.event("S1", 1210, device_event_type::charging_start);
  r.fix("S1", 1260, at(0, 0));
  r.event("S1", 1300, device_event_type::no_gps);
  r.stay("S1", at(0, 0), 1320, 1400);
  r.event("S1", 1400, device_event_type::gps_ok);
  r.stay("S1", at(0, 0), 1440, 1500);
  r.event("S1", 1500, device_event_type::device_offline);
  r.event("S1", 1560, device_event_type::device_online);
  r.stay("S1", at(0, 0), 1620, 1800);
  r.m.flush();
  const auto t = r.of(alert_rule::tamper);
  REQUIRE(t.size() == 2);
  CHECK(t[0].event == alert_event_kind::opened);
  CHECK(t[0].type == alert_type::tamper);
  CHECK(t[0].start == ts(310));
  CHECK(*t[1].end == ts(610));
  CHECK(t[1].fix_count == 4);               // 360 .. 540
  CHECK(t[1].fixes.front().time == ts(240));  // the fix before
  CHECK(t[0].priority == 2);
  const auto lo = r.of(alert_rule::battery_low), cr = r.of(alert_rule::battery_critical);
  REQUIRE(lo.size() == 2);
  REQUIRE(cr.size() == 2);
  CHECK(lo[0].type == alert_type::battery);
  CHECK(lo[0].start == ts(700));
  CHECK(cr[0].start == ts(900));
  CHECK(*lo[1].end == ts(1210));
  CHECK(*cr[1].end == ts(1210));
  CHECK(cr[1].priority < lo[1].priority);
  const auto ng = r.of(alert_rule::no_gps), off = r.of(alert_rule::device_offline);
  REQUIRE(ng.size() == 2);
  REQUIRE(off.size() == 2);
  CHECK(*ng[1].end == ts(1320));  // the first GPS fix after it proves GPS works (before gps_ok at 1400)
  CHECK(*off[1].end == ts(1560));
  CHECK(off[1].type == alert_type::unmonitored);
  CHECK(r.of(alert_rule::unmonitored).empty());
}

TEST_CASE("who is not being monitored now, and since when", "[monitor][unmonitored]") {
  // S9 has an order (a zone names it) and never reported; S2 has been
  // silent for a day; S1 reports; V1 is a victim device, never listed.
  std::vector<zone> zs = {circle_zone("H9", zone_kind::curfew_home, at(0, 0), 50, {"S9"})};
  victim_link l;
  l.subject_id = "S1";
  l.victim_id = "V1";
  urig r(zs, {l});
  r.stay("S2", at(0, 0), 0, 600);
  r.stay("S1", at(0, 0), 0, 90'000);
  const auto who = r.m.unmonitored_now(ts(90'000));
  REQUIRE(who.size() == 2);
  CHECK(who[0].subject_id == "S9");
  CHECK(!who[0].last_fix);
  CHECK(who[1].subject_id == "S2");
  REQUIRE(who[1].since);
  CHECK(*who[1].since == ts(540));
  // Measured against a 2-day gap, only the subject who never reported.
  CHECK(r.m.unmonitored_now(ts(90'000), std::chrono::hours{48}).size() == 1);
}
