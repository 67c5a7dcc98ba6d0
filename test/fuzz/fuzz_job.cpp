// Job files (the referenced platform/optimiser/threshold configs are loaded too; models are not).
#include "fuzz.hpp"
#include "sparsedse/job/job.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  return fuzz::run([&] {
    const sparsedse::job::JobSpec job = sparsedse::job::read_job(fuzz::write("job.json", data, size));
    job.entries();
  });
}
