// sparsedse: command-line entry point. Bad input exits with code 2 and a message on stderr.
#include <exception>
#include <iostream>

#include <CLI/CLI.hpp>

#include "sparsedse/cli/commands.hpp"
#include "sparsedse/common/error.hpp"
#include "sparsedse/common/memory.hpp"

int main(int argc, char** argv) {
  CLI::App app{"sparsedse: sparse streaming CNN accelerators for FPGAs, from ONNX to HLS"};
  app.set_version_flag("--version", std::string("sparsedse ") + SPARSEDSE_VERSION);
  app.require_subcommand(1);
  // Global: before or after the subcommand (fallthrough). Checked before big allocations (common/memory.hpp).
  app.add_option_function<std::string>(
         "--memory-budget",
         [](const std::string& text) {
           sparsedse::set_memory_budget(sparsedse::parse_memory_size(text, "--memory-budget"));
         },
         "Memory for models, datasets and activations, e.g. 8G or 512M; more fails early with exit code 2 "
         "(default: $SPARSEDSE_MEMORY_BUDGET, else 3/4 of the physical memory)")
      ->type_name("SIZE");
  app.fallthrough();
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
