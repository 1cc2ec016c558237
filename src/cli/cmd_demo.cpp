// `warden demo`: the main job. Generates a week of a few hundred monitored
// people on real Essex geography (warden synth, parameters committed in
// data/demo/demo.json), runs the monitoring engine and crime matching over
// it exactly as `warden check` and `warden match` do, writes evidence packs
// for the most urgent alerts and the strongest crime hits, and prints what a
// monitoring manager wants to know, measured against the scenario's truth.
#include "commands.hpp"

#include <warden/detail/csv.hpp>
#include <warden/detail/json.hpp>
#include <warden/diagnostics.hpp>
#include <warden/monitor.hpp>
#include <warden/prepared_polygon.hpp>
#include <warden/readers.hpp>
#include <warden/report.hpp>
#include <warden/schedule.hpp>
#include <warden/synth.hpp>
#include <warden/trail_store.hpp>
#include <warden/verdict.hpp>
#include <warden/zone.hpp>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <set>
#include <sstream>

namespace warden::cli {
namespace {

namespace fs = std::filesystem;
using std::chrono::milliseconds;

constexpr std::string_view demo_usage =
    "usage: warden demo [--out DIR] [--config FILE | --small | --scenario DIR]\n"
    "\n"
    "The main job. By default generates a scenario (a week of a few hundred\n"
    "monitored people on real Essex wards and LSOAs, with curfews, victims, device\n"
    "events, late uploads and crimes at real police.uk locations) from the\n"
    "parameters in data/demo/demo.json into DIR/scenario, then runs the monitoring\n"
    "engine (DIR/alerts.jsonl), crime matching (DIR/matches.csv, DIR/trails.wts),\n"
    "writes evidence packs for the top alerts and crime hits (DIR/packs/*.html and\n"
    ".geojson) and prints a summary: alerts by type and priority, unmonitored\n"
    "people, crime hits, a naive geofence for comparison, and recall and precision\n"
    "against the scenario's truth.\n"
    "  --out DIR       output directory (default out/demo)\n"
    "  --config FILE   generation parameters (default data/demo/demo.json)\n"
    "  --small         use the small committed scenario in data/demo instead\n"
    "  --scenario DIR  use an existing scenario directory (warden synth output)\n";

std::string source_dir() {
#ifdef WARDEN_SOURCE_DIR
  return WARDEN_SOURCE_DIR;
#else
  return ".";
#endif
}

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// "1,234,567"
std::string grouped(std::uint64_t n) {
  const std::string d = std::to_string(n);
  std::string s;
  for (std::size_t i = 0; i < d.size(); ++i) {
    if (i > 0 && (d.size() - i) % 3 == 0) s += ',';
    s += d[i];
  }
  return s;
}

// A CSV file as rows of named fields (small files: truth, crime truth).
std::vector<std::map<std::string, std::string>> read_table(const fs::path& p) {
  std::vector<std::map<std::string, std::string>> rows;
  const std::string text = read_file(p);
  detail::memory_source src(text);
  detail::csv_reader r(src);
  std::vector<std::string> names;
  for (;;) {
    const auto st = r.next();
    if (st == detail::csv_status::end || st == detail::csv_status::fatal) break;
    if (st == detail::csv_status::bad_record) continue;
    if (names.empty()) {
      for (auto f : r.fields()) names.emplace_back(detail::trim(f));
      continue;
    }
    std::map<std::string, std::string> row;
    for (std::size_t i = 0; i < names.size() && i < r.fields().size(); ++i)
      row[names[i]] = std::string(detail::trim(r.fields()[i]));
    rows.push_back(std::move(row));
  }
  return rows;
}

std::string field(const std::map<std::string, std::string>& row, const std::string& key) {
  const auto it = row.find(key);
  return it == row.end() ? std::string() : it->second;
}

struct truth_row {
  std::string subject, type, zone, victim;
  instant start, end;
  double duration_s = 0;
};

bool overlaps(instant a0, instant a1, instant b0, instant b1, milliseconds slack) {
  return a0 <= b1 + slack && b0 <= a1 + slack;
}

// The generator's parameters from demo.json (relative paths: repository root).
result<synth_params> read_demo_config(const fs::path& path) {
  const std::string text = read_file(path);
  if (text.empty()) return make_error(errc::io_error, "cannot read " + path.string());
  auto doc = detail::json::parse(text);
  if (!doc) return make_error(doc.code(), path.string() + ": " + doc.err().message);
  const auto root = doc->root();
  synth_params p;
  auto resolve = [&](std::string_view s) {
    const fs::path q(s);
    return (q.is_absolute() ? q : fs::path(source_dir()) / q).lexically_normal().string();
  };
  auto number = [&](std::string_view k, double fallback) {
    auto v = root.find(k);
    return v && v->is_number() ? v->as_number() : fallback;
  };
  p.seed = static_cast<std::uint64_t>(number("seed", 1));
  p.subjects = static_cast<std::uint32_t>(number("subjects", 200));
  p.days = static_cast<std::uint32_t>(number("days", 7));
  if (auto v = root.find("start_date"); v && v->is_string()) p.start_date = std::string(v->as_string());
  if (auto v = root.find("lsoa_dir"); v && v->is_string()) p.lsoa_dir = resolve(v->as_string());
  if (auto v = root.find("ward_dir"); v && v->is_string()) p.ward_dir = resolve(v->as_string());
  if (auto v = root.find("police_files"); v && v->is_array())
    for (std::size_t i = 0; i < v->size(); ++i)
      if ((*v)[i].is_string()) p.police_files.push_back(resolve((*v)[i].as_string()));
  return p;
}

int config_int(const fs::path& path, std::string_view key, int fallback) {
  auto doc = detail::json::parse(read_file(path));
  if (!doc) return fallback;
  auto v = doc->root().find(key);
  return v && v->is_number() ? static_cast<int>(v->as_number()) : fallback;
}

std::string safe_name(std::string_view s) {
  std::string out;
  for (char c : s) out += (std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_') ? c : '_';
  return out;
}

}  // namespace

int cmd_demo(const args& a) {
  options o(a, {"out", "config", "scenario", "data"}, {"small"});
  if (o.help()) {
    std::cout << demo_usage;
    return 0;
  }
  if (!o.ok()) return usage_error("demo", o.error(), demo_usage);
  const fs::path out = o.get("out", "out/demo");
  const fs::path config = o.get("config", (fs::path(source_dir()) / "data" / "demo" / "demo.json").string());
  std::error_code ec;
  fs::create_directories(out / "packs", ec);
  if (ec) {
    std::cerr << "warden demo: cannot create " << out.string() << ": " << ec.message() << "\n";
    return 2;
  }
  const auto t_start = std::chrono::steady_clock::now();

  // 1. The scenario.
  fs::path scen;
  if (o.has("scenario") || o.has("data")) {
    scen = o.get("scenario", o.get("data"));
  } else if (o.has("small")) {
    scen = fs::path(source_dir()) / "data" / "demo";
  } else {
    auto p = read_demo_config(config);
    if (!p) {
      std::cerr << "warden demo: " << to_string(p.code()) << ": " << p.err().message << "\n";
      return 2;
    }
    scen = out / "scenario";
    std::printf("warden demo: generating %u subjects x %u days (seed %llu, from %s) into %s ...\n", p->subjects,
                p->days, static_cast<unsigned long long>(p->seed), config.string().c_str(), scen.string().c_str());
    std::fflush(stdout);
    const auto t0 = std::chrono::steady_clock::now();
    auto s = generate_scenario(*p, scen.string());
    if (!s) {
      std::cerr << "warden demo: " << to_string(s.code()) << ": " << s.err().message << "\n";
      return 1;
    }
    std::printf("  %s fixes (%s from victim devices, %s uploaded late after coverage gaps), %s device events, "
                "%s zones, %s crimes; %.1f s\n",
                grouped(s->fixes).c_str(), grouped(s->victim_fixes).c_str(), grouped(s->buffered).c_str(),
                grouped(s->events).c_str(), grouped(s->zones).c_str(), grouped(s->crimes).c_str(), seconds_since(t0));
  }
  if (!fs::is_directory(scen, ec)) {
    std::cerr << "warden demo: no scenario at " << scen.string() << "\n";
    return 2;
  }
  const std::string zones_path = (scen / "zones.geojson").string(), fixes_path = (scen / "fixes.csv").string(),
                    events_path = (scen / "events.csv").string(), links_path = (scen / "links.csv").string(),
                    crimes_path = (scen / "crimes.csv").string();
  const std::string alerts_path = (out / "alerts.jsonl").string(), matches_path = (out / "matches.csv").string(),
                    store_path = (out / "trails.wts").string();

  // 2. The monitoring engine and crime matching, exactly as the commands.
  std::printf("warden demo: monitoring engine (warden check) ...\n");
  std::fflush(stdout);
  auto t0 = std::chrono::steady_clock::now();
  int rc = cmd_check({"--zones", zones_path, "--fixes", fixes_path, "--events", events_path, "--links", links_path,
                      "--out", alerts_path, "--quiet"});
  const double engine_s = seconds_since(t0);
  if (rc == 2) return 2;
  std::printf("  %.1f s -> %s\nwarden demo: crime matching (warden match) ...\n", engine_s, alerts_path.c_str());
  std::fflush(stdout);
  t0 = std::chrono::steady_clock::now();
  const int rc_match = cmd_match({"--trails", fixes_path, "--crimes", crimes_path, "--links", links_path, "--save-store",
                                  store_path, "--out", matches_path, "--quiet"});
  const double match_s = seconds_since(t0);
  if (rc_match == 2) return 2;
  rc = std::max(rc, rc_match);
  std::printf("  %.1f s -> %s\n", match_s, matches_path.c_str());

  // 3. Read everything back for the summary.
  diagnostics diag(&std::cerr);
  auto zones = read_zones(zones_path, zone_read_options{}, diag);
  auto links = load_victim_links(links_path, diag);
  auto crimes = load_crimes(crimes_path, diag);
  auto alerts = read_alert_log(alerts_path, diag);
  auto matches = read_matches(matches_path, diag);
  auto store = trail_store::load(store_path);
  if (!zones || !links || !crimes || !alerts || !matches || !store) {
    if (!store) std::cerr << "warden demo: " << store_path << ": " << store.err().message << "\n";
    std::cerr << "warden demo: the outputs could not be read back\n";
    return 1;
  }
  std::set<std::string, std::less<>> victims;
  for (const victim_link& l : links->records) victims.insert(l.victim_id);
  std::set<std::string, std::less<>> ordered;  // people with an order (named by a zone)
  for (const zone& z : *zones)
    for (const std::string& s : z.subjects)
      if (s != "*" && !victims.count(s)) ordered.insert(s);
  instant scen_from = max_instant(), scen_to = min_instant();
  for (std::uint32_t s = 0; s < store->subject_count(); ++s) {
    const trail_view v = store->view(s);
    if (v.empty()) continue;
    scen_from = std::min(scen_from, v.time(0));
    scen_to = std::max(scen_to, v.time(v.size() - 1));
  }
  if (auto sj = detail::json::parse(read_file(scen / "scenario.json")); sj && sj->root().is_object()) {
    for (const char* k : {"start", "end"})
      if (auto v = sj->root().find(k); v && v->is_string())
        if (auto t = parse_instant(v->as_string())) (std::string_view(k) == "start" ? scen_from : scen_to) = *t;
  }
  const double days = std::max(1.0, std::round(std::chrono::duration<double>(scen_to - scen_from).count() / 86400.0));
  const double subject_days = static_cast<double>(std::max<std::size_t>(ordered.size(), 1)) * days;

  std::printf("\n== warden demo: %s people on orders, %.0f days (%s to %s) ==\n", grouped(ordered.size()).c_str(), days,
              format_instant(scen_from).c_str(), format_instant(scen_to).c_str());
  std::printf("scenario %s: %s fixes stored for matching, %s zones, %s victims, %s crimes\n", scen.string().c_str(),
              grouped(store->fix_count()).c_str(), grouped(zones->size()).c_str(), grouped(victims.size()).c_str(),
              grouped(crimes->records.size()).c_str());

  // Alerts by type and priority (types as text: whatever the engine raises).
  // Device-health episodes share their FORMATS.md type with a rule-driven
  // one (no_gps and device_offline are `unmonitored`, battery_low is
  // `battery`), so they get their own row under their rule: the truth's
  // unmonitored silences and flat batteries are scored against the rules
  // that claim them, not against every device report.
  const auto kind_of = [](const alert_record& al) -> const std::string& {
    return al.rule == "no_gps" || al.rule == "device_offline" || al.rule == "battery_low" ? al.rule : al.type;
  };
  std::vector<const alert_record*> live;
  std::map<std::string, std::array<std::uint64_t, 6>> by_type;
  std::map<std::string, std::uint64_t> by_event;
  std::uint64_t retracted = 0;
  for (const alert_record& r : *alerts) {
    for (const alert_record_event& e : r.history) ++by_event[e.event];
    if (r.retracted()) {
      ++retracted;
      continue;
    }
    live.push_back(&r);
    auto& row = by_type[kind_of(r)];
    ++row[static_cast<std::size_t>(std::clamp(r.priority, 1, 5))];
    ++row[0];
  }
  std::printf("\nalerts: %s episodes (%.2f per person-day), %s retracted after late data\n", grouped(live.size()).c_str(),
              static_cast<double>(live.size()) / subject_days, grouped(retracted).c_str());
  std::printf("  %-18s %6s %6s %6s %6s %6s %7s\n", "type", "P1", "P2", "P3", "P4", "P5", "total");
  for (const auto& [type, row] : by_type)
    std::printf("  %-18s %6llu %6llu %6llu %6llu %6llu %7llu\n", type.c_str(), static_cast<unsigned long long>(row[1]),
                static_cast<unsigned long long>(row[2]), static_cast<unsigned long long>(row[3]),
                static_cast<unsigned long long>(row[4]), static_cast<unsigned long long>(row[5]),
                static_cast<unsigned long long>(row[0]));
  std::string ev = "  alert events:";
  for (const auto& [k, n] : by_event) ev += " " + k + " " + grouped(n) + ",";
  if (!by_event.empty()) ev.pop_back();
  std::printf("%s\n", ev.c_str());

  // Unmonitored people: from the trails themselves, whatever rules exist.
  const milliseconds silence{std::chrono::minutes{15}};
  std::size_t no_data = 0, with_gap = 0, silent_at_end = 0, gaps = 0;
  double gap_h = 0;
  std::vector<std::string> silent_ids;
  for (const std::string& id : ordered) {
    const auto s = store->find(id);
    if (s == trail_store::npos || store->view(s).empty()) {
      ++no_data;
      continue;
    }
    const trail_view v = store->view(s);
    bool any = false;
    for (std::size_t i = 0; i + 1 < v.size(); ++i) {
      const auto d = v.time(i + 1) - v.time(i);
      if (d > silence) {
        any = true;
        ++gaps;
        gap_h += std::chrono::duration<double>(d).count() / 3600.0;
      }
    }
    with_gap += any;
    if (scen_to - v.time(v.size() - 1) > std::chrono::hours{1}) {
      ++silent_at_end;
      if (silent_ids.size() < 5) silent_ids.push_back(id);
    }
  }
  std::printf("\nunmonitored people (no fix for more than 15 min)\n");
  std::printf("  on an order but no fix at all:          %s\n", grouped(no_data).c_str());
  std::printf("  silent > 15 min at least once:          %s of %s (%s silences, %.0f person-hours unmonitored)\n",
              grouped(with_gap).c_str(), grouped(ordered.size()).c_str(), grouped(gaps).c_str(), gap_h);
  std::string ids;
  for (const auto& s : silent_ids) ids += (ids.empty() ? "" : ", ") + s;
  std::printf("  silent for the last hour of the period: %s%s%s%s\n", grouped(silent_at_end).c_str(),
              ids.empty() ? "" : " (", ids.c_str(), ids.empty() ? "" : silent_at_end > silent_ids.size() ? ", ...)" : ")");

  // Crime hits by status, and against the committed crimes of the truth.
  std::map<std::string, std::uint64_t> by_status;
  std::set<std::pair<std::string, std::string>> hit;  // present or passed
  for (const match_record& m : *matches) {
    ++by_status[m.status];
    if (m.status == "present" || m.status == "passed") hit.emplace(m.crime_id, m.subject_id);
  }
  std::string st;
  for (const char* k : {"present", "passed", "possible"}) st += std::string(st.empty() ? "" : ", ") + k + " " + grouped(by_status[k]);
  std::printf("\ncrime matching: %s crimes against %s trails: %s\n", grouped(crimes->records.size()).c_str(),
              grouped(store->subject_count()).c_str(), st.c_str());
  if (fs::exists(scen / "crime_truth.csv")) {
    std::size_t committed = 0, found = 0, nearby = 0, nearby_found = 0;
    for (const auto& row : read_table(scen / "crime_truth.csv")) {
      const bool c = field(row, "relation") == "committed";
      const bool f = hit.count({field(row, "crime_id"), field(row, "subject_id")}) > 0;
      (c ? committed : nearby) += 1;
      (c ? found : nearby_found) += f ? 1 : 0;
    }
    std::printf("  truth: %zu/%zu committed crimes found present or passed; %zu/%zu chance passers-by too\n", found,
                committed, nearby_found, nearby);
  }

  // The naive geofence: one alert per raw fix inside an exclusion zone or
  // outside an inclusion / active curfew zone; no accuracy, no hysteresis,
  // no motion filter.
  struct prepared_zone {
    const zone* z;
    std::optional<prepared_polygon> poly;
    std::optional<schedule> sched;
  };
  std::vector<prepared_zone> pz;
  for (const zone& z : *zones) {
    prepared_zone p{&z, std::nullopt, std::nullopt};
    if (z.shape == zone_shape::polygonal) {
      auto b = prepared_polygon::build(z.area);
      if (!b) continue;
      p.poly = std::move(*b);
    }
    if (z.schedule) {
      auto s = schedule::compile(*z.schedule);
      if (!s) continue;
      p.sched = std::move(*s);
    }
    pz.push_back(std::move(p));
  }
  std::uint64_t naive = 0;
  for (std::uint32_t s = 0; s < store->subject_count(); ++s) {
    const std::string& id = store->subject_id(s);
    if (victims.count(id)) continue;
    std::vector<const prepared_zone*> mine;
    for (const prepared_zone& p : pz)
      if (p.z->applies_to(id)) mine.push_back(&p);
    const trail_view v = store->view(s);
    for (std::size_t i = 0; i < v.size(); ++i) {
      const xy q = v.pos(i);
      for (const prepared_zone* p : mine) {
        if (p->sched && !p->sched->is_active(v.time(i))) continue;
        const bool in = p->poly ? p->poly->covers(q) : covers(p->z->disc, q);
        const bool keep_out = p->z->kind == zone_kind::exclusion || p->z->kind == zone_kind::victim_home;
        naive += in == keep_out;
      }
    }
  }
  std::uint64_t zone_alerts = 0;
  for (const alert_record* r : live) zone_alerts += !r->zone_id.empty();
  std::printf("\nnaive geofence vs warden, on the same zone and curfew conditions\n");
  std::printf("  naive per-fix geofence: %s alerts (%.1f per person-day) for staff to review\n", grouped(naive).c_str(),
              static_cast<double>(naive) / subject_days);
  std::printf("  warden:                 %s alert episodes (%.2f per person-day), with evidence\n",
              grouped(zone_alerts).c_str(), static_cast<double>(zone_alerts) / subject_days);
  std::printf("  (the naive geofence uses raw fixes: no accuracy, no confirmation or hysteresis, no motion filter;\n"
              "   warden also raised %s device, proximity and unmonitored episodes, which it cannot)\n",
              grouped(live.size() - zone_alerts).c_str());

  // Recall and precision against truth.csv, per type.
  if (fs::exists(scen / "truth.csv")) {
    std::vector<truth_row> truth;
    for (const auto& row : read_table(scen / "truth.csv")) {
      auto s = parse_instant(field(row, "start")), e = parse_instant(field(row, "end"));
      if (!s || !e) continue;
      double d = 0;
      (void)detail::parse_double(field(row, "duration_s"), d);
      truth.push_back(truth_row{field(row, "subject_id"), field(row, "type"), field(row, "zone_id"),
                                field(row, "victim_id"), *s, *e, d});
    }
    const rule_params rp;
    const double curfew_min_s = std::chrono::duration<double>(rp.curfew_grace + rp.curfew_min_return).count();
    // Recall asks whether an alert of the truth's FORMATS.md type was raised
    // (a silence announced by device_offline counts); precision asks whether
    // each episode of a rule was a true one.
    auto same_as = [](const alert_record& al, const truth_row& t, const std::string& kind) {
      if (al.subject_id != t.subject || kind != t.type) return false;
      if (!t.zone.empty() && !al.zone_id.empty() && t.zone != al.zone_id) return false;
      if (!t.victim.empty() && al.victim_id && *al.victim_id != t.victim && t.zone.empty()) return false;
      return true;
    };
    auto same = [&](const alert_record& al, const truth_row& t) { return same_as(al, t, al.type); };
    auto same_kind = [&](const alert_record& al, const truth_row& t) { return same_as(al, t, kind_of(al)); };
    std::set<std::string> types;
    for (const truth_row& t : truth) types.insert(t.type);
    for (const auto& [k, row] : by_type) types.insert(k);
    std::printf("\nagainst the scenario's truth (truth.csv; breaches >= 2 min, curfew > grace + min_return;\n"
                "unseen = the tag sent nothing for the whole breach, so no engine could see it)\n");
    std::printf("  %-18s %6s %7s %7s %8s   %7s %8s %9s\n", "type", "true", "unseen", "caught", "recall", "alerts",
                "matched", "precision");
    auto pct = [](std::size_t n, std::size_t d) {
      char b[16];
      if (d == 0) return std::string("-");
      std::snprintf(b, sizeof b, "%.0f%%", 100.0 * static_cast<double>(n) / static_cast<double>(d));
      return std::string(b);
    };
    for (const std::string& type : types) {
      std::size_t due = 0, unseen = 0, caught = 0, eps = 0, matched = 0, rows_of_type = 0;
      for (const truth_row& t : truth) {
        if (t.type != type) continue;
        ++rows_of_type;
        if (t.duration_s < 120) continue;
        if (type == "curfew" && t.duration_s <= curfew_min_s) continue;
        ++due;
        bool blind = false;
        if (type != "unmonitored")
          for (const truth_row& u : truth)
            if (u.type == "unmonitored" && u.subject == t.subject && u.start <= t.start && t.end <= u.end) blind = true;
        if (blind) {
          ++unseen;
          continue;
        }
        for (const alert_record* al : live)
          if (same(*al, t) && al->rule != "transit" &&
              overlaps(al->start, al->end.value_or(max_instant()), t.start, t.end, std::chrono::minutes{5})) {
            ++caught;
            break;
          }
      }
      for (const alert_record* al : live) {
        if (kind_of(*al) != type) continue;
        ++eps;
        for (const truth_row& t : truth)
          if (same_kind(*al, t) && overlaps(al->start, al->end.value_or(max_instant()), t.start, t.end, std::chrono::minutes{2})) {
            ++matched;
            break;
          }
      }
      const char* note = rows_of_type == 0 ? "  (no truth for this type)" : eps == 0 && due > 0 ? "  (no alerts of this type)" : "";
      std::printf("  %-18s %6zu %7zu %7zu %8s   %7zu %8zu %9s%s\n", type.c_str(), due, unseen, caught,
                  pct(caught, due - unseen).c_str(), eps, rows_of_type == 0 ? 0 : matched,
                  rows_of_type == 0 ? "-" : pct(matched, eps).c_str(), note);
    }
  }

  // Evidence packs: the most urgent alert of each type first, then the
  // next most urgent; the strongest crime hits.
  const int n_alert_packs = config_int(config, "alert_packs", 5), n_crime_packs = config_int(config, "crime_packs", 3);
  std::vector<const alert_record*> ranked = live;
  std::stable_sort(ranked.begin(), ranked.end(), [](const alert_record* x, const alert_record* y) {
    if (x->priority != y->priority) return x->priority < y->priority;
    if (x->confidence != y->confidence) return x->confidence < y->confidence;  // certain < probable
    if (x->fix_count != y->fix_count) return x->fix_count > y->fix_count;
    return x->alert_id < y->alert_id;
  });
  std::vector<const alert_record*> chosen;
  std::set<std::string> types_done;
  for (const alert_record* r : ranked)
    if (static_cast<int>(chosen.size()) < n_alert_packs && types_done.insert(r->type).second) chosen.push_back(r);
  for (const alert_record* r : ranked)
    if (static_cast<int>(chosen.size()) < n_alert_packs && std::find(chosen.begin(), chosen.end(), r) == chosen.end())
      chosen.push_back(r);
  std::printf("\nevidence packs (%s)\n", (out / "packs").string().c_str());
  pack_options popt;
  popt.gap = silence;
  for (const alert_record* r : chosen) {
    const zone* z = nullptr;
    for (const zone& zz : *zones)
      if (!r->zone_id.empty() && zz.zone_id == r->zone_id) z = &zz;
    const auto [from, to] = pack_view(*r, popt);
    const auto fixes = pack_fixes_from_store(*store, r->subject_id, from, to);
    std::vector<pack_fix> vf;
    if (r->victim_id)
      if (auto v = load_pack_fixes(fixes_path, *r->victim_id, from, to, diag)) vf = std::move(*v);
    const evidence_pack p = make_alert_pack(*r, z, fixes, vf, popt);
    const fs::path base = out / "packs" / ("alert-" + safe_name(r->alert_id));
    if (!write_text_file(base.string() + ".html", render_html(p)) ||
        !write_text_file(base.string() + ".geojson", render_geojson(p))) {
      std::cerr << "warden demo: cannot write " << base.string() << "\n";
      return 1;
    }
    std::printf("  %-40s P%d %-12s %s %s %s\n", (base.filename().string() + ".html").c_str(), r->priority,
                r->type.c_str(), r->subject_id.c_str(), format_instant(r->start).c_str(),
                r->zone_id.empty() ? "" : r->zone_id.c_str());
  }
  std::vector<const match_record*> hits;
  for (const match_record& m : *matches)
    if (m.status == "present" || m.status == "passed") hits.push_back(&m);
  std::stable_sort(hits.begin(), hits.end(), [](const match_record* x, const match_record* y) {
    if (x->score != y->score) return x->score > y->score;
    if (x->crime_id != y->crime_id) return x->crime_id < y->crime_id;
    return x->subject_id < y->subject_id;
  });
  std::set<std::string> crimes_done;
  int written = 0;
  for (const match_record* m : hits) {
    if (written >= n_crime_packs) break;
    if (!crimes_done.insert(m->crime_id).second) continue;
    const crime* c = nullptr;
    for (const crime& cc : crimes->records)
      if (cc.crime_id == m->crime_id) c = &cc;
    if (!c) continue;
    crime_pack_params cp;
    cp.radius_m = c->radius_m.value_or(100.0);
    cp.max_gap = store->options().max_gap;
    const auto [from, to] = pack_view(*c, popt);
    const evidence_pack p = make_crime_pack(*c, *m, pack_fixes_from_store(*store, m->subject_id, from, to), cp, popt);
    const fs::path base = out / "packs" / ("crime-" + safe_name(m->crime_id) + "-" + safe_name(m->subject_id));
    if (!write_text_file(base.string() + ".html", render_html(p)) ||
        !write_text_file(base.string() + ".geojson", render_geojson(p))) {
      std::cerr << "warden demo: cannot write " << base.string() << "\n";
      return 1;
    }
    ++written;
    std::printf("  %-40s %-8s %s, closest %.1f m\n", (base.filename().string() + ".html").c_str(), m->status.c_str(),
                m->subject_id.c_str(), m->min_distance_m.value_or(0.0));
  }
  std::printf("\nwarden demo: done in %.1f s; outputs in %s\n", seconds_since(t_start), out.string().c_str());
  if (!diag.empty()) rc = std::max(rc, 1);
  return rc;
}

}  // namespace warden::cli
