#pragma once
// Subcommands of the `sparsedse` CLI. Each add_*_command registers one subcommand (its options,
// help text and callback) on the top-level app; the callback throws InputError for bad input.
#include <CLI/CLI.hpp>

namespace sparsedse::cli {

void add_profile_command(CLI::App& app);  // sparsedse profile (src/cli/cmd_profile.cpp)
void add_inspect_command(CLI::App& app);  // sparsedse inspect (src/cli/cmd_inspect.cpp)
void add_zoo_command(CLI::App& app);      // sparsedse zoo (src/cli/cmd_zoo.cpp)
void add_convert_command(CLI::App& app);  // sparsedse convert (src/cli/cmd_convert.cpp)
void add_eval_command(CLI::App& app);     // sparsedse eval (src/cli/cmd_eval.cpp)

void add_estimate_command(CLI::App& app);  // sparsedse estimate (src/cli/cmd_estimate.cpp)

void add_threshold_command(CLI::App& app);  // sparsedse threshold (src/cli/cmd_threshold.cpp)

void add_optimise_command(CLI::App& app);  // sparsedse optimise (src/cli/cmd_optimise.cpp)
void add_evaluate_command(CLI::App& app);  // sparsedse evaluate (src/cli/cmd_evaluate.cpp)
void add_run_command(CLI::App& app);       // sparsedse run (src/cli/cmd_run.cpp)
void add_emit_hls_command(CLI::App& app);  // sparsedse emit-hls (src/cli/cmd_emit_hls.cpp)

}  // namespace sparsedse::cli
