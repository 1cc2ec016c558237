// Tests of warden/readers.hpp and warden/detail/csv.hpp: CSV syntax, every
// reason code of every reader, strict mode, sources (path, stdin, istream)
// that must agree, writers, and the real police.uk files counted by an
// independent splitter.
#include <warden/readers.hpp>

#include <catch2/catch.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

using namespace warden;
using namespace std::string_literals;

namespace {

const std::string fixture_dir = std::string(WARDEN_SOURCE_DIR) + "/data/test/csv/";
const std::string police_dir = std::string(WARDEN_SHARED_DATA) + "/police/";

instant t_(const char* s) {
  auto t = parse_instant(s);
  REQUIRE(t.ok());
  return *t;
}

// ---------------------------------------------------------------------------
// Tokenizer harness: the events a csv_reader produces, as text.

struct event {
  std::uint64_t line;
  std::string what;  // fields joined by '|', or "!code"
  friend bool operator==(const event&, const event&) = default;
};

std::ostream& operator<<(std::ostream& os, const event& e) { return os << e.line << ":" << e.what; }

std::vector<event> tokenize(const std::string& text, std::size_t chunk, std::size_t max_line = 64 * 1024) {
  detail::memory_source src(text);
  detail::csv_reader rd(src, detail::csv_limits{max_line, std::numeric_limits<std::uint64_t>::max(), chunk});
  std::vector<event> out;
  for (;;) {
    const auto st = rd.next();
    if (st == detail::csv_status::end) break;
    if (st == detail::csv_status::fatal) {
      out.push_back({0, "!!" + std::string(to_string(rd.error_code()))});
      break;
    }
    if (st == detail::csv_status::bad_record) {
      out.push_back({rd.line(), "!" + std::string(to_string(rd.error_code()))});
      continue;
    }
    std::string joined;
    for (std::size_t i = 0; i < rd.fields().size(); ++i) {
      if (i) joined += '|';
      joined.append(rd.fields()[i]);
    }
    out.push_back({rd.line(), joined});
  }
  return out;
}

std::string show(const std::vector<event>& ev) {
  std::ostringstream os;
  for (const auto& e : ev) os << "[" << e << "] ";
  return os.str();
}

// ---------------------------------------------------------------------------
// Reader harnesses over in-memory text.

template <class T>
struct outcome {
  std::optional<result<read_summary>> r;
  std::vector<T> recs;
  diagnostics diag;
  std::vector<std::string> lines() const {
    std::vector<std::string> v;
    for (const auto& d : diag.kept()) v.push_back(format(d));
    return v;
  }
};

outcome<stored_fix> fixes_from(const std::string& text, const read_options& opt = {}) {
  outcome<stored_fix> o;
  std::istringstream in(text);
  o.r = read_fixes(in, "t.csv", o.diag, [&](const fix& f) { o.recs.emplace_back(f); }, opt);
  return o;
}

outcome<stored_device_event> events_from(const std::string& text, const read_options& opt = {}) {
  outcome<stored_device_event> o;
  std::istringstream in(text);
  o.r = read_device_events(in, "e.csv", o.diag, [&](const device_event& e) { o.recs.emplace_back(e); }, opt);
  return o;
}

outcome<victim_link> links_from(const std::string& text, const read_options& opt = {}) {
  outcome<victim_link> o;
  std::istringstream in(text);
  o.r = read_victim_links(in, "l.csv", o.diag, [&](const victim_link& l) { o.recs.push_back(l); }, opt);
  return o;
}

outcome<crime> crimes_from(const std::string& text, const read_options& opt = {}) {
  outcome<crime> o;
  std::istringstream in(text);
  o.r = read_crimes(in, "c.csv", o.diag, [&](const crime& c) { o.recs.push_back(c); }, opt);
  return o;
}

// A bad row between two good rows: exactly one diagnostic, on line 3, with
// `code`, and both neighbours read.
template <class Outcome>
void check_one_bad(const Outcome& o, errc code, const std::string& file) {
  REQUIRE(o.r.has_value());
  REQUIRE(o.r->ok());
  CHECK((*o.r)->records_ok == 2);
  CHECK((*o.r)->records_bad == 1);
  CHECK(o.recs.size() == 2);
  REQUIRE(o.diag.total() == 1);
  CHECK(o.diag.kept()[0].code == code);
  CHECK(o.diag.kept()[0].line == 3);
  CHECK(format(o.diag.kept()[0]).rfind(file + ":3: " + std::string(to_string(code)) + ": ", 0) == 0);
  CHECK_FALSE(o.diag.kept()[0].message.empty());
}

}  // namespace

// ===========================================================================
// CSV syntax

TEST_CASE("csv_reader: RFC 4180 records, line numbers and bad records at every chunk size", "[readers][csv]") {
  struct row {
    std::string text;
    std::size_t max_line;
    std::vector<event> expected;
  };
  const std::size_t big = 64 * 1024;
  const row rows[] = {
      {"a,b\n", big, {{1, "a|b"}}},
      {"a,b", big, {{1, "a|b"}}},
      {"a,b\r\n c ,d\r\n", big, {{1, "a|b"}, {2, " c |d"}}},
      {"\xEF\xBB\xBF" "a,b\n", big, {{1, "a|b"}}},
      {"\xEF\xBB\xBF", big, {}},
      {"", big, {}},
      {"a\n\n\r\nb\n\n", big, {{1, "a"}, {4, "b"}}},
      {",,\n", big, {{1, "||"}}},
      {"\"a,b\",c\n", big, {{1, "a,b|c"}}},
      {"\"a\"\"b\",c", big, {{1, "a\"b|c"}}},
      {"\"\",x\n", big, {{1, "|x"}}},
      {"\"\"\n", big, {{1, ""}}},
      {"a,\"b\"\n", big, {{1, "a|b"}}},
      {"a,\"b\"\r\n", big, {{1, "a|b"}}},
      {"a,\"b\"", big, {{1, "a|b"}}},
      {"a,\"b\"\r", big, {{1, "a|b"}}},
      {"\"a\"\"\"\n", big, {{1, "a\""}}},
      {"\"multi\nline\",x\ny,z\n", big, {{1, "multi\nline|x"}, {3, "y|z"}}},
      {"\"crlf\r\ninside\",x\r\nq\r\n", big, {{1, "crlf\r\ninside|x"}, {3, "q"}}},
      {"\"a\n\n\nb\"\nc\n", big, {{1, "a\n\n\nb"}, {5, "c"}}},
      {"x,\"1\n2\",y\n\"3\",4\n", big, {{1, "x|1\n2|y"}, {3, "3|4"}}},
      // Misplaced quotes: one bad record, the next line still read.
      {"ab\"c,d\nx,y\n", big, {{1, "!bad_quote"}, {2, "x|y"}}},
      {"\"ab\"c,d\nx\n", big, {{1, "!bad_quote"}, {2, "x"}}},
      {"\"ab\" ,d\nx\n", big, {{1, "!bad_quote"}, {2, "x"}}},
      // Unterminated quote: reported at its line; resume on the next line.
      {"\"open,d\nx,y\n", big, {{1, "!bad_quote"}, {2, "x|y"}}},
      {"a,\"open", big, {{1, "!bad_quote"}}},
      // Line length: max_line bytes is allowed, one more is not; CR excluded.
      {"12345678\nab\n", 8, {{1, "12345678"}, {2, "ab"}}},
      {"12345678\r\nab\n", 8, {{1, "12345678"}, {2, "ab"}}},
      {"123456789\nab\n", 8, {{1, "!line_too_long"}, {2, "ab"}}},
      {"123456789012345678901234567890\nab\n", 8, {{1, "!line_too_long"}, {2, "ab"}}},
      {"123456789012345678901234567890", 8, {{1, "!line_too_long"}}},
      {"ab\n123456789\r\n", 8, {{1, "ab"}, {2, "!line_too_long"}}},
      // A quoted record longer than the limit: bad_quote at its start, the
      // following physical lines read on their own.
      {"\"ab\ncdefghijk\"\nx\n", 8, {{1, "!bad_quote"}, {2, "!line_too_long"}, {3, "x"}}},
      {"\"a\nb\"\nx\n", 8, {{1, "a\nb"}, {3, "x"}}},
  };
  for (const auto& r : rows) {
    for (const std::size_t chunk : {std::size_t{1}, std::size_t{2}, std::size_t{3}, std::size_t{5},
                                    std::size_t{64}, std::size_t{1} << 18}) {
      CAPTURE(r.text, r.max_line, chunk);
      const auto got = tokenize(r.text, chunk, r.max_line);
      INFO("got: " << show(got) << " expected: " << show(r.expected));
      CHECK(got == r.expected);
    }
  }
}

