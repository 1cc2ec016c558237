// Tests of the scenario generator (warden/synth.hpp): determinism, ground
// truth re-derived independently from the true trajectory (GEOS for
// polygons, date/tz for curfews, GeographicLib for distances), the noise
// model's statistics, and that every file loads with the project's readers.
#include <warden/frame.hpp>
#include <warden/readers.hpp>
#include <warden/synth.hpp>
#include <warden/zone.hpp>

#include <GeographicLib/Geodesic.hpp>
#include <catch2/catch.hpp>
#include <date/date.h>
#include <date/tz.h>
#include <geos_c.h>

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <vector>

using namespace warden;
namespace fs = std::filesystem;

namespace {

const std::string shared = WARDEN_SHARED_DATA;

synth_params base_params(std::uint64_t seed, std::uint32_t subjects, std::uint32_t days) {
  synth_params p;
  p.seed = seed;
  p.subjects = subjects;
  p.days = days;
  p.lsoa_dir = shared + "/boundaries/essex-lsoa";
  p.ward_dir = shared + "/boundaries/essex-wards";
  for (const char* f : {"2018-01-essex-street.csv", "2018-02-essex-street.csv", "2018-03-essex-street.csv"})
    p.police_files.push_back(shared + "/police/" + f);
  return p;
}

fs::path scratch(const std::string& name) {
  const fs::path d = fs::temp_directory_path() / ("warden_synth_test_" + std::to_string(::getpid())) / name;
  fs::remove_all(d);
  return d;
}

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::uint64_t fnv1a(const std::string& s) {
  std::uint64_t h = 1469598103934665603ull;
  for (unsigned char c : s) h = (h ^ c) * 1099511628211ull;
  return h;
}

std::vector<std::vector<std::string>> read_csv(const fs::path& p) {
  std::vector<std::vector<std::string>> rows;
  std::istringstream in(slurp(p));
  std::string line;
  std::getline(in, line);  // header
  while (std::getline(in, line)) {
    std::vector<std::string> f;
    std::string cell;
    std::istringstream ls(line);
    while (std::getline(ls, cell, ',')) f.push_back(cell);
    if (!line.empty() && line.back() == ',') f.emplace_back();
    rows.push_back(std::move(f));
  }
  return rows;
}

std::int64_t ms(const std::string& iso) {
  auto t = parse_instant(iso);
  REQUIRE(t.ok());
  return to_epoch_ms(*t);
}

// Records the true positions and the generated fixes.
struct recorder : synth_observer {
  std::int64_t start_ms = 0, step_ms = 10000;
  std::map<std::string, std::vector<xy>> track;  // index = (t - start) / step
  std::vector<synth_fix_info> fixes;
  std::vector<std::string> fix_ids;  // owning copies of fixes[i].entity_id
  void on_true_position(std::string_view id, instant t, xy pos) override {
    auto& v = track[std::string(id)];
    REQUIRE(static_cast<std::int64_t>(v.size()) == (to_epoch_ms(t) - start_ms) / step_ms);
    v.push_back(pos);
  }
  void on_fix(const synth_fix_info& f) override {
    fixes.push_back(f);
    fix_ids.emplace_back(f.entity_id);
  }
  // The true trajectory is linear between truth instants.
  xy at(const std::string& id, std::int64_t t) const {
    const auto& v = track.at(id);
    const std::int64_t k = (t - start_ms) / step_ms;
    const double f = static_cast<double>(t - start_ms - k * step_ms) / static_cast<double>(step_ms);
    const xy a = v.at(static_cast<std::size_t>(k));
    const xy b = static_cast<std::size_t>(k + 1) < v.size() ? v[static_cast<std::size_t>(k + 1)] : a;
    return xy{a.x_m + (b.x_m - a.x_m) * f, a.y_m + (b.y_m - a.y_m) * f};
  }
};

struct scenario {
  fs::path dir;
  synth_params params;
  synth_summary summary;
  recorder rec;
};

std::unique_ptr<scenario> generate(const synth_params& p, const std::string& name) {
  auto s = std::make_unique<scenario>();
  s->dir = scratch(name);
  s->params = p;
  s->rec.step_ms = p.truth_step_s * 1000LL;
  // The first truth instant is local midnight of the start date.
  int y = 0;
  unsigned mo = 0, d = 0;
  REQUIRE(std::sscanf(p.start_date.c_str(), "%d-%u-%u", &y, &mo, &d) == 3);
  const date::local_days ld{date::year(y) / date::month(mo) / date::day(d)};
  s->rec.start_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                        date::locate_zone("Europe/London")->to_sys(ld).time_since_epoch())
                        .count();
  auto r = generate_scenario(p, s->dir.string(), &s->rec);
  INFO((r.ok() ? std::string() : r.err().message));
  REQUIRE(r.ok());
  s->summary = *r;
  REQUIRE(to_epoch_ms(s->summary.start) == s->rec.start_ms);
  return s;
}

