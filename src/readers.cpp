// CSV readers and writers of FORMATS.md (warden/readers.hpp).
//
// Each format is a small parser (bind the header, parse one record) driven
// by one loop, so the bad-record contract is implemented once. The fixes
// parser is the hot path: no allocation per record unless it is bad.
#include <warden/readers.hpp>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstring>
#include <istream>
#include <set>
#include <system_error>
#include <utility>

namespace warden {
namespace {

using detail::number_status;
using fields_t = std::vector<std::string_view>;
constexpr std::size_t npos = static_cast<std::size_t>(-1);

// ---------------------------------------------------------------------------
// Sources

// A file descriptor read with read(2): returns what is available, so a pipe
// delivers records as their lines arrive.
class fd_source final : public detail::byte_source {
 public:
  explicit fd_source(int fd) noexcept : fd_(fd) {}
  std::size_t read(char* p, std::size_t n) override {
    for (;;) {
      const ssize_t r = ::read(fd_, p, n);
      if (r >= 0) return static_cast<std::size_t>(r);
      if (errno == EINTR) continue;
      failed_ = true;
      return 0;
    }
  }
  bool failed() const noexcept override { return failed_; }

 private:
  int fd_;
  bool failed_ = false;
};

class fd_closer {
 public:
  explicit fd_closer(int fd) noexcept : fd_(fd) {}
  fd_closer(const fd_closer&) = delete;
  fd_closer& operator=(const fd_closer&) = delete;
  ~fd_closer() {
    if (fd_ >= 0) ::close(fd_);
  }

 private:
  int fd_;
};

// ---------------------------------------------------------------------------
// Field helpers. Each returns false after filling `e`.

struct row_error {
  errc code = errc::ok;
  std::string message;
};

bool fail(row_error& e, errc code, std::string message) {
  e.code = code;
  e.message = std::move(message);
  return false;
}

std::string cat(std::string_view a, std::string_view b) {
  std::string s;
  s.reserve(a.size() + b.size());
  s.append(a);
  s.append(b);
  return s;
}

using detail::quote_for_message;

bool iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

bool parse_id(std::string_view raw, std::string_view col, std::size_t max_bytes, std::string_view& out,
              row_error& e) {
  const std::string_view s = detail::trim(raw);
  if (s.empty()) return fail(e, errc::bad_id, cat(col, " is empty"));
  if (s.size() > max_bytes)
    return fail(e, errc::bad_id, cat(col, " is longer than " + std::to_string(max_bytes) + " bytes"));
  for (const char c : s)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f)
      return fail(e, errc::bad_id, cat(col, " contains a control character: " + quote_for_message(s)));
  out = s;
  return true;
}

bool parse_time(std::string_view raw, std::string_view col, instant& out, row_error& e) {
  if (detail::parse_instant_fast(raw, out)) return true;
  const std::string_view s = detail::trim(raw);
  if (s.empty()) return fail(e, errc::missing_field, cat(col, " is empty"));
  auto t = parse_instant(s);
  if (!t) return fail(e, t.code(), cat(col, ": " + t.err().message));
  out = *t;
  return true;
}

// Consecutive times in a fixes file nearly always share their date and hour
// ("2026-03-01T14", and received_time that of time), so the fixes parser
// remembers the date-hour of the last time the fast path accepted and, when
// the next one starts with the same 13 bytes, parses only `:MM:SS[.mmm]Z`.
// The outcome is parse_instant's: the prefix was validated when it was
// remembered, and the tail is checked exactly as parse_instant_fast checks
// it; anything else goes the long way (tests/readers_test.cpp compares).
class instant_cache {
 public:
  bool parse(std::string_view s, instant& out) noexcept {
    const std::size_t n = s.size();
    if ((n == 20 || n == 24) && known_ && std::memcmp(s.data(), prefix_, 13) == 0) {
      const char* const p = s.data();
      auto dv = [p](std::size_t i) noexcept { return static_cast<unsigned>(static_cast<unsigned char>(p[i])) - 48u; };
      const unsigned mi0 = dv(14), mi1 = dv(15), s0 = dv(17), s1 = dv(18);
      unsigned frac = 0;
      bool ok = p[13] == ':' && p[16] == ':' && p[n - 1] == 'Z' && (mi0 <= 5) & (mi1 <= 9) & (s0 <= 5) & (s1 <= 9);
      if (n == 24) {
        const unsigned f0 = dv(20), f1 = dv(21), f2 = dv(22);
        ok = ok && p[19] == '.' && (f0 <= 9) & (f1 <= 9) & (f2 <= 9);
        frac = f0 * 100 + f1 * 10 + f2;
      }
      if (ok) {
        out = hour_ + milliseconds(static_cast<std::int64_t>(((mi0 * 10 + mi1) * 60 + s0 * 10 + s1) * 1000 + frac));
        return true;
      }
    }
    if (!detail::parse_instant_fast(s, out)) return false;
    std::memcpy(prefix_, s.data(), 13);
    hour_ = std::chrono::floor<std::chrono::hours>(out);  // >= 1970, so floor is the date-hour
    known_ = true;
    return true;
  }