TEST_CASE("csv_reader: random quoted records match what was written (seeded)", "[readers][csv]") {
  // The generator knows each record's fields and first line; the reader must
  // recover exactly that, at every chunk size.
  const std::uint32_t seed = 20260329;
  CAPTURE(seed);
  std::mt19937 rng(seed);
  const std::string alphabet = "ab ,\"\r\n\t;x";
  for (int file = 0; file < 200; ++file) {
    CAPTURE(file);
    std::string text;
    std::vector<event> expected;
    std::uint64_t line = 1;
    if (rng() % 4 == 0) text += "\xEF\xBB\xBF";
    const int nrec = static_cast<int>(rng() % 12) + 1;
    for (int r = 0; r < nrec; ++r) {
      while (rng() % 5 == 0) {  // blank lines
        text += rng() % 2 ? "\n" : "\r\n";
        ++line;
      }
      const int nf = static_cast<int>(rng() % 5) + 1;
      std::string joined;
      std::string rec;
      for (int f = 0; f < nf; ++f) {
        std::string field;
        const int len = static_cast<int>(rng() % 6);
        for (int k = 0; k < len; ++k) field += alphabet[rng() % alphabet.size()];
        if (f) {
          joined += '|';
          rec += ',';
        }
        joined += field;
        const bool must = field.find_first_of(",\"\r\n") != std::string::npos || (nf == 1 && field.empty());
        if (must || rng() % 3 == 0) {
          rec += '"';
          for (char c : field) {
            if (c == '"') rec += '"';
            rec += c;
          }
          rec += '"';
        } else {
          rec += field;
        }
      }
      expected.push_back({line, joined});
      line += 1 + static_cast<std::uint64_t>(std::count(rec.begin(), rec.end(), '\n'));
      text += rec;
      if (r + 1 < nrec || rng() % 2) text += rng() % 2 ? "\n" : "\r\n";
    }
    for (const std::size_t chunk : {std::size_t{1}, std::size_t{3}, std::size_t{16}, std::size_t{4096}}) {
      CAPTURE(chunk);
      const auto got = tokenize(text, chunk);
      INFO("got: " << show(got) << " expected: " << show(expected));
      REQUIRE(got == expected);
    }
  }
}

TEST_CASE("parse_double: the fast path gives exactly the double std::from_chars gives (seeded)", "[readers][csv]") {
  const std::uint32_t seed = 4242;
  CAPTURE(seed);
  std::mt19937 rng(seed);
  auto check = [](const std::string& text) {
    CAPTURE(text);
    double expected = 0;
    const auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), expected);
    double got = -1;
    const auto st = detail::parse_double(text, got);
    if (ec == std::errc() && p == text.data() + text.size() && std::isfinite(expected)) {
      REQUIRE(st == detail::number_status::ok);
      REQUIRE(std::memcmp(&got, &expected, sizeof got) == 0);  // bit for bit, -0 included
    } else {
      REQUIRE(st != detail::number_status::ok);
    }
  };
  for (const char* t : {"0", "-0", "0.1", "51.5074000", "-0.1278000", "123456789012345", "1234567890123456",
                        "0.000000000000001", "9.99999999999999", "999999999999999.9", ".5", "-.5", "5.", "-",
                        ".", "-.", "1.2.3", "--1", "00000000000000000001.5", "179.9999999", "0.30000000000000004"})
    check(t);
  for (int i = 0; i < 200000; ++i) {
    std::string t;
    if (rng() % 3 == 0) t += '-';
    const int int_digits = static_cast<int>(rng() % 10);
    for (int k = 0; k < int_digits; ++k) t += static_cast<char>('0' + rng() % 10);
    if (rng() % 4 != 0) {
      t += '.';
      const int frac_digits = static_cast<int>(rng() % 17);
      for (int k = 0; k < frac_digits; ++k) t += static_cast<char>('0' + rng() % 10);
    }
    check(t);
  }
}

TEST_CASE("csv_reader: a stream over the size limit is fatal", "[readers][csv]") {
  const std::string text = "a,b\nc,d\ne,f\n";
  detail::memory_source src(text);
  detail::csv_reader rd(src, detail::csv_limits{1024, 6, 4});
  CHECK(rd.next() == detail::csv_status::record);
  CHECK(rd.next() == detail::csv_status::fatal);
  CHECK(rd.error_code() == errc::file_too_large);
  CHECK(rd.next() == detail::csv_status::fatal);
}

// ===========================================================================
// Fixes

TEST_CASE("fixes: good rows, defaults and line numbers", "[readers][fixes]") {
  const auto o = fixes_from(
      "subject_id,time,lat,lon,accuracy_m,source,received_time\n"
      "S1,2026-03-29T00:59:30Z,51.5,-0.125,12.5,gps,2026-03-29T01:00:00Z\n"
      "\n"
      "S2,1774745970000,-90,180,,,\n"
      "S3,2026-03-29T01:59:30+01:00, +51.25 ,-180,100000,WiFi,\n");
  REQUIRE(o.r->ok());
  CHECK((*o.r)->records_ok == 3);
  CHECK((*o.r)->records_bad == 0);
  CHECK((*o.r)->lines == 5);
  CHECK(o.diag.empty());
  REQUIRE(o.recs.size() == 3);
  const auto& a = o.recs[0];
  CHECK(a.subject_id == "S1");
  CHECK(a.time == t_("2026-03-29T00:59:30Z"));
  CHECK(a.pos.lat_deg() == 51.5);
  CHECK(a.pos.lon_deg() == -0.125);
  CHECK(a.accuracy_m == 12.5f);
  CHECK(a.source == fix_source::gps);
  CHECK(a.received == t_("2026-03-29T01:00:00Z"));
  CHECK(a.line == 2);
  const auto& b = o.recs[1];
  CHECK(b.time == from_epoch_ms(1774745970000));
  CHECK(b.pos.lat_deg() == -90.0);
  CHECK(b.pos.lon_deg() == 180.0);
  CHECK(b.accuracy_m == 10.0f);  // default
  CHECK(b.source == fix_source::gps);
  CHECK(b.received == b.time);
  CHECK(b.line == 4);
  const auto& c = o.recs[2];
  CHECK(c.time == a.time);
  CHECK(c.pos.lat_deg() == 51.25);
  CHECK(c.accuracy_m == 100000.0f);
  CHECK(c.source == fix_source::wifi);
  CHECK(c.line == 5);
}