// The small scenario most tests look at, generated once.
const scenario& small() {
  static std::unique_ptr<scenario> s = generate(base_params(20260323, 10, 1), "small");
  return *s;
}

// --- independent evaluation ---------------------------------------------------

struct episode {
  std::string subject, type, zone, victim;
  std::int64_t start, end;
  auto key() const { return std::tie(subject, type, zone, victim, start, end); }
  bool operator<(const episode& o) const { return key() < o.key(); }
  bool operator==(const episode& o) const { return key() == o.key(); }
};
std::ostream& operator<<(std::ostream& os, const episode& e) {
  return os << e.subject << ' ' << e.type << ' ' << e.zone << ' ' << e.victim << ' '
            << format_instant(from_epoch_ms(e.start)) << ' ' << format_instant(from_epoch_ms(e.end));
}

// Turns per-instant verdicts into [first breach, first non-breach) episodes.
struct episode_builder {
  episode proto;
  bool open = false;
  std::vector<episode>* out;
  void step(std::int64_t t, bool breach) {
    if (breach && !open) {
      open = true;
      proto.start = t;
    } else if (!breach && open) {
      open = false;
      proto.end = t;
      out->push_back(proto);
    }
  }
  void finish(std::int64_t t) { step(t, false); }
};

// Curfew windows straight from the spec with date/tz (DESIGN.md rules).
struct windows_eval {
  std::vector<std::pair<std::int64_t, std::int64_t>> w;
  windows_eval(const schedule_spec& s, std::int64_t from_ms, std::int64_t to_ms) {
    const date::time_zone* tz = date::locate_zone(s.tz);
    const auto first = date::floor<date::days>(date::sys_time<std::chrono::milliseconds>(std::chrono::milliseconds(from_ms))) - date::days(2);
    const auto last = date::floor<date::days>(date::sys_time<std::chrono::milliseconds>(std::chrono::milliseconds(to_ms))) + date::days(2);
    auto hm = [](const std::string& x) { return std::chrono::minutes(std::stoi(x.substr(0, 2)) * 60 + std::stoi(x.substr(3, 2))); };
    const char* names[] = {"sun", "mon", "tue", "wed", "thu", "fri", "sat"};
    for (auto d = first; d <= last; d += date::days(1)) {
      const date::local_days ld{d.time_since_epoch()};
      const std::string ymd = date::format("%Y-%m-%d", ld);
      if (std::find(s.except.begin(), s.except.end(), ymd) != s.except.end()) continue;
      if (!s.until.empty() && ymd > s.until) continue;
      if (!s.from.empty() && ymd < s.from) continue;
      const std::string day = names[date::weekday(ld).c_encoding()];
      for (const auto& win : s.windows) {
        if (std::find(win.days.begin(), win.days.end(), day) == win.days.end()) continue;
        const auto a = hm(win.start), b = hm(win.end);
        const auto start = tz->to_sys(ld + a, date::choose::earliest);
        const auto end = tz->to_sys(ld + (b > a ? date::days(0) : date::days(1)) + b, date::choose::latest);
        w.emplace_back(std::chrono::duration_cast<std::chrono::milliseconds>(start.time_since_epoch()).count(),
                       std::chrono::duration_cast<std::chrono::milliseconds>(end.time_since_epoch()).count());
      }
    }
  }
  bool active(std::int64_t t) const {
    for (const auto& [a, b] : w)
      if (t >= a && t < b) return true;
    return false;
  }
};

