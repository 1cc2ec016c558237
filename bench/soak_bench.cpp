// Soak: a long stream of generated fixes, 5% of them bad in ten different
// ways, read as CSV by read_fixes and pushed through the monitoring engine,
// with resident memory sampled as it goes (scripts/soak; results in
// docs/reliability.md). Not a Google Benchmark: it runs once, for minutes.
//
//   soak_bench [--fixes N] [--subjects S] [--bad-percent P] [--sample-every K]
//
// The input is produced on the fly by a streambuf, so the input itself
// takes no memory: what RSS shows is the reader and the engine. Fixes
// arrive in event-time order, one a minute per subject, so the engine's
// history reaches its steady size (allowed_lateness = 24 h of event time)
// after 1440 * S fixes; RSS must be flat after that.
#include <warden/monitor.hpp>
#include <warden/readers.hpp>
#include <warden/zone.hpp>

#include <unistd.h>

#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <random>
#include <streambuf>
#include <string>

using namespace warden;

namespace {

constexpr std::string_view soak_zones = R"({"type":"FeatureCollection","features":[
{"type":"Feature","properties":{"zone_id":"X1","kind":"exclusion","subjects":["*"],"radius_m":400},"geometry":{"type":"Point","coordinates":[0.47,51.84]}},
{"type":"Feature","properties":{"zone_id":"X2","kind":"exclusion","subjects":["*"]},"geometry":{"type":"Polygon","coordinates":[[[0.50,51.75],[0.52,51.75],[0.52,51.76],[0.50,51.76],[0.50,51.75]]]}},
{"type":"Feature","properties":{"zone_id":"I1","kind":"inclusion","subjects":["*"],"radius_m":9000},"geometry":{"type":"Point","coordinates":[0.47,51.74]}},
{"type":"Feature","properties":{"zone_id":"H1","kind":"curfew_home","subjects":["*"],"radius_m":20000,"schedule":{"tz":"Europe/London","windows":[{"days":["mon","tue","wed","thu","fri","sat","sun"],"start":"23:00","end":"05:00"}]}},"geometry":{"type":"Point","coordinates":[0.44,51.73]}}
]})";

struct options {
  std::uint64_t fixes = 100'000'000;
  std::uint32_t subjects = 10'000;
  double bad_percent = 5.0;
  std::uint64_t sample_every = 5'000'000;
};

// Generates the CSV text of the stream on demand.
class fix_stream : public std::streambuf {
 public:
  explicit fix_stream(const options& o)
      : o_(o), rng_(20261122), lat_(o.subjects), lon_(o.subjects), home_lat_(o.subjects), home_lon_(o.subjects) {
    std::uniform_real_distribution<double> u(-0.05, 0.05);
    for (std::uint32_t s = 0; s < o.subjects; ++s) {
      lat_[s] = home_lat_[s] = 51.74 + u(rng_);
      lon_[s] = home_lon_[s] = 0.47 + 1.6 * u(rng_);
    }
    buf_ = "subject_id,time,lat,lon,accuracy_m,source,received_time\n";
    setg(buf_.data(), buf_.data(), buf_.data() + buf_.size());
  }
  std::uint64_t bad_lines() const { return bad_; }

 protected:
  int_type underflow() override {
    if (gptr() < egptr()) return traits_type::to_int_type(*gptr());
    if (i_ >= o_.fixes) return traits_type::eof();
    buf_.clear();
    while (buf_.size() < (1u << 16) && i_ < o_.fixes) line();
    setg(buf_.data(), buf_.data(), buf_.data() + buf_.size());
    return traits_type::to_int_type(*gptr());
  }

 private:
  void line() {
    const std::uint32_t s = static_cast<std::uint32_t>(i_ % o_.subjects);
    const std::int64_t minute = static_cast<std::int64_t>(i_ / o_.subjects);
    const std::int64_t t = t0_ + minute * 60'000 + s % 60'000;
    ++i_;
    // A walk around home (about 40 m a minute) that now and then strays
    // into the exclusion polygon X2 (north-east of the area).
    std::normal_distribution<double> step(0, 0.0004);
    lat_[s] += step(rng_) + (home_lat_[s] - lat_[s]) * 0.01;
    lon_[s] += step(rng_) + (home_lon_[s] - lon_[s]) * 0.01;
    double lat = lat_[s], lon = lon_[s], acc = 8 + static_cast<double>(rng_() % 40);
    std::int64_t tt = t, rt = t + 2000;
    const bool bad = std::uniform_real_distribution<double>(0, 100)(rng_) < o_.bad_percent;
    char id[16];
    std::snprintf(id, sizeof id, "S%06" PRIu32, s);
    char out[160];
    int n = 0;
    if (!bad) {
      n = std::snprintf(out, sizeof out, "%s,%" PRId64 ",%.6f,%.6f,%.1f,gps,%" PRId64 "\n", id, tt, lat, lon, acc, rt);
      last_.assign(out, static_cast<std::size_t>(n));
      buf_.append(out, static_cast<std::size_t>(n));
      return;
    }
    ++bad_;
    switch (rng_() % 10) {
      case 0: lat = 95.0; break;                                  // lat_out_of_range (reader)
      case 1: buf_ += std::string(id) + ",2026-13-45T00:00:00Z,51.7,0.4,10,gps,\n"; return;  // bad_time
      case 2: buf_ += std::string(id) + "," + std::to_string(tt) + ",51.7,abc,10,gps,\n"; return;  // bad_number
      case 3: acc = -3; break;                                    // bad_accuracy (reader)
      case 4: id[0] = '\0'; break;                                // bad_id
      case 5: buf_ += std::string(id) + "," + std::to_string(tt) + ",51.7,0.4\n"; return;  // field_count
      case 6: buf_ += last_; return;                              // duplicate_record (engine)
      case 7: tt -= 3 * 86'400'000; rt = t; break;                // too_late (engine)
      case 8: acc = 9000; break;                                  // bad_accuracy (engine limit 5000)
      case 9: tt = rt + 3'600'000; break;                         // future_time (engine)
    }
    n = std::snprintf(out, sizeof out, "%s,%" PRId64 ",%.6f,%.6f,%.1f,gps,%" PRId64 "\n", id, tt, lat, lon, acc, rt);
    buf_.append(out, static_cast<std::size_t>(n));
  }