 private:
  char prefix_[13] = {};
  instant hour_{};
  bool known_ = false;
};

bool parse_time(std::string_view raw, std::string_view col, instant& out, row_error& e, instant_cache& cache) {
  if (cache.parse(raw, out)) return true;
  return parse_time(raw, col, out, e);
}

bool parse_number(std::string_view raw, std::string_view col, double& out, row_error& e) {
  switch (detail::parse_double(raw, out)) {
    case number_status::ok: return true;
    case number_status::empty: return fail(e, errc::missing_field, cat(col, " is empty"));
    case number_status::garbage:
      return fail(e, errc::bad_number, cat(col, " " + quote_for_message(raw) + " is not a number"));
    case number_status::not_finite:
      return fail(e, errc::not_finite, cat(col, " " + quote_for_message(raw) + " is not a finite number"));
    case number_status::out_of_range:
      return fail(e, errc::bad_number, cat(col, " " + quote_for_message(raw) + " is out of the range of a double"));
  }
  return fail(e, errc::bad_number, cat(col, " is not a number"));
}

bool parse_position(std::string_view lat_raw, std::string_view lon_raw, std::string_view lat_col,
                    std::string_view lon_col, lat_lon& out, row_error& e) {
  double lat = 0, lon = 0;
  if (!parse_number(lat_raw, lat_col, lat, e) || !parse_number(lon_raw, lon_col, lon, e)) return false;
  auto p = lat_lon::from_degrees(lat, lon);
  if (!p) {
    const bool is_lon = p.code() == errc::lon_out_of_range;
    return fail(e, p.code(),
                cat(is_lon ? lon_col : lat_col,
                    " " + quote_for_message(detail::trim(is_lon ? lon_raw : lat_raw)) + ": " + p.err().message));
  }
  out = *p;
  return true;
}

// An optional distance in metres (radius_m, alert_m, warning_m): empty keeps
// `out`; garbage is bad_number; anything not in (0, max_radius_m] is `code`.
bool parse_metres(std::string_view raw, std::string_view col, errc code, double& out, bool& given,
                  row_error& e) {
  double v = 0;
  given = false;
  switch (detail::parse_double(raw, v)) {
    case number_status::empty: return true;
    case number_status::garbage:
      return fail(e, errc::bad_number, cat(col, " " + quote_for_message(raw) + " is not a number"));
    case number_status::not_finite:
    case number_status::out_of_range:
      return fail(e, code, cat(col, " " + quote_for_message(raw) + " is not a finite number"));
    case number_status::ok: break;
  }
  if (!(v > 0) || v > max_radius_m)
    return fail(e, code, cat(col, " " + quote_for_message(detail::trim(raw)) + " must be > 0 and <= 100000 m"));
  out = v;
  given = true;
  return true;
}

// ---------------------------------------------------------------------------
// Header binding

struct column {
  std::string_view name;
  bool required;
};

// idx[i] = position in the header of cols[i], or npos.
result<void> bind_columns(const fields_t& header, const column* cols, std::size_t n, std::size_t* idx) {
  for (std::size_t c = 0; c < n; ++c) idx[c] = npos;
  for (std::size_t h = 0; h < header.size(); ++h) {
    const std::string_view name = detail::trim(header[h]);
    for (std::size_t c = 0; c < n; ++c) {
      if (!iequals(name, cols[c].name)) continue;
      if (idx[c] != npos)
        return make_error(errc::duplicate_column, "column '" + std::string(cols[c].name) + "' appears twice");
      idx[c] = h;
    }
  }
  std::string missing;
  for (std::size_t c = 0; c < n; ++c) {
    if (!cols[c].required || idx[c] != npos) continue;
    if (!missing.empty()) missing += ", ";
    missing += cols[c].name;
  }
  if (!missing.empty()) return make_error(errc::missing_column, "missing required column(s): " + missing);
  return {};
}

// ---------------------------------------------------------------------------
// The driver: header, then records; the bad-record contract lives here.

result<void> check_options(const read_options& o) {
  if (!std::isfinite(o.default_accuracy_m) || !(o.default_accuracy_m > 0.0f) ||
      o.default_accuracy_m > max_accuracy_m)
    return make_error(errc::usage, "default_accuracy_m must be > 0 and <= 100000 m");
  if (o.window_from && o.window_to && *o.window_to < *o.window_from)
    return make_error(errc::bad_window, "window_to is before window_from");
  return {};
}

template <class Parser>
result<read_summary> run(detail::byte_source& src, std::string_view name, diagnostics& diag,
                         const read_options& opt, Parser& parser) {
  if (auto ok = check_options(opt); !ok) return ok.err();
  detail::csv_reader rd(src, detail::csv_limits{opt.max_line_bytes, opt.max_file_bytes, opt.chunk_bytes});
  const std::string file(name);
  auto file_error = [&](std::uint64_t line, errc code, std::string message) -> error {
    diag.report(file, line, code, message);
    return make_error(code, std::move(message));
  };

  read_summary sum;
  detail::csv_status st = rd.next();
  if (st == detail::csv_status::fatal) return file_error(0, rd.error_code(), rd.error_message());
  if (st == detail::csv_status::end) return file_error(0, errc::empty_file, "no header row");
  if (st == detail::csv_status::bad_record)
    return file_error(rd.line(), rd.error_code(), "header row: " + rd.error_message());
  if (auto b = parser.bind(rd.fields()); !b) return file_error(rd.line(), b.code(), b.err().message);
  const std::size_t header_fields = rd.fields().size();
  sum.format = parser.format();

  row_error e;
  for (;;) {
    st = rd.next();
    if (st == detail::csv_status::end) break;
    if (st == detail::csv_status::fatal) return file_error(0, rd.error_code(), rd.error_message());
    bool good = false;
    if (st == detail::csv_status::bad_record) {
      e.code = rd.error_code();
      e.message = rd.error_message();
    } else if (rd.fields().size() != header_fields) {
      fail(e, errc::field_count,
           "expected " + std::to_string(header_fields) + " fields as in the header, found " +
               std::to_string(rd.fields().size()));
    } else {
      good = parser.parse(rd.fields(), rd.line(), e);
    }
    if (good) {
      ++sum.records_ok;
      continue;
    }
    ++sum.records_bad;
    diag.report(file, rd.line(), e.code, e.message);
    if (opt.strict) return make_error(e.code, std::move(e.message));
  }
  sum.lines = rd.lines();
  sum.bytes = rd.bytes();
  return sum;
}

template <class Parser>
result<read_summary> run_stream(std::istream& in, std::string_view name, diagnostics& diag,
                                const read_options& opt, Parser& parser) {
  detail::istream_source src(in);
  return run(src, name, diag, opt, parser);
}

template <class Parser>
result<read_summary> run_path(std::string_view path, diagnostics& diag, const read_options& opt,
                              Parser& parser) {
  if (path == "-") {
    fd_source src(STDIN_FILENO);
    return run(src, path, diag, opt, parser);
  }
  const std::string p(path);
  const int fd = ::open(p.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    std::string m = "cannot open: " + std::system_category().message(errno);
    diag.report(p, 0, errc::io_error, m);
    return make_error(errc::io_error, std::move(m));
  }
  const fd_closer closer(fd);
  struct stat sb {};
  if (::fstat(fd, &sb) == 0) {
    if (S_ISDIR(sb.st_mode)) {
      diag.report(p, 0, errc::io_error, "is a directory");
      return make_error(errc::io_error, "is a directory");
    }
    if (S_ISREG(sb.st_mode) && static_cast<std::uint64_t>(sb.st_size) > opt.max_file_bytes) {
      std::string m = std::to_string(sb.st_size) + " bytes, larger than the limit of " +
                      std::to_string(opt.max_file_bytes);
      diag.report(p, 0, errc::file_too_large, m);
      return make_error(errc::file_too_large, std::move(m));
    }
    if (S_ISREG(sb.st_mode)) ::posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
  }
  fd_source src(fd);
  return run(src, path, diag, opt, parser);
}

// ---------------------------------------------------------------------------
// Fixes

class fix_parser {
 public:
  fix_parser(fix_callback cb, const read_options& o) noexcept : cb_(cb), opt_(o) {}