// GEOS covers on the projected polygon, the reference for Boost.Geometry.
struct geos_zone {
  GEOSContextHandle_t h;
  GEOSGeometry* g = nullptr;
  const GEOSPreparedGeometry* pg = nullptr;
  geos_zone(GEOSContextHandle_t ctx, const multipolygon& mp) : h(ctx) {
    auto ring_of = [&](const ring& r, bool shell) {
      GEOSCoordSequence* cs = GEOSCoordSeq_create_r(h, static_cast<unsigned>(r.size() + 1), 2);
      for (unsigned i = 0; i <= r.size(); ++i) {
        const xy& p = r[i % r.size()];
        GEOSCoordSeq_setXY_r(h, cs, i, p.x_m, p.y_m);
      }
      (void)shell;
      return GEOSGeom_createLinearRing_r(h, cs);
    };
    std::vector<GEOSGeometry*> polys;
    for (const polygon& p : mp) {
      GEOSGeometry* shell = ring_of(p.outer, true);
      std::vector<GEOSGeometry*> holes;
      for (const ring& r : p.holes) holes.push_back(ring_of(r, false));
      polys.push_back(GEOSGeom_createPolygon_r(h, shell, holes.data(), static_cast<unsigned>(holes.size())));
    }
    g = GEOSGeom_createCollection_r(h, GEOS_MULTIPOLYGON, polys.data(), static_cast<unsigned>(polys.size()));
    pg = GEOSPrepare_r(h, g);
  }
  ~geos_zone() {
    GEOSPreparedGeom_destroy_r(h, pg);
    GEOSGeom_destroy_r(h, g);
  }
  bool covers(xy p) const {
    GEOSGeometry* pt = GEOSGeom_createPointFromXY_r(h, p.x_m, p.y_m);
    const char r = GEOSPreparedCovers_r(h, pg, pt);
    GEOSGeom_destroy_r(h, pt);
    return r == 1;
  }
};

struct loaded_scenario {
  std::vector<zone> zones;
  std::vector<victim_link> links;
  std::vector<stored_fix> fixes;
  std::vector<stored_device_event> events;
  std::vector<crime> crimes;
  std::uint64_t diagnostics = 0;
};

loaded_scenario load_all(const scenario& s) {
  loaded_scenario l;
  diagnostics diags(&std::cerr);
  auto z = read_zones((s.dir / "zones.geojson").string(), zone_read_options{}, diags);
  REQUIRE(z.ok());
  l.zones = std::move(*z);
  auto lk = load_victim_links((s.dir / "links.csv").string(), diags);
  REQUIRE(lk.ok());
  l.links = std::move(lk->records);
  auto fx = load_fixes((s.dir / "fixes.csv").string(), diags);
  REQUIRE(fx.ok());
  l.fixes = std::move(fx->records);
  auto ev = load_device_events((s.dir / "events.csv").string(), diags);
  REQUIRE(ev.ok());
  l.events = std::move(ev->records);
  auto cr = load_crimes((s.dir / "crimes.csv").string(), diags);
  REQUIRE(cr.ok());
  l.crimes = std::move(cr->records);
  l.diagnostics = diags.total();
  return l;
}

std::vector<episode> truth_rows(const scenario& s) {
  std::vector<episode> out;
  for (const auto& r : read_csv(s.dir / "truth.csv")) {
    REQUIRE(r.size() == 9);
    episode e{r[0], r[1], r[2], r[3], ms(r[4]), ms(r[5])};
    CHECK(std::stoll(r[6]) * 1000 == e.end - e.start);
    CHECK(e.end > e.start);
    out.push_back(e);
  }
  return out;
}

