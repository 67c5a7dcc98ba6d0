// sparsedse: command-line entry point. Bad input exits with code 2 and a message on stderr.
#include <exception>
#include <iostream>

#include <CLI/CLI.hpp>

#include "sparsedse/cli/commands.hpp"
#include "sparsedse/common/error.hpp"

int main(int argc, char** argv) {
  CLI::App app{"sparsedse: sparse streaming CNN accelerators for FPGAs, from ONNX to HLS"};
  app.set_version_flag("--version", std::string("sparsedse ") + SPARSEDSE_VERSION);
  app.require_subcommand(1);
  sparsedse::cli::add_profile_command(app);
  sparsedse::cli::add_inspect_command(app);
  sparsedse::cli::add_zoo_command(app);
  sparsedse::cli::add_convert_command(app);
  sparsedse::cli::add_eval_command(app);
  sparsedse::cli::add_estimate_command(app);
  sparsedse::cli::add_threshold_command(app);
  sparsedse::cli::add_optimise_command(app);
  sparsedse::cli::add_evaluate_command(app);
  sparsedse::cli::add_run_command(app);
  sparsedse::cli::add_emit_hls_command(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? 0 : 2;
  } catch (const sparsedse::InputError& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "internal error: " << e.what() << "\n";
    return 3;
  }
  return 0;
}