  result<void> bind(const fields_t& h) { return bind_columns(h, cols, n_cols, idx_); }
  crime_format format() const noexcept { return crime_format::warden; }

  bool parse(const fields_t& f, std::uint64_t line, row_error& e) {
    fix x;
    x.line = line;
    if (!parse_id(f[idx_[subject_id]], "subject_id", opt_.max_id_bytes, x.subject_id, e)) return false;
    if (!parse_time(f[idx_[time]], "time", x.time, e, times_)) return false;
    if (!parse_position(f[idx_[lat]], f[idx_[lon]], "lat", "lon", x.pos, e)) return false;
    x.accuracy_m = opt_.default_accuracy_m;
    if (idx_[accuracy_m] != npos && !parse_accuracy(f[idx_[accuracy_m]], x.accuracy_m, e)) return false;
    if (idx_[source] != npos && !parse_source(detail::trim(f[idx_[source]]), x.source, e)) return false;
    x.received = x.time;
    if (idx_[received_time] != npos && !detail::trim(f[idx_[received_time]]).empty() &&
        !parse_time(f[idx_[received_time]], "received_time", x.received, e, times_))
      return false;
    cb_(x);
    return true;
  }

 private:
  enum : std::size_t { subject_id, time, lat, lon, accuracy_m, source, received_time, n_cols };
  static constexpr column cols[n_cols] = {{"subject_id", true}, {"time", true},         {"lat", true},
                                          {"lon", true},        {"accuracy_m", false},  {"source", false},
                                          {"received_time", false}};