std::vector<std::string> subject_ids(const scenario& s) {
  std::vector<std::string> ids;
  for (const auto& [id, v] : s.rec.track)
    if (id[0] == 'S') ids.push_back(id);
  return ids;
}

// Every episode of every type, re-derived from the true trajectory and the
// generated files without the generator's code.
std::vector<episode> reevaluate(const scenario& s, const loaded_scenario& l) {
  std::vector<episode> out;
  const tm_frame frame;
  const std::int64_t t0 = to_epoch_ms(s.summary.start), t1 = to_epoch_ms(s.summary.end);
  const std::int64_t step = s.rec.step_ms;
  GEOSContextHandle_t h = GEOS_init_r();
  {
    std::map<std::string, std::unique_ptr<geos_zone>> geos;
    std::map<std::string, windows_eval> windows;
    for (const zone& z : l.zones) {
      if (z.shape == zone_shape::polygonal) geos[z.zone_id] = std::make_unique<geos_zone>(h, z.area);
      if (z.schedule) windows.emplace(z.zone_id, windows_eval(*z.schedule, t0, t1));
    }
    for (const std::string& sid : subject_ids(s)) {
      const auto& track = s.rec.track.at(sid);
      REQUIRE(static_cast<std::int64_t>(track.size()) == (t1 - t0) / step);
      for (const zone& z : l.zones) {
        if (!z.applies_to(sid)) continue;
        const bool keep_out = z.kind == zone_kind::exclusion || z.kind == zone_kind::victim_home;
        episode_builder b{{sid,
                           keep_out ? "exclusion" : z.kind == zone_kind::inclusion ? "inclusion" : "curfew",
                           z.zone_id, std::string(z.property("victim_id")), 0, 0},
                          false, &out};
        for (std::size_t k = 0; k < track.size(); ++k) {
          const std::int64_t t = t0 + static_cast<std::int64_t>(k) * step;
          const bool active = !z.schedule || windows.at(z.zone_id).active(t);
          const bool in = z.shape == zone_shape::circle ? distance_m(track[k], z.disc.centre) <= z.disc.radius_m
                                                        : geos.at(z.zone_id)->covers(track[k]);
          b.step(t, active && (keep_out ? in : !in));
        }
        b.finish(t1);
      }
    }
  }
  GEOS_finish_r(h);

  // Proximity: geodesic distance between the true positions.
  const auto& geod = GeographicLib::Geodesic::WGS84();
  for (const victim_link& lk : l.links) {
    const auto& a = s.rec.track.at(lk.subject_id);
    const auto& b = s.rec.track.at(lk.victim_id);
    episode_builder eb{{lk.subject_id, "proximity", "", lk.victim_id, 0, 0}, false, &out};
    for (std::size_t k = 0; k < a.size(); ++k) {
      const lat_lon p = frame.inverse(a[k]), q = frame.inverse(b[k]);
      double d = 0;
      geod.Inverse(p.lat_deg(), p.lon_deg(), q.lat_deg(), q.lon_deg(), d);
      eb.step(t0 + static_cast<std::int64_t>(k) * step, d <= lk.alert_m);
    }
    eb.finish(t1);
  }

  // Unmonitored: gaps between the times of the fixes the centre received.
  std::map<std::string, std::set<std::int64_t>> times;
  for (const stored_fix& f : l.fixes)
    if (f.subject_id[0] == 'S') times[f.subject_id].insert(to_epoch_ms(f.time));
  for (const std::string& sid : subject_ids(s)) {
    std::int64_t last = t0;
    auto& ts = times[sid];
    ts.insert(t1);
    for (std::int64_t t : ts) {
      if (t - last > s.params.unmonitored_after_s * 1000LL) out.push_back({sid, "unmonitored", "", "", last, t});
      last = t;
    }
  }

  // Tamper and battery from the device events.
  std::map<std::string, std::int64_t> tamper, battery;
  for (const stored_device_event& e : l.events) {
    const std::int64_t t = to_epoch_ms(e.time);
    if (e.type == device_event_type::strap_tamper) tamper[e.subject_id] = t;
    if (e.type == device_event_type::strap_ok && tamper.count(e.subject_id)) {
      out.push_back({e.subject_id, "tamper", "", "", tamper[e.subject_id], t});
      tamper.erase(e.subject_id);
    }
    if (e.type == device_event_type::battery_critical && !battery.count(e.subject_id)) battery[e.subject_id] = t;
    if (e.type == device_event_type::charging_start && battery.count(e.subject_id)) {
      out.push_back({e.subject_id, "battery", "", "", battery[e.subject_id], t});
      battery.erase(e.subject_id);
    }
  }
  for (const auto& [sid, t] : tamper) out.push_back({sid, "tamper", "", "", t, t1});
  for (const auto& [sid, t] : battery) out.push_back({sid, "battery", "", "", t, t1});
  std::sort(out.begin(), out.end());
  return out;
}

