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
