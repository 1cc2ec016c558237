#include <warden/detail/json.hpp>
#include <warden/alert.hpp>

#include <catch2/catch.hpp>

#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

using namespace warden;
namespace json = warden::detail::json;

namespace {

std::string canon(std::string_view text) {
  auto doc = json::parse(text);
  if (!doc) return "ERROR " + doc.err().message;
  return json::to_json(doc->root());
}

}  // namespace

TEST_CASE("json: valid texts parse to the expected values", "[json]") {
  struct row {
    const char* text;
    const char* compact;
  };
  const row rows[] = {
      {"null", "null"},
      {"true", "true"},
      {"false", "false"},
      {" \t\r\n 0 \n", "0"},
      {"-0", "-0"},
      {"123", "123"},
      {"-1.5e3", "-1500"},
      {"1E2", "100"},
      {"1e+2", "100"},
      {"2.5E-1", "0.25"},
      {"0.1", "0.1"},
      {"51.550801626736238", "51.55080162673624"},
      {"\"\"", "\"\""},
      {"\"abc\"", "\"abc\""},
      {"\"a\\\"b\\\\c\\/d\"", "\"a\\\"b\\\\c/d\""},
      {"\"\\b\\f\\n\\r\\t\"", "\"\\u0008\\u000c\\n\\r\\t\""},  // as the alert stream spells them
      {"\"\\u0041\\u00e9\\u20AC\"", "\"A\xC3\xA9\xE2\x82\xAC\""},
      {"\"\\ud83d\\ude00\"", "\"\xF0\x9F\x98\x80\""},
      {"\"\\u0000\"", "\"\\u0000\""},
      {"\"\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80\"", "\"\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80\""},
      {"[]", "[]"},
      {"[ ]", "[]"},
      {"{}", "{}"},
      {"[1,[2,[3]],{\"a\":[]}]", "[1,[2,[3]],{\"a\":[]}]"},
      {"{\"b\":1,\"a\":2,\"c\":{\"z\":null,\"y\":true}}", "{\"b\":1,\"a\":2,\"c\":{\"z\":null,\"y\":true}}"},
      {"\xEF\xBB\xBF{\"bom\":1}", "{\"bom\":1}"},
      {"1e400", "null"},  // overflow keeps the document; the value is infinite
      {"1e-400", "0"},
  };
  for (const auto& r : rows) {
    INFO(r.text);
    CHECK(canon(r.text) == r.compact);
  }
}

TEST_CASE("json: numbers are correctly rounded doubles; overflow is infinite", "[json]") {
  auto d = json::parse("[1e400, -1e400, 1e-400, -0.0, 0.1, 1.7976931348623157e308, 4.9e-324, 123456789012345678]");
  REQUIRE(d.ok());
  const auto a = d->root();
  CHECK(std::isinf(a[0].as_number()));
  CHECK(a[0].as_number() > 0);
  CHECK(std::isinf(a[1].as_number()));
  CHECK(a[1].as_number() < 0);
  CHECK(a[2].as_number() == 0.0);
  CHECK(std::signbit(a[3].as_number()));
  CHECK(a[4].as_number() == 0.1);
  CHECK(a[5].as_number() == 1.7976931348623157e308);
  CHECK(a[6].as_number() == 4.9e-324);
  CHECK(a[7].as_number() == 123456789012345678.0);
  // Overflow decided by the leading digit's exponent, not the digit count.
  auto e = json::parse("[0.00000000000000000001e320, 100000000000000000000e-340, 0.0e999999999]");
  REQUIRE(e.ok());
  CHECK(e->root()[0].as_number() == 1e300);
  CHECK(e->root()[1].as_number() == 1e-320);
  CHECK(e->root()[2].as_number() == 0.0);
}

