#include "serve_command.h"

#include <cstdio>
#include <iostream>

namespace egress {

CLI::App* add_serve_command(CLI::App& app, ServeArgs& args) {
  ServerOptions& o = args.options;
  CLI::App* serve = app.add_subcommand(
      "serve",
      "Answer the commands' questions over HTTP (JSON; docs/openapi.json) about the topologies "
      "given");
  serve->add_option("TOPOLOGY", args.topologies, "Topology YAML files, named by their stem")
      ->required();
  serve->add_option("--listen", o.listen, "HOST:PORT to listen on (loopback unless --token)")
      ->capture_default_str();
  serve->add_option("--threads", o.threads, "Threads answering requests (0: one per core)")
      ->capture_default_str();
  serve->add_option("--token", o.token,
                    "Bearer token clients must send (Authorization: Bearer TOKEN); enables PUT");
  serve->add_flag("--insecure", o.insecure,
                  "Allow a non-loopback --listen without --token: anyone who can reach it may ask");
  serve->add_option("--max-body-bytes", o.max_body_bytes, "Largest request body (413 beyond)")
      ->capture_default_str();
  serve->add_option("--max-header-bytes", o.max_header_bytes, "Largest request header (431 beyond)")
      ->capture_default_str();
  serve
      ->add_option("--request-timeout", o.request_timeout_s,
                   "Seconds a request's header and (buffered) body may take to arrive")
      ->capture_default_str();
  serve
      ->add_option("--idle-timeout", o.idle_timeout_s,
                   "Seconds an idle keep-alive connection, or a stalled streamed body, is kept")
      ->capture_default_str();
  serve
      ->add_option("--max-replays", o.max_replays,
                   "Replays, syntheses, diffs and migrations at once (429 beyond)")
      ->check(CLI::Range(1u, 10000u))
      ->capture_default_str();
  serve->add_option("--cors", o.cors_origin, "Allow this origin to call the API from a browser");
  serve->add_option("--web-root", args.web_root,
                    "Serve the web page from this folder instead of the built-in one");
  return serve;
}

int run_serve(const ServeArgs& args) {
  ServerOptions options = args.options;
  if (!args.web_root.empty()) {
    Result<StaticAssets> assets = read_static_assets(args.web_root);
    if (!assets) {
      std::cerr << format_diagnostic(assets.error(), "error") << "\n";
      return 2;
    }
    options.assets = std::move(*assets);
  } else {
    options.assets = embedded_static_assets();
  }
  options.handle_signals = true;
  options.log = [](const std::string& line) { std::cerr << "egress-sim serve: " << line << "\n"; };
  Result<std::unique_ptr<Server>> server = Server::start(args.topologies, options);
  if (!server) {
    std::cerr << format_diagnostic(server.error(), "error") << "\n";
    return 2;
  }
  std::cerr << "egress-sim serve: listening on "
            << options.listen.substr(0, options.listen.rfind(':')) << ":" << (*server)->port()
            << " (" << args.topologies.size() << " topologies)" << std::endl;
  (*server)->wait();
  return 0;
}

}  // namespace egress
