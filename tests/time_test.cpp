#include <warden/time.hpp>

#include <catch2/catch.hpp>

using namespace warden;

TEST_CASE("parse_instant accepts Z, offsets and epoch milliseconds", "[time]") {
  struct row {
    const char* text;
    std::int64_t epoch_ms;
  };
  const row rows[] = {
      {"2026-03-29T00:59:30Z", 1774745970000},
      {"2026-03-29T01:59:30+01:00", 1774745970000},
      {"2026-03-29T01:59:30+0100", 1774745970000},
      {"2026-03-29T01:59:30+01", 1774745970000},
      {"2026-03-28T19:59:30-05:00", 1774745970000},
      {"2026-03-29 00:59:30Z", 1774745970000},
      {"2026-03-29T00:59Z", 1774745940000},
      {"2026-03-29T00:59:30.250Z", 1774745970250},
      {"2026-03-29T00:59:30.2509999Z", 1774745970250},
      {"1774745970000", 1774745970000},
      {"1970-01-01T00:00:00Z", 0},
      {"2024-02-29T12:00:00Z", 1709208000000},
      {"2199-12-31T23:59:59.999Z", 7258118399999},
  };
  for (const auto& r : rows) {
    INFO(r.text);
    auto t = parse_instant(r.text);
    REQUIRE(t.ok());
    CHECK(to_epoch_ms(*t) == r.epoch_ms);
  }
}

TEST_CASE("parse_instant rejects malformed and out-of-range times with a reason", "[time]") {
  struct row {
    const char* text;
    errc code;
  };
  const row rows[] = {
      {"", errc::bad_time},
      {"2026-03-29T00:59:30", errc::bad_time},  // no zone: ambiguous
      {"2026-13-01T00:00:00Z", errc::bad_time},
      {"2026-02-29T00:00:00Z", errc::bad_time},  // not a leap year
      {"2026-03-29T24:00:00Z", errc::bad_time},
      {"2026-03-29T23:60:00Z", errc::bad_time},
      {"2026-03-29T23:59:60Z", errc::bad_time},
      {"2026-03-29T00:59:30+19:00", errc::bad_time},
      {"2026-03-29T00:59:30Zjunk", errc::bad_time},
      {"29/03/2026 00:59", errc::bad_time},
      {"12ab", errc::bad_time},
      {"1969-12-31T23:59:59Z", errc::time_out_of_range},
      {"2200-01-01T00:00:00Z", errc::time_out_of_range},
      {"-5", errc::bad_time},
      {"99999999999999999999999", errc::time_out_of_range},
  };
  for (const auto& r : rows) {
    INFO(r.text);
    auto t = parse_instant(r.text);
    REQUIRE_FALSE(t.ok());
    CHECK(t.code() == r.code);
    CHECK_FALSE(t.err().message.empty());
  }
}

TEST_CASE("format_instant is the inverse of parse_instant", "[time]") {
  CHECK(format_instant(from_epoch_ms(1774745970000)) == "2026-03-29T00:59:30Z");
  CHECK(format_instant(from_epoch_ms(1774745970250)) == "2026-03-29T00:59:30.250Z");
  CHECK(format_instant(from_epoch_ms(0)) == "1970-01-01T00:00:00Z");
  // Every day boundary of 1970..2199 plus an odd millisecond round-trips.
  for (std::int64_t d = 0; d < 83000; d += 7) {
    const instant t = from_epoch_ms(d * 86400000 + 3723004);
    auto back = parse_instant(format_instant(t));
    REQUIRE(back.ok());
    REQUIRE(*back == t);
  }
}

// ---------------------------------------------------------------------------
// The fast path (detail::parse_instant_fast) against the general parser and
// against Howard Hinnant's date library as an independent calendar.

#include <date/date.h>

#include <cstdint>
#include <random>
#include <string>

