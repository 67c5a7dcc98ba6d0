// The only file that knows about MPI (built with -DSPARSEDSE_MPI=ON, which defines SPARSEDSE_HAVE_MPI).
#include "sparsedse/job/distribution.hpp"

#include <cstdlib>
#include <stdexcept>

#ifdef SPARSEDSE_HAVE_MPI
#include <mpi.h>
#endif

namespace sparsedse::job {

namespace {

class SingleProcess final : public Distribution {
 public:
  int rank() const override { return 0; }
  int size() const override { return 1; }
  void barrier() override {}
  std::vector<std::string> gather(const std::string& text) override { return {text}; }
  std::string broadcast(const std::string& text) override { return text; }
};

#ifdef SPARSEDSE_HAVE_MPI

void check(int code, const char* what) {
  if (code != MPI_SUCCESS) throw std::runtime_error(std::string("MPI: ") + what + " failed");
}

class Mpi final : public Distribution {
 public:
  Mpi() {
    int initialised = 0;
    MPI_Initialized(&initialised);
    if (!initialised) {
      int provided = 0;
      check(MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided), "MPI_Init_thread");
      owner_ = true;
    }
    MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
    MPI_Comm_size(MPI_COMM_WORLD, &size_);
  }
  ~Mpi() override {
    int finalised = 0;
    MPI_Finalized(&finalised);
    if (owner_ && !finalised) MPI_Finalize();
  }
  int rank() const override { return rank_; }
  int size() const override { return size_; }
  void barrier() override { check(MPI_Barrier(MPI_COMM_WORLD), "MPI_Barrier"); }

  std::vector<std::string> gather(const std::string& text) override {
    int length = int(text.size());
    std::vector<int> lengths(rank_ == 0 ? std::size_t(size_) : 0);
    check(MPI_Gather(&length, 1, MPI_INT, lengths.data(), 1, MPI_INT, 0, MPI_COMM_WORLD), "MPI_Gather");
    std::vector<int> offsets(lengths.size());
    int total = 0;
    for (std::size_t i = 0; i < lengths.size(); ++i) {
      offsets[i] = total;
      total += lengths[i];
    }
    std::string all(std::size_t(total), '\0');
    check(MPI_Gatherv(text.data(), length, MPI_CHAR, all.data(), lengths.data(), offsets.data(), MPI_CHAR, 0,
                      MPI_COMM_WORLD),
          "MPI_Gatherv");
    std::vector<std::string> out;
    for (std::size_t i = 0; i < lengths.size(); ++i) out.push_back(all.substr(std::size_t(offsets[i]), std::size_t(lengths[i])));
    return out;
  }

  std::string broadcast(const std::string& text) override {
    int length = int(text.size());
    check(MPI_Bcast(&length, 1, MPI_INT, 0, MPI_COMM_WORLD), "MPI_Bcast");
    std::string out = rank_ == 0 ? text : std::string(std::size_t(length), '\0');
    check(MPI_Bcast(out.data(), length, MPI_CHAR, 0, MPI_COMM_WORLD), "MPI_Bcast");
    return out;
  }

 private:
  int rank_ = 0, size_ = 1;
  bool owner_ = false;
};

// Started by mpirun / mpiexec (Open MPI, MPICH/PMI, PMIx)? A plain `sparsedse run` never initialises MPI.
bool launched_by_mpi() {
  for (const char* var : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_RANK", "MPI_LOCALNRANKS"})
    if (std::getenv(var)) return true;
  return false;
}

#endif

}  // namespace

Distribution& single_process() {
  static SingleProcess single;
  return single;
}

std::unique_ptr<Distribution> mpi_distribution() {
#ifdef SPARSEDSE_HAVE_MPI
  if (launched_by_mpi()) return std::make_unique<Mpi>();
#endif
  return nullptr;
}

bool built_with_mpi() {
#ifdef SPARSEDSE_HAVE_MPI
  return true;
#else
  return false;
#endif
}

}  // namespace sparsedse::job
