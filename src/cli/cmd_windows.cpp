// warden windows — schedules, issue 4.
#include "commands.hpp"

namespace warden::cli {

int cmd_windows(const args&) { return not_built("windows", "schedules, issue 4"); }

}  // namespace warden::cli
