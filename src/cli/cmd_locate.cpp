// warden locate — zone index, issue 3.
#include "commands.hpp"

namespace warden::cli {

int cmd_locate(const args&) { return not_built("locate", "zone index, issue 3"); }

}  // namespace warden::cli