void check_truth(const scenario& s) {
  const loaded_scenario l = load_all(s);
  CHECK(l.diagnostics == 0);
  std::vector<episode> truth = truth_rows(s);
  std::sort(truth.begin(), truth.end());
  const std::vector<episode> expect = reevaluate(s, l);
  INFO("seed " << s.params.seed << ", " << s.params.subjects << " subjects, " << s.params.days << " days");
  std::vector<episode> missing, extra;
  std::set_difference(expect.begin(), expect.end(), truth.begin(), truth.end(), std::back_inserter(missing));
  std::set_difference(truth.begin(), truth.end(), expect.begin(), expect.end(), std::back_inserter(extra));
  for (const episode& e : missing) UNSCOPED_INFO("missing from truth.csv: " << e);
  for (const episode& e : extra) UNSCOPED_INFO("not re-derived: " << e);
  CHECK(missing.empty());
  CHECK(extra.empty());
  CHECK(truth.size() == s.summary.truth_episodes);
}

void check_crime_truth(const scenario& s) {
  const loaded_scenario l = load_all(s);
  const tm_frame frame;
  const std::int64_t t0 = to_epoch_ms(s.summary.start);
  const std::int64_t step = s.rec.step_ms;
  std::set<std::pair<std::string, std::string>> expect, got;
  std::map<std::pair<std::string, std::string>, double> expect_min;
  for (const crime& c : l.crimes) {
    const xy at = frame.forward(c.pos);
    const double k = frame.scale_at(c.pos);
    REQUIRE(c.radius_m.has_value());
    const double from = static_cast<double>(to_epoch_ms(c.from)), to = static_cast<double>(to_epoch_ms(c.to));
    for (const std::string& sid : subject_ids(s)) {
      const auto& tr = s.rec.track.at(sid);
      double best = 1e300;
      for (std::size_t i = 0; i + 1 < tr.size(); ++i) {
        const double ta = static_cast<double>(t0 + static_cast<std::int64_t>(i) * step), tb = ta + static_cast<double>(step);
        if (tb < from || ta > to) continue;
        // Closest approach on the part of the segment inside the window.
        const double ua = std::max(0.0, (from - ta) / (tb - ta)), ub = std::min(1.0, (to - ta) / (tb - ta));
        const xy a{tr[i].x_m + (tr[i + 1].x_m - tr[i].x_m) * ua, tr[i].y_m + (tr[i + 1].y_m - tr[i].y_m) * ua};
        const xy b{tr[i].x_m + (tr[i + 1].x_m - tr[i].x_m) * ub, tr[i].y_m + (tr[i + 1].y_m - tr[i].y_m) * ub};
        const double dx = b.x_m - a.x_m, dy = b.y_m - a.y_m, l2 = dx * dx + dy * dy;
        const double u = l2 > 0 ? std::clamp(((at.x_m - a.x_m) * dx + (at.y_m - a.y_m) * dy) / l2, 0.0, 1.0) : 0.0;
        best = std::min(best, std::hypot(a.x_m + dx * u - at.x_m, a.y_m + dy * u - at.y_m) / k);
      }
      if (best <= *c.radius_m) {
        expect.insert({c.crime_id, sid});
        expect_min[{c.crime_id, sid}] = best;
      }
    }
  }
  std::size_t committed = 0;
  for (const auto& r : read_csv(s.dir / "crime_truth.csv")) {
    REQUIRE(r.size() == 5);
    got.insert({r[0], r[1]});
    INFO(r[0] << " " << r[1]);
    REQUIRE(expect_min.count({r[0], r[1]}));
    CHECK(std::fabs(std::stod(r[3]) - expect_min[{r[0], r[1]}]) <= 0.051);
    if (r[2] == "committed") {
      ++committed;
      CHECK(std::stod(r[3]) <= 5.1);  // the trail passes within a few metres
    } else {
      CHECK(r[2] == "nearby");
    }
  }
  CHECK(got == expect);
  CHECK(committed == s.summary.committed_crimes);
}

}  // namespace