TEST_CASE("fixes: columns in any order, unknown columns ignored, names case-insensitive", "[readers][fixes]") {
  const std::string canonical =
      "subject_id,time,lat,lon,accuracy_m\n"
      "S1,2026-03-29T00:59:30Z,51.5,-0.1,7\n";
  const std::string shuffled =
      " LON ,extra,Accuracy_M,time,Lat,Subject_ID,another\n"
      "-0.1,\"x,y\",7,2026-03-29T00:59:30Z,51.5,S1,\n";
  const auto a = fixes_from(canonical);
  const auto b = fixes_from(shuffled);
  REQUIRE(a.r->ok());
  REQUIRE(b.r->ok());
  REQUIRE(a.recs.size() == 1);
  REQUIRE(b.recs.size() == 1);
  CHECK(a.recs[0].subject_id == b.recs[0].subject_id);
  CHECK(a.recs[0].time == b.recs[0].time);
  CHECK(a.recs[0].pos == b.recs[0].pos);
  CHECK(a.recs[0].accuracy_m == b.recs[0].accuracy_m);
  // Without the optional columns: defaults.
  const auto c = fixes_from("lat,lon,time,subject_id\n51.5,-0.1,2026-03-29T00:59:30Z,S1\n");
  REQUIRE(c.recs.size() == 1);
  CHECK(c.recs[0].accuracy_m == 10.0f);
}

TEST_CASE("fixes: file-level errors", "[readers][fixes]") {
  struct row {
    std::string text;
    errc code;
    std::uint64_t line;
  };
  const row rows[] = {
      {"", errc::empty_file, 0},
      {"\n\r\n\n", errc::empty_file, 0},
      {"\xEF\xBB\xBF", errc::empty_file, 0},
      {"subject_id,time,lat\nS1,2026-03-29T00:59:30Z,51\n", errc::missing_column, 1},
      {"time,lat,lon\n", errc::missing_column, 1},
      {"\nsubject,time,lat,lon\n", errc::missing_column, 2},
      {"subject_id,time,lat,lon,lat\n", errc::duplicate_column, 1},
      {"subject_id,time,lat,lon,SOURCE,source\n", errc::duplicate_column, 1},
      {"subject_id,\"time,lat,lon\n", errc::bad_quote, 1},
  };
  for (const auto& r : rows) {
    CAPTURE(r.text);
    const auto o = fixes_from(r.text);
    REQUIRE_FALSE(o.r->ok());
    CHECK(o.r->code() == r.code);
    REQUIRE(o.diag.total() == 1);
    CHECK(o.diag.kept()[0].code == r.code);
    CHECK(o.diag.kept()[0].line == r.line);
    CHECK(o.recs.empty());
  }
  // The message names the missing columns.
  const auto o = fixes_from("time,lat\n");
  CHECK(o.r->err().message.find("subject_id") != std::string::npos);
  CHECK(o.r->err().message.find("lon") != std::string::npos);
  // A header alone is a valid, empty file.
  const auto h = fixes_from("subject_id,time,lat,lon\n");
  REQUIRE(h.r->ok());
  CHECK((*h.r)->records_ok == 0);
  CHECK((*h.r)->records_bad == 0);
}

TEST_CASE("fixes: every bad-record reason code, with the good rows around it kept", "[readers][fixes]") {
  const std::string header = "subject_id,time,lat,lon,accuracy_m,source,received_time\n";
  const std::string good = "G,2026-03-29T00:59:30Z,51.5,-0.1,10,gps,\n";
  const std::string T = "2026-03-29T00:59:30Z";
  struct row {
    std::string text;
    errc code;
  };
  const row rows[] = {
      {"," + T + ",51,0,,,", errc::bad_id},
      {"  ," + T + ",51,0,,,", errc::bad_id},
      {std::string(300, 'x') + "," + T + ",51,0,,,", errc::bad_id},
      {"S\x01" "1," + T + ",51,0,,,", errc::bad_id},
      {"S1,,51,0,,,", errc::missing_field},
      {"S1,yesterday,51,0,,,", errc::bad_time},
      {"S1,2026-03-29T00:59:30,51,0,,,", errc::bad_time},
      {"S1,2300-01-01T00:00:00Z,51,0,,,", errc::time_out_of_range},
      {"S1," + T + ",,0,,,", errc::missing_field},
      {"S1," + T + ",51,,,,", errc::missing_field},
      {"S1," + T + ",abc,0,,,", errc::bad_number},
      {"S1," + T + ",51.5x,0,,,", errc::bad_number},
      {"S1," + T + ",0x10,0,,,", errc::bad_number},
      {"S1," + T + ",51;5,0,,,", errc::bad_number},
      {"S1," + T + ",+-5,0,,,", errc::bad_number},
      {"S1," + T + ",1e999,0,,,", errc::bad_number},
      {"S1," + T + ",nan,0,,,", errc::not_finite},
      {"S1," + T + ",51,inf,,,", errc::not_finite},
      {"S1," + T + ",-Infinity,0,,,", errc::not_finite},
      {"S1," + T + ",91,0,,,", errc::lat_out_of_range},
      {"S1," + T + ",-90.0000001,0,,,", errc::lat_out_of_range},
      {"S1," + T + ",51,180.5,,,", errc::lon_out_of_range},
      {"S1," + T + ",51,-181,,,", errc::lon_out_of_range},
      {"S1," + T + ",51,0,0,,", errc::bad_accuracy},
      {"S1," + T + ",51,0,-5,,", errc::bad_accuracy},
      {"S1," + T + ",51,0,100000.1,,", errc::bad_accuracy},
      {"S1," + T + ",51,0,nan,,", errc::bad_accuracy},
      {"S1," + T + ",51,0,inf,,", errc::bad_accuracy},
      {"S1," + T + ",51,0,1e999,,", errc::bad_accuracy},
      {"S1," + T + ",51,0,1e-60,,", errc::bad_accuracy},
      {"S1," + T + ",51,0,ten,,", errc::bad_number},
      {"S1," + T + ",51,0,10,glonass,", errc::bad_source},
      {"S1," + T + ",51,0,10,gps,later", errc::bad_time},
      {"S1," + T + ",51,0,10,gps,1969-01-01T00:00:00Z", errc::time_out_of_range},
      {"S1," + T + ",51,0", errc::field_count},
      {"S1," + T + ",51,0,10,gps,,extra", errc::field_count},
      {"S\"1," + T + ",51,0,,,", errc::bad_quote},
      {"\"S1\"x," + T + ",51,0,,,", errc::bad_quote},
      {"S1," + T + ",51,0,10,gps," + std::string(70000, ' '), errc::line_too_long},
  };
  for (const auto& r : rows) {
    CAPTURE(r.text.substr(0, 80));
    check_one_bad(fixes_from(header + good + r.text + "\n" + good), r.code, "t.csv");
    // Also as the last line of a file without a final newline.
    const auto o = fixes_from(header + good + good + r.text);
    REQUIRE(o.diag.total() == 1);
    CHECK(o.diag.kept()[0].code == r.code);
    CHECK(o.diag.kept()[0].line == 4);
  }
}

TEST_CASE("fixes: diagnostics read FILE:LINE: code: message and count physical lines", "[readers][fixes]") {
  const auto o = fixes_from(
      "subject_id,time,lat,lon\r\n"
      "\"S\n1\",2026-03-29T00:59:30Z,51,0\r\n"  // lines 2-3: an id with a line break
      "S2,2026-03-29T00:59:30Z,95,0\r\n"        // line 4
      "\r\n"
      "S3,2026-03-29T00:59:30Z,51,0\r\n");      // line 6
  REQUIRE(o.r->ok());
  REQUIRE(o.diag.total() == 2);
  CHECK(o.lines()[0].rfind("t.csv:2: bad_id: subject_id contains a control character", 0) == 0);
  CHECK(o.lines()[1] == "t.csv:4: lat_out_of_range: lat '95': latitude outside -90..90 degrees");
  REQUIRE(o.recs.size() == 1);
  CHECK(o.recs[0].line == 6);
  CHECK(o.diag.count(errc::bad_id) == 1);
}