  static bool parse_source(std::string_view s, fix_source& out, row_error& e) {
    // The spellings writers use, without parse_fix_source's case folding.
    if (s.empty() || s == "gps") return true;  // out is already gps
    if (s == "lbs") {
      out = fix_source::lbs;
      return true;
    }
    if (s == "wifi") {
      out = fix_source::wifi;
      return true;
    }
    auto r = parse_fix_source(s);
    if (!r) return fail(e, r.code(), cat("source: ", r.err().message));
    out = *r;
    return true;
  }

  static bool parse_accuracy(std::string_view raw, float& out, row_error& e) {
    double v = 0;
    switch (detail::parse_double(raw, v)) {
      case number_status::empty: return true;  // keep the default
      case number_status::garbage:
        return fail(e, errc::bad_number, "accuracy_m " + quote_for_message(raw) + " is not a number");
      case number_status::not_finite:
      case number_status::out_of_range:
        return fail(e, errc::bad_accuracy, "accuracy_m " + quote_for_message(raw) + " is not a finite number");
      case number_status::ok: break;
    }
    const auto a = static_cast<float>(v);
    if (!(a > 0.0f) || v > max_accuracy_m)
      return fail(e, errc::bad_accuracy,
                  "accuracy_m " + quote_for_message(detail::trim(raw)) + " must be > 0 and <= 100000 m");
    out = a;
    return true;
  }

  fix_callback cb_;
  const read_options& opt_;
  std::size_t idx_[n_cols] = {};
  instant_cache times_;
};

// ---------------------------------------------------------------------------
// Device events

class device_event_parser {
 public:
  device_event_parser(device_event_callback cb, const read_options& o) noexcept : cb_(cb), opt_(o) {}