// -----------------------------------------------------------------------------

TEST_CASE("synth: same seed gives the same bytes, another seed other bytes", "[synth]") {
  const synth_params p = base_params(77, 10, 1);
  const auto a = generate(p, "det_a");
  const auto b = generate(p, "det_b");
  synth_params q = p;
  q.seed = 78;
  const auto c = generate(q, "det_c");
  for (const char* f : {"fixes.csv", "events.csv", "zones.geojson", "links.csv", "crimes.csv", "truth.csv",
                        "crime_truth.csv", "scenario.json"}) {
    INFO(f);
    const std::string x = slurp(a->dir / f), y = slurp(b->dir / f);
    CHECK(!x.empty());
    CHECK(fnv1a(x) == fnv1a(y));
    CHECK(x.size() == y.size());
  }
  for (const char* f : {"fixes.csv", "events.csv", "zones.geojson", "truth.csv", "crimes.csv"}) {
    INFO(f);
    CHECK(fnv1a(slurp(a->dir / f)) != fnv1a(slurp(c->dir / f)));
  }
  CHECK(a->summary.fixes == b->summary.fixes);
}

TEST_CASE("synth: every file loads with the project's readers, with zero diagnostics", "[synth]") {
  const scenario& s = small();
  const loaded_scenario l = load_all(s);
  CHECK(l.diagnostics == 0);
  CHECK(l.fixes.size() == s.summary.fixes);
  CHECK(l.events.size() == s.summary.events);
  CHECK(l.crimes.size() == s.summary.crimes);
  CHECK(l.zones.size() == s.summary.zones);
  CHECK(l.links.size() == s.summary.victims);
  // Kinds present, and every subject has exactly one curfew home.
  std::map<zone_kind, int> kinds;
  for (const zone& z : l.zones) ++kinds[z.kind];
  CHECK(kinds[zone_kind::exclusion] >= 1);
  CHECK(kinds[zone_kind::inclusion] >= 1);
  CHECK(kinds[zone_kind::curfew_home] == static_cast<int>(s.params.subjects));
  CHECK(kinds[zone_kind::victim_home] == static_cast<int>(s.summary.victims));
  bool shared_real = false;
  for (const zone& z : l.zones)
    shared_real |= z.shape == zone_shape::polygonal && z.kind == zone_kind::exclusion && z.subjects.size() >= 1 &&
                   z.zone_id.rfind("X-E0", 0) == 0;
  CHECK(shared_real);
  // Arrival order: received_time never decreases; event time sometimes does.
  bool out_of_order = false;
  for (std::size_t i = 1; i < l.fixes.size(); ++i) {
    REQUIRE(l.fixes[i].received >= l.fixes[i - 1].received);
    out_of_order |= l.fixes[i].subject_id == l.fixes[i - 1].subject_id && l.fixes[i].time < l.fixes[i - 1].time;
  }
  CHECK(out_of_order);
  for (std::size_t i = 1; i < l.events.size(); ++i) REQUIRE(l.events[i].time >= l.events[i - 1].time);
}

