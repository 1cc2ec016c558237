// warden check — streams fixes and device events through the monitoring
// engine (FORMATS.md, docs/engine.md).
#include "commands.hpp"

#include <warden/alert.hpp>
#include <warden/diagnostics.hpp>
#include <warden/monitor.hpp>
#include <warden/readers.hpp>
#include <warden/zone.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <sstream>
#include <string>

#include <sys/stat.h>

namespace warden::cli {
namespace {

constexpr std::string_view usage_text =
    "usage: warden check --zones Z --fixes F [--events E] [--links L] [--config C]\n"
    "                    [--out ALERTS] [--checkpoint FILE] [--resume FILE]\n"
    "                    [--checkpoint-every N] [--lateness-s S] [--watermark-delay-s S]\n"
    "                    [--advance-every N] [--strict] [--quiet]\n"
    "  Streams fixes (and device events) through the monitoring engine and writes\n"
    "  alert events as JSON Lines (FORMATS.md). '-' reads fixes from stdin / writes\n"
    "  alerts to stdout (the default). --checkpoint writes the engine state at the\n"
    "  end of input (and every N fixes with --checkpoint-every); --resume restores\n"
    "  it first and skips the fix records of a regular file that it already read.\n"
    "  With --links, victim devices' fixes (same fixes file) drive the proximity\n"
    "  rules; --events drives tamper, battery, no_gps/offline and RF explanations.\n"
    "  The summary ends with who is not being monitored at the last event time.\n"
    "  Exit status: 0 ok, 1 bad records were reported, 2 usage error.\n";

class jsonl_sink final : public alert_sink {
 public:
  jsonl_sink(std::FILE* out, diagnostics& diag, std::string fixes_name)
      : out_(out), diag_(diag), fixes_name_(std::move(fixes_name)) {}
  void on_alert(const alert_event& e) override {
    line_.clear();
    append_json(line_, e);
    line_ += '\n';
    std::fwrite(line_.data(), 1, line_.size(), out_);
  }
  void on_set_aside(const fix& f, errc reason) override {
    // Duplicates, too-late records and records beyond the subject limit are
    // counted in the summary; records that are wrong in themselves are
    // reported like reader errors.
    if (reason == errc::duplicate_record || reason == errc::too_late || reason == errc::subject_limit) return;
    diag_.report(fixes_name_, f.line, reason, "fix of " + std::string(f.subject_id) + " set aside by the engine");
  }

