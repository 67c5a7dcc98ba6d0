#pragma once
// Subcommands of the `sparsedse` CLI. Each add_*_command registers one subcommand (its options,
// help text and callback) on the top-level app; the callback throws InputError for bad input.
#include <CLI/CLI.hpp>

namespace sparsedse::cli {

void add_inspect_command(CLI::App& app);
void add_zoo_command(CLI::App& app);
void add_convert_command(CLI::App& app);
void add_estimate_command(CLI::App& app);
void add_eval_command(CLI::App& app);
void add_profile_command(CLI::App& app);
void add_optimise_command(CLI::App& app);
void add_evaluate_command(CLI::App& app);


}  // namespace sparsedse::cli