TEST_CASE("fixes: accepted number spellings", "[readers][fixes]") {
  struct row {
    const char* lat;
    double expected;
  };
  const row rows[] = {{"51.5", 51.5},  {"+51.5", 51.5}, {" 51.5 ", 51.5}, {"\t51.5", 51.5}, {".5", 0.5},
                      {"5.", 5.0},     {"-0", 0.0},     {"5e1", 50.0},    {"90", 90.0},     {"-90.0", -90.0},
                      {"\"51.5\"", 51.5}};
  for (const auto& r : rows) {
    CAPTURE(r.lat);
    const auto o = fixes_from("subject_id,time,lat,lon\nS1,2026-03-29T00:59:30Z,"s + r.lat + ",0\n");
    REQUIRE(o.diag.empty());
    REQUIRE(o.recs.size() == 1);
    CHECK(o.recs[0].pos.lat_deg() == r.expected);
  }
}

TEST_CASE("fixes: options — default accuracy, strict mode, limits", "[readers][fixes]") {
  const std::string text =
      "subject_id,time,lat,lon,accuracy_m\n"
      "S1,2026-03-29T00:59:30Z,51,0,\n"
      "S2,2026-03-29T00:59:30Z,51,999,\n"
      "S3,2026-03-29T00:59:30Z,51,0,4\n";
  SECTION("default accuracy") {
    read_options opt;
    opt.default_accuracy_m = 25.0f;
    const auto o = fixes_from(text, opt);
    REQUIRE(o.recs.size() == 2);
    CHECK(o.recs[0].accuracy_m == 25.0f);
    CHECK(o.recs[1].accuracy_m == 4.0f);
    for (const float bad : {0.0f, -1.0f, 1e6f, std::numeric_limits<float>::quiet_NaN()}) {
      opt.default_accuracy_m = bad;
      const auto u = fixes_from(text, opt);
      REQUIRE_FALSE(u.r->ok());
      CHECK(u.r->code() == errc::usage);
      CHECK(u.recs.empty());
    }
  }
  SECTION("strict: the first bad record is fatal") {
    read_options opt;
    opt.strict = true;
    const auto o = fixes_from(text, opt);
    REQUIRE_FALSE(o.r->ok());
    CHECK(o.r->code() == errc::lon_out_of_range);
    CHECK(o.recs.size() == 1);  // the record before it was delivered, none after
    REQUIRE(o.diag.total() == 1);
    CHECK(o.diag.kept()[0].line == 3);
    // Without the bad row, strict reads everything.
    const auto g = fixes_from("subject_id,time,lat,lon\nS1,2026-03-29T00:59:30Z,51,0\n", opt);
    REQUIRE(g.r->ok());
    CHECK(g.recs.size() == 1);
    // Non-strict carries on.
    const auto n = fixes_from(text);
    REQUIRE(n.r->ok());
    CHECK(n.recs.size() == 2);
    CHECK((*n.r)->records_bad == 1);
  }
  SECTION("strict: syntax errors are fatal too") {
    read_options opt;
    opt.strict = true;
    opt.max_line_bytes = 40;
    const auto o = fixes_from("subject_id,time,lat,lon\n" + std::string(50, 'x') + "\nS1,2026-03-29T00:59:30Z,51,0\n",
                              opt);
    REQUIRE_FALSE(o.r->ok());
    CHECK(o.r->code() == errc::line_too_long);
    CHECK(o.recs.empty());
  }
  SECTION("line length limit is configurable") {
    read_options opt;
    opt.max_line_bytes = 32;
    const auto o = fixes_from(text, opt);  // header is 34 bytes
    REQUIRE_FALSE(o.r->ok());
    CHECK(o.r->code() == errc::line_too_long);
    opt.max_line_bytes = 34;
    const auto p = fixes_from(text, opt);
    REQUIRE(p.r->ok());
    CHECK(p.recs.size() == 2);
  }
  SECTION("file size limit on a stream") {
    read_options opt;
    opt.max_file_bytes = 40;
    opt.chunk_bytes = 16;
    const auto o = fixes_from(text, opt);
    REQUIRE_FALSE(o.r->ok());
    CHECK(o.r->code() == errc::file_too_large);
    CHECK(o.diag.count(errc::file_too_large) == 1);
  }
}

TEST_CASE("fixes: file, ifstream, stdin and small chunks give the same records and diagnostics", "[readers][fixes]") {
  const std::string path = fixture_dir + "fixes_mixed.csv";
  // The fixture's premises: BOM, CRLF, a quoted line break, no final newline.
  {
    std::ifstream raw(path, std::ios::binary);
    const std::string bytes((std::istreambuf_iterator<char>(raw)), std::istreambuf_iterator<char>());
    REQUIRE(bytes.rfind("\xEF\xBB\xBF", 0) == 0);
    REQUIRE(bytes.find("\r\n") != std::string::npos);
    REQUIRE(bytes.back() != '\n');
  }
  diagnostics d_path;
  const auto by_path = load_fixes(path, d_path);
  REQUIRE(by_path.ok());
  CHECK(by_path->summary.records_ok == 4);
  CHECK(by_path->summary.records_bad == 4);
  CHECK(by_path->summary.lines == 11);
  CHECK(d_path.count(errc::lat_out_of_range) == 1);
  CHECK(d_path.count(errc::bad_number) == 1);
  CHECK(d_path.count(errc::field_count) == 1);
  CHECK(d_path.count(errc::bad_accuracy) == 1);
  std::vector<std::uint64_t> good_lines, bad_lines;
  for (const auto& f : by_path->records) good_lines.push_back(f.line);
  for (const auto& d : d_path.kept()) bad_lines.push_back(d.line);
  CHECK(good_lines == std::vector<std::uint64_t>{2, 4, 8, 11});
  CHECK(bad_lines == std::vector<std::uint64_t>{6, 7, 9, 10});
  CHECK(by_path->records[2].subject_id == "S,4");
  CHECK(by_path->records[2].source == fix_source::gps);
  CHECK(by_path->records[1].source == fix_source::wifi);
  CHECK(by_path->records[0].accuracy_m == 12.5f);

  auto same = [&](const loaded<stored_fix>& other, const diagnostics& d) {
    REQUIRE(other.records.size() == by_path->records.size());
    for (std::size_t i = 0; i < other.records.size(); ++i) {
      const auto& a = by_path->records[i];
      const auto& b = other.records[i];
      CHECK(a.subject_id == b.subject_id);
      CHECK(a.time == b.time);
      CHECK(a.pos == b.pos);
      CHECK(a.accuracy_m == b.accuracy_m);
      CHECK(a.source == b.source);
      CHECK(a.line == b.line);
    }
    REQUIRE(d.kept().size() == d_path.kept().size());
    for (std::size_t i = 0; i < d.kept().size(); ++i) CHECK(format(d.kept()[i]) == format(d_path.kept()[i]));
    CHECK(other.summary.records_ok == by_path->summary.records_ok);
    CHECK(other.summary.records_bad == by_path->summary.records_bad);
    CHECK(other.summary.lines == by_path->summary.lines);
    CHECK(other.summary.bytes == by_path->summary.bytes);
  };
  for (const std::size_t chunk : {std::size_t{1}, std::size_t{7}, std::size_t{4096}}) {
    CAPTURE(chunk);
    read_options opt;
    opt.chunk_bytes = chunk;
    std::ifstream in(path, std::ios::binary);
    diagnostics d;
    const auto by_stream = load_fixes(in, path, d, opt);
    REQUIRE(by_stream.ok());
    same(*by_stream, d);
  }
  SECTION("\"-\" reads standard input") {
    const int saved = ::dup(STDIN_FILENO);
    REQUIRE(saved >= 0);
    const int fd = ::open(path.c_str(), O_RDONLY);
    REQUIRE(fd >= 0);
    REQUIRE(::dup2(fd, STDIN_FILENO) == STDIN_FILENO);
    ::close(fd);
    diagnostics d;
    const auto by_stdin = load_fixes("-", d);
    ::dup2(saved, STDIN_FILENO);
    ::close(saved);
    REQUIRE(by_stdin.ok());
    for (auto& k : d.kept()) CHECK(k.file == "-");
    REQUIRE(d.total() == 4);
    CHECK(by_stdin->records.size() == 4);
    CHECK(format(d.kept()[0]).rfind("-:6: lat_out_of_range: ", 0) == 0);
  }
}

