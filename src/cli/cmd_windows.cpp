// warden windows — a zone's active windows as UTC instants (FORMATS.md).
#include "commands.hpp"

#include <warden/diagnostics.hpp>
#include <warden/schedule.hpp>
#include <warden/zone.hpp>

#include <iostream>
#include <string>

namespace warden::cli {
namespace {

constexpr std::string_view usage_text =
    "usage: warden windows --zones Z --zone ID --from T --to T [--id-property NAME]\n"
    "  Prints the active windows of zone ID that overlap [from, to) as UTC\n"
    "  instants, one `start,end` per line, in order, merged where they touch.\n"
    "  Each window is printed whole, even where it begins before --from or ends\n"
    "  after --to. A zone without a schedule is always active: it prints\n"
    "  `from,to`. T is ISO 8601 with Z or an offset, or epoch milliseconds.\n"
    "  --id-property names the property holding zone ids (default zone_id).\n"
    "  Exit status: 0 ok, 1 bad input (reported on stderr), 2 usage error.\n";

}  // namespace

int cmd_windows(const args& a) {
  const options o(a, {"zones", "zone", "from", "to", "id-property"}, {});
  if (o.help()) {
    std::cout << usage_text;
    return 0;
  }
  if (!o.ok()) return usage_error("windows", o.error(), usage_text);
  for (const char* required : {"zones", "zone", "from", "to"})
    if (!o.has(required)) return usage_error("windows", std::string("--") + required + " is required", usage_text);
  const auto from = parse_instant(o.get("from"));
  if (!from) return usage_error("windows", "--from: " + from.err().message, usage_text);
  const auto to = parse_instant(o.get("to"));
  if (!to) return usage_error("windows", "--to: " + to.err().message, usage_text);
  if (*to <= *from) return usage_error("windows", "--to must be after --from", usage_text);

  diagnostics diags(&std::cerr);
  zone_read_options ro;
  ro.id_property = o.get("id-property", "zone_id");
  const std::string path = o.get("zones");
  const auto zones = read_zones(path, ro, diags);
  if (!zones) return 1;  // already reported

  const std::string id = o.get("zone");
  const zone* found = nullptr;
  for (const zone& z : *zones)
    if (z.zone_id == id) found = &z;
  if (found == nullptr) {
    diags.report(path, 0, errc::unknown_zone, "no zone with id '" + id + "'");
    return 1;
  }

  std::string out;
  if (!found->schedule) {
    append_instant(out, *from);
    out += ',';
    append_instant(out, *to);
    out += '\n';
  } else {
    const auto s = schedule::compile(*found->schedule);
    if (!s) {
      diags.report(found->file, found->line, s.code(), "zone " + id + ": " + s.err().message);
      return 1;
    }
    for (const utc_interval& w : s->windows(*from, *to)) {
      append_instant(out, w.start);
      out += ',';
      append_instant(out, w.end);
      out += '\n';
    }
  }
  std::cout << out;
  std::cout.flush();
  // Bad features elsewhere in the file were reported: that is bad input.
  return diags.empty() ? 0 : 1;
}

}  // namespace warden::cli