TEST_CASE("json: invalid texts are rejected with a code and the line", "[json]") {
  struct row {
    const char* text;
    errc code;
    std::uint32_t line;
  };
  const row rows[] = {
      {"", errc::json_syntax, 1},
      {"   \n  ", errc::json_syntax, 2},
      {"nul", errc::json_syntax, 1},
      {"True", errc::json_syntax, 1},
      {"[1,]", errc::json_syntax, 1},
      {"[1\n,\n]", errc::json_syntax, 3},
      {"{\"a\":1,}", errc::json_syntax, 1},
      {"{\"a\" 1}", errc::json_syntax, 1},
      {"{a:1}", errc::json_syntax, 1},
      {"{'a':1}", errc::json_syntax, 1},
      {"[1 2]", errc::json_syntax, 1},
      {"[1,\n2,\n3", errc::json_syntax, 3},
      {"{\"a\":1", errc::json_syntax, 1},
      {"01", errc::json_syntax, 1},
      {"-", errc::json_syntax, 1},
      {"+1", errc::json_syntax, 1},
      {".5", errc::json_syntax, 1},
      {"1.", errc::json_syntax, 1},
      {"1e", errc::json_syntax, 1},
      {"1e+", errc::json_syntax, 1},
      {"NaN", errc::json_syntax, 1},
      {"Infinity", errc::json_syntax, 1},
      {"-Infinity", errc::json_syntax, 1},
      {"0x10", errc::json_syntax, 1},
      {"\"abc", errc::json_syntax, 1},
      {"\"a\nb\"", errc::json_syntax, 1},
      {"\"tab\there\"", errc::json_syntax, 1},
      {"\"\\x\"", errc::json_syntax, 1},
      {"\"\\u12\"", errc::json_syntax, 1},
      {"\"\\u12G4\"", errc::json_syntax, 1},
      {"\"\\ud83d\"", errc::json_syntax, 1},
      {"\"\\ud83dx\"", errc::json_syntax, 1},
      {"\"\\ud83d\\u0041\"", errc::json_syntax, 1},
      {"\"\\ude00\"", errc::json_syntax, 1},
      {"\"\x80\"", errc::json_syntax, 1},
      {"\"\xC0\xAF\"", errc::json_syntax, 1},           // overlong
      {"\"\xE0\x80\xAF\"", errc::json_syntax, 1},       // overlong
      {"\"\xED\xA0\x80\"", errc::json_syntax, 1},       // encoded surrogate
      {"\"\xF4\x90\x80\x80\"", errc::json_syntax, 1},   // above U+10FFFF
      {"\"\xC3\"", errc::json_syntax, 1},               // truncated
      {"\"\xE2\x82\"", errc::json_syntax, 1},           // truncated
      {"[1] [2]", errc::json_syntax, 1},
      {"{}\n\nx", errc::json_syntax, 3},
      {"// comment\n1", errc::json_syntax, 1},
      {"[1,/*c*/2]", errc::json_syntax, 1},
      {"{\"a\":1,\n\"a\":2}", errc::json_syntax, 2},  // duplicate member name, on its line
      {"[\n\n\x01]", errc::json_syntax, 3},
  };
  for (const auto& r : rows) {
    INFO("text: " << r.text);
    json::location at;
    auto d = json::parse(r.text, {}, &at);
    REQUIRE_FALSE(d.ok());
    CHECK(d.code() == r.code);
    CHECK(at.line == r.line);
    CHECK_FALSE(d.err().message.empty());
  }
}

TEST_CASE("json: duplicate names are found in large objects too", "[json]") {
  std::string text = "{";
  for (int i = 0; i < 100; ++i) text += "\"k" + std::to_string(i) + "\":" + std::to_string(i) + ",\n";
  SECTION("unique") {
    text += "\"last\":0}";
    auto d = json::parse(text);
    REQUIRE(d.ok());
    CHECK(d->root().size() == 101);
    CHECK(d->root().find("k57")->as_number() == 57);
    CHECK(d->root().find("last")->line() == 101);
  }
  SECTION("duplicate") {
    text += "\"k42\":0}";
    json::location at;
    auto d = json::parse(text, {}, &at);
    REQUIRE_FALSE(d.ok());
    CHECK(d.code() == errc::json_syntax);
    CHECK(at.line == 101);
    CHECK(d.err().message.find("k42") != std::string::npos);
  }
}