TEST_CASE("synth: a small scenario has true breaches of every kind", "[synth]") {
  const scenario& s = small();
  std::map<std::string, int> by_type;
  for (const episode& e : truth_rows(s)) ++by_type[e.type];
  for (const char* t : {"exclusion", "inclusion", "curfew", "proximity", "unmonitored", "tamper", "battery"}) {
    INFO(t);
    CHECK(by_type[t] >= 1);
  }
  CHECK(s.summary.committed_crimes >= 1);
  CHECK(s.summary.crimes > s.summary.committed_crimes);
}

TEST_CASE("synth: truth episodes are what the true trajectory says", "[synth]") {
  check_truth(small());
}

TEST_CASE("synth: crime truth is what the true trails say", "[synth]") {
  check_crime_truth(small());
}

TEST_CASE("synth: the noisy fixes follow the model", "[synth]") {
  static const auto big = generate(base_params(4242, 40, 1), "stats");
  const scenario& s = *big;
  const synth_gps_model& m = s.params.gps;
  const loaded_scenario l = load_all(s);
  REQUIRE(l.diagnostics == 0);
  const tm_frame frame;
  INFO("seed " << s.params.seed);

  // Duplicates and late arrivals, from the file alone.
  std::set<std::pair<std::string, std::int64_t>> seen;
  std::size_t unique = 0, dups = 0, late = 0, gps = 0, outliers = 0;
  std::map<std::string, std::vector<double>> resid;  // per entity, per axis residuals of non-outliers
  std::vector<std::string> recorded_ids;
  for (const stored_fix& f : l.fixes) {
    if (!seen.insert({f.subject_id, to_epoch_ms(f.time)}).second) {
      ++dups;
      continue;
    }
    ++unique;
    if (f.received - f.time > std::chrono::seconds(60)) ++late;
    if (f.source != fix_source::gps) continue;
    ++gps;
    const xy truth = s.rec.at(f.subject_id, to_epoch_ms(f.time));
    const xy got = frame.forward(f.pos);
    const double dx = got.x_m - truth.x_m, dy = got.y_m - truth.y_m;
    if (std::hypot(dx, dy) > 60) {
      ++outliers;
      continue;
    }
    auto& v = resid[f.subject_id];
    v.push_back(dx);
    v.push_back(dy);
  }
  const double dup_frac = static_cast<double>(dups) / static_cast<double>(unique);
  const double out_frac = static_cast<double>(outliers) / static_cast<double>(gps);
  CAPTURE(unique, dups, late, gps, outliers, dup_frac, out_frac);
  CHECK(dup_frac == Approx(m.duplicate_probability).epsilon(0.3));
  CHECK(out_frac == Approx(m.outlier_probability).epsilon(0.3));

  // Late (buffered) share: time in coverage gaps of an alternating renewal
  // process (exponential up-times, the documented gap durations).
  const double e_cov = 0.7 * 32.5 + 0.3 * 210.0, e_gps = 21.0, e_off = 32.5;  // minutes
  const double per_min = 1.0 / 1440.0;
  auto share = [&](double off_rate) {
    const double c = m.coverage_gaps_per_day * per_min * e_cov;
    return c / (1 + c + m.gps_gaps_per_day * per_min * e_gps + off_rate * per_min * e_off);
  };
  // Subjects and victims send about equally many fixes; victims have no off gaps.
  const double expected_late = 0.5 * (share(m.off_gaps_per_day) + share(0));
  const double late_frac = static_cast<double>(late) / static_cast<double>(unique);
  CAPTURE(expected_late, late_frac);
  CHECK(late_frac == Approx(expected_late).epsilon(0.35));

  // Jitter: each device's sigma lies in the configured range, and the
  // generator used what it says.
  std::map<std::string, double> sigma_used;
  for (std::size_t i = 0; i < s.rec.fixes.size(); ++i)
    if (s.rec.fixes[i].source == fix_source::gps) sigma_used[s.rec.fix_ids[i]] = s.rec.fixes[i].sigma_m;
  int checked = 0;
  for (const auto& [id, v] : resid) {
    if (v.size() < 400) continue;
    double ss = 0;
    for (double x : v) ss += x * x;
    const double sigma = std::sqrt(ss / static_cast<double>(v.size()));
    INFO(id << " sigma " << sigma << " model " << sigma_used[id]);
    CHECK(sigma >= m.jitter_sigma_min_m * 0.9);
    CHECK(sigma <= m.jitter_sigma_max_m * 1.1);
    CHECK(sigma == Approx(sigma_used[id]).epsilon(0.08));
    ++checked;
  }
  CHECK(checked >= 40);

  // Reported accuracy: the 95% radius for ordinary fixes; sometimes wrong.
  std::size_t ordinary = 0, within = 0, wrong = 0, good_outliers = 0, all_outliers = 0;
  for (const synth_fix_info& f : s.rec.fixes) {
    if (f.source != fix_source::gps || f.duplicate) continue;
    wrong += f.wrong_accuracy;
    const xy got = frame.forward(f.reported);
    const double r = std::hypot(got.x_m - f.true_pos.x_m, got.y_m - f.true_pos.y_m);
    if (f.outlier) {
      ++all_outliers;
      CHECK(r >= m.outlier_min_m - 6 * f.sigma_m);
      good_outliers += f.accuracy_m < 50;
      continue;
    }
    if (f.wrong_accuracy) continue;
    ++ordinary;
    within += r <= f.accuracy_m;
  }
  const double cover = static_cast<double>(within) / static_cast<double>(ordinary);
  const double wrong_frac = static_cast<double>(wrong) / static_cast<double>(gps);
  CAPTURE(cover, wrong_frac, good_outliers, all_outliers);
  CHECK(cover > 0.92);
  CHECK(cover < 0.97);
  CHECK(wrong_frac == Approx(m.wrong_accuracy_probability).epsilon(0.3));
  CHECK(static_cast<double>(good_outliers) / static_cast<double>(all_outliers) ==
        Approx(m.outlier_good_accuracy_share).epsilon(0.35));
}