namespace {

std::string two(unsigned v) { return {static_cast<char>('0' + v / 10 % 10), static_cast<char>('0' + v % 10)}; }

// `YYYY-MM-DDTHH:MM:SS[.mmm]Z` written by hand (not by format_instant, which
// drops a zero fraction) so that both lengths are exercised on every day.
std::string fast_form(int y, unsigned mo, unsigned d, unsigned hh, unsigned mi, unsigned ss, int frac_ms) {
  std::string s = std::to_string(y / 1000) + std::to_string(y / 100 % 10) + std::to_string(y / 10 % 10) +
                  std::to_string(y % 10) + "-" + two(mo) + "-" + two(d) + "T" + two(hh) + ":" + two(mi) + ":" +
                  two(ss);
  if (frac_ms >= 0) s += "." + std::to_string(frac_ms / 100) + two(static_cast<unsigned>(frac_ms % 100));
  return s + "Z";
}

// Same outcome, value, code and message.
void require_same(const result<instant>& a, const result<instant>& b) {
  REQUIRE(a.ok() == b.ok());
  if (a.ok()) {
    REQUIRE(to_epoch_ms(*a) == to_epoch_ms(*b));
  } else {
    REQUIRE(a.code() == b.code());
    REQUIRE(a.err().message == b.err().message);
  }
}

}  // namespace

TEST_CASE("parse_instant fast path: every day 1970..2199 agrees with the general parser and date", "[time]") {
  const std::uint64_t seed = 20261122;
  CAPTURE(seed);
  std::mt19937_64 rng(seed);
  const date::sys_days first{date::year_month_day{date::year{1970}, date::month{1}, date::day{1}}};
  const date::sys_days end{date::year_month_day{date::year{2200}, date::month{1}, date::day{1}}};
  std::int64_t accepted = 0;
  for (date::sys_days day = first; day < end; day += date::days{1}) {
    const date::year_month_day ymd{day};
    const auto tod = static_cast<std::int64_t>(rng() % 86400);
    const int frac = static_cast<int>(rng() % 1000);
    // date::days counts in int: widen before multiplying.
    const std::int64_t ref_s = static_cast<std::int64_t>(day.time_since_epoch().count()) * 86400 + tod;
    for (const int f : {-1, frac}) {
      const std::string s = fast_form(static_cast<int>(ymd.year()), static_cast<unsigned>(ymd.month()),
                                      static_cast<unsigned>(ymd.day()), static_cast<unsigned>(tod / 3600),
                                      static_cast<unsigned>(tod / 60 % 60), static_cast<unsigned>(tod % 60), f);
      CAPTURE(s);
      instant t{};
      REQUIRE(detail::parse_instant_fast(s, t));
      ++accepted;
      REQUIRE(to_epoch_ms(t) == ref_s * 1000 + (f < 0 ? 0 : f));
      const auto g = detail::parse_instant_general(s);
      REQUIRE(g.ok());
      REQUIRE(*g == t);
    }
  }
  CHECK(accepted == 2 * 84006);  // 230 years, 56 leap days
}

