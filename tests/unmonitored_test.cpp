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
  // One silence, one episode (engine.md "Device episodes"): no_gps at 1300
  // followed by GPS fixes from 1320 is no episode at all (nothing was
  // degraded: GPS was back before any other fix); device_offline at 1500
  // is the unmonitored episode at once, from the last fix (1440) to the
  // next fix (1620), naming the report — device_online at 1560 does not end
  // a silence that only a fix ends. No device_offline episodes any more.
  CHECK(r.of(alert_rule::no_gps).empty());
  CHECK(r.of(alert_rule::device_offline).empty());
  const auto u = r.of(alert_rule::unmonitored);
  REQUIRE(u.size() == 2);
  CHECK(u[0].event == alert_event_kind::opened);
  CHECK(u[0].start == ts(1440));
  CHECK(u[0].decided_at == ts(1500));  // not a gap later
  CHECK(u[0].evidence_extra_json.find("\"device_reported\":[\"device_offline\"]") != std::string::npos);
  CHECK(u[1].event == alert_event_kind::closed);
  CHECK(*u[1].end == ts(1620));
  CHECK(u[1].type == alert_type::unmonitored);
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

namespace {

instant iso(const char* s) { return parse_instant(s).value(); }

// Reports once a minute at p over [a, b).
void stay_iso(urig& r, const std::string& id, xy p, instant a, instant b) {
  for (instant t = a; t < b; t += std::chrono::minutes{1}) (void)r.m.push(make_fix(id, t, p).view());
}

monitor_config with_absences(const std::string& json) {
  auto c = parse_monitor_config(json);
  REQUIRE(c);
  return *c;
}

}  // namespace

TEST_CASE("scheduled absences: read from the configuration, checked like a zone's schedule", "[monitor][unmonitored][absence]") {
  const auto c = parse_monitor_config(
      R"({"subjects": {"S1": {"risk": "high", "absences": [
           {"tz": "Europe/London", "windows": [{"days": ["mon"], "start": "09:00", "end": "11:00"}]},
           {"windows": [{"days": ["sat"], "start": "22:00", "end": "06:00"}], "except": ["2026-12-26"], "until": "2027-01-31"}]}}})");
  REQUIRE(c);
  const auto& a = c->subjects.at("S1").absences;
  REQUIRE(a.size() == 2);
  CHECK(a[0].windows[0].start == "09:00");
  CHECK(a[1].tz == "Europe/London");
  CHECK(a[1].except == std::vector<std::string>{"2026-12-26"});
  CHECK(a[1].until == "2027-01-31");
  for (const char* bad : {
           R"({"subjects": {"S1": {"absences": {"windows": []}}}})",                                         // not an array
           R"({"subjects": {"S1": {"absences": [{"tz": "Mars/Olympus", "windows": [{"days": ["mon"], "start": "09:00", "end": "10:00"}]}]}}})",
           R"({"subjects": {"S1": {"absences": [{"windows": [{"days": ["mon"], "start": "9am", "end": "10:00"}]}]}}})",
           R"({"subjects": {"S1": {"absences": [{"windows": [{"days": ["mon"], "start": "09:00", "end": "10:00"}], "untill": "2027-01-01"}]}}})",
           R"({"subjects": {"S1": {"absences": [{"windows": [{"days": ["mon"], "start": "09:00"}]}]}}})",
           R"({"subjects": {"S1": {"absences": [{"tz": "Europe/London"}]}}})"}) {
    CAPTURE(bad);
    const auto r = parse_monitor_config(bad);
    REQUIRE(!r);
    CHECK(r.code() == errc::bad_property);
  }
}