TEST_CASE("synth: bad parameters are refused with a reason", "[synth]") {
  synth_params p = base_params(1, 10, 1);
  p.start_date = "2026-02-30";
  CHECK(generate_scenario(p, scratch("bad").string()).code() == errc::bad_date);
  p = base_params(1, 0, 1);
  CHECK(generate_scenario(p, scratch("bad").string()).code() == errc::usage);
  p = base_params(1, 10, 1);
  p.truth_step_s = 7;
  CHECK(generate_scenario(p, scratch("bad").string()).code() == errc::usage);
  p = base_params(1, 10, 1);
  p.lsoa_dir = "/nonexistent";
  CHECK(generate_scenario(p, scratch("bad").string()).code() == errc::io_error);
}

TEST_CASE("synth: a week across the clock change, truth re-derived", "[synth][slow]") {
  synth_params p = base_params(99, 60, 7);
  p.truth_step_s = 5;
  p.fix_interval_s = 30;
  const auto s = generate(p, "week");
  check_truth(*s);
  check_crime_truth(*s);
  // Exclusion breaches from short transits to long visits.
  std::map<std::string, int> by_type;
  bool short_excl = false, long_excl = false;
  for (const episode& e : truth_rows(*s)) {
    ++by_type[e.type];
    if (e.type != "exclusion") continue;
    short_excl |= e.end - e.start <= 60'000;
    long_excl |= e.end - e.start >= 1'800'000;
  }
  CHECK(short_excl);
  CHECK(long_excl);
  for (const char* t : {"exclusion", "inclusion", "curfew", "proximity", "unmonitored", "tamper", "battery"}) {
    INFO(t);
    CHECK(by_type[t] >= 5);
  }
}