TEST_CASE("fixes: path errors and the size limit checked before reading", "[readers][fixes]") {
  diagnostics d;
  int calls = 0;
  auto count = [&](const fix&) { ++calls; };
  const auto missing = read_fixes(fixture_dir + "no_such_file.csv", d, count);
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.code() == errc::io_error);
  const auto dir = read_fixes(fixture_dir, d, count);
  REQUIRE_FALSE(dir.ok());
  CHECK(dir.code() == errc::io_error);
  read_options opt;
  opt.max_file_bytes = 100;
  const auto big = read_fixes(fixture_dir + "fixes_mixed.csv", d, count, opt);
  REQUIRE_FALSE(big.ok());
  CHECK(big.code() == errc::file_too_large);
  CHECK(calls == 0);
  CHECK(d.count(errc::io_error) == 2);
  CHECK(d.count(errc::file_too_large) == 1);
  opt.max_file_bytes = std::filesystem::file_size(fixture_dir + "fixes_mixed.csv");
  const auto exact = read_fixes(fixture_dir + "fixes_mixed.csv", d, count, opt);
  CHECK(exact.ok());
  CHECK(calls == 4);
}

// ===========================================================================
// Device events

TEST_CASE("device events: all names, and every reason code", "[readers][events]") {
  std::string text = "event,time,subject_id\n";
  for (int i = 0; i < device_event_type_count; ++i) {
    std::string name(to_string(static_cast<device_event_type>(i)));
    if (i % 2) name[0] = static_cast<char>(name[0] - 'a' + 'A');  // case-insensitive
    text += name + ",2026-03-29T00:59:30Z,T" + std::to_string(i) + "\n";
  }
  const auto o = events_from(text);
  REQUIRE(o.r->ok());
  REQUIRE(o.recs.size() == static_cast<std::size_t>(device_event_type_count));
  for (int i = 0; i < device_event_type_count; ++i) {
    CHECK(o.recs[i].type == static_cast<device_event_type>(i));
    CHECK(o.recs[i].subject_id == "T" + std::to_string(i));
    CHECK(o.recs[i].line == static_cast<std::uint64_t>(i + 2));
  }

  const std::string header = "subject_id,time,event\n";
  const std::string good = "S1,2026-03-29T00:59:30Z,strap_tamper\n";
  struct row {
    std::string text;
    errc code;
  };
  const row rows[] = {
      {",2026-03-29T00:59:30Z,strap_ok", errc::bad_id},
      {"S1,,strap_ok", errc::missing_field},
      {"S1,noon,strap_ok", errc::bad_time},
      {"S1,2026-03-29T00:59:30Z,", errc::missing_field},
      {"S1,2026-03-29T00:59:30Z,strap_broken", errc::bad_event},
      {"S1,2026-03-29T00:59:30Z", errc::field_count},
  };
  for (const auto& r : rows) {
    CAPTURE(r.text);
    check_one_bad(events_from(header + good + r.text + "\n" + good), r.code, "e.csv");
  }
  const auto m = events_from("subject_id,event\n");
  REQUIRE_FALSE(m.r->ok());
  CHECK(m.r->code() == errc::missing_column);
}

// ===========================================================================
// Victim links

TEST_CASE("victim links: defaults, radii and every reason code", "[readers][links]") {
  const auto o = links_from(
      "subject_id,victim_id,alert_m,warning_m\n"
      "S1,V1,250,750\n"
      "S1,V2,,\n"
      "S2,V1,1500,\n");
  REQUIRE(o.r->ok());
  REQUIRE(o.recs.size() == 3);
  CHECK(o.recs[0].alert_m == 250.0);
  CHECK(o.recs[0].warning_m == 750.0);
  CHECK(o.recs[1].alert_m == 500.0);
  CHECK(o.recs[1].warning_m == 1000.0);
  CHECK(o.recs[2].alert_m == 1500.0);
  CHECK(o.recs[2].warning_m == 1500.0);  // a default warning tier never inside the alert tier
  CHECK(o.recs[2].line == 4);
  const auto d = links_from("victim_id,subject_id\nV1,S1\n");
  REQUIRE(d.recs.size() == 1);
  CHECK(d.recs[0].subject_id == "S1");
  CHECK(d.recs[0].victim_id == "V1");
  CHECK(d.recs[0].alert_m == 500.0);

  const std::string header = "subject_id,victim_id,alert_m,warning_m\n";
  struct row {
    std::string text;
    errc code;
  };
  const row rows[] = {
      {",V9,100,200", errc::bad_id},
      {"S9,,100,200", errc::bad_id},
      {"S9,S9,100,200", errc::bad_id},
      {"S9,V9,abc,200", errc::bad_number},
      {"S9,V9,100,2x", errc::bad_number},
      {"S9,V9,0,200", errc::bad_distance},
      {"S9,V9,-5,200", errc::bad_distance},
      {"S9,V9,nan,200", errc::bad_distance},
      {"S9,V9,100,inf", errc::bad_distance},
      {"S9,V9,100,200000", errc::bad_distance},
      {"S9,V9,300,200", errc::bad_distance},
      {"A,B,100,200", errc::duplicate_record},
      {"S9,V9,100", errc::field_count},
  };
  for (const auto& r : rows) {
    CAPTURE(r.text);
    check_one_bad(links_from(header + "A,B,100,200\n" + r.text + "\nC,D,100,200\n"), r.code, "l.csv");
  }
}

// ===========================================================================
// Crimes, our format

