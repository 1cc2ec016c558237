// `warden demo`: the main job on the embedded scenario in data/demo — load
// every input through the same readers a service uses, run what is built,
// write the outputs and print a summary a monitoring manager would want.
#include "commands.hpp"

#include <warden/diagnostics.hpp>
#include <warden/readers.hpp>
#include <warden/zone.hpp>

#include <cstdio>
#include <filesystem>
#include <iostream>
#include <map>
#include <set>

namespace warden::cli {
namespace {

constexpr std::string_view demo_usage =
    "usage: warden demo [--data DIR] [--out DIR]\n"
    "\n"
    "Runs the main job on the embedded scenario (default data/demo in the source tree):\n"
    "reads zones, fixes, device events, victim links and crimes, runs the monitoring\n"
    "engine and crime matching where built, writes the outputs into --out (default\n"
    "out/demo) and prints a summary.\n";

std::string default_demo_dir() {
#ifdef WARDEN_SOURCE_DIR
  return (std::filesystem::path(WARDEN_SOURCE_DIR) / "data" / "demo").string();
#else
  return "data/demo";
#endif
}

}  // namespace

int cmd_demo(const args& a) {
  options o(a, {"data", "out"}, {});
  if (o.help()) {
    std::cout << demo_usage;
    return 0;
  }
  if (!o.ok()) return usage_error("demo", o.error(), demo_usage);
  const std::filesystem::path data = o.get("data", default_demo_dir());
  const std::filesystem::path out = o.get("out", "out/demo");
  std::error_code ec;
  if (!std::filesystem::is_directory(data, ec)) {
    std::cerr << "warden demo: no scenario at " << data.string() << " (use --data DIR)\n";
    return 2;
  }
  std::filesystem::create_directories(out, ec);
  if (ec) {
    std::cerr << "warden demo: cannot create " << out.string() << ": " << ec.message() << "\n";
    return 2;
  }

  diagnostics diag(&std::cerr);
  zone_read_options zo;
  auto zones = read_zones((data / "zones.geojson").string(), zo, diag);
  auto fixes = load_fixes((data / "fixes.csv").string(), diag);
  auto events = load_device_events((data / "events.csv").string(), diag);
  auto links = load_victim_links((data / "links.csv").string(), diag);
  auto crimes = load_crimes((data / "crimes.csv").string(), diag);
  if (!zones || !fixes || !events || !links || !crimes) {
    std::cerr << "warden demo: the scenario could not be read\n";
    return 1;
  }

  std::map<std::string, int> zones_by_kind;
  for (const auto& z : *zones) ++zones_by_kind[std::string(to_string(z.kind))];
  std::set<std::string_view> subjects;
  std::set<std::string_view> victims;
  for (const auto& l : links->records) victims.insert(l.victim_id);
  std::uint64_t late = 0;
  for (const auto& f : fixes->records) {
    if (victims.count(f.subject_id) == 0) subjects.insert(f.subject_id);
    if (f.received - f.time > std::chrono::minutes(10)) ++late;
  }

  std::printf("warden demo — scenario %s\n\n", data.string().c_str());
  std::printf("inputs\n");
  std::printf("  zones          %6zu  (", zones->size());
  bool first = true;
  for (const auto& [k, n] : zones_by_kind) std::printf("%s%s %d", first ? "" : ", ", k.c_str(), n), first = false;
  std::printf(")\n");
  std::printf("  fixes          %6zu  (%zu subjects, %zu victim devices; %llu arrived > 10 min late)\n",
              fixes->records.size(), subjects.size(), victims.size(), static_cast<unsigned long long>(late));
  std::printf("  device events  %6zu\n", events->records.size());
  std::printf("  victim links   %6zu\n", links->records.size());
  std::printf("  crimes         %6zu\n", crimes->records.size());
  std::printf("  bad records    %6llu\n", static_cast<unsigned long long>(diag.total()));
  for (const auto& [code, n] : diag.counts())
    std::printf("    %-22s %llu\n", std::string(to_string(code)).c_str(), static_cast<unsigned long long>(n));
  if (!diag.empty()) return 1;

  // The monitoring engine over the same files, exactly as `warden check`
  // runs it, so the demo and a service cannot disagree.
  std::printf("\nmonitoring engine (warden check)\n");
  std::fflush(stdout);
  const std::string alerts = (out / "alerts.jsonl").string();
  const int rc = cmd_check({"--zones", (data / "zones.geojson").string(), "--fixes", (data / "fixes.csv").string(),
                            "--events", (data / "events.csv").string(), "--links", (data / "links.csv").string(),
                            "--out", alerts});
  std::printf("\nalerts written to %s\n", alerts.c_str());
  return rc;
}

}  // namespace warden::cli