  options o_;
  std::mt19937_64 rng_;
  std::vector<double> lat_, lon_, home_lat_, home_lon_;
  std::string buf_, last_;
  std::uint64_t i_ = 0, bad_ = 0;
  std::int64_t t0_ = 1'774'224'000'000;  // 2026-03-23T00:00:00Z
};

double rss_mib() {
  std::FILE* f = std::fopen("/proc/self/statm", "r");
  if (!f) return 0;
  unsigned long size = 0, resident = 0;
  const int got = std::fscanf(f, "%lu %lu", &size, &resident);
  std::fclose(f);
  return got == 2 ? static_cast<double>(resident) * static_cast<double>(::sysconf(_SC_PAGESIZE)) / 1048576.0 : 0;
}

struct counting_sink : alert_sink {
  std::uint64_t alerts = 0, set_aside = 0;
  void on_alert(const alert_event&) override { ++alerts; }
  void on_set_aside(const fix&, errc) override { ++set_aside; }
};

std::uint64_t arg_u64(const char* v) { return std::strtoull(v, nullptr, 10); }

}  // namespace

int main(int argc, char** argv) {
  options o;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string k = argv[i];
    if (k == "--fixes") o.fixes = arg_u64(argv[i + 1]);
    else if (k == "--subjects") o.subjects = static_cast<std::uint32_t>(arg_u64(argv[i + 1]));
    else if (k == "--bad-percent") o.bad_percent = std::strtod(argv[i + 1], nullptr);
    else if (k == "--sample-every") o.sample_every = arg_u64(argv[i + 1]);
    else {
      std::cerr << "usage: soak_bench [--fixes N] [--subjects S] [--bad-percent P] [--sample-every K]\n";
      return 2;
    }
  }
  if (o.subjects == 0 || o.sample_every == 0) return 2;
  diagnostics zdiag(&std::cerr);
  auto zones = parse_zones(soak_zones, "soak_zones.geojson", {}, zdiag);
  if (!zones || zones->size() != 4) return 1;
  auto m = monitor::create(std::move(*zones), {}, {});
  if (!m) {
    std::cerr << m.err().message << "\n";
    return 1;
  }
  counting_sink sink;
  m->set_sink(&sink);

  fix_stream gen(o);
  std::istream in(&gen);
  diagnostics diag(nullptr, 0);  // count every bad record, keep none
  std::uint64_t n = 0, rejected = 0;
  std::int64_t max_t = 0;
  const auto start = std::chrono::steady_clock::now();
  auto elapsed = [&] { return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(); };
  std::printf("fixes_read,elapsed_s,rss_mib,subjects,alerts,reader_bad,engine_set_aside,history_mib\n");
  auto sample = [&] {
    const monitor_memory mem = m->memory();
    std::printf("%" PRIu64 ",%.1f,%.1f,%zu,%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%.1f\n", n, elapsed(), rss_mib(),
                mem.subjects, sink.alerts, diag.total(), rejected, static_cast<double>(mem.history_bytes) / 1048576.0);
    std::fflush(stdout);
  };
  auto r = read_fixes(in, "soak.csv", diag, [&](const fix& f) {
    if (m->push(f) != errc::ok) ++rejected;
    // The watermark follows the centre's clock (received time), as `warden
    // check` does: a fix's own time may be corrupt (the future-dated lines
    // below), and a watermark driven by it would declare every subject silent.
    max_t = std::max(max_t, to_epoch_ms(f.received));
    ++n;
    if (n % 20'000 == 0) m->advance(from_epoch_ms(max_t - 600'000));
    if (n % o.sample_every == 0) sample();
  });
  if (!r) {
    std::cerr << "soak: " << r.err().message << "\n";
    return 1;
  }
  m->flush();
  sample();
  std::fflush(stdout);
  const double s = elapsed();
  const std::uint64_t lines = r->records_ok + r->records_bad;
  std::fprintf(stderr,
               "soak: %" PRIu64 " lines (%" PRIu64 " generated bad: %" PRIu64 " reader-rejected, %" PRIu64
               " engine set-aside) in %.1f s = %.2f M lines/s; %" PRIu64 " alert events; RSS %.1f MiB\n",
               lines, gen.bad_lines(), r->records_bad, rejected, s, static_cast<double>(lines) / s / 1e6, sink.alerts,
               rss_mib());
  for (const auto& [code, count] : diag.counts())
    std::fprintf(stderr, "  reader %s: %" PRIu64 "\n", std::string(to_string(code)).c_str(), count);
  for (const auto& [kind, count] : m->counters().alerts)
    std::fprintf(stderr, "  alerts %s %s: %" PRIu64 "\n", std::string(to_string(kind.first)).c_str(),
                 std::string(to_string(kind.second)).c_str(), count);
  for (const auto& [code, count] : m->counters().set_aside)
    std::fprintf(stderr, "  engine %s: %" PRIu64 "\n", std::string(to_string(code)).c_str(), count);
  return 0;
}
