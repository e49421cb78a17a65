// `egress-sim serve`: its options and its run (tools/serve_command.cc).
#pragma once

#include <CLI/CLI.hpp>
#include <string>
#include <vector>

#include "egress/server/server.h"

namespace egress {

struct ServeArgs {
  std::vector<std::string> topologies;
  ServerOptions options;
  std::string web_root;
};

/// Adds the `serve` subcommand and its options to `app`.
CLI::App* add_serve_command(CLI::App& app, ServeArgs& args);

/// Runs the server until SIGTERM or SIGINT; the exit code (0 after a graceful stop, 2 on bad
/// input: a topology with errors, an exposed --listen without --token or --insecure).
int run_serve(const ServeArgs& args);

}  // namespace egress