TEST_CASE("json: every value remembers its 1-based line", "[json]") {
  const char* text =
      "{\n"                         // 1
      "  \"a\": 1,\n"               // 2
      "  \"b\": [\n"                // 3
      "    true,\n"                 // 4
      "\n"                          // 5
      "    \"s\", {\"x\":\r\n"      // 6 (CRLF counts once)
      "null}\n"                     // 7
      "  ],\n"                      // 8
      "  \"c\": \"\\n not a line\"\n"  // 9: an escaped newline is not a line break
      "  , \"d\": 2\n"              // 10
      "}";
  auto d = json::parse(text);
  REQUIRE(d.ok());
  const auto root = d->root();
  CHECK(root.line() == 1);
  CHECK(root.find("a")->line() == 2);
  const auto b = *root.find("b");
  CHECK(b.line() == 3);
  CHECK(b[0].line() == 4);
  CHECK(b[1].line() == 6);
  CHECK(b[2].line() == 6);
  CHECK(b[2].find("x")->line() == 7);
  CHECK(root.find("c")->line() == 9);
  CHECK(root.find("d")->line() == 10);
}

TEST_CASE("json: object member order is preserved and lookups work", "[json]") {
  auto d = json::parse(R"({"z":1,"a":"two","m":[3],"e":{}})");
  REQUIRE(d.ok());
  const auto o = d->root();
  REQUIRE(o.is_object());
  REQUIRE(o.size() == 4);
  CHECK(o.key_at(0) == "z");
  CHECK(o.key_at(1) == "a");
  CHECK(o.key_at(2) == "m");
  CHECK(o.key_at(3) == "e");
  CHECK(o.value_at(1).as_string() == "two");
  CHECK(o.find("m")->is_array());
  CHECK(o.find("m")->size() == 1);
  CHECK((*o.find("m"))[0].as_number() == 3);
  CHECK_FALSE(o.find("nope").has_value());
  // Wrong-type accessors are neutral, never undefined.
  CHECK(o.find("a")->as_number() == 0);
  CHECK(o.find("z")->as_string().empty());
  CHECK(o.find("z")->size() == 0);
  CHECK(o[0].kind() == json::type::null);
  CHECK(o.find("m")->operator[](5).kind() == json::type::null);
}

TEST_CASE("json: escapes decode to UTF-8 and embedded NULs are kept", "[json]") {
  auto d = json::parse(R"(["\u0000x", "\uD834\uDD1E", "\u00FF", "\u07FF\u0800\uFFFF"])");
  REQUIRE(d.ok());
  const auto a = d->root();
  CHECK(a[0].as_string() == std::string_view("\0x", 2));
  CHECK(a[1].as_string() == "\xF0\x9D\x84\x9E");  // U+1D11E
  CHECK(a[2].as_string() == "\xC3\xBF");
  CHECK(a[3].as_string() == "\xDF\xBF\xE0\xA0\x80\xEF\xBF\xBF");
}

namespace {

// The escaping FORMATS.md's alert stream has always used, written out
// independently: \" \\ \n \r \t, other control bytes as \u00XX (lower-case).
std::string reference_literal(std::string_view s) {
  std::string out = "\"";
  for (const char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (ch == '"' || ch == '\\') {
      out += '\\';
      out += ch;
    } else if (ch == '\n') {
      out += "\\n";
    } else if (ch == '\r') {
      out += "\\r";
    } else if (ch == '\t') {
      out += "\\t";
    } else if (c < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(c));
      out += buf;
    } else {
      out += ch;
    }
  }
  return out + "\"";
}

// `s` as a JSON string literal with every ASCII byte \u-escaped, so that the
// writer under test sees the string only through the parser.
std::string all_escaped_literal(std::string_view s) {
  std::string out = "\"";
  for (const char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (c < 0x80) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04X", static_cast<unsigned>(c));
      out += buf;
    } else {
      out += ch;
    }
  }
  return out + "\"";
}

}  // namespace