  result<void> bind(const fields_t& h) { return bind_columns(h, cols, n_cols, idx_); }
  crime_format format() const noexcept { return crime_format::warden; }

  bool parse(const fields_t& f, std::uint64_t line, row_error& e) {
    device_event x;
    x.line = line;
    if (!parse_id(f[idx_[subject_id]], "subject_id", opt_.max_id_bytes, x.subject_id, e)) return false;
    if (!parse_time(f[idx_[time]], "time", x.time, e, times_)) return false;
    const std::string_view ev = detail::trim(f[idx_[event]]);
    if (ev.empty()) return fail(e, errc::missing_field, "event is empty");
    auto t = parse_device_event_type(ev);
    if (!t) return fail(e, t.code(), cat("event: ", t.err().message));
    x.type = *t;
    cb_(x);
    return true;
  }

 private:
  enum : std::size_t { subject_id, time, event, n_cols };
  static constexpr column cols[n_cols] = {{"subject_id", true}, {"time", true}, {"event", true}};

  device_event_callback cb_;
  const read_options& opt_;
  std::size_t idx_[n_cols] = {};
  instant_cache times_;
};

// ---------------------------------------------------------------------------
// Victim links

class victim_link_parser {
 public:
  victim_link_parser(victim_link_callback cb, const read_options& o) noexcept : cb_(cb), opt_(o) {}

  result<void> bind(const fields_t& h) { return bind_columns(h, cols, n_cols, idx_); }
  crime_format format() const noexcept { return crime_format::warden; }

  bool parse(const fields_t& f, std::uint64_t line, row_error& e) {
    std::string_view subject, victim;
    if (!parse_id(f[idx_[subject_id]], "subject_id", opt_.max_id_bytes, subject, e)) return false;
    if (!parse_id(f[idx_[victim_id]], "victim_id", opt_.max_id_bytes, victim, e)) return false;
    if (subject == victim) return fail(e, errc::bad_id, "victim_id is the subject_id " + quote_for_message(subject));
    victim_link x;
    x.line = line;
    bool alert_given = false, warning_given = false;
    if (idx_[alert_m] != npos &&
        !parse_metres(f[idx_[alert_m]], "alert_m", errc::bad_distance, x.alert_m, alert_given, e))
      return false;
    if (idx_[warning_m] != npos &&
        !parse_metres(f[idx_[warning_m]], "warning_m", errc::bad_distance, x.warning_m, warning_given, e))
      return false;
    // A default warning tier never sits inside a given alert tier.
    if (!warning_given && x.warning_m < x.alert_m) x.warning_m = x.alert_m;
    if (x.warning_m < x.alert_m)
      return fail(e, errc::bad_distance, "warning_m is less than alert_m (the warning tier is the outer one)");
    std::string key;
    key.reserve(subject.size() + victim.size() + 1);
    key.append(subject).append(1, '\0').append(victim);
    if (!seen_.insert(std::move(key)).second)
      return fail(e, errc::duplicate_record,
                  "link " + quote_for_message(subject) + " -> " + quote_for_message(victim) + " appears twice");
    x.subject_id.assign(subject);
    x.victim_id.assign(victim);
    cb_(x);
    return true;
  }

 private:
  enum : std::size_t { subject_id, victim_id, alert_m, warning_m, n_cols };
  static constexpr column cols[n_cols] = {
      {"subject_id", true}, {"victim_id", true}, {"alert_m", false}, {"warning_m", false}};

