#pragma once
// Subcommands of the `sparsedse` CLI. Each add_*_command registers one subcommand (its options,
// help text and callback) on the top-level app; the callback throws InputError for bad input.
#include <CLI/CLI.hpp>

namespace sparsedse::cli {


}  // namespace sparsedse::cli
