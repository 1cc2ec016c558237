// Scenario test: the engine against the generator's ground truth on a
// realistic day (jitter, multipath outliers, gaps, late uploads,
// duplicates), beside a naive per-fix geofence.
#include <catch2/catch.hpp>

#include "monitor_support.hpp"

#include <warden/synth.hpp>
#include <warden/verdict.hpp>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <set>
#include <sstream>

using namespace warden;
using namespace warden::test;

namespace {

struct truth_row {
  std::string subject, type, zone;
  instant start, end;
  double duration_s;
};

std::vector<truth_row> read_truth(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  std::vector<truth_row> out;
  while (std::getline(in, line)) {
    std::vector<std::string> f;
    std::stringstream ss(line);
    std::string x;
    while (std::getline(ss, x, ',')) f.push_back(x);
    if (f.size() < 7) continue;
    truth_row r;
    r.subject = f[0];
    r.type = f[1];
    r.zone = f[2];
    r.start = parse_instant(f[4]).value();
    r.end = parse_instant(f[5]).value();
    r.duration_s = std::stod(f[6]);
    out.push_back(r);
  }
  return out;
}

bool overlaps(instant a0, instant a1, instant b0, instant b1, milliseconds slack) {
  return a0 <= b1 + slack && b0 <= a1 + slack;
}

}  // namespace

TEST_CASE("scenario: every true breach is alerted, few alerts are false", "[monitor][scenario]") {
  synth_params p;
  p.seed = 5;
  p.subjects = 40;
  p.days = 1;
  p.lsoa_dir = std::string(WARDEN_SHARED_DATA) + "/boundaries/essex-lsoa";
  p.ward_dir = std::string(WARDEN_SHARED_DATA) + "/boundaries/essex-wards";
  const std::string dir = (std::filesystem::temp_directory_path() / "warden_monitor_scenario_test").string();
  auto sum = generate_scenario(p, dir);
  REQUIRE(sum);

  diagnostics diag;
  auto zones = read_zones(dir + "/zones.geojson", {}, diag);
  REQUIRE(zones);
  auto links = load_victim_links(dir + "/links.csv", diag);
  REQUIRE(links);
  auto fixes = load_fixes(dir + "/fixes.csv", diag);
  REQUIRE(fixes);
  std::set<std::string> victims;
  for (const auto& l : links->records) victims.insert(l.victim_id);

  recording_sink sink;
  auto m = monitor::create(*zones, links->records, {});
  REQUIRE(m);
  m->set_sink(&sink);
  instant max_rcv = min_instant();
  std::size_t n = 0;
  for (const stored_fix& f : fixes->records) {
    (void)m->push(f.view());
    max_rcv = std::max(max_rcv, f.received);
    if (++n % 4096 == 0) m->advance(max_rcv - std::chrono::minutes{10});
  }
  m->flush();
  const auto final_set = sink.final_set();

  // Ground truth for the rules of this engine.
  const auto truth = read_truth(dir + "/truth.csv");
  const rule_params rp;
  const double curfew_min_s = std::chrono::duration<double>(rp.curfew_grace + rp.curfew_min_return).count();
  std::size_t due = 0, found = 0;
  std::ostringstream missed;
  for (const truth_row& t : truth) {
    if (t.type != "exclusion" && t.type != "inclusion" && t.type != "curfew") continue;
    if (t.duration_s < 120) continue;
    if (t.type == "curfew" && t.duration_s <= curfew_min_s) continue;
    ++due;
    bool hit = false;
    for (const auto& [id, a] : final_set)
      if (a.subject_id == t.subject && to_string(a.type) == t.type && a.zone_id == t.zone && a.rule != alert_rule::transit &&
          overlaps(a.start, a.end.value_or(max_instant()), t.start, t.end, std::chrono::minutes{5}))
        hit = true;
    if (hit)
      ++found;
    else
      missed << t.subject << " " << t.type << " " << t.zone << " " << format_instant(t.start) << " " << t.duration_s << "s\n";
  }
  std::size_t episodes = 0, matched = 0;
  std::ostringstream unmatched;
  for (const auto& [id, a] : final_set) {
    // The zone rules only; tests/monitor_health_scenario_test.cpp scores the others.
    if (a.type != alert_type::exclusion && a.type != alert_type::inclusion && a.type != alert_type::curfew) continue;
    ++episodes;
    bool hit = false;
    for (const truth_row& t : truth)
      if (a.subject_id == t.subject && to_string(a.type) == t.type && a.zone_id == t.zone &&
          overlaps(a.start, a.end.value_or(max_instant()), t.start, t.end, std::chrono::minutes{2}))
        hit = true;
    if (hit)
      ++matched;
    else
      unmatched << a.subject_id << " " << to_string(a.rule) << " " << a.zone_id << " " << format_instant(a.start) << "\n";
  }

  // The naive per-fix geofence: every raw fix inside an exclusion zone, or
  // outside an inclusion / active curfew zone, is an alert.
  std::vector<std::pair<const zone*, prepared_polygon>> prepared;
  std::vector<std::optional<schedule>> scheds;
  for (const zone& z : *zones) {
    prepared.emplace_back(&z, z.shape == zone_shape::polygonal ? prepared_polygon::build(z.area).value() : prepared_polygon{});
    scheds.push_back(z.schedule ? std::optional<schedule>(schedule::compile(*z.schedule).value()) : std::nullopt);
  }
  std::uint64_t naive = 0;
  for (const stored_fix& f : fixes->records) {
    if (victims.count(f.subject_id)) continue;
    const xy q = frame().forward(f.pos);
    for (std::size_t i = 0; i < prepared.size(); ++i) {
      const zone& z = *prepared[i].first;
      if (!z.applies_to(f.subject_id)) continue;
      if (scheds[i] && !scheds[i]->is_active(f.time)) continue;
      const bool in = z.shape == zone_shape::polygonal ? prepared[i].second.covers(q) : covers(z.disc, q);
      const bool keep_out = z.kind == zone_kind::exclusion || z.kind == zone_kind::victim_home;
      if (in == keep_out) ++naive;
    }
  }
  const double subject_days = static_cast<double>(p.subjects) * p.days;
  std::cout << "scenario (seed " << p.seed << ", " << p.subjects << " subjects x " << p.days << " day): "
            << fixes->records.size() << " fixes, " << m->counters().late_merged << " late, "
            << m->counters().motion_rejected << " rejected by the motion filter\n"
            << "  recall: " << found << "/" << due << " true breaches (>= 2 min; curfew > grace + min_return)\n"
            << "  precision: " << matched << "/" << episodes << " alert episodes match a true breach\n"
            << "  engine: " << static_cast<double>(episodes) / subject_days << " alert episodes/subject-day, "
            << static_cast<double>(sink.events.size()) / subject_days << " alert events/subject-day\n"
            << "  naive per-fix geofence: " << static_cast<double>(naive) / subject_days << " alerts/subject-day\n";
  INFO("missed:\n" << missed.str());
  INFO("unmatched:\n" << unmatched.str());
  REQUIRE(due > 0);
  CHECK(found == due);
  CHECK(static_cast<double>(matched) >= 0.95 * static_cast<double>(episodes));
  std::filesystem::remove_all(dir);
}