  victim_link_callback cb_;
  const read_options& opt_;
  std::size_t idx_[n_cols] = {};
  std::set<std::string> seen_;
};

// ---------------------------------------------------------------------------
// Crimes: ours and police.uk street-level

// "YYYY-MM" -> [first instant of the month, first instant of the next).
bool parse_month(std::string_view raw, instant& from, instant& to, row_error& e) {
  const std::string_view s = detail::trim(raw);
  if (s.empty()) return fail(e, errc::missing_field, "Month is empty");
  auto digit = [](char c) { return c >= '0' && c <= '9'; };
  if (s.size() != 7 || s[4] != '-' || !digit(s[0]) || !digit(s[1]) || !digit(s[2]) || !digit(s[3]) ||
      !digit(s[5]) || !digit(s[6]))
    return fail(e, errc::bad_time, "Month " + quote_for_message(s) + " is not YYYY-MM");
  int y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
  int m = (s[5] - '0') * 10 + (s[6] - '0');
  if (m < 1 || m > 12) return fail(e, errc::bad_time, "Month " + quote_for_message(s) + " has no month 1..12");
  auto first_instant = [](int year, int month, instant& out) {
    char buf[] = "YYYY-MM-01T00:00:00Z";
    buf[0] = static_cast<char>('0' + year / 1000 % 10);
    buf[1] = static_cast<char>('0' + year / 100 % 10);
    buf[2] = static_cast<char>('0' + year / 10 % 10);
    buf[3] = static_cast<char>('0' + year % 10);
    buf[5] = static_cast<char>('0' + month / 10);
    buf[6] = static_cast<char>('0' + month % 10);
    auto t = parse_instant(std::string_view(buf, sizeof buf - 1));
    if (!t) return false;
    out = *t;
    return true;
  };
  if (!first_instant(y, m, from))
    return fail(e, errc::time_out_of_range, "Month " + quote_for_message(s) + " is outside 1970..2199");
  if (m == 12) ++y, m = 1;
  else ++m;
  if (y > 9999 || !first_instant(y, m, to)) to = max_instant();  // December 2199 ends at the range end
  return true;
}

class crime_parser {
 public:
  crime_parser(crime_callback cb, const read_options& o) noexcept : cb_(cb), opt_(o) {}

  result<void> bind(const fields_t& h) {
    bool ours = false, police = false;
    for (const auto& name : h) {
      const auto n = detail::trim(name);
      ours |= iequals(n, "crime_id");
      police |= iequals(n, "Crime ID") || iequals(n, "Month");
    }
    format_ = police && !ours ? crime_format::police_uk : crime_format::warden;
    if (format_ == crime_format::police_uk) return bind_columns(h, police_cols, n_police, idx_);
    return bind_columns(h, our_cols, n_ours, idx_);
  }
  crime_format format() const noexcept { return format_; }

  bool parse(const fields_t& f, std::uint64_t line, row_error& e) {
    crime_.line = line;
    std::string_view id;
    if (format_ == crime_format::police_uk) {
      if (!parse_police(f, id, e)) return false;
    } else {
      if (!parse_ours(f, id, e)) return false;
    }
    if (crime_.to < crime_.from)
      return fail(e, errc::bad_window, "the window ends (to) before it starts (from)");
    if (!ids_.insert(std::string(id)).second)
      return fail(e, errc::duplicate_id, "crime id " + quote_for_message(id) + " appears twice in the file");
    crime_.crime_id.assign(id);
    cb_(crime_);
    return true;
  }

 private:
  enum : std::size_t { o_id, o_lat, o_lon, o_from, o_to, o_type, o_radius, n_ours };
  static constexpr column our_cols[n_ours] = {{"crime_id", true}, {"lat", true},   {"lon", true},
                                              {"from", true},     {"to", true},    {"type", false},
                                              {"radius_m", false}};
  enum : std::size_t { p_id, p_month, p_lon, p_lat, p_location, p_lsoa, p_type, n_police };
  static constexpr column police_cols[n_police] = {{"Crime ID", true},   {"Month", true},     {"Longitude", true},
                                                   {"Latitude", true},   {"Location", false}, {"LSOA code", false},
                                                   {"Crime type", false}};

  std::string_view optional_text(const fields_t& f, std::size_t i) const {
    return idx_[i] == npos ? std::string_view() : detail::trim(f[idx_[i]]);
  }