TEST_CASE("scheduled absences: a silence inside an appointment is explained, one that outlasts it is unmonitored from its end",
          "[monitor][unmonitored][absence]") {
  // Mondays 09:00-11:00 London (GMT on 23 March 2026: 09:00Z-11:00Z).
  const monitor_config cfg = with_absences(
      R"({"subjects": {"S1": {"absences": [{"tz": "Europe/London", "windows": [{"days": ["mon"], "start": "09:00", "end": "11:00"}]}]}}})");
  SECTION("inside: nothing, and the query says explained") {
    urig r({}, {}, cfg);
    stay_iso(r, "S1", at(0, 0), iso("2026-03-23T08:00:00Z"), iso("2026-03-23T08:56:00Z"));  // last 08:55
    r.m.advance(iso("2026-03-23T10:30:00Z"));
    CHECK(r.of(alert_rule::unmonitored).empty());
    const auto who = r.m.unmonitored_now(iso("2026-03-23T10:30:00Z"));
    REQUIRE(who.size() == 1);
    CHECK(who[0].explained);
    r.m.advance(iso("2026-03-23T11:14:00Z"));  // 14 minutes after the end: not yet
    CHECK(r.of(alert_rule::unmonitored).empty());
    CHECK(r.m.unmonitored_now(iso("2026-03-23T11:14:00Z"))[0].explained);
    stay_iso(r, "S1", at(0, 0), iso("2026-03-23T11:10:00Z"), iso("2026-03-23T12:00:00Z"));
    r.m.flush();
    CHECK(r.sink.events.empty());
  }
  SECTION("outlasting: opened a gap after the end, starting at the end") {
    urig r({}, {}, cfg);
    stay_iso(r, "S1", at(0, 0), iso("2026-03-23T08:00:00Z"), iso("2026-03-23T08:56:00Z"));
    r.m.advance(iso("2026-03-23T11:15:00Z"));
    CHECK(r.of(alert_rule::unmonitored).empty());
    r.m.advance(iso("2026-03-23T11:15:01Z"));
    auto u = r.of(alert_rule::unmonitored);
    REQUIRE(u.size() == 1);
    CHECK(u[0].event == alert_event_kind::opened);
    CHECK(u[0].start == iso("2026-03-23T11:00:00Z"));
    const auto who = r.m.unmonitored_now(iso("2026-03-23T11:20:00Z"));
    REQUIRE(who.size() == 1);
    CHECK(!who[0].explained);
    CHECK(*who[0].since == iso("2026-03-23T08:55:00Z"));  // the last fix, as ever
    stay_iso(r, "S1", at(0, 0), iso("2026-03-23T11:40:00Z"), iso("2026-03-23T12:00:00Z"));
    r.m.flush();
    u = r.of(alert_rule::unmonitored);
    REQUIRE(u.size() == 2);
    CHECK(*u[1].end == iso("2026-03-23T11:40:00Z"));
    CHECK(u[1].start == iso("2026-03-23T11:00:00Z"));
  }
  SECTION("silent long before it: the appointment does not excuse the hour before") {
    urig r({}, {}, cfg);
    stay_iso(r, "S1", at(0, 0), iso("2026-03-23T07:00:00Z"), iso("2026-03-23T08:01:00Z"));  // last 08:00
    // Seen only when the next fix arrives, after the appointment.
    stay_iso(r, "S1", at(0, 0), iso("2026-03-23T11:05:00Z"), iso("2026-03-23T11:30:00Z"));
    r.m.flush();
    const auto u = r.of(alert_rule::unmonitored);
    REQUIRE(u.size() == 2);
    CHECK(u[1].start == iso("2026-03-23T08:00:00Z"));
    CHECK(*u[1].end == iso("2026-03-23T11:05:00Z"));
  }
  SECTION("another subject has no appointment") {
    urig r({}, {}, cfg);
    stay_iso(r, "S2", at(0, 0), iso("2026-03-23T08:00:00Z"), iso("2026-03-23T08:56:00Z"));
    stay_iso(r, "S2", at(0, 0), iso("2026-03-23T10:50:00Z"), iso("2026-03-23T11:00:00Z"));
    r.m.flush();
    const auto u = r.of(alert_rule::unmonitored);
    REQUIRE(u.size() == 2);
    CHECK(u[0].start == iso("2026-03-23T08:55:00Z"));
  }
}