TEST_CASE("json: the alert stream and the JSON writer escape strings the same way", "[json][alert]") {
  std::vector<std::string> cases;
  std::string all;
  for (int c = 0; c < 0x20; ++c) cases.emplace_back(1, static_cast<char>(c));
  cases.emplace_back("\"");
  cases.emplace_back("\\");
  cases.emplace_back("/");
  cases.emplace_back("\x7f");
  cases.emplace_back("a\"b\\c\b\f\x01z");
  cases.emplace_back("\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80");  // UTF-8 is kept as it is
  cases.emplace_back("");
  for (const std::string& c : cases) all += c;
  cases.push_back(all);
  for (const std::string& s : cases) {
    std::string shown;
    for (const char ch : s) shown += std::to_string(static_cast<unsigned>(static_cast<unsigned char>(ch))) + " ";
    INFO("bytes: " << shown);
    const std::string expected = reference_literal(s);

    std::string from_alert;
    warden::append_json_string(from_alert, s);
    CHECK(from_alert == expected);

    // The writer, as a string value and as an object member name.
    auto d = json::parse("[" + all_escaped_literal(s) + ",{" + all_escaped_literal(s) + ":1}]");
    REQUIRE(d.ok());
    REQUIRE(d->root()[0].as_string() == s);
    CHECK(json::to_json(d->root()) == "[" + expected + ",{" + expected + ":1}]");
    std::string direct;
    json::write_string(direct, s);
    CHECK(direct == expected);

    // What is written parses back to the same bytes.
    auto back = json::parse(from_alert);
    REQUIRE(back.ok());
    CHECK(back->root().as_string() == s);
  }
}

TEST_CASE("json: the depth limit is exact", "[json]") {
  for (std::size_t limit : {1u, 2u, 10u, 64u}) {
    CAPTURE(limit);
    json::parse_options o;
    o.max_depth = limit;
    const std::string ok = std::string(limit, '[') + std::string(limit, ']');
    const std::string deep = std::string(limit + 1, '[') + std::string(limit + 1, ']');
    CHECK(json::parse(ok, o).ok());
    json::location at;
    auto d = json::parse(deep, o, &at);
    CHECK(d.code() == errc::json_too_deep);
    CHECK(at.line == 1);
    std::string objs;
    for (std::size_t i = 0; i <= limit; ++i) objs += "{\"k\":";
    objs += "1" + std::string(limit + 1, '}');
    CHECK(json::parse(objs, o).code() == errc::json_too_deep);
  }
  // Untrusted input cannot exhaust the stack with the default limit.
  CHECK(json::parse(std::string(100000, '['), {}).code() == errc::json_too_deep);
}

TEST_CASE("json: the size limit", "[json]") {
  json::parse_options o;
  o.max_bytes = 10;
  CHECK(json::parse("[1,2,3,44]", o).ok());
  CHECK(json::parse("[1,2,3,444]", o).code() == errc::file_too_large);
}

namespace {

// A random JSON value in canonical form (what write() produces).
void random_json(std::mt19937_64& rng, std::string& out, int depth) {
  std::uniform_int_distribution<int> pick(0, depth > 4 ? 3 : 5);
  switch (pick(rng)) {
    case 0: out += (rng() & 1) ? "true" : "null"; return;
    case 1: {
      std::uniform_real_distribution<double> u(-1e6, 1e6);
      double v = u(rng);
      if (rng() % 3 == 0) v = std::ldexp(v, static_cast<int>(rng() % 600) - 300);
      if (rng() % 4 == 0) v = std::round(v);
      char buf[32];
      out.append(buf, std::to_chars(buf, buf + 32, v).ptr);
      return;
    }
    case 2:
    case 3: {
      out += '"';
      const int n = static_cast<int>(rng() % 8);
      static const char* pieces[] = {"a", "Z", " ", "\\\"", "\\\\", "\\n", "\\u0001", "\xC3\xA9", "\xF0\x9F\x98\x80", "/"};
      for (int i = 0; i < n; ++i) out += pieces[rng() % 10];
      out += '"';
      return;
    }
    case 4: {
      out += '[';
      const int n = static_cast<int>(rng() % 5);
      for (int i = 0; i < n; ++i) {
        if (i) out += ',';
        random_json(rng, out, depth + 1);
      }
      out += ']';
      return;
    }
    default: {
      out += '{';
      const int n = static_cast<int>(rng() % 5);
      for (int i = 0; i < n; ++i) {
        if (i) out += ',';
        out += "\"k" + std::to_string(i) + "\":";
        random_json(rng, out, depth + 1);
      }
      out += '}';
    }
  }
}

}  // namespace