  bool parse_ours(const fields_t& f, std::string_view& id, row_error& e) {
    if (!parse_id(f[idx_[o_id]], "crime_id", opt_.max_id_bytes, id, e)) return false;
    if (!parse_position(f[idx_[o_lat]], f[idx_[o_lon]], "lat", "lon", crime_.pos, e)) return false;
    if (!parse_time(f[idx_[o_from]], "from", crime_.from, e)) return false;
    if (!parse_time(f[idx_[o_to]], "to", crime_.to, e)) return false;
    crime_.type.assign(optional_text(f, o_type));
    crime_.radius_m.reset();
    if (idx_[o_radius] != npos) {
      double r = 0;
      bool given = false;
      if (!parse_metres(f[idx_[o_radius]], "radius_m", errc::bad_radius, r, given, e)) return false;
      if (given) crime_.radius_m = r;
    }
    crime_.lsoa_code.clear();
    crime_.location.clear();
    return true;
  }

  bool parse_police(const fields_t& f, std::string_view& id, row_error& e) {
    if (detail::trim(f[idx_[p_id]]).empty())
      return fail(e, errc::bad_id, "Crime ID is empty (police.uk publishes anti-social behaviour without one)");
    if (!parse_id(f[idx_[p_id]], "Crime ID", opt_.max_id_bytes, id, e)) return false;
    instant month_from, month_to;
    if (!parse_month(f[idx_[p_month]], month_from, month_to, e)) return false;
    const bool no_lon = detail::trim(f[idx_[p_lon]]).empty();
    const bool no_lat = detail::trim(f[idx_[p_lat]]).empty();
    if (no_lon || no_lat)
      return fail(e, errc::missing_field,
                  no_lon && no_lat ? "no coordinates (Longitude and Latitude are empty)"
                                   : (no_lon ? "Longitude is empty" : "Latitude is empty"));
    if (!parse_position(f[idx_[p_lat]], f[idx_[p_lon]], "Latitude", "Longitude", crime_.pos, e)) return false;
    crime_.from = opt_.window_from.value_or(month_from);
    crime_.to = opt_.window_to.value_or(month_to);
    crime_.type.assign(optional_text(f, p_type));
    crime_.location.assign(optional_text(f, p_location));
    crime_.lsoa_code.assign(optional_text(f, p_lsoa));
    crime_.radius_m.reset();
    return true;
  }

  crime_callback cb_;
  const read_options& opt_;
  crime_format format_ = crime_format::warden;
  std::size_t idx_[std::max<std::size_t>(n_ours, n_police)] = {};
  crime crime_;  // reused so that its strings keep their capacity
  std::set<std::string> ids_;
};

template <class T, class Reader>
result<loaded<T>> load_all(Reader&& read) {
  loaded<T> out;
  auto r = read([&](const auto& rec) { out.records.emplace_back(rec); });
  if (!r) return std::move(r).err();
  out.summary = *r;
  return out;
}

}  // namespace

// ---------------------------------------------------------------------------
// Public entry points

result<read_summary> read_fixes(std::string_view path, diagnostics& diag, fix_callback on_fix,
                                const read_options& opt) {
  fix_parser p(on_fix, opt);
  return run_path(path, diag, opt, p);
}
result<read_summary> read_fixes(std::istream& in, std::string_view name, diagnostics& diag, fix_callback on_fix,
                                const read_options& opt) {
  fix_parser p(on_fix, opt);
  return run_stream(in, name, diag, opt, p);
}

result<read_summary> read_device_events(std::string_view path, diagnostics& diag, device_event_callback on_event,
                                        const read_options& opt) {
  device_event_parser p(on_event, opt);
  return run_path(path, diag, opt, p);
}
result<read_summary> read_device_events(std::istream& in, std::string_view name, diagnostics& diag,
                                        device_event_callback on_event, const read_options& opt) {
  device_event_parser p(on_event, opt);
  return run_stream(in, name, diag, opt, p);
}

result<read_summary> read_victim_links(std::string_view path, diagnostics& diag, victim_link_callback on_link,
                                       const read_options& opt) {
  victim_link_parser p(on_link, opt);
  return run_path(path, diag, opt, p);
}
result<read_summary> read_victim_links(std::istream& in, std::string_view name, diagnostics& diag,
                                       victim_link_callback on_link, const read_options& opt) {
  victim_link_parser p(on_link, opt);
  return run_stream(in, name, diag, opt, p);
}

