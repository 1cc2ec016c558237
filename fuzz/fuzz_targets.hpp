// fuzz/fuzz_targets.hpp — the entry points shared by the libFuzzer targets
// (fuzz/<name>_fuzz.cpp) and the regression replay (tests/regressions_test.cpp).
//
// Each function takes one input as bytes, feeds it to a reader or a restore
// path exactly as a user's file would arrive, and then checks invariants that
// any accepted record must satisfy. A violated invariant calls
// fuzz_check_failed (abort), so the fuzzer reports it as a crash and the
// replay test fails; a crash, sanitizer report or hang in warden itself is
// found the same way. Return value: always 0 (libFuzzer's convention).
//
// Two targets take the input through a small framing so that mutations reach
// past the integrity checks (a checksum the fuzzer cannot forge would stop
// almost every input at the first check):
//   checkpoint   byte 0 bit 0 set: the rest is a whole checkpoint file, as is.
//                Otherwise the rest is the checkpoint *payload*; the header
//                (magic, version, fingerprint of the target's own monitor,
//                length) and the FNV-1a trailer are computed around it.
//   trail_store  the input is a whole store file; unless bit 0 of byte 12
//                (the reserved header word, ignored by load) is set, the total
//                length field and the trailing checksum are rewritten to
//                match, so that mutations exercise the content checks.
//
// Thread-safety: entry points use function-local statics (built once) and
// per-process temporary files; call them from one thread.
#pragma once

#include <warden/monitor.hpp>
#include <warden/readers.hpp>
#include <warden/schedule.hpp>
#include <warden/trail_store.hpp>
#include <warden/zone.hpp>
#include <warden/zone_index.hpp>
#include <warden/detail/checksum.hpp>

#include <unistd.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <span>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

