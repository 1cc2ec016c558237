// `warden synth`: generate a deterministic synthetic scenario (warden/synth.hpp).
#include "commands.hpp"

#include <warden/synth.hpp>

#include <sys/resource.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>

namespace warden::cli {

namespace {

constexpr std::string_view synth_usage =
    "usage: warden synth --out DIR [--subjects N] [--days D] [--start YYYY-MM-DD] [--seed S]\n"
    "                    [--fix-interval-s 60] [--truth-step-s 10] [--lsoa-dir PATH] [--ward-dir PATH]\n"
    "                    [--police PATH...] [--no-police] [--background-crimes N] [--true-track]\n"
    "\n"
    "Writes a deterministic synthetic monitoring scenario on real Essex geography into DIR:\n"
    "fixes.csv (arrival order), events.csv, zones.geojson, links.csv, crimes.csv, truth.csv,\n"
    "crime_truth.csv and scenario.json (track.csv with --true-track). Same seed and options,\n"
    "same bytes. See docs/synth.md.\n"
    "\n"
    "  --out DIR               output directory (created if missing)\n"
    "  --subjects N            monitored subjects (default 10)\n"
    "  --days D                local days from --start (default 1)\n"
    "  --start DATE            first local day, Europe/London (default 2026-03-23)\n"
    "  --seed S                random seed, 0..2^64-1 (default 1)\n"
    "  --fix-interval-s S      seconds between fixes (default 60)\n"
    "  --truth-step-s S        resolution of the ground truth, divides 60, <= 15 (default 10)\n"
    "  --lsoa-dir PATH         ONS LSOA GeoJSON directory (default ../shared/data/boundaries/essex-lsoa)\n"
    "  --ward-dir PATH         ONS ward GeoJSON directory (default ../shared/data/boundaries/essex-wards)\n"
    "  --police PATH...        police.uk street-level CSVs (default ../shared/data/police/*.csv)\n"
    "  --no-police             no police.uk data: destinations and crimes sampled in LSOAs\n"
    "  --background-crimes N   crimes per day nobody was sent to (default subjects/2 within 20..1000)\n"
    "  --true-track            also write track.csv, the true positions at every truth step\n";

template <class T>
bool parse_uint(const std::string& s, T& out) {
  const auto r = std::from_chars(s.data(), s.data() + s.size(), out);
  return r.ec == std::errc() && r.ptr == s.data() + s.size() && !s.empty();
}

std::string default_data(const char* rel) {
#ifdef WARDEN_SOURCE_DIR
  const std::filesystem::path p = std::filesystem::path(WARDEN_SOURCE_DIR) / ".." / "shared" / "data" / rel;
  std::error_code ec;
  if (std::filesystem::exists(p, ec)) return p.lexically_normal().string();
#else
  (void)rel;
#endif
  return {};
}

}  // namespace

int cmd_synth(const args& a) {
  // --police takes every following argument up to the next option.
  args rest;
  std::vector<std::string> police;
  bool police_given = false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (a[i] != "--police") {
      rest.push_back(a[i]);
      continue;
    }
    police_given = true;
    while (i + 1 < a.size() && a[i + 1].rfind("--", 0) != 0) police.push_back(a[++i]);
    if (police.empty()) return usage_error("synth", "--police needs at least one path", synth_usage);
  }
  options o(rest,
            {"out", "subjects", "days", "start", "seed", "fix-interval-s", "truth-step-s", "lsoa-dir", "ward-dir",
             "background-crimes"},
            {"no-police", "true-track"});
  if (o.help()) {
    std::cout << synth_usage;
    return 0;
  }
  if (!o.ok()) return usage_error("synth", o.error(), synth_usage);
  if (!o.has("out")) return usage_error("synth", "--out is required", synth_usage);

  synth_params p;
  if (o.has("subjects") && (!parse_uint(o.get("subjects"), p.subjects) || p.subjects == 0))
    return usage_error("synth", "--subjects must be a positive integer", synth_usage);
  if (o.has("days") && (!parse_uint(o.get("days"), p.days) || p.days == 0))
    return usage_error("synth", "--days must be a positive integer", synth_usage);
  if (o.has("seed") && !parse_uint(o.get("seed"), p.seed))
    return usage_error("synth", "--seed must be an unsigned 64-bit integer", synth_usage);
  if (o.has("fix-interval-s") && !parse_uint(o.get("fix-interval-s"), p.fix_interval_s))
    return usage_error("synth", "--fix-interval-s must be an integer", synth_usage);
  if (o.has("truth-step-s") && !parse_uint(o.get("truth-step-s"), p.truth_step_s))
    return usage_error("synth", "--truth-step-s must be an integer", synth_usage);
  if (o.has("background-crimes") && !parse_uint(o.get("background-crimes"), p.background_crimes_per_day))
    return usage_error("synth", "--background-crimes must be an integer", synth_usage);
  p.start_date = o.get("start", p.start_date);
  p.lsoa_dir = o.get("lsoa-dir", default_data("boundaries/essex-lsoa"));
  p.ward_dir = o.get("ward-dir", default_data("boundaries/essex-wards"));
  p.write_true_track = o.has("true-track");
  if (o.has("no-police")) {
    if (police_given) return usage_error("synth", "--police and --no-police exclude each other", synth_usage);
  } else if (police_given) {
    p.police_files = police;
  } else if (const std::string dir = default_data("police"); !dir.empty()) {
    std::error_code ec;
    for (const auto& e : std::filesystem::directory_iterator(dir, ec))
      if (e.is_regular_file() && e.path().extension() == ".csv") p.police_files.push_back(e.path().string());
    std::sort(p.police_files.begin(), p.police_files.end());
  }
  if (p.lsoa_dir.empty()) return usage_error("synth", "no --lsoa-dir and no default data found", synth_usage);

  const auto t0 = std::chrono::steady_clock::now();
  auto r = generate_scenario(p, o.get("out"));
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (!r) {
    std::cerr << "warden synth: " << to_string(r.code()) << ": " << r.err().message << "\n";
    return r.code() == errc::usage || r.code() == errc::bad_date ? 2 : 1;
  }
  const synth_summary& s = *r;
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  std::printf(
      "warden synth: wrote %s\n"
      "  %u subjects, %u victims, %llu zones, %llu fixes (%llu from victims; %llu duplicates, %llu outliers, "
      "%llu buffered), %llu events\n"
      "  %llu truth episodes, %llu crimes (%llu committed by subjects), %llu crime truth rows\n"
      "  %s .. %s\n"
      "  %.2f s, %.0f fixes/s, peak RSS %.1f MiB, peak arrival queue %llu fixes\n",
      o.get("out").c_str(), s.subjects, s.victims, static_cast<unsigned long long>(s.zones),
      static_cast<unsigned long long>(s.fixes), static_cast<unsigned long long>(s.victim_fixes),
      static_cast<unsigned long long>(s.duplicates), static_cast<unsigned long long>(s.outliers),
      static_cast<unsigned long long>(s.buffered), static_cast<unsigned long long>(s.events),
      static_cast<unsigned long long>(s.truth_episodes), static_cast<unsigned long long>(s.crimes),
      static_cast<unsigned long long>(s.committed_crimes), static_cast<unsigned long long>(s.crime_truth_rows),
      format_instant(s.start).c_str(), format_instant(s.end).c_str(), secs,
      secs > 0 ? static_cast<double>(s.fixes) / secs : 0.0, static_cast<double>(ru.ru_maxrss) / 1024.0,
      static_cast<unsigned long long>(s.peak_pending_fixes));
  return 0;
}

}  // namespace warden::cli
