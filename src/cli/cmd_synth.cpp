#include "commands.hpp"

namespace warden::cli {

int cmd_synth(const args&) { return not_built("synth", "foundation, issue 2"); }

}  // namespace warden::cli
