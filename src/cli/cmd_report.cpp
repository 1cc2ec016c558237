// warden report — evidence packs, issue 8.
#include "commands.hpp"

namespace warden::cli {

int cmd_report(const args&) { return not_built("report", "evidence packs, issue 8"); }

}  // namespace warden::cli