TEST_CASE("crimes (ours): fields, optional columns and every reason code", "[readers][crimes]") {
  const auto o = crimes_from(
      "crime_id,lat,lon,from,to,type,radius_m\n"
      "C1,51.5,-0.1,2026-03-01T22:00:00Z,2026-03-02T06:00:00Z,\"Burglary, dwelling\",150\n"
      "C2,51.6,-0.2,2026-03-01T22:00:00Z,2026-03-01T22:00:00Z,,\n");
  REQUIRE(o.r->ok());
  CHECK((*o.r)->format == crime_format::warden);
  REQUIRE(o.recs.size() == 2);
  CHECK(o.recs[0].crime_id == "C1");
  CHECK(o.recs[0].pos.lat_deg() == 51.5);
  CHECK(o.recs[0].from == t_("2026-03-01T22:00:00Z"));
  CHECK(o.recs[0].to == t_("2026-03-02T06:00:00Z"));
  CHECK(o.recs[0].type == "Burglary, dwelling");
  REQUIRE(o.recs[0].radius_m.has_value());
  CHECK(*o.recs[0].radius_m == 150.0);
  CHECK(o.recs[0].line == 2);
  CHECK_FALSE(o.recs[1].radius_m.has_value());
  CHECK(o.recs[1].type.empty());
  // Optional columns may be absent altogether.
  const auto m = crimes_from("to,from,lon,lat,crime_id\n2026-03-02T06:00:00Z,2026-03-01T22:00:00Z,-0.1,51.5,C1\n");
  REQUIRE(m.recs.size() == 1);
  CHECK(m.recs[0].crime_id == "C1");
  CHECK_FALSE(m.recs[0].radius_m.has_value());

  const std::string header = "crime_id,lat,lon,from,to,type,radius_m\n";
  const std::string W = "2026-03-01T22:00:00Z,2026-03-02T06:00:00Z";
  struct row {
    std::string text;
    errc code;
  };
  const row rows[] = {
      {",51.5,-0.1," + W + ",,", errc::bad_id},
      {"C9,,-0.1," + W + ",,", errc::missing_field},
      {"C9,x,-0.1," + W + ",,", errc::bad_number},
      {"C9,nan,-0.1," + W + ",,", errc::not_finite},
      {"C9,99,-0.1," + W + ",,", errc::lat_out_of_range},
      {"C9,51.5,200," + W + ",,", errc::lon_out_of_range},
      {"C9,51.5,-0.1,2026-03-01,2026-03-02T06:00:00Z,,", errc::bad_time},
      {"C9,51.5,-0.1,2026-03-01T22:00:00Z,,,", errc::missing_field},
      {"C9,51.5,-0.1,2026-03-02T06:00:00Z,2026-03-01T22:00:00Z,,", errc::bad_window},
      {"C9,51.5,-0.1," + W + ",,0", errc::bad_radius},
      {"C9,51.5,-0.1," + W + ",,-10", errc::bad_radius},
      {"C9,51.5,-0.1," + W + ",,inf", errc::bad_radius},
      {"C9,51.5,-0.1," + W + ",,1e6", errc::bad_radius},
      {"C9,51.5,-0.1," + W + ",,wide", errc::bad_number},
      {"C1,51.5,-0.1," + W + ",,", errc::duplicate_id},
      {"C9,51.5,-0.1," + W, errc::field_count},
  };
  for (const auto& r : rows) {
    CAPTURE(r.text);
    check_one_bad(crimes_from(header + "C1,51.5,-0.1," + W + ",,\n" + r.text + "\nC2,51.5,-0.1," + W + ",,\n"),
                  r.code, "c.csv");
  }
}

// ===========================================================================
// Crimes, police.uk

namespace {
const std::string police_header =
    "Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,LSOA name,Crime type,"
    "Last outcome category,Context\n";
}

TEST_CASE("crimes (police.uk): detection, whole-month windows and unusable rows", "[readers][crimes][police]") {
  const auto o = crimes_from(police_header +
                             "abc1,2018-01,Essex Police,Essex Police,0.738080,52.042187,On or near Banham Drive,"
                             "E01029913,Babergh 007B,Burglary,Under investigation,\n"
                             ",2018-01,Essex Police,Essex Police,0.439197,51.642719,On or near Potash Road,"
                             "E01021237,Basildon 001A,Anti-social behaviour,,\n"
                             "abc2,2018-12,Essex Police,Essex Police,,,No Location,,,Public order,Unable to prosecute,\n"
                             "abc3,2018-12,Essex Police,Essex Police,0.1,51.5,\"On or near Main Road, Chelmsford\","
                             "E01000001,X 001A,Vehicle crime,,\n");
  REQUIRE(o.r->ok());
  CHECK((*o.r)->format == crime_format::police_uk);
  CHECK((*o.r)->records_ok == 2);
  CHECK((*o.r)->records_bad == 2);
  CHECK(o.diag.count(errc::bad_id) == 1);
  CHECK(o.diag.count(errc::missing_field) == 1);
  CHECK(o.diag.kept()[0].line == 3);
  CHECK(o.diag.kept()[1].line == 4);
  CHECK(o.diag.kept()[1].message.find("no coordinates") != std::string::npos);
  REQUIRE(o.recs.size() == 2);
  const auto& a = o.recs[0];
  CHECK(a.crime_id == "abc1");
  CHECK(a.pos.lat_deg() == 52.042187);  // Latitude, not the first coordinate column
  CHECK(a.pos.lon_deg() == 0.738080);
  CHECK(a.from == t_("2018-01-01T00:00:00Z"));
  CHECK(a.to == t_("2018-02-01T00:00:00Z"));
  CHECK(a.type == "Burglary");
  CHECK(a.location == "On or near Banham Drive");
  CHECK(a.lsoa_code == "E01029913");
  CHECK_FALSE(a.radius_m.has_value());
  CHECK(a.line == 2);
  const auto& b = o.recs[1];
  CHECK(b.from == t_("2018-12-01T00:00:00Z"));
  CHECK(b.to == t_("2019-01-01T00:00:00Z"));  // across the year end
  CHECK(b.location == "On or near Main Road, Chelmsford");
  CHECK(b.line == 5);

  SECTION("window overrides") {
    read_options opt;
    opt.window_from = t_("2018-01-10T00:00:00Z");
    const auto w = crimes_from(police_header + "id1,2018-01,,,0.1,51.5,,,,,,\n", opt);
    REQUIRE(w.recs.size() == 1);
    CHECK(w.recs[0].from == t_("2018-01-10T00:00:00Z"));
    CHECK(w.recs[0].to == t_("2018-02-01T00:00:00Z"));
    opt.window_to = t_("2018-01-11T00:00:00Z");
    const auto v = crimes_from(police_header + "id1,2018-01,,,0.1,51.5,,,,,,\n", opt);
    REQUIRE(v.recs.size() == 1);
    CHECK(v.recs[0].to == t_("2018-01-11T00:00:00Z"));
    // A window that ends before this month's start (only from given).
    read_options late;
    late.window_from = t_("2018-03-01T00:00:00Z");
    const auto x = crimes_from(police_header + "id1,2018-01,,,0.1,51.5,,,,,,\n", late);
    CHECK(x.recs.empty());
    CHECK(x.diag.count(errc::bad_window) == 1);
    // Inconsistent options are refused before reading.
    read_options inverted;
    inverted.window_from = t_("2018-03-01T00:00:00Z");
    inverted.window_to = t_("2018-02-01T00:00:00Z");
    const auto y = crimes_from(police_header + "id1,2018-01,,,0.1,51.5,,,,,,\n", inverted);
    REQUIRE_FALSE(y.r->ok());
    CHECK(y.r->code() == errc::bad_window);
  }

  SECTION("reason codes") {
    const std::string good = "g1,2018-01,,,0.1,51.5,,,,,,\n";
    const std::string good2 = "g2,2018-01,,,0.1,51.5,,,,,,\n";
    struct row {
      std::string text;
      errc code;
    };
    const row rows[] = {
        {",2018-01,,,0.1,51.5,,,,Anti-social behaviour,,", errc::bad_id},
        {"x9,,,,0.1,51.5,,,,,,", errc::missing_field},
        {"x9,2018-13,,,0.1,51.5,,,,,,", errc::bad_time},
        {"x9,Jan 2018,,,0.1,51.5,,,,,,", errc::bad_time},
        {"x9,1969-12,,,0.1,51.5,,,,,,", errc::time_out_of_range},
        {"x9,2018-01,,,,51.5,,,,,,", errc::missing_field},
        {"x9,2018-01,,,0.1,,,,,,,", errc::missing_field},
        {"x9,2018-01,,,0.1,95,,,,,,", errc::lat_out_of_range},
        {"x9,2018-01,,,east,51.5,,,,,,", errc::bad_number},
        {"g1,2018-01,,,0.1,51.5,,,,,,", errc::duplicate_id},
        {"x9,2018-01,,,0.1,51.5,,,,,", errc::field_count},
    };
    for (const auto& r : rows) {
      CAPTURE(r.text);
      check_one_bad(crimes_from(police_header + good + r.text + "\n" + good2), r.code, "c.csv");
    }
  }

  SECTION("a police header missing a used column") {
    const auto m = crimes_from("Crime ID,Month,Longitude\n");
    REQUIRE_FALSE(m.r->ok());
    CHECK(m.r->code() == errc::missing_column);
    CHECK(m.r->err().message.find("Latitude") != std::string::npos);
  }
}