result<read_summary> read_crimes(std::string_view path, diagnostics& diag, crime_callback on_crime,
                                 const read_options& opt) {
  crime_parser p(on_crime, opt);
  return run_path(path, diag, opt, p);
}
result<read_summary> read_crimes(std::istream& in, std::string_view name, diagnostics& diag,
                                 crime_callback on_crime, const read_options& opt) {
  crime_parser p(on_crime, opt);
  return run_stream(in, name, diag, opt, p);
}

result<loaded<stored_fix>> load_fixes(std::string_view path, diagnostics& diag, const read_options& opt) {
  return load_all<stored_fix>([&](auto&& cb) { return read_fixes(path, diag, cb, opt); });
}
result<loaded<stored_fix>> load_fixes(std::istream& in, std::string_view name, diagnostics& diag,
                                      const read_options& opt) {
  return load_all<stored_fix>([&](auto&& cb) { return read_fixes(in, name, diag, cb, opt); });
}
result<loaded<stored_device_event>> load_device_events(std::string_view path, diagnostics& diag,
                                                       const read_options& opt) {
  return load_all<stored_device_event>([&](auto&& cb) { return read_device_events(path, diag, cb, opt); });
}
result<loaded<stored_device_event>> load_device_events(std::istream& in, std::string_view name,
                                                       diagnostics& diag, const read_options& opt) {
  return load_all<stored_device_event>([&](auto&& cb) { return read_device_events(in, name, diag, cb, opt); });
}
result<loaded<victim_link>> load_victim_links(std::string_view path, diagnostics& diag, const read_options& opt) {
  return load_all<victim_link>([&](auto&& cb) { return read_victim_links(path, diag, cb, opt); });
}
result<loaded<victim_link>> load_victim_links(std::istream& in, std::string_view name, diagnostics& diag,
                                              const read_options& opt) {
  return load_all<victim_link>([&](auto&& cb) { return read_victim_links(in, name, diag, cb, opt); });
}
result<loaded<crime>> load_crimes(std::string_view path, diagnostics& diag, const read_options& opt) {
  return load_all<crime>([&](auto&& cb) { return read_crimes(path, diag, cb, opt); });
}
result<loaded<crime>> load_crimes(std::istream& in, std::string_view name, diagnostics& diag,
                                  const read_options& opt) {
  return load_all<crime>([&](auto&& cb) { return read_crimes(in, name, diag, cb, opt); });
}

// ---------------------------------------------------------------------------
// Writers

void append_csv_row(std::string& out, const fix& f) {
  append_csv_field(out, f.subject_id);
  out += ',';
  append_instant(out, f.time);
  out += ',';
  append_decimal(out, f.pos.lat_deg(), 7);
  out += ',';
  append_decimal(out, f.pos.lon_deg(), 7);
  out += ',';
  append_decimal(out, static_cast<double>(f.accuracy_m), 1);
  out += ',';
  out += to_string(f.source);
  out += ',';
  append_instant(out, f.received);
  out += '\n';
}

void append_csv_row(std::string& out, const device_event& e) {
  append_csv_field(out, e.subject_id);
  out += ',';
  append_instant(out, e.time);
  out += ',';
  out += to_string(e.type);
  out += '\n';
}

void append_csv_row(std::string& out, const victim_link& l) {
  append_csv_field(out, l.subject_id);
  out += ',';
  append_csv_field(out, l.victim_id);
  out += ',';
  append_decimal(out, l.alert_m, 1);
  out += ',';
  append_decimal(out, l.warning_m, 1);
  out += '\n';
}

void append_csv_row(std::string& out, const crime& c) {
  append_csv_field(out, c.crime_id);
  out += ',';
  append_decimal(out, c.pos.lat_deg(), 7);
  out += ',';
  append_decimal(out, c.pos.lon_deg(), 7);
  out += ',';
  append_instant(out, c.from);
  out += ',';
  append_instant(out, c.to);
  out += ',';
  append_csv_field(out, c.type);
  out += ',';
  if (c.radius_m) append_decimal(out, *c.radius_m, 1);
  out += '\n';
}

}  // namespace warden