TEST_CASE("json: random canonical documents round-trip byte for byte", "[json]") {
  const std::uint64_t seed = 20260329;
  std::mt19937_64 rng(seed);
  for (int i = 0; i < 2000; ++i) {
    std::string text;
    random_json(rng, text, 0);
    INFO("seed " << seed << " case " << i << ": " << text);
    auto d = json::parse(text);
    REQUIRE(d.ok());
    // "\/" is written as "/", "\u0001" stays escaped: compare after one more round.
    const std::string once = json::to_json(d->root());
    auto d2 = json::parse(once);
    REQUIRE(d2.ok());
    CHECK(json::to_json(d2->root()) == once);
    CHECK(d2->node_count() == d->node_count());
  }
}

TEST_CASE("json: mutated documents never crash and fail cleanly", "[json]") {
  const std::uint64_t seed = 7;
  std::mt19937_64 rng(seed);
  const std::string base =
      R"({"type":"FeatureCollection","features":[{"type":"Feature","properties":{"a":"\u00e9","b":[1.5,-2e3]},)"
      R"("geometry":{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,0]]]}}]})";
  int failures = 0;
  for (int i = 0; i < 5000; ++i) {
    std::string t = base;
    const int edits = 1 + static_cast<int>(rng() % 3);
    for (int e = 0; e < edits; ++e) {
      const std::size_t at = rng() % t.size();
      switch (rng() % 3) {
        case 0: t[at] = static_cast<char>(rng() & 0xFF); break;
        case 1: t.erase(at, 1); break;
        default: t.insert(at, 1, "[]{}\",:\\0e-"[rng() % 12]); break;
      }
    }
    INFO("seed " << seed << " case " << i);
    json::location at;
    auto d = json::parse(t, {}, &at);
    if (!d) {
      ++failures;
      CHECK((d.code() == errc::json_syntax || d.code() == errc::json_too_deep));
      CHECK((at.line >= 1 && at.line <= 4));  // a mutation may insert a newline byte
    } else {
      CHECK(json::parse(json::to_json(d->root())).ok());
    }
  }
  CHECK(failures > 1000);  // the mutations do break most documents
}

TEST_CASE("json: a 10 MB GeoJSON-like text parses in well under a second", "[json]") {
  std::string text = "{\"type\":\"FeatureCollection\",\"features\":[\n";
  std::mt19937_64 rng(1);
  std::uniform_real_distribution<double> u(0, 1);
  std::size_t positions = 0;
  while (text.size() < 10'000'000) {
    text += "{ \"type\": \"Feature\", \"properties\": { \"LSOA11CD\": \"E0101";
    text += std::to_string(positions);
    text += "\", \"LSOA11NM\": \"Somewhere 001A\" }, \"geometry\": { \"type\": \"Polygon\", \"coordinates\": [ [ ";
    for (int i = 0; i < 60; ++i, ++positions) {
      char buf[64];
      text += "[ ";
      text.append(buf, std::to_chars(buf, buf + 64, 0.5 + u(rng)).ptr);
      text += ", ";
      text.append(buf, std::to_chars(buf, buf + 64, 51.5 + u(rng)).ptr);
      text += i == 59 ? " ] " : " ], ";
    }
    text += "] ] } },\n";
  }
  text += "{}]}";
  const auto t0 = std::chrono::steady_clock::now();
  auto d = json::parse(text);
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  REQUIRE(d.ok());
  WARN("parsed " << static_cast<double>(text.size()) / 1e6 << " MB, " << positions << " positions, " << d->node_count()
                 << " nodes in " << s << " s");
  CHECK(d->root().find("features")->size() > 1000);
  CHECK(s < 1.0);
}
