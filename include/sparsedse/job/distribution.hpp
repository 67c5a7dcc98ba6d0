#pragma once
// How a sweep's entries are spread over processes. A single process runs every entry; under
// `mpirun -np N sparsedse run sweep.json` (a build with SPARSEDSE_MPI) rank r runs the entries
// i ≡ r (mod N) and rank 0 gathers their results. The MPI code lives in one file (src/job/distribution.cpp)
// behind this interface, so nothing else depends on MPI.
#include <memory>
#include <string>
#include <vector>

namespace sparsedse::job {

class Distribution {
 public:
  virtual ~Distribution() = default;
  virtual int rank() const = 0;
  virtual int size() const = 0;
  virtual void barrier() = 0;
  // Rank 0 receives every rank's text in rank order; the other ranks receive an empty list.
  virtual std::vector<std::string> gather(const std::string& text) = 0;
  // Every rank receives rank 0's text.
  virtual std::string broadcast(const std::string& text) = 0;
};

// One process that runs everything.
Distribution& single_process();

// An MPI communicator over all ranks when this build has MPI and the process was started by an MPI
// launcher (its environment says so); otherwise null (use single_process()). Initialises MPI on first
// use and finalises it when the returned object is destroyed.
std::unique_ptr<Distribution> mpi_distribution();

// Whether this build was compiled with MPI support.
bool built_with_mpi();

}  // namespace sparsedse::job
