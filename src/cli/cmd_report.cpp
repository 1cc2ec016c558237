// warden report — evidence packs for one alert or one crime match
// (FORMATS.md; warden/report.hpp says what a pack holds).
#include "commands.hpp"

#include <warden/diagnostics.hpp>
#include <warden/readers.hpp>
#include <warden/report.hpp>
#include <warden/trail_store.hpp>
#include <warden/zone.hpp>

#include <charconv>
#include <cmath>
#include <iostream>
#include <string>
#include <vector>

namespace warden::cli {
namespace {

constexpr std::string_view usage_text =
    "usage: warden report --alerts A --fixes F --zones Z --alert-id ID --out FILE.html\n"
    "                     [--geojson FILE] [--context-min 30] [--gap-s 900] [--show-victim]\n"
    "       warden report --matches M --crimes C --crime-id ID --subject-id S --fixes F\n"
    "                     --out FILE.html [--geojson FILE] [--radius-m 100]\n"
    "                     [--snap-allowance-m 250] [--max-speed-mps 40] [--max-gap-s 900]\n"
    "                     [--context-min 30] [--gap-s 900]\n"
    "  Writes a self-contained HTML evidence pack (no network, no scripts): an SVG\n"
    "  trail map (fixes before, during and after coloured by time, accuracy circles,\n"
    "  the zone or crime radius, gaps dashed, a scale bar), a timeline, the rule and\n"
    "  its parameters, the zone and engine versions. --geojson writes the same\n"
    "  content as a GeoJSON FeatureCollection.\n"
    "  --fixes          fixes CSV, or a trail store saved by `warden match --save-store`\n"
    "  --context-min    minutes shown before and after the episode (default 30)\n"
    "  --gap-s          consecutive fixes further apart are drawn dashed (default 900)\n"
    "  --show-victim    the reader is authorised to see the victim's positions; without\n"
    "                   it only distance and bearing are given, and victim_home zones\n"
    "                   are not drawn\n"
    "  --radius-m, --snap-allowance-m, --max-speed-mps, --max-gap-s: as given to\n"
    "                   `warden match` (quoted as the match's parameters; the radius\n"
    "                   marks the fixes within it)\n"
    "  Exit status: 0 ok, 1 bad input (not found, unreadable), 2 usage error.\n";

bool parse_number(const std::string& s, double& out) {
  const auto r = std::from_chars(s.data(), s.data() + s.size(), out);
  return !s.empty() && r.ec == std::errc() && r.ptr == s.data() + s.size() && std::isfinite(out) && out >= 0;
}

// Fixes of one id from a CSV or a store.
result<std::vector<pack_fix>> fixes_of(const std::string& path, std::string_view id, instant from, instant to,
                                       diagnostics& diag, std::unique_ptr<trail_store>& store) {
  if (path != "-" && trail_store::looks_like_store(path)) {
    if (!store) {
      auto s = trail_store::load(path);
      if (!s) {
        diag.report(path, 0, s.code(), s.err().message);
        return s.err();
      }
      store = std::make_unique<trail_store>(std::move(*s));
    }
    return pack_fixes_from_store(*store, id, from, to);
  }
  return load_pack_fixes(path, id, from, to, diag);
}

int write_outputs(const options& o, const evidence_pack& p) {
  if (auto w = write_text_file(o.get("out"), render_html(p)); !w) {
    std::cerr << "warden report: " << to_string(w.code()) << ": " << w.err().message << "\n";
    return 1;
  }
  if (o.has("geojson"))
    if (auto w = write_text_file(o.get("geojson"), render_geojson(p)); !w) {
      std::cerr << "warden report: " << to_string(w.code()) << ": " << w.err().message << "\n";
      return 1;
    }
  return 0;
}

}  // namespace

int cmd_report(const args& a) {
  options o(a,
            {"alerts", "fixes", "zones", "alert-id", "out", "geojson", "context-min", "gap-s", "matches", "crimes",
             "crime-id", "subject-id", "radius-m", "snap-allowance-m", "max-speed-mps", "max-gap-s"},
            {"show-victim"});
  if (o.help()) {
    std::cout << usage_text;
    return 0;
  }
  if (!o.ok()) return usage_error("report", o.error(), usage_text);
  const bool alert_mode = o.has("alerts") || o.has("alert-id");
  const bool crime_mode = o.has("matches") || o.has("crime-id");
  if (alert_mode == crime_mode)
    return usage_error("report", "give either --alerts/--alert-id or --matches/--crime-id", usage_text);
  if (!o.has("fixes") || !o.has("out")) return usage_error("report", "--fixes and --out are required", usage_text);

  double context_min = 30, gap_s = 900, radius_m = 100, snap_m = 250, speed = 40, max_gap_s = 900;
  struct numeric {
    const char* name;
    double* value;
  };
  for (const numeric& n : {numeric{"context-min", &context_min}, numeric{"gap-s", &gap_s},
                           numeric{"radius-m", &radius_m}, numeric{"snap-allowance-m", &snap_m},
                           numeric{"max-speed-mps", &speed}, numeric{"max-gap-s", &max_gap_s}})
    if (o.has(n.name) && !parse_number(o.get(n.name), *n.value))
      return usage_error("report", std::string("--") + n.name + " needs a number >= 0", usage_text);
  if (context_min > 7 * 24 * 60 || gap_s > 4e6 || max_gap_s > 4e6 || radius_m <= 0 || radius_m > max_radius_m)
    return usage_error("report", "a numeric option is out of range", usage_text);

  pack_options popt;
  popt.context = std::chrono::milliseconds{std::llround(context_min * 60000)};
  popt.gap = std::chrono::milliseconds{std::llround(gap_s * 1000)};
  popt.victim_authorised = o.has("show-victim");
  diagnostics diag(&std::cerr);
  std::unique_ptr<trail_store> store;

  if (alert_mode) {
    if (!o.has("alerts") || !o.has("alert-id") || !o.has("zones"))
      return usage_error("report", "--alerts, --alert-id and --zones are required for an alert", usage_text);
    auto alerts = read_alert_log(o.get("alerts"), diag);
    if (!alerts) return 1;
    const alert_record* found = nullptr;
    for (const alert_record& r : *alerts)
      if (r.alert_id == o.get("alert-id")) found = &r;
    if (!found) {
      diag.report(o.get("alerts"), 0, errc::bad_id, "no alert with id '" + o.get("alert-id") + "'");
      return 1;
    }
    auto zones = read_zones(o.get("zones"), zone_read_options{}, diag);
    if (!zones) return 1;
    const zone* z = nullptr;
    for (const zone& zz : *zones)
      if (!found->zone_id.empty() && zz.zone_id == found->zone_id) z = &zz;
    const auto [from, to] = pack_view(*found, popt);
    auto fixes = fixes_of(o.get("fixes"), found->subject_id, from, to, diag, store);
    if (!fixes) return 1;
    std::vector<pack_fix> victim;
    if (found->victim_id) {
      auto v = fixes_of(o.get("fixes"), *found->victim_id, from, to, diag, store);
      if (!v) return 1;
      victim = std::move(*v);
    }
    const int rc = write_outputs(o, make_alert_pack(*found, z, *fixes, victim, popt));
    return rc != 0 ? rc : diag.empty() ? 0 : 1;
  }

  if (!o.has("matches") || !o.has("crimes") || !o.has("crime-id") || !o.has("subject-id"))
    return usage_error("report", "--matches, --crimes, --crime-id and --subject-id are required for a crime match",
                       usage_text);
  auto matches = read_matches(o.get("matches"), diag);
  if (!matches) return 1;
  const match_record* m = nullptr;
  for (const match_record& r : *matches)
    if (r.crime_id == o.get("crime-id") && r.subject_id == o.get("subject-id")) m = &r;
  if (!m) {
    diag.report(o.get("matches"), 0, errc::bad_id,
                "no row for crime '" + o.get("crime-id") + "' and subject '" + o.get("subject-id") + "'");
    return 1;
  }
  std::optional<crime> c;
  bool police = false;
  auto crimes = load_crimes(o.get("crimes"), diag);
  if (!crimes) return 1;
  police = crimes->summary.format == crime_format::police_uk;
  for (crime& r : crimes->records)
    if (r.crime_id == o.get("crime-id")) c = std::move(r);
  if (!c) {
    diag.report(o.get("crimes"), 0, errc::bad_id, "no crime with id '" + o.get("crime-id") + "'");
    return 1;
  }
  crime_pack_params cp;
  cp.snap_allowance_m = police ? snap_m : 0.0;
  cp.radius_m = c->radius_m.value_or(radius_m) + cp.snap_allowance_m;
  cp.max_speed_mps = speed;
  cp.max_gap = std::chrono::milliseconds{std::llround(max_gap_s * 1000)};
  const auto [from, to] = pack_view(*c, popt);
  auto fixes = fixes_of(o.get("fixes"), m->subject_id, from, to, diag, store);
  if (!fixes) return 1;
  const int rc = write_outputs(o, make_crime_pack(*c, *m, *fixes, cp, popt));
  return rc != 0 ? rc : diag.empty() ? 0 : 1;
}

}  // namespace warden::cli
