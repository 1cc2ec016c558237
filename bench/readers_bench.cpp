// The fixes reader (warden::read_fixes) against the peer people write:
// std::getline per line, std::stringstream to split, std::stod for numbers.
// Both parse the same deterministic 1,000,000-row fixes CSV (10,000 subjects,
// all seven FORMATS.md columns, written by warden::append_csv_row) and both
// use warden::parse_instant for the two times, so the comparison is the CSV
// and number layer. Target: >= 5 M rows/s per core.
//
//   readers_bench --benchmark_min_time=2
#include <warden/readers.hpp>

#include <benchmark/benchmark.h>

#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <istream>
#include <sstream>
#include <streambuf>
#include <string>
#include <vector>

namespace {

constexpr std::int64_t n_rows = 1'000'000;

// A deterministic generator (no std:: distributions: their output is not
// specified across standard libraries).
struct lcg {
  std::uint64_t s;
  std::uint64_t next() {
    s = s * 6364136223846793005ULL + 1442695040888963407ULL;
    return s >> 17;
  }
  double unit() { return static_cast<double>(next() % 1'000'000'007ULL) / 1'000'000'007.0; }
};

const std::string& fixes_csv() {
  static const std::string text = [] {
    std::string out;
    out.reserve(static_cast<std::size_t>(n_rows) * 100);
    out += warden::fix_csv_header;
    out += '\n';
    lcg g{20260329};
    std::int64_t ms = 1772323200000;  // 2026-03-01T00:00:00Z
    std::string id;
    for (std::int64_t i = 0; i < n_rows; ++i) {
      ms += static_cast<std::int64_t>(g.next() % 6000);
      id = "S" + std::to_string(100000 + g.next() % 10000);
      warden::fix f;
      f.subject_id = id;
      f.time = warden::from_epoch_ms(ms);
      f.pos = *warden::lat_lon::from_degrees(51.5 + 0.8 * g.unit(), -0.5 + 1.9 * g.unit());
      f.accuracy_m = static_cast<float>(3.0 + 60.0 * g.unit());
      f.source = static_cast<warden::fix_source>(g.next() % 10 == 0 ? 1 : 0);
      f.received = f.time + warden::milliseconds(static_cast<std::int64_t>(g.next() % 120000));
      warden::append_csv_row(out, f);
    }
    return out;
  }();
  return text;
}

// The CSV as a file in the temporary directory, written once, removed at exit.
struct temp_file {
  std::string path;
  temp_file() {
    path = (std::filesystem::temp_directory_path() / ("warden_readers_bench_" + std::to_string(::getpid()) + ".csv"))
               .string();
    std::ofstream out(path, std::ios::binary);
    out.write(fixes_csv().data(), static_cast<std::streamsize>(fixes_csv().size()));
  }
  ~temp_file() { std::remove(path.c_str()); }
};
const std::string& fixes_path() {
  static const temp_file f;
  return f.path;
}

// An istream over bytes in memory, without copying them.
struct view_buf : std::streambuf {
  explicit view_buf(const std::string& s) {
    char* b = const_cast<char*>(s.data());
    setg(b, b, b + s.size());
  }
};

struct sink {
  double sum = 0;
  std::int64_t n = 0;
  void take(double lat, double lon, float acc, std::int64_t t, std::size_t id_len) {
    sum += lat + lon + acc + static_cast<double>(t % 1000) + static_cast<double>(id_len);
    ++n;
  }
};

void report(benchmark::State& state, std::int64_t rows_per_iter) {
  state.SetItemsProcessed(state.iterations() * rows_per_iter);
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(fixes_csv().size()));
}

void BM_warden_read_fixes_memory(benchmark::State& state) {
  const std::string& csv = fixes_csv();
  for (auto _ : state) {
    view_buf buf(csv);
    std::istream in(&buf);
    warden::diagnostics diag;
    sink s;
    auto r = warden::read_fixes(in, "bench.csv", diag, [&](const warden::fix& f) {
      s.take(f.pos.lat_deg(), f.pos.lon_deg(), f.accuracy_m, warden::to_epoch_ms(f.time), f.subject_id.size());
    });
    if (!r.ok() || r->records_ok != static_cast<std::uint64_t>(n_rows)) state.SkipWithError("wrong count");
    benchmark::DoNotOptimize(s.sum);
  }
  report(state, n_rows);
}
BENCHMARK(BM_warden_read_fixes_memory)->Unit(benchmark::kMillisecond);

// Argument: read_options::chunk_bytes.
void BM_warden_read_fixes_file(benchmark::State& state) {
  const std::string& path = fixes_path();
  warden::read_options opt;
  opt.chunk_bytes = static_cast<std::size_t>(state.range(0));
  for (auto _ : state) {
    warden::diagnostics diag;
    sink s;
    auto r = warden::read_fixes(path, diag, [&](const warden::fix& f) {
      s.take(f.pos.lat_deg(), f.pos.lon_deg(), f.accuracy_m, warden::to_epoch_ms(f.time), f.subject_id.size());
    }, opt);
    if (!r.ok() || r->records_ok != static_cast<std::uint64_t>(n_rows)) state.SkipWithError("wrong count");
    benchmark::DoNotOptimize(s.sum);
  }
  report(state, n_rows);
}
BENCHMARK(BM_warden_read_fixes_file)->Unit(benchmark::kMillisecond)->Arg(64 << 10)->Arg(256 << 10);

// The peer: what people write. It validates less than warden (no field
// count, no range checks beyond lat_lon, no diagnostics).
void BM_naive_getline_stringstream_stod(benchmark::State& state) {
  const std::string& csv = fixes_csv();
  for (auto _ : state) {
    view_buf buf(csv);
    std::istream in(&buf);
    sink s;
    std::string line;
    std::getline(in, line);  // header, columns found by name
    std::vector<std::string> header;
    {
      std::stringstream ss(line);
      std::string field;
      while (std::getline(ss, field, ',')) header.push_back(field);
    }
    auto col = [&](const char* name) {
      for (std::size_t i = 0; i < header.size(); ++i)
        if (header[i] == name) return i;
      return std::size_t{0};
    };
    const std::size_t c_id = col("subject_id"), c_time = col("time"), c_lat = col("lat"), c_lon = col("lon"),
                      c_acc = col("accuracy_m"), c_src = col("source"), c_recv = col("received_time");
    std::int64_t bad = 0;
    while (std::getline(in, line)) {
      std::stringstream ss(line);
      std::vector<std::string> fields;
      std::string field;
      while (std::getline(ss, field, ',')) fields.push_back(field);
      if (fields.size() < header.size()) {
        ++bad;
        continue;
      }
      try {
        const double lat = std::stod(fields[c_lat]);
        const double lon = std::stod(fields[c_lon]);
        const double acc = fields[c_acc].empty() ? 10.0 : std::stod(fields[c_acc]);
        auto t = warden::parse_instant(fields[c_time]);
        auto recv = warden::parse_instant(fields[c_recv]);
        auto src = warden::parse_fix_source(fields[c_src]);
        auto pos = warden::lat_lon::from_degrees(lat, lon);
        if (!t || !recv || !src || !pos) {
          ++bad;
          continue;
        }
        s.take(pos->lat_deg(), pos->lon_deg(), static_cast<float>(acc), warden::to_epoch_ms(*t),
               fields[c_id].size());
      } catch (const std::exception&) {
        ++bad;
      }
    }
    if (s.n != n_rows || bad != 0) state.SkipWithError("wrong count");
    benchmark::DoNotOptimize(s.sum);
  }
  report(state, n_rows);
}
BENCHMARK(BM_naive_getline_stringstream_stod)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
