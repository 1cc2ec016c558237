// Alert events as JSON Lines: fields, order and number formatting exactly
// as FORMATS.md, deterministic ids.
#include <catch2/catch.hpp>

#include <warden/alert.hpp>
#include <warden/version.hpp>

using namespace warden;

TEST_CASE("an alert event as one JSON line", "[alert]") {
  alert_event e;
  e.alert_id = "0123456789abcdef";
  e.event = alert_event_kind::closed;
  e.type = alert_type::exclusion;
  e.rule = alert_rule::exclusion;
  e.subject_id = "S1";
  e.zone_id = "Z1";
  e.start = parse_instant("2026-03-23T10:00:00Z").value();
  e.end = parse_instant("2026-03-23T10:05:30.250Z").value();
  e.priority = 2;
  e.confidence = alert_confidence::certain;
  e.fix_count = 6;
  e.max_depth_m = 42.04;
  e.decided_at = parse_instant("2026-03-23T10:06:30Z").value();
  e.fixes = {{e.start, 51.7400001, 0.4700004, 8.04}, {*e.end, -0.00000001, -0.5, 12.0}};
  e.zone_version = "00ff00ff00ff00ff";
  e.params_json = "{\"confirm_fixes\":2}";
  const std::string expected =
      std::string("{\"alert_id\":\"0123456789abcdef\",\"event\":\"closed\",\"type\":\"exclusion\",\"subject_id\":\"S1\","
                  "\"zone_id\":\"Z1\",\"victim_id\":null,\"start\":\"2026-03-23T10:00:00Z\","
                  "\"end\":\"2026-03-23T10:05:30.250Z\",\"priority\":2,\"confidence\":\"certain\",\"fix_count\":6,"
                  "\"max_depth_m\":42.0,\"min_distance_m\":null,\"evidence\":{\"fixes\":["
                  "[\"2026-03-23T10:00:00Z\",51.7400001,0.4700004,8.0],"
                  "[\"2026-03-23T10:05:30.250Z\",0.0000000,-0.5000000,12.0]],"
                  "\"zone_version\":\"00ff00ff00ff00ff\",\"params\":{\"confirm_fixes\":2},\"engine\":\"") +
      engine_name() +
      "\",\"schedule\":null,\"rejected_fixes\":0},\"rule\":\"exclusion\",\"decided_at\":\"2026-03-23T10:06:30Z\","
      "\"late_arrival\":false}\n";
  CHECK(to_json_line(e) == expected);
}

TEST_CASE("open alerts have a null end; text is escaped", "[alert]") {
  alert_event e;
  e.alert_id = "x";
  e.subject_id = "a\"b\\c\n";
  e.victim_id = "V1";
  e.start = parse_instant("2026-03-23T10:00:00Z").value();
  e.decided_at = e.start;
  const std::string s = to_json_line(e);
  CHECK(s.find("\"end\":null") != std::string::npos);
  CHECK(s.find("\"subject_id\":\"a\\\"b\\\\c\\n\"") != std::string::npos);
  CHECK(s.find("\"victim_id\":\"V1\"") != std::string::npos);
  CHECK(s.find("\"zone_id\":null") != std::string::npos);
  CHECK(s.find("\"max_depth_m\":null") != std::string::npos);
}

TEST_CASE("control characters in alert text keep their FORMATS.md spelling", "[alert]") {
  // Other tools parse the stream: \b and \f stay \u0008 and \u000c, as
  // every control byte but \n \r \t.
  alert_event e;
  e.alert_id = "x";
  e.subject_id = std::string("\b\f\x01\x1f\t\0", 6);
  e.zone_id = "Z\x7f";
  e.start = parse_instant("2026-03-23T10:00:00Z").value();
  e.decided_at = e.start;
  const std::string s = to_json_line(e);
  CHECK(s.find(R"("subject_id":"\u0008\u000c\u0001\u001f\t\u0000")") != std::string::npos);
  CHECK(s.find("\"zone_id\":\"Z\x7f\"") != std::string::npos);
}

TEST_CASE("alert ids are deterministic and depend on every part", "[alert]") {
  const instant t = parse_instant("2026-03-23T10:00:00Z").value();
  const std::string id = make_alert_id("S1", alert_rule::exclusion, "Z1", t);
  CHECK(id.size() == 16);
  CHECK(id.find_first_not_of("0123456789abcdef") == std::string::npos);
  CHECK(id == make_alert_id("S1", alert_rule::exclusion, "Z1", t));
  CHECK(id != make_alert_id("S2", alert_rule::exclusion, "Z1", t));
  CHECK(id != make_alert_id("S1", alert_rule::transit, "Z1", t));
  CHECK(id != make_alert_id("S1", alert_rule::exclusion, "Z2", t));
  CHECK(id != make_alert_id("S1", alert_rule::exclusion, "Z1", t + milliseconds{1}));
  // The separator keeps ("S1", "Z") and ("S", "1Z") apart.
  CHECK(make_alert_id("S1", alert_rule::exclusion, "Z", t) != make_alert_id("S", alert_rule::exclusion, "1Z", t));
  CHECK(alert_id_text(alert_id_hash("S1", alert_rule::exclusion, "Z1", t)) == id);
}