TEST_CASE("crimes (police.uk): the three real Essex files load with exact counts", "[readers][crimes][police][data]") {
  // Expected numbers come from an independent, simple reading of each file:
  // split every line on commas (the test first checks there are no quotes,
  // so plain splitting is exact), then classify as the contract says.
  std::uint64_t total = 0, no_id = 0, no_coords = 0, asb_no_id = 0;
  for (const char* month : {"2018-01", "2018-02", "2018-03"}) {
    const std::string path = police_dir + month + "-essex-street.csv";
    CAPTURE(path);
    std::ifstream in(path, std::ios::binary);
    REQUIRE(in.good());
    std::string line;
    std::uint64_t n = 0, lineno = 0, f_total = 0, f_no_id = 0, f_no_coords = 0;
    std::vector<std::uint64_t> no_id_lines, no_coord_lines;
    while (std::getline(in, line)) {
      ++lineno;
      if (!line.empty() && line.back() == '\r') line.pop_back();
      REQUIRE(line.find('"') == std::string::npos);
      if (line.empty()) continue;
      if (n++ == 0) {
        REQUIRE(line.rfind("Crime ID,Month,Reported by,Falls within,Longitude,Latitude,", 0) == 0);
        continue;
      }
      std::vector<std::string> f;
      std::size_t start = 0;
      for (;;) {
        const auto c = line.find(',', start);
        f.push_back(line.substr(start, c == std::string::npos ? std::string::npos : c - start));
        if (c == std::string::npos) break;
        start = c + 1;
      }
      REQUIRE(f.size() == 12);
      ++f_total;
      if (f[0].empty()) {
        ++f_no_id;
        no_id_lines.push_back(lineno);
        if (f[9] == "Anti-social behaviour") ++asb_no_id;
      } else if (f[4].empty() || f[5].empty()) {
        ++f_no_coords;
        no_coord_lines.push_back(lineno);
      }
    }

    diagnostics diag;
    std::uint64_t in_month = 0;
    const instant from = t_((std::string(month) + "-01T00:00:00Z").c_str());
    const auto r = read_crimes(path, diag, [&](const crime& c) {
      if (c.from == from && c.to > from && c.to - from >= std::chrono::hours(24 * 28) &&
          c.to - from <= std::chrono::hours(24 * 31) && !c.crime_id.empty() && !c.type.empty())
        ++in_month;
    });
    REQUIRE(r.ok());
    CHECK(r->format == crime_format::police_uk);
    CHECK(r->records_ok + r->records_bad == f_total);
    CHECK(r->records_ok == f_total - f_no_id - f_no_coords);
    CHECK(r->records_bad == f_no_id + f_no_coords);
    CHECK(in_month == r->records_ok);
    CHECK(diag.count(errc::bad_id) == f_no_id);
    CHECK(diag.count(errc::missing_field) == f_no_coords);
    CHECK(diag.total() == f_no_id + f_no_coords);
    std::vector<std::uint64_t> got_id_lines, got_coord_lines;
    for (const auto& d : diag.kept()) (d.code == errc::bad_id ? got_id_lines : got_coord_lines).push_back(d.line);
    CHECK(got_id_lines == no_id_lines);
    CHECK(got_coord_lines == no_coord_lines);
    total += f_total;
    no_id += f_no_id;
    no_coords += f_no_coords;
  }
  // Hard facts from ../shared/data/README.md.
  CHECK(total == 44552);
  CHECK(no_coords == 19);
  CHECK(no_id == 10536);
  CHECK(asb_no_id == 10536);
}

// ===========================================================================
// Writers

TEST_CASE("writers: exact bytes in FORMATS.md column order", "[readers][write]") {
  const auto pos = lat_lon::from_degrees(51.5074, -0.1278);
  REQUIRE(pos.ok());
  const std::string id = "S,1";
  fix f;
  f.subject_id = id;
  f.time = t_("2026-03-29T00:59:30Z");
  f.pos = *pos;
  f.accuracy_m = 12.25f;
  f.source = fix_source::lbs;
  f.received = t_("2026-03-29T01:00:00.250Z");
  std::string out;
  append_csv_row(out, f);
  CHECK(out == "\"S,1\",2026-03-29T00:59:30Z,51.5074000,-0.1278000,12.2,lbs,2026-03-29T01:00:00.250Z\n");

  out.clear();
  append_csv_row(out, device_event{"T1", t_("2026-03-29T00:59:30Z"), device_event_type::rf_out_of_range, 0});
  CHECK(out == "T1,2026-03-29T00:59:30Z,rf_out_of_range\n");

  out.clear();
  victim_link l;
  l.subject_id = "S1";
  l.victim_id = "V \"one\"";
  l.alert_m = 250;
  l.warning_m = 1000.06;
  append_csv_row(out, l);
  CHECK(out == "S1,\"V \"\"one\"\"\",250.0,1000.1\n");

  out.clear();
  crime c;
  c.crime_id = "C1";
  c.pos = *pos;
  c.from = t_("2026-03-01T22:00:00Z");
  c.to = t_("2026-03-02T06:00:00Z");
  c.type = "Burglary";
  append_csv_row(out, c);
  c.radius_m = 150;
  c.type = "Theft, other";
  append_csv_row(out, c);
  CHECK(out ==
        "C1,51.5074000,-0.1278000,2026-03-01T22:00:00Z,2026-03-02T06:00:00Z,Burglary,\n"
        "C1,51.5074000,-0.1278000,2026-03-01T22:00:00Z,2026-03-02T06:00:00Z,\"Theft, other\",150.0\n");

  struct dec {
    double v;
    int decimals;
    const char* text;
  };
  const dec decs[] = {{51.5, 7, "51.5000000"},  {-0.00000001, 7, "0.0000000"}, {-0.0, 1, "0.0"},
                      {-0.04, 1, "0.0"},        {-0.06, 1, "-0.1"},           {1234.567, 2, "1234.57"},
                      {1e20, 1, "100000000000000000000.0"}, {0.1, 0, "0"},   {-180.0, 7, "-180.0000000"}};
  for (const auto& d : decs) {
    CAPTURE(d.v, d.decimals);
    std::string s;
    append_decimal(s, d.v, d.decimals);
    CHECK(s == d.text);
  }
  struct fld {
    const char* in;
    const char* out;
  };
  const fld flds[] = {{"plain", "plain"}, {"", ""}, {"a,b", "\"a,b\""}, {"q\"", "\"q\"\"\""},
                      {"l\nb", "\"l\nb\""}, {" lead", "\" lead\""}, {"in side", "in side"}};
  for (const auto& x : flds) {
    std::string s;
    append_csv_field(s, x.in);
    CHECK(s == x.out);
  }
}

