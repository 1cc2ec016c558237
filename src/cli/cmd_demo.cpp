#include "commands.hpp"

namespace warden::cli {

int cmd_demo(const args&) { return not_built("demo", "foundation, issue 2"); }

}  // namespace warden::cli