TEST_CASE("parse_instant fast path: edges accepted or routed to the general parser", "[time]") {
  struct row {
    const char* text;
    bool fast;  // expected to be taken by the fast path
  };
  const row rows[] = {
      {"1970-01-01T00:00:00Z", true},       {"1970-01-01T00:00:00.000Z", true},
      {"2199-12-31T23:59:59.999Z", true},   {"2199-12-31T23:59:59Z", true},
      {"2000-02-29T12:00:00Z", true},       {"2024-02-29T23:59:59.001Z", true},
      {"2096-02-29T00:00:00Z", true},       {"2026-12-31T23:59:59Z", true},
      // invalid: the general parser reports them
      {"1969-12-31T23:59:59Z", false},      {"2200-01-01T00:00:00Z", false},
      {"2100-02-29T00:00:00Z", false},      {"2026-02-29T00:00:00Z", false},
      {"2026-04-31T00:00:00Z", false},      {"2026-00-10T00:00:00Z", false},
      {"2026-13-10T00:00:00Z", false},      {"2026-01-00T00:00:00Z", false},
      {"2026-01-32T00:00:00Z", false},      {"2026-01-10T24:00:00Z", false},
      {"2026-01-10T23:60:00Z", false},      {"2026-01-10T23:59:60Z", false},
      {"2026-01-1aT00:00:00Z", false},      {"2026-01-10T00:00:00.12aZ", false},
      {"2026-01-10T00:00:00.12Z", false},   {"2026-01-10T00:00:00,123Z", false},
      {"0000-01-01T00:00:00Z", false},      {"9999-12-31T23:59:59Z", false},
      // valid, other spellings: the general parser takes them
      {"2026-03-29T01:59:30+01:00", false}, {"2026-03-29T00:59:30-00:00", false},
      {"2026-03-29T00:59:30z", false},      {"2026-03-29t00:59:30Z", false},
      {"2026-03-29 00:59:30Z", false},      {" 2026-03-29T00:59:30Z", false},
      {"2026-03-29T00:59:30Z ", false},     {"2026-03-29T00:59:30.5Z", false},
      {"2026-03-29T00:59:30.123456Z", false}, {"2026-03-29T00:59Z", false},
      {"1774745970000", false},
  };
  for (const auto& r : rows) {
    INFO(r.text);
    instant t{};
    CHECK(detail::parse_instant_fast(r.text, t) == r.fast);
    const auto g = detail::parse_instant_general(r.text);
    if (r.fast) {
      REQUIRE(g.ok());
      CHECK(*g == t);
    }
    require_same(parse_instant(r.text), g);
  }
}

TEST_CASE("parse_instant fast path: random mutations never change an outcome", "[time]") {
  const std::uint64_t seed = 4242;
  CAPTURE(seed);
  std::mt19937_64 rng(seed);
  const std::string alphabet = "0123456789012345678901234567890123456789-:TtZz.,+ \t\r";
  std::int64_t fast_taken = 0, fast_declined = 0;
  for (int i = 0; i < 300000; ++i) {
    // A random valid time in (and slightly beyond) the supported range...
    const auto ms = static_cast<std::int64_t>(rng() % 7400000000000ULL) - 50000000000LL;
    std::int64_t days = ms / 86400000, rem = ms % 86400000;
    if (rem < 0) rem += 86400000, --days;
    const date::year_month_day ymd{date::sys_days{date::days{days}}};
    std::string s = fast_form(static_cast<int>(ymd.year()), static_cast<unsigned>(ymd.month()),
                              static_cast<unsigned>(ymd.day()), static_cast<unsigned>(rem / 3600000),
                              static_cast<unsigned>(rem / 60000 % 60), static_cast<unsigned>(rem / 1000 % 60),
                              rng() % 2 ? -1 : static_cast<int>(rem % 1000));
    // ...with 0-3 random edits: replace, insert or delete a character.
    const int edits = static_cast<int>(rng() % 4);
    for (int k = 0; k < edits && !s.empty(); ++k) {
      const std::size_t at = rng() % s.size();
      const char c = alphabet[rng() % alphabet.size()];
      switch (rng() % 3) {
        case 0: s[at] = c; break;
        case 1: s.insert(s.begin() + static_cast<std::ptrdiff_t>(at), c); break;
        default: s.erase(at, 1); break;
      }
    }
    CAPTURE(i, s);
    instant t{};
    const auto g = detail::parse_instant_general(s);
    if (detail::parse_instant_fast(s, t)) {
      ++fast_taken;
      REQUIRE(g.ok());
      REQUIRE(*g == t);
    } else {
      ++fast_declined;
    }
    require_same(parse_instant(s), g);
  }
  // Both branches were exercised substantially.
  CHECK(fast_taken > 50000);
  CHECK(fast_declined > 50000);
}