TEST_CASE("writers: written fixes, events, links and crimes read back (seeded)", "[readers][write]") {
  const std::uint32_t seed = 7;
  CAPTURE(seed);
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> ulat(-90, 90), ulon(-180, 180), uacc(0.1, 5000);
  const std::string id_chars = "abcXYZ019_-,\" ";
  std::vector<stored_fix> written;
  std::string text(fix_csv_header);
  text += '\n';
  for (int i = 0; i < 2000; ++i) {
    stored_fix s;
    const std::size_t len = 1 + rng() % 8;
    for (std::size_t k = 0; k < len; ++k) s.subject_id += id_chars[rng() % id_chars.size()];
    s.subject_id = std::string(detail::trim(s.subject_id));
    if (s.subject_id.empty()) s.subject_id = "x";
    s.time = from_epoch_ms(static_cast<std::int64_t>(rng() % (7258118400000ULL - 100000)));
    s.pos = *lat_lon::from_degrees(ulat(rng), ulon(rng));
    s.accuracy_m = static_cast<float>(uacc(rng));
    s.source = static_cast<fix_source>(rng() % 3);
    s.received = s.time + milliseconds(static_cast<std::int64_t>(rng() % 100000));
    append_csv_row(text, s.view());
    written.push_back(s);
  }
  std::istringstream in(text);
  diagnostics d;
  const auto back = load_fixes(in, "w.csv", d);
  REQUIRE(back.ok());
  CHECK(d.empty());
  REQUIRE(back->records.size() == written.size());
  for (std::size_t i = 0; i < written.size(); ++i) {
    const auto& a = written[i];
    const auto& b = back->records[i];
    CAPTURE(i, a.subject_id);
    CHECK(a.subject_id == b.subject_id);
    CHECK(a.time == b.time);
    CHECK(a.received == b.received);
    CHECK(std::abs(a.pos.lat_deg() - b.pos.lat_deg()) <= 0.5e-7 + 1e-12);
    CHECK(std::abs(a.pos.lon_deg() - b.pos.lon_deg()) <= 0.5e-7 + 1e-12);
    CHECK(std::abs(a.accuracy_m - b.accuracy_m) <= 0.05f + 1e-3f);
    CHECK(a.source == b.source);
  }

  std::string ev(device_event_csv_header);
  ev += '\n';
  for (int i = 0; i < device_event_type_count; ++i)
    append_csv_row(ev, device_event{"T", from_epoch_ms(i), static_cast<device_event_type>(i), 0});
  std::istringstream ein(ev);
  const auto eb = load_device_events(ein, "e", d);
  REQUIRE(eb.ok());
  REQUIRE(eb->records.size() == static_cast<std::size_t>(device_event_type_count));
  for (int i = 0; i < device_event_type_count; ++i) CHECK(eb->records[i].type == static_cast<device_event_type>(i));

  std::string cr(crime_csv_header);
  cr += '\n';
  crime c;
  c.crime_id = "C,1";
  c.pos = *lat_lon::from_degrees(51.25, 0.5);
  c.from = from_epoch_ms(1000);
  c.to = from_epoch_ms(2000);
  c.type = "say \"x\"";
  c.radius_m = 75.5;
  append_csv_row(cr, c);
  std::istringstream cin_(cr);
  const auto cb = load_crimes(cin_, "c", d);
  REQUIRE(cb.ok());
  REQUIRE(cb->records.size() == 1);
  CHECK(cb->records[0].crime_id == c.crime_id);
  CHECK(cb->records[0].type == c.type);
  CHECK(cb->records[0].radius_m == c.radius_m);
  CHECK(cb->records[0].pos == c.pos);

  std::string lk(victim_link_csv_header);
  lk += '\n';
  victim_link vl;
  vl.subject_id = "S";
  vl.victim_id = "V";
  vl.alert_m = 123.4;
  vl.warning_m = 567.8;
  append_csv_row(lk, vl);
  std::istringstream lin(lk);
  const auto lb = load_victim_links(lin, "l", d);
  REQUIRE(lb.ok());
  REQUIRE(lb->records.size() == 1);
  CHECK(lb->records[0].alert_m == 123.4);
  CHECK(lb->records[0].warning_m == 567.8);
  CHECK(d.empty());
}

TEST_CASE("fixes: times read through the date-hour cache equal parse_instant, good and bad (seeded)", "[readers][fixes]") {
  // Rows whose times share date-hours with the previous row (the cached
  // path), change hour, day and year, or spoil the tail after a cached
  // prefix (minute 60, second 60, a letter, a wrong length, an offset, a
  // lower-case z): every row must come out exactly as parse_instant says.
  const std::uint32_t seed = 777;
  CAPTURE(seed);
  std::mt19937_64 rng(seed);
  std::string csv = "subject_id,time,lat,lon,received_time\n";
  struct expect {
    bool ok;
    std::int64_t time_ms, recv_ms;
    errc code;
  };
  std::vector<expect> want;
  std::int64_t ms = 1772323200000;  // 2026-03-01
  auto two = [](unsigned v) { return std::string{static_cast<char>('0' + v / 10), static_cast<char>('0' + v % 10)}; };
  auto spoil = [&](std::string s) {
    switch (rng() % 10) {
      case 0: s.replace(14, 2, "60"); break;
      case 1: s.replace(17, 2, "60"); break;
      case 2: s[15] = 'x'; break;
      case 3: s[18] = ':'; break;
      case 4: s.insert(19, "1"); break;
      case 5: s.back() = 'z'; break;
      case 6: s.pop_back(), s += "+00:00"; break;
      case 7: s[13] = '-'; break;
      case 8: s.replace(14, 2, two(static_cast<unsigned>(rng() % 100))); break;
      default: s[16] = '.'; break;
    }
    return s;
  };
  for (int i = 0; i < 8000; ++i) {  // bad rows stay under the diagnostics' keep limit
    switch (rng() % 20) {
      case 0: ms += 3600000LL * static_cast<std::int64_t>(rng() % 48); break;         // new hour / day
      case 1: ms += 86400000LL * 365 * static_cast<std::int64_t>(rng() % 3); break;   // new year
      default: ms += static_cast<std::int64_t>(rng() % 7000); break;                  // same hour, mostly
    }
    if (ms > 7250000000000LL) ms = 1772323200000;  // stay inside 1970..2199 (received is up to 2 min later)
    std::string t = format_instant(from_epoch_ms(ms));
    if (t.size() == 20 && rng() % 2) t.insert(19, ".000");  // both lengths, same instant
    std::string r = format_instant(from_epoch_ms(ms + static_cast<std::int64_t>(rng() % 120000)));
    if (rng() % 8 == 0) t = spoil(t);
    if (rng() % 8 == 0) r = spoil(r);
    csv += "S1," + t + ",51.5,0.5," + r + "\n";
    const auto pt = parse_instant(t), pr = parse_instant(r);
    if (pt.ok() && pr.ok())
      want.push_back({true, to_epoch_ms(*pt), to_epoch_ms(*pr), errc::ok});
    else
      want.push_back({false, 0, 0, pt.ok() ? pr.code() : pt.code()});
  }
  const auto o = fixes_from(csv);
  REQUIRE(o.r->ok());
  std::size_t good = 0, bad = 0;
  for (std::size_t i = 0; i < want.size(); ++i) {
    CAPTURE(i);
    if (want[i].ok) {
      REQUIRE(good < o.recs.size());
      const auto& f = o.recs[good++];
      REQUIRE(f.line == i + 2);
      REQUIRE(to_epoch_ms(f.time) == want[i].time_ms);
      REQUIRE(to_epoch_ms(f.received) == want[i].recv_ms);
    } else {
      REQUIRE(bad < o.diag.kept().size());
      const auto& d = o.diag.kept()[bad++];
      REQUIRE(d.line == i + 2);
      REQUIRE(d.code == want[i].code);
    }
  }
  CHECK(good == o.recs.size());
  CHECK(bad == o.diag.kept().size());
  CHECK(good > 5000);
  CHECK(bad > 1000);
}
