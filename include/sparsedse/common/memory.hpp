#pragma once
// The memory budget (docs/reliability.md). Big allocations — a model's weights, a dataset's images, a
// batch's activations, the profiler's activation cache — are checked against it before they are made,
// so a model or dataset too large for the machine fails early with an InputError (exit code 2) naming
// what needed how much, instead of the process being killed by the OS half-way through a job.
#include <cstdint>
#include <string>
#include <string_view>

namespace sparsedse {

// The budget in bytes: set_memory_budget() (the CLI's --memory-budget), else $SPARSEDSE_MEMORY_BUDGET,
// else 3/4 of the physical memory (MemTotal in /proc/meminfo, or the cgroup limit if lower).
std::uint64_t memory_budget();
void set_memory_budget(std::uint64_t bytes);  // 0 = back to the default
std::uint64_t default_memory_budget();        // 3/4 of physical memory (8 GiB if unknown)

// "8G", "512M", "1.5GiB", "64k", "1048576" (bytes) → bytes; K/M/G/T are powers of 1024.
// Anything else, zero included, is an InputError naming `where`.
std::uint64_t parse_memory_size(std::string_view text, const std::string& where);
std::string format_bytes(std::uint64_t bytes);  // "512 B", "3.0 MiB", "12.4 GiB"

// Throws InputError(where, "<what> needs N, more than the memory budget of B ...") if bytes > budget.
void check_memory_budget(std::uint64_t bytes, const std::string& where, const std::string& what);

// a · b · ..., saturating at UINT64_MAX instead of wrapping (sizes computed from untrusted headers).
std::uint64_t saturating_mul(std::uint64_t a, std::uint64_t b);

}  // namespace sparsedse