TEST_CASE("scheduled absences: night shifts across the Europe/London clock changes", "[monitor][unmonitored][absence]") {
  // Saturday night shift 22:00-06:00 local. Spring forward (29 March 2026):
  // 22:00 GMT = 22:00Z to 06:00 BST = 05:00Z, 7 hours. Fall back
  // (25 October 2026): 22:00 BST = 21:00Z to 06:00 GMT = 06:00Z, 9 hours.
  // A fixed-offset reading would end the first at 06:00Z and the second
  // at 05:00Z: both cases below would then come out the other way.
  const monitor_config cfg = with_absences(
      R"({"subjects": {"S1": {"absences": [{"tz": "Europe/London", "windows": [{"days": ["sat"], "start": "22:00", "end": "06:00"}]}]}}})");
  struct night {
    const char *last, *back;
    const char* start;  // nullptr: explained
  };
  for (const night& n : {night{"2026-03-28T21:55:00Z", "2026-03-29T05:12:00Z", nullptr},
                         night{"2026-03-28T21:55:00Z", "2026-03-29T05:40:00Z", "2026-03-29T05:00:00Z"},
                         night{"2026-10-24T20:55:00Z", "2026-10-25T06:10:00Z", nullptr},
                         night{"2026-10-24T20:55:00Z", "2026-10-25T06:30:00Z", "2026-10-25T06:00:00Z"}}) {
    CAPTURE(n.last, n.back);
    urig r({}, {}, cfg);
    stay_iso(r, "S1", at(0, 0), iso(n.last) - std::chrono::hours{1}, iso(n.last) + std::chrono::minutes{1});
    // Watermarks every 5 minutes through the night, as `warden check` moves them.
    for (instant w = iso(n.last); w < iso(n.back); w += std::chrono::minutes{5}) r.m.advance(w);
    stay_iso(r, "S1", at(0, 0), iso(n.back), iso(n.back) + std::chrono::minutes{30});
    r.m.flush();
    const auto u = r.of(alert_rule::unmonitored);
    if (!n.start) {
      CHECK(u.empty());
      continue;
    }
    REQUIRE(u.size() == 2);
    CHECK(u[0].start == iso(n.start));
    CHECK(*u[1].end == iso(n.back));
  }
}

namespace {

void fix_src(urig& r, const std::string& id, double t_s, fix_source src, float acc = 8.0f) {
  stored_fix f = make_fix(id, ts(t_s), at(0, 0), acc);
  f.source = src;
  (void)r.m.push(f.view());
}

// No two episodes of type unmonitored (the gap rule, no_gps, device_offline)
// of one subject overlap in time in the final set.
void check_one_episode_per_silence(const urig& r) {
  std::vector<std::pair<instant, instant>> spans;
  for (const auto& [id, e] : r.sink.final_set())
    if (e.type == alert_type::unmonitored) spans.push_back({e.start, e.end.value_or(max_instant())});
  std::sort(spans.begin(), spans.end());
  INFO(r.sink.jsonl);
  for (std::size_t i = 1; i < spans.size(); ++i) CHECK(spans[i].first >= spans[i - 1].second);
}

}  // namespace

TEST_CASE("one silence, one episode: no_gps is an episode only while other fixes keep coming", "[monitor][unmonitored][device]") {
  SECTION("no_gps, then LBS fixes: degraded monitoring, one no_gps episode from the report to the next GPS fix") {
    urig r;
    r.stay("S1", at(0, 0), 0, 600);
    r.event("S1", 610, device_event_type::no_gps);
    for (double t = 660; t < 1800; t += 60) fix_src(r, "S1", t, fix_source::lbs, 400);
    r.stay("S1", at(0, 0), 1800, 2000);
    r.m.flush();
    const auto ng = r.of(alert_rule::no_gps);
    REQUIRE(ng.size() == 2);
    CHECK(ng[0].event == alert_event_kind::opened);
    CHECK(ng[0].start == ts(610));
    CHECK(ng[0].decided_at == ts(660));  // when the first LBS fix showed it
    CHECK(*ng[1].end == ts(1800));
    CHECK(ng[1].type == alert_type::unmonitored);
    CHECK(r.of(alert_rule::unmonitored).empty());
  }
  SECTION("no_gps, then nothing: only the unmonitored episode, naming the report") {
    urig r;
    r.stay("S1", at(0, 0), 0, 600);
    r.event("S1", 545, device_event_type::no_gps);
    r.m.advance(ts(540 + 901));
    r.stay("S1", at(0, 0), 3000, 3200);
    r.m.flush();
    CHECK(r.of(alert_rule::no_gps).empty());
    const auto u = r.of(alert_rule::unmonitored);
    REQUIRE(u.size() == 2);
    CHECK(u[0].start == ts(540));
    CHECK(u[0].evidence_extra_json.find("\"device_reported\":[\"no_gps\"]") != std::string::npos);
    CHECK(*u[1].end == ts(3000));
    check_one_episode_per_silence(r);
  }
  SECTION("no_gps, a silence, then LBS fixes: the silence, then no_gps from its end") {
    urig r;
    r.stay("S1", at(0, 0), 0, 600);
    r.event("S1", 545, device_event_type::no_gps);
    for (double t = 3000; t < 3600; t += 60) fix_src(r, "S1", t, fix_source::lbs, 400);
    r.m.flush();
    const auto u = r.of(alert_rule::unmonitored);
    const auto ng = r.of(alert_rule::no_gps);
    REQUIRE(u.size() == 2);
    CHECK(*u[1].end == ts(3000));
    REQUIRE(ng.size() == 1);  // still open
    CHECK(ng[0].start == ts(3000));
    check_one_episode_per_silence(r);
  }
  SECTION("no_gps episode open, then the device goes silent: the no_gps episode ends where the silence starts") {
    urig r;
    r.stay("S1", at(0, 0), 0, 600);
    r.event("S1", 610, device_event_type::no_gps);
    for (double t = 660; t < 1200; t += 60) fix_src(r, "S1", t, fix_source::lbs, 400);  // last 1140
    r.m.advance(ts(1140 + 901));
    r.stay("S1", at(0, 0), 4000, 4200);  // GPS again
    r.m.flush();
    const auto ng = r.of(alert_rule::no_gps);
    REQUIRE(ng.size() == 2);
    CHECK(*ng[1].end == ts(1140));
    const auto u = r.of(alert_rule::unmonitored);
    REQUIRE(u.size() == 2);
    CHECK(u[0].start == ts(1140));
    CHECK(u[0].evidence_extra_json.find("\"no_gps\"") != std::string::npos);
    check_one_episode_per_silence(r);
  }
}