 private:
  std::FILE* out_;
  diagnostics& diag_;
  std::string fixes_name_;
  std::string line_;
};

bool is_regular_file(const std::string& p) {
  struct stat st {};
  return p != "-" && ::stat(p.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

}  // namespace

int cmd_check(const args& a) {
  options o(a,
            {"zones", "fixes", "events", "links", "config", "out", "checkpoint", "resume", "checkpoint-every",
             "lateness-s", "watermark-delay-s", "advance-every"},
            {"strict", "quiet"});
  if (o.help()) {
    std::cout << usage_text;
    return 0;
  }
  if (!o.ok()) return usage_error("check", o.error(), usage_text);
  if (!o.has("zones") || !o.has("fixes")) return usage_error("check", "--zones and --fixes are required", usage_text);
  auto number_opt = [&](std::string_view name, double fallback, double& out) {
    if (!o.has(name)) {
      out = fallback;
      return true;
    }
    try {
      std::size_t used = 0;
      const std::string v = o.get(name);
      out = std::stod(v, &used);
      return used == v.size() && out >= 0;
    } catch (...) {
      return false;
    }
  };
  double checkpoint_every = 0, lateness_s = -1, delay_s = 600, advance_every = 65536;
  if (!number_opt("checkpoint-every", 0, checkpoint_every) || !number_opt("lateness-s", -1, lateness_s) ||
      !number_opt("watermark-delay-s", 600, delay_s) || !number_opt("advance-every", 65536, advance_every) ||
      advance_every < 1)
    return usage_error("check", "numeric options need a non-negative number", usage_text);

  diagnostics diag(&std::cerr);
  read_options ropt;
  ropt.strict = o.has("strict");

  zone_read_options zopt;
  auto zones = read_zones(o.get("zones"), zopt, diag);
  if (!zones) return 1;

  std::vector<victim_link> links;
  if (o.has("links")) {
    auto l = load_victim_links(o.get("links"), diag, ropt);
    if (!l) return 1;
    links = std::move(l->records);
  }

  monitor_config cfg;
  if (o.has("config")) {
    auto c = read_monitor_config(o.get("config"), cfg);
    if (!c) {
      std::cerr << o.get("config") << ": " << to_string(c.code()) << ": " << c.err().message << "\n";
      return 1;
    }
    cfg = std::move(*c);
  }
  if (lateness_s >= 0) cfg.allowed_lateness = std::chrono::milliseconds{static_cast<std::int64_t>(lateness_s * 1000)};

  std::vector<stored_device_event> events;
  if (o.has("events")) {
    auto e = load_device_events(o.get("events"), diag, ropt);
    if (!e) return 1;
    events = std::move(e->records);
    std::stable_sort(events.begin(), events.end(),
                     [](const stored_device_event& x, const stored_device_event& y) { return x.time < y.time; });
  }

  auto m = monitor::create(std::move(*zones), std::move(links), cfg);
  if (!m) {
    std::cerr << "warden check: " << to_string(m.code()) << ": " << m.err().message << "\n";
    return 1;
  }

  std::FILE* out = stdout;
  const std::string out_path = o.get("out", "-");
  if (out_path != "-") {
    out = std::fopen(out_path.c_str(), "wb");
    if (!out) {
      std::cerr << "warden check: io_error: cannot write " << out_path << "\n";
      return 1;
    }
  }
  static char outbuf[1 << 16];
  std::setvbuf(out, outbuf, _IOFBF, sizeof outbuf);

  const std::string fixes_path = o.get("fixes");
  jsonl_sink sink(out, diag, fixes_path);
  m->set_sink(&sink);

  std::uint64_t skip_fixes = 0;
  std::size_t next_event = 0;
  if (o.has("resume")) {
    std::string app;
    auto r = m->restore(o.get("resume"), &app);
    if (!r) {
      std::cerr << "warden check: " << to_string(r.code()) << ": " << r.err().message << "\n";
      if (out != stdout) std::fclose(out);
      return 1;
    }
    std::istringstream ss(app);
    std::uint64_t ev = 0;
    ss >> skip_fixes >> ev;
    next_event = static_cast<std::size_t>(std::min<std::uint64_t>(ev, events.size()));
    if (!is_regular_file(fixes_path)) skip_fixes = 0;
  }

  const auto delay = std::chrono::milliseconds{static_cast<std::int64_t>(delay_s * 1000)};
  std::uint64_t seen = 0, pushed = 0;
  instant max_received = min_instant();
  const auto t0 = std::chrono::steady_clock::now();
  const bool quiet = o.has("quiet");
  auto app_data = [&] { return std::to_string(seen) + " " + std::to_string(next_event); };
  bool ckpt_failed = false;

  auto on_fix = [&](const fix& f) {
    ++seen;
    if (seen <= skip_fixes) return;
    // Device events "arrive" at their event time: hand over those due.
    while (next_event < events.size() && events[next_event].time <= f.received) m->push(events[next_event++].view());
    m->push(f);
    ++pushed;
    if (f.received > max_received) max_received = f.received;
    if (pushed % static_cast<std::uint64_t>(advance_every) == 0) m->advance(max_received - delay);
    if (checkpoint_every >= 1 && pushed % static_cast<std::uint64_t>(checkpoint_every) == 0) {
      std::fflush(out);
      if (auto c = m->checkpoint(o.get("checkpoint", "warden.ckpt"), app_data()); !c) {
        std::cerr << "warden check: " << to_string(c.code()) << ": " << c.err().message << "\n";
        ckpt_failed = true;
      }
    }
    if (!quiet && pushed % 5'000'000 == 0) {
      const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      std::fprintf(stderr, "warden check: %.1fM fixes, %.2fM fixes/s\n", static_cast<double>(pushed) / 1e6,
                   static_cast<double>(pushed) / 1e6 / std::max(s, 1e-9));
    }
  };
  auto rf = read_fixes(fixes_path, diag, on_fix, ropt);
  if (!rf) {
    if (out != stdout) std::fclose(out);
    return 1;
  }
  while (next_event < events.size()) m->push(events[next_event++].view());

  if (o.has("checkpoint")) {
    std::fflush(out);
    if (auto c = m->checkpoint(o.get("checkpoint"), app_data()); !c) {
      std::cerr << "warden check: " << to_string(c.code()) << ": " << c.err().message << "\n";
      ckpt_failed = true;
    }
  }
  m->flush();
  std::fflush(out);
  const bool write_error = std::ferror(out) != 0;
  if (out != stdout) std::fclose(out);

  const monitor_counters& c = m->counters();
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (!quiet) {
    std::fprintf(stderr,
                 "warden check: %llu fixes read (%llu pushed), %llu device events; %llu merged, %llu late, "
                 "%llu replays, %llu rejected by the motion filter; %.2fs (%.2fM fixes/s)\n",
                 static_cast<unsigned long long>(rf->records_ok), static_cast<unsigned long long>(pushed),
                 static_cast<unsigned long long>(c.device_events), static_cast<unsigned long long>(c.merged),
                 static_cast<unsigned long long>(c.late_merged), static_cast<unsigned long long>(c.replays),
                 static_cast<unsigned long long>(c.motion_rejected), secs,
                 static_cast<double>(pushed) / 1e6 / std::max(secs, 1e-9));
    std::string bad = "warden check: bad records:";
    if (diag.counts().empty()) bad += " none";
    for (const auto& [code, n] : diag.counts()) bad += " " + std::string(to_string(code)) + "=" + std::to_string(n);
    std::string aside = "warden check: set aside by the engine:";
    if (c.set_aside.empty()) aside += " none";
    for (const auto& [code, n] : c.set_aside) aside += " " + std::string(to_string(code)) + "=" + std::to_string(n);
    std::string alerts = "warden check: alerts:";
    if (c.alerts.empty()) alerts += " none";
    for (const auto& [k, n] : c.alerts)
      alerts += " " + std::string(to_string(k.first)) + "." + std::string(to_string(k.second)) + "=" + std::to_string(n);
    std::cerr << bad << "\n" << aside << "\n" << alerts << "\n";
    // Who is not being monitored at the end of the input (the latest event
    // time), including subjects with an order who never reported.
    const instant now = m->watermark();
    const auto who = m->unmonitored_now(now);
    std::size_t never = 0;
    for (const auto& u : who) never += u.last_fix ? 0 : 1;
    std::string un = "warden check: not monitored at " + format_instant(now) + ": " + std::to_string(who.size()) +
                     " subjects (" + std::to_string(never) + " never reported)";
    for (std::size_t i = 0; i < who.size() && i < 10; ++i)
      un += (i ? ", " : ": ") + who[i].subject_id + " since " +
            (who[i].since ? format_instant(*who[i].since) : std::string("never"));
    if (who.size() > 10) un += ", ...";
    std::cerr << un << "\n";
  }
  if (write_error) {
    std::cerr << "warden check: io_error: writing alerts failed\n";
    return 1;
  }
  return (diag.empty() && !ckpt_failed) ? 0 : 1;
}

}  // namespace warden::cli