namespace warden::fuzz {

[[noreturn]] inline void fuzz_check_failed(const char* what, const char* file, int line) {
  std::fprintf(stderr, "%s:%d: fuzz invariant violated: %s\n", file, line, what);
  std::abort();
}
#define WARDEN_FUZZ_CHECK(c) \
  ((c) ? (void)0 : ::warden::fuzz::fuzz_check_failed(#c, __FILE__, __LINE__))

inline std::string_view as_text(const std::uint8_t* data, std::size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

// Small reads and short lines so that chunk boundaries and the line limit
// are crossed by inputs of fuzzing size.
inline read_options small_read_options(std::string_view in) {
  read_options o;
  o.chunk_bytes = 7 + (in.empty() ? 0 : static_cast<unsigned char>(in.back()) % 61);
  o.max_line_bytes = 512;
  o.max_id_bytes = 32;
  return o;
}

inline void check_summary(const result<read_summary>& r, std::uint64_t callbacks, const diagnostics& diag,
                          std::size_t input_bytes) {
  if (!r) {
    WARDEN_FUZZ_CHECK(!diag.empty());  // a file-level error is reported too
    return;
  }
  WARDEN_FUZZ_CHECK(r->records_ok == callbacks);
  WARDEN_FUZZ_CHECK(r->records_bad == diag.total());
  WARDEN_FUZZ_CHECK(r->bytes == input_bytes);
}

inline bool valid_pos(lat_lon p) {
  return std::isfinite(p.lat_deg()) && std::isfinite(p.lon_deg()) && std::fabs(p.lat_deg()) <= 90.0 &&
         std::fabs(p.lon_deg()) <= 180.0;
}
inline bool valid_time(instant t) { return t >= min_instant() && t < max_instant(); }

inline int fixes(const std::uint8_t* data, std::size_t size) {
  const std::string_view in = as_text(data, size);
  for (const bool strict : {false, true}) {
    std::istringstream s{std::string(in)};
    diagnostics diag;
    read_options opt = small_read_options(in);
    opt.strict = strict;
    std::uint64_t n = 0, last_line = 0;
    std::string out;
    auto r = read_fixes(s, "fuzz.csv", diag, [&](const fix& f) {
      ++n;
      WARDEN_FUZZ_CHECK(!f.subject_id.empty() && f.subject_id.size() <= opt.max_id_bytes);
      WARDEN_FUZZ_CHECK(valid_pos(f.pos) && valid_time(f.time) && valid_time(f.received));
      WARDEN_FUZZ_CHECK(std::isfinite(f.accuracy_m) && f.accuracy_m > 0 && f.accuracy_m <= max_accuracy_m);
      WARDEN_FUZZ_CHECK(f.line > last_line);
      last_line = f.line;
      append_csv_row(out, f);
    }, opt);
    if (!strict) check_summary(r, n, diag, size);
    else WARDEN_FUZZ_CHECK(r || diag.total() >= 1);
  }
  return 0;
}

inline int events(const std::uint8_t* data, std::size_t size) {
  const std::string_view in = as_text(data, size);
  std::istringstream s{std::string(in)};
  diagnostics diag;
  const read_options opt = small_read_options(in);
  std::uint64_t n = 0;
  std::string out;
  auto r = read_device_events(s, "fuzz.csv", diag, [&](const device_event& e) {
    ++n;
    WARDEN_FUZZ_CHECK(!e.subject_id.empty() && valid_time(e.time));
    WARDEN_FUZZ_CHECK(!to_string(e.type).empty());
    append_csv_row(out, e);
  }, opt);
  check_summary(r, n, diag, size);
  return 0;
}

inline int links(const std::uint8_t* data, std::size_t size) {
  const std::string_view in = as_text(data, size);
  std::istringstream s{std::string(in)};
  diagnostics diag;
  const read_options opt = small_read_options(in);
  std::uint64_t n = 0;
  std::string out;
  auto r = read_victim_links(s, "fuzz.csv", diag, [&](const victim_link& l) {
    ++n;
    WARDEN_FUZZ_CHECK(!l.subject_id.empty() && !l.victim_id.empty() && l.subject_id != l.victim_id);
    WARDEN_FUZZ_CHECK(std::isfinite(l.alert_m) && l.alert_m > 0 && l.alert_m <= max_radius_m);
    WARDEN_FUZZ_CHECK(std::isfinite(l.warning_m) && l.warning_m >= l.alert_m && l.warning_m <= max_radius_m);
    append_csv_row(out, l);
  }, opt);
  check_summary(r, n, diag, size);
  return 0;
}

inline void check_crime(const crime& c) {
  WARDEN_FUZZ_CHECK(!c.crime_id.empty() && valid_pos(c.pos));
  WARDEN_FUZZ_CHECK(valid_time(c.from) && c.to >= c.from);
  WARDEN_FUZZ_CHECK(!c.radius_m || (std::isfinite(*c.radius_m) && *c.radius_m > 0));
}

inline int crimes(const std::uint8_t* data, std::size_t size) {
  const std::string_view in = as_text(data, size);
  std::istringstream s{std::string(in)};
  diagnostics diag;
  const read_options opt = small_read_options(in);
  std::uint64_t n = 0;
  std::string out;
  auto r = read_crimes(s, "fuzz.csv", diag, [&](const crime& c) {
    ++n;
    check_crime(c);
    append_csv_row(out, c);
  }, opt);
  check_summary(r, n, diag, size);
  return 0;
}

// police.uk street-level files, also with the window overrides of
// --window-from / --window-to (chosen by the first byte).
inline int police_uk(const std::uint8_t* data, std::size_t size) {
  const std::string_view in = as_text(data, size);
  std::istringstream s{std::string(in)};
  diagnostics diag;
  read_options opt = small_read_options(in);
  opt.max_line_bytes = 4096;
  const unsigned mode = size > 0 ? data[0] % 4u : 0u;
  if (mode & 1u) opt.window_from = from_epoch_ms(1'514'764'800'000);  // 2018-01-01
  if (mode & 2u) opt.window_to = from_epoch_ms(1'517'443'200'000);    // 2018-02-01
  std::uint64_t n = 0;
  auto r = read_crimes(s, "fuzz.csv", diag, [&](const crime& c) {
    ++n;
    check_crime(c);
  }, opt);
  check_summary(r, n, diag, size);
  return 0;
}

inline void check_zones(const std::vector<zone>& zs) {
  for (const zone& z : zs) {
    WARDEN_FUZZ_CHECK(!z.zone_id.empty() && z.version.size() == 16);
    WARDEN_FUZZ_CHECK(std::isfinite(z.tolerance_m) && z.tolerance_m >= 0);
    if (z.shape == zone_shape::circle) {
      WARDEN_FUZZ_CHECK(std::isfinite(z.radius_m) && z.radius_m > 0);
    } else {
      WARDEN_FUZZ_CHECK(!z.area.empty() && z.area.size() == z.outline_wgs84.size());
    }
  }
  // Validated zones must be usable by the index the engine builds.
  auto idx = zone_index::build(zs);
  if (!idx) return;
  for (const zone& z : zs) {
    const box b = z.bounds();
    std::uint32_t out[8];
    (void)idx->covering(xy{(b.min.x_m + b.max.x_m) / 2, (b.min.y_m + b.max.y_m) / 2}, out);
    (void)idx->covering(b.min, out);
  }
}

inline int zones(const std::uint8_t* data, std::size_t size) {
  const std::string_view in = as_text(data, size);
  zone_read_options opt;
  opt.max_vertices_per_zone = 4096;
  for (const bool repair : {false, true}) {
    if (repair && size > 8192) break;  // MakeValid on large random shapes is slow, not wrong
    opt.repair = repair;
    diagnostics diag;
    auto r = parse_zones(in, "fuzz.geojson", opt, diag);
    if (!r) {
      WARDEN_FUZZ_CHECK(!diag.empty());
      continue;
    }
    check_zones(*r);
  }
  return 0;
}

// The input is a zone's `schedule` JSON value, read through the zones reader
// and compiled, then queried around the instants a curfew is checked at.
inline int schedules(const std::uint8_t* data, std::size_t size) {
  std::string text =
      R"({"type":"FeatureCollection","features":[{"type":"Feature","properties":)"
      R"({"zone_id":"Z","subject_id":"S","kind":"curfew_home","radius_m":50,"schedule":)";
  text.append(as_text(data, size));
  text += R"(},"geometry":{"type":"Point","coordinates":[0.7,51.5]}}]})";
  diagnostics diag;
  auto r = parse_zones(text, "fuzz.geojson", {}, diag);
  if (!r || r->empty() || !r->front().schedule) return 0;
  auto s = schedule::compile(*r->front().schedule);
  if (!s) return 0;
  const std::int64_t day = 86'400'000;
  const std::int64_t probes[] = {0, 1, day - 1, 1'774'742'400'000 /* 2026-03-29 */, 1'792'800'000'000,
                                 to_epoch_ms(max_instant()) - 1, to_epoch_ms(max_instant()) - 400 * day};
  for (const std::int64_t ms : probes) {
    const instant t = from_epoch_ms(ms);
    const bool on = s->is_active(t);
    const auto w = s->windows(t, from_epoch_ms(std::min(ms + 9 * day, to_epoch_ms(max_instant()))));
    for (std::size_t i = 0; i < w.size(); ++i) {
      WARDEN_FUZZ_CHECK(w[i].start < w[i].end);
      if (i > 0) WARDEN_FUZZ_CHECK(w[i - 1].end < w[i].start);
    }
    const bool in_window = !w.empty() && w.front().start <= t && t < w.front().end;
    WARDEN_FUZZ_CHECK(on == in_window);
    if (auto n = s->next_transition(t)) {
      WARDEN_FUZZ_CHECK(*n > t);
      WARDEN_FUZZ_CHECK(s->is_active(*n) != s->is_active(*n - milliseconds{1}));
    }
  }
  return 0;
}

// ---------------------------------------------------------------------------
// Checkpoint restore.

inline constexpr std::string_view checkpoint_zones_geojson = R"({"type":"FeatureCollection","features":[
{"type":"Feature","properties":{"zone_id":"ZX","kind":"exclusion","subjects":["*"]},"geometry":{"type":"Polygon","coordinates":[[[0.70,51.53],[0.72,51.53],[0.72,51.55],[0.70,51.55],[0.70,51.53]]]}},
{"type":"Feature","properties":{"zone_id":"ZC","kind":"curfew_home","subject_id":"S1","radius_m":80,"schedule":{"tz":"Europe/London","windows":[{"days":["mon","tue","wed","thu","fri","sat","sun"],"start":"19:00","end":"07:00"}]}},"geometry":{"type":"Point","coordinates":[0.68,51.52]}},
{"type":"Feature","properties":{"zone_id":"ZV","kind":"victim_home","subject_id":"S2","radius_m":200},"geometry":{"type":"Point","coordinates":[0.73,51.56]}}
]})";

inline std::vector<zone> checkpoint_zones() {
  diagnostics diag;
  auto r = parse_zones(checkpoint_zones_geojson, "fuzz_zones.geojson", {}, diag);
  if (!r || r->size() != 3) fuzz_check_failed("the checkpoint target's zones load", __FILE__, __LINE__);
  return *r;
}

inline monitor make_checkpoint_monitor() {
  static const std::vector<zone> zones = checkpoint_zones();
  std::vector<victim_link> links(1);
  links[0].subject_id = "S2";
  links[0].victim_id = "V2";
  auto m = monitor::create(zones, links, {});
  if (!m) fuzz_check_failed("the checkpoint target's monitor", __FILE__, __LINE__);
  return std::move(*m);
}

// A checkpoint file around `payload` that passes the header and checksum
// checks of a monitor made by make_checkpoint_monitor.
inline std::string frame_checkpoint(std::string_view payload) {
  static const std::string header = [] {
    monitor m = make_checkpoint_monitor();
    return m.checkpoint_bytes().substr(0, 8 + 4 + 8);  // magic, version, fingerprint
  }();
  std::string out = header;
  const std::uint64_t len = payload.size(), sum = detail::fnv1a64(payload);
  out.append(reinterpret_cast<const char*>(&len), 8);
  out.append(payload);
  out.append(reinterpret_cast<const char*>(&sum), 8);
  return out;
}

inline int checkpoint(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string_view rest = as_text(data + 1, size - 1);
  const std::string bytes = (data[0] & 1u) ? std::string(rest) : frame_checkpoint(rest);
  monitor m = make_checkpoint_monitor();
  const std::string before = m.checkpoint_bytes("x");
  std::string app;
  auto r = m.restore_bytes(bytes, &app);
  if (!r) {
    WARDEN_FUZZ_CHECK(r.code() == errc::bad_checkpoint);
    WARDEN_FUZZ_CHECK(m.checkpoint_bytes("x") == before);  // a failed restore changes nothing
    return 0;
  }
  // A restored engine must keep working and checkpoint to something that
  // restores again.
  const std::int64_t base = std::max<std::int64_t>(to_epoch_ms(m.watermark()), 1'774'000'000'000);
  for (int i = 0; i < 6; ++i) {
    fix f;
    f.subject_id = i % 2 ? "S1" : "S2";
    f.time = from_epoch_ms(base + 30'000 * i);
    f.received = f.time;
    f.pos = lat_lon::from_degrees(51.54 + 0.001 * i, 0.71).value();
    f.accuracy_m = 15;
    (void)m.push(f);
  }
  m.advance(from_epoch_ms(base + 60'000));
  m.flush();
  const std::string again = m.checkpoint_bytes(app);
  monitor m2 = make_checkpoint_monitor();
  std::string app2;
  WARDEN_FUZZ_CHECK(m2.restore_bytes(again, &app2).ok() && app2 == app);
  WARDEN_FUZZ_CHECK(m2.checkpoint_bytes(app) == again);
  return 0;
}

// ---------------------------------------------------------------------------
// Trail-store load (a file: the store is read from a path).

// The trail store's checksum, so that the target can repair mutated inputs.
using store_checksum = detail::checksum64;

inline void put_le64(unsigned char* p, std::uint64_t v) {
  for (int i = 0; i < 8; ++i) p[i] = static_cast<unsigned char>(v >> (8 * i));
}

inline std::string temp_path(const char* what) {
  const char* dir = std::getenv("TMPDIR");
  return std::string(dir && *dir ? dir : "/tmp") + "/warden_fuzz_" + what + "_" + std::to_string(::getpid());
}

inline bool write_whole(const std::string& path, std::string_view bytes) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  return static_cast<bool>(f);
}

inline int trail_store_load(const std::uint8_t* data, std::size_t size) {
  std::string bytes(as_text(data, size));
  if (bytes.size() >= 32 && !(static_cast<unsigned char>(bytes[12]) & 1u)) {
    auto* p = reinterpret_cast<unsigned char*>(bytes.data());
    put_le64(p + 16, bytes.size());
    put_le64(p + bytes.size() - 8, store_checksum::of(p, bytes.size() - 8));
  }
  static const std::string path = temp_path("store"), path2 = temp_path("store2");
  if (!write_whole(path, bytes)) fuzz_check_failed("cannot write the temporary store file", __FILE__, __LINE__);
  auto r = trail_store::load(path);
  if (!r) {
    WARDEN_FUZZ_CHECK(r.code() == errc::bad_store);
    return 0;
  }
  // A store that loads is a store: every view and gap list is consistent,
  // and saving and loading it again gives the same content.
  const trail_store& s = *r;
  std::uint64_t n = 0;
  for (trail_store::subject_index k = 0; k < s.subject_count(); ++k) {
    const trail_view v = s.view(k);
    n += v.size();
    for (std::size_t i = 1; i < v.size(); ++i) WARDEN_FUZZ_CHECK(v.time_ms(i - 1) <= v.time_ms(i));
    if (!v.empty()) {
      WARDEN_FUZZ_CHECK(v.lower_bound(v.time_ms(0)) == 0);
      WARDEN_FUZZ_CHECK(v.upper_bound(v.time_ms(v.size() - 1)) == v.size());
    }
    for (const trail_gap& g : s.gaps(k)) WARDEN_FUZZ_CHECK(g.before + 1 < v.size() && g.from < g.to);
    WARDEN_FUZZ_CHECK(s.find(s.subject_id(k)) == k);
  }
  WARDEN_FUZZ_CHECK(n == s.fix_count());
  WARDEN_FUZZ_CHECK(s.save(path2).ok());
  auto again = trail_store::load(path2);
  WARDEN_FUZZ_CHECK(again.ok() && again->fix_count() == s.fix_count() &&
                    again->subject_count() == s.subject_count());
  for (trail_store::subject_index k = 0; k < s.subject_count(); ++k) {
    const trail_view a = s.view(k), b = again->view(k);
    WARDEN_FUZZ_CHECK(a.size() == b.size());
    for (std::size_t i = 0; i < a.size(); ++i) WARDEN_FUZZ_CHECK(a.at(i) == b.at(i));
  }
  std::remove(path2.c_str());
  return 0;
}

struct target {
  const char* name;
  int (*run)(const std::uint8_t*, std::size_t);
};
inline constexpr target all_targets[] = {
    {"fixes", fixes},         {"events", events},       {"links", links},
    {"crimes", crimes},       {"police_uk", police_uk}, {"zones", zones},
    {"schedules", schedules}, {"checkpoint", checkpoint}, {"trail_store", trail_store_load},
};

}  // namespace warden::fuzz