TEST_CASE("one silence, one episode: device_offline is the unmonitored episode", "[monitor][unmonitored][device]") {
  SECTION("reported first: opened at once from the last fix, ended by the next fix") {
    urig r;
    r.stay("S1", at(0, 0), 0, 600);
    r.event("S1", 560, device_event_type::device_offline);
    r.event("S1", 2000, device_event_type::device_online);
    r.m.advance(ts(2100));
    CHECK(r.of(alert_rule::unmonitored).size() == 1);  // still open: no fix yet
    r.stay("S1", at(0, 0), 2400, 2600);
    r.m.flush();
    CHECK(r.of(alert_rule::device_offline).empty());
    const auto u = r.of(alert_rule::unmonitored);
    REQUIRE(u.size() == 2);
    CHECK(u[0].start == ts(540));
    CHECK(u[0].decided_at == ts(560));
    CHECK(*u[1].end == ts(2400));
    CHECK(u[1].evidence_extra_json.find("\"device_reported\":[\"device_offline\"]") != std::string::npos);
    check_one_episode_per_silence(r);
  }
  SECTION("the silence first: the report joins the open episode") {
    urig r;
    r.stay("S1", at(0, 0), 0, 600);
    r.m.advance(ts(540 + 1000));
    REQUIRE(r.of(alert_rule::unmonitored).size() == 1);
    r.event("S1", 540 + 1200, device_event_type::device_offline);
    r.event("S1", 540 + 1300, device_event_type::no_gps);
    r.stay("S1", at(0, 0), 3000, 3200);
    r.m.flush();
    const auto u = r.of(alert_rule::unmonitored);
    REQUIRE(u.size() == 2);
    CHECK(u[0].evidence_extra_json.find("device_reported") == std::string::npos);
    CHECK(u[1].evidence_extra_json.find("\"device_reported\":[\"device_offline\",\"no_gps\"]") != std::string::npos);
    CHECK(r.of(alert_rule::no_gps).empty());
    CHECK(r.of(alert_rule::device_offline).empty());
    check_one_episode_per_silence(r);
  }
  SECTION("at home in RF range and charging: the report is explained too") {
    urig r;
    r.stay("S1", at(0, 0), 0, 600);
    r.event("S1", 500, device_event_type::rf_in_range);
    r.event("S1", 550, device_event_type::charging_start);
    r.event("S1", 560, device_event_type::device_offline);
    r.stay("S1", at(0, 0), 3000, 3200);
    r.m.flush();
    CHECK(r.of(alert_rule::unmonitored).empty());
    CHECK(r.of(alert_rule::device_offline).empty());
  }
}
