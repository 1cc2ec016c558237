// warden check — the monitoring engine, issue 5.
#include "commands.hpp"

namespace warden::cli {

int cmd_check(const args&) { return not_built("check", "the monitoring engine, issue 5"); }

}  // namespace warden::cli
