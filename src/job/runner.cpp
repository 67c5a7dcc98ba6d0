#include "sparsedse/job/runner.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <map>
#include <memory>
#include <optional>

#include "sparsedse/common/error.hpp"
#include "sparsedse/common/io.hpp"
#include "sparsedse/data/dataset.hpp"
#include "sparsedse/dse/design.hpp"
#include "sparsedse/dse/optimise.hpp"
#include "sparsedse/engine/engine.hpp"
#include "sparsedse/frontend/model.hpp"
#include "sparsedse/report/report.hpp"
#include "sparsedse/sparsity/stats.hpp"
#include "sparsedse/threshold/backends.hpp"
#include "sparsedse/threshold/loop.hpp"
#include "sparsedse/threshold/outputs.hpp"
#include "hls_step.hpp"

namespace sparsedse::job {

namespace fs = std::filesystem;
using nlohmann::json;

const std::vector<std::string>& step_names() {
  static const std::vector<std::string> names{"import", "profile", "dense", "threshold", "hls", "report"};
  return names;
}

fs::path default_outdir(const JobSpec& job) { return fs::path("out") / job.name; }

namespace {

constexpr const char* kStateDir = ".state";
constexpr const char* kJobState = "job.json";

// The marker of a completed step, in an entry's state directory.
fs::path step_marker(const fs::path& state_dir, std::size_t step) {
  char file[64];
  std::snprintf(file, sizeof file, "step-%zu-%s.done", step + 1, step_names()[step].c_str());
  return state_dir / file;
}

std::size_t step_index(const std::string& name) {
  const auto& names = step_names();
  return std::size_t(std::find(names.begin(), names.end(), name) - names.begin());
}

bool empty_dir(const fs::path& p) { return fs::is_directory(p) && fs::directory_iterator(p) == fs::directory_iterator(); }
bool is_run_dir(const fs::path& p) { return path_exists(p / kStateDir / kJobState); }

// What to do with OUTDIR; the same verdict on every rank (nothing is changed here).
enum class Start { fresh, wipe, resume, extend };  // extend: resume with a higher iteration limit

const json::json_pointer kIterationLimitKey("/thresholds/max_iterations");  // in job and entry fingerprints

Start check_outdir(const fs::path& out, const RunOptions& o, const json& fingerprint) {
  if (!path_exists(out)) return Start::fresh;
  if (!fs::is_directory(out)) throw InputError(out.string(), "exists and is not a directory");
  if (empty_dir(out)) return Start::fresh;
  const bool ours = is_run_dir(out);
  if (o.resume) {
    if (!ours)
      throw InputError(out.string(), "holds no sparsedse run to resume (" + std::string(kStateDir) + "/" + kJobState +
                                         " is missing); choose another output directory");
    const fs::path state = out / kStateDir / kJobState;
    const json previous = read_json(state);
    // A higher iteration limit is the one change a resume absorbs: runs stopped at the old limit go on.
    if (previous == fingerprint) return Start::resume;
    if (threshold::raises_only_iteration_limit(previous, fingerprint, kIterationLimitKey)) return Start::extend;
    if (!o.force)
      throw InputError(state.string(), "was written for a different job ('" + threshold::first_difference(previous, fingerprint) +
                                           "' differs); pass --force to start afresh or choose another output directory");
    return Start::wipe;
  }
  if (!o.force)
    throw InputError(out.string(), "already exists and is not empty; pass --force to overwrite it, --resume to "
                                   "continue the run in it, or choose another output directory with -o");
  // --force deletes only what an earlier run made; foreign files are left alone and ours overwritten.
  return ours ? Start::wipe : Start::fresh;
}

std::string seconds_text(double s) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f s", s);
  return buf;
}

// One sweep entry through the pipeline steps.
class EntryRun {
 public:
  EntryRun(const JobSpec& job, const JobEntry& entry, fs::path dir, fs::path state_dir, bool single, Progress& progress)
      : job_(job), entry_(entry), dir_(std::move(dir)), state_(std::move(state_dir)), single_(single),
        progress_(progress) {}

  EntryResult run();

 private:
  using Outputs = std::vector<std::string>;  // files written, relative to dir_
  Outputs import_model();
  Outputs profile();
  Outputs dense();
  Outputs thresholding();
  Outputs hls();
  Outputs write_reports();

  void log(const std::string& message) { progress_.log(tag_ + message); }
  const ir::Graph& graph();
  const data::Dataset& calibration();
  threshold::ProfilerMeasurer& measurer();
  threshold::RunInfo run_info() const;
  report::RunReport load_report();
  json marker(const std::string& step, const Outputs& outputs) const;
  bool marker_valid(const fs::path& file) const;

  const JobSpec& job_;
  const JobEntry& entry_;
  fs::path dir_, state_;
  bool single_;
  Progress& progress_;
  std::string tag_;

  std::optional<ir::Graph> graph_;
  std::optional<data::Dataset> calibration_, test_;
  std::unique_ptr<threshold::ProfilerMeasurer> measurer_;
  std::optional<report::RunReport> report_;
};

json EntryRun::marker(const std::string& step, const Outputs& outputs) const {
  json files = json::object();
  for (const std::string& f : outputs) files[f] = file_digest(dir_ / f);
  return {{"step", step}, {"outputs", files}};
}

// A step is done when its marker exists and every output it lists still has the recorded bytes.
bool EntryRun::marker_valid(const fs::path& file) const {
  if (!path_exists(file)) return false;
  try {
    const json m = read_json(file);
    for (const auto& [name, digest] : m.at("outputs").items())
      if (!path_exists(dir_ / name) || file_digest(dir_ / name) != digest.get<std::string>()) return false;
    return true;
  } catch (const std::exception&) {
    return false;  // a damaged marker: redo the step
  }
}

EntryResult EntryRun::run() {
  tag_ = single_ ? "" : entry_.id + ": ";
  ensure_directory(dir_);
  ensure_directory(state_);
  using Step = Outputs (EntryRun::*)();
  const std::vector<Step> steps{&EntryRun::import_model, &EntryRun::profile, &EntryRun::dense,
                                &EntryRun::thresholding, &EntryRun::hls,     &EntryRun::write_reports};
  // Seconds per step, kept across resumes. Wall-clock times vary run to run, so they live in .state,
  // outside the byte-reproducible outputs.
  const fs::path timings_file = state_ / "timings.json";
  json timings = path_exists(timings_file) ? read_json(timings_file) : json::object();
  bool redo = false;  // once a step runs, every later step runs too: its inputs may have changed
  for (std::size_t i = 0; i < steps.size(); ++i) {
    const std::string& name = step_names()[i];
    const fs::path done = step_marker(state_, i);
    if (!redo && marker_valid(done)) {
      log("step " + std::to_string(i + 1) + "/" + std::to_string(steps.size()) + " " + name + ": already done");
      continue;
    }
    redo = true;
    fs::remove(done);
    log("step " + std::to_string(i + 1) + "/" + std::to_string(steps.size()) + " " + name);
    const auto t0 = std::chrono::steady_clock::now();
    const Outputs outputs = (this->*steps[i])();
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    timings[name] = seconds;
    write_json_atomic(done, marker(name, outputs));
    write_json_atomic(timings_file, timings);
    log(name + " done in " + seconds_text(seconds));
  }
  EntryResult result{entry_.id, dir_, report::sweep_row(load_report(), entry_.id)};
  return result;
}

const ir::Graph& EntryRun::graph() {
  // Every step works on the IR as saved by step 1, so a resumed run sees exactly what a fresh one did.
  if (!graph_) graph_ = frontend::load_json_model(dir_ / "model.json");
  return *graph_;
}

const data::Dataset& EntryRun::calibration() {
  if (!calibration_) calibration_ = data::Dataset::load(job_.calibration.file, {0, job_.calibration.images});
  return *calibration_;
}

threshold::ProfilerMeasurer& EntryRun::measurer() {
  if (measurer_) return *measurer_;
  const DatasetRef& cal = job_.calibration;
  calibration();
  if (job_.test) {
    test_ = data::Dataset::load(job_.test->file, {0, job_.test->images > 0 ? job_.test->images : -1});
  } else {
    if (calibration_->size() < cal.images)
      throw InputError(job_.source + ": /dataset/calibration",
                       cal.text + " has only " + std::to_string(calibration_->size()) +
                           " images, all used for calibration: add /dataset/test or use fewer calibration images");
    const std::int64_t limit = entry_.thresholds.test_images > 0 ? entry_.thresholds.test_images : -1;
    test_ = data::Dataset::load(cal.file, {cal.images, limit});
  }
  const engine::Numerics numerics = engine::Numerics::parse(entry_.thresholds.numerics, job_.source + ": /thresholds/numerics");
  sparsity::ProfilerOptions options;
  options.threads = job_.threads;
  options.hist_source = entry_.thresholds.hist_source;
  measurer_ = std::make_unique<threshold::ProfilerMeasurer>(graph(), numerics, *calibration_, *test_, options);
  return *measurer_;
}

threshold::RunInfo EntryRun::run_info() const {
  const engine::Numerics numerics = engine::Numerics::parse(entry_.thresholds.numerics, job_.source + ": /thresholds/numerics");
  return {entry_.model.text, job_.calibration.text, job_.test ? job_.test->text : std::string(), entry_.platform_text,
          numerics.to_string(), entry_.thresholds};
}

EntryRun::Outputs EntryRun::import_model() {
  ir::Graph g = load_model(entry_.model, job_.source + ": /model");
  frontend::save_json_model(g, dir_ / "model.json");
  graph_.reset();
  // The effective settings, so the output directory says exactly what produced it.
  ensure_directory(dir_ / "config");
  write_json_atomic(dir_ / "config" / "platform.json", hw::to_json(entry_.platform));
  write_json_atomic(dir_ / "config" / "optimiser.json", dse::to_json(job_.optimiser));
  write_json_atomic(dir_ / "config" / "hardware.json", hw::to_json(job_.hardware));
  log("model " + entry_.model.text + ": " + std::to_string(graph().size()) + " layers");
  return {"model.json", fs::path(frontend::weights_path_for(dir_ / "model.json")).filename().string(),
          "config/platform.json", "config/optimiser.json", "config/hardware.json"};
}

EntryRun::Outputs EntryRun::profile() {
  threshold::ThresholdMap zeros;
  for (const std::string& relu : threshold::relu_names(graph())) zeros[relu] = 0.0;
  threshold::ProfilerMeasurer& m = measurer();
  sparsity::Stats stats;
  {
    ProgressStep step(progress_, tag_ + "profiling " + std::to_string(m.calibration_images()) + " images", 0);
    stats.result = m.calibrate(zeros);
  }
  stats.model = entry_.model.text;
  stats.numerics = run_info().numerics;
  stats.hist_source = std::string(sparsity::to_string(entry_.thresholds.hist_source));
  sparsity::write_stats(dir_ / "sparsity.json", stats);
  double mean = 0.0;
  for (const auto& [name, s] : stats.result.layers) mean += s.mean_sparsity;
  if (!stats.result.layers.empty()) mean /= double(stats.result.layers.size());
  log("calibration top-1 " + report::fixed(100.0 * stats.result.top1, 2) + " %, mean input sparsity " +
      report::fixed(mean, 3) + " over " + std::to_string(stats.result.layers.size()) + " layers");
  return {"sparsity.json"};
}

EntryRun::Outputs EntryRun::dense() {
  // The reference the sparse designs are measured against: no statistics, the same search effort as
  // every design of the thresholding loop (threshold::DseHardware).
  threshold::DseHardware hardware({entry_.platform, job_.hardware, job_.optimiser, entry_.thresholds.solver,
                                   entry_.thresholds.anneal, entry_.thresholds.chains});
  threshold::Measured m;
  {
    ProgressStep step(progress_, tag_ + "optimising the dense design", 0);
    m = threshold::optimise_dense(hardware, graph(), entry_.thresholds.seed);
  }
  ensure_directory(dir_ / "designs");
  write_json_atomic(dir_ / "designs" / "dense.json", m.design, 1);
  log("dense design: " + report::fixed(m.throughput, 1) + " img/s in " +
      std::to_string(m.layers.size()) + " partition(s)");
  return {"designs/dense.json"};
}

EntryRun::Outputs EntryRun::thresholding() {
  const threshold::ThresholdConfig& config = entry_.thresholds;
  threshold::DseSettings settings{entry_.platform, job_.hardware, job_.optimiser, config.solver, config.anneal,
                                  config.chains};
  threshold::DseHardware hardware(settings);
  threshold::ThresholdLoop loop(graph(), config, measurer(), hardware);
  loop.compete_with(read_json(dir_ / "designs" / "dense.json"));
  const threshold::RunInfo info = run_info();
  const json fingerprint = {{"entry", entry_.id},
                            {"thresholds", threshold::to_json(config)},
                            {"model", file_digest(dir_ / "model.json")}};

  const fs::path checkpoint = state_ / "threshold.json";
  threshold::LoopState state;
  if (path_exists(checkpoint)) {
    state = threshold::loop_state_from_json(read_json(checkpoint), checkpoint.string());
    if (state.fingerprint == fingerprint) {
      log("thresholding: resuming after " + std::to_string(state.records.size()) + " iterations");
    } else if (threshold::extend_iteration_limit(state, fingerprint, kIterationLimitKey)) {
      log("thresholding: resuming after " + std::to_string(state.records.size()) + " iterations, the limit raised to " +
          std::to_string(config.max_iterations) + " (runs stopped at the old limit go on)");
    } else {
      log("thresholding: the checkpoint is for other inputs; starting afresh");
      state = loop.initial_state(fingerprint);
    }
  } else {
    state = loop.initial_state(fingerprint);
  }
  // Steps: the threshold-0 start, at most max_iterations per run, the test accuracy at thresholds 0.
  const std::int64_t bound = 2 + std::int64_t(state.runs.size()) * config.max_iterations;
  auto steps_done = [&] {
    std::int64_t n = (state.started ? 1 : 0) + (state.top1_test_zero ? 1 : 0);
    for (const threshold::RunState& r : state.runs) n += r.iteration;
    return std::min(n, bound);
  };
  {
    // A resumed loop counts only the steps left, so its rate, and the ETA from it, are this process's.
    const std::int64_t resumed_at = steps_done();
    ProgressStep step(progress_,
                      tag_ + "thresholding (at most " + std::to_string(bound - resumed_at) +
                          (resumed_at > 0 ? " more" : "") + " steps)",
                      bound - resumed_at);
    while (true) {
      const std::size_t first = state.records.size();
      if (!loop.step(state)) break;
      for (std::size_t i = first; i < state.records.size(); ++i) log(threshold::progress_line(state, state.records[i]));
      write_json_atomic(checkpoint, threshold::to_json(state));
      step.update(steps_done() - resumed_at, state.records.empty() ? std::string() : state.records.back().run);
    }
  }
  for (const threshold::RunState& r : state.runs)
    log("thresholding: " + r.name + " stopped after " + std::to_string(r.iteration) + " iterations (" + r.stop_reason +
        ")" + (r.top1_test ? "; test top-1 " + report::fixed(*r.top1_test, 2) + " %" : std::string()) +
        (r.test_drop ? " (" + threshold::to_string(*r.test_drop) + " points against thresholds 0)" : std::string()));

  std::vector<std::string> layers;
  for (ir::Vertex v : graph().topological_order())
    if (graph().layer(v).is_weighted()) layers.push_back(graph().layer(v).name);
  threshold::write_outputs(dir_, state, info, layers);
  // Written here, not on import: a raised iteration limit redoes this step, not the import.
  write_json_atomic(dir_ / "config" / "thresholds.json", threshold::to_json(config));
  Outputs outputs{"iterations.csv", "iterations.json", "summary.json", "designs/baseline.json",
                  "throughput_vs_accuracy.svg", "sparsity_per_layer.svg", "config/thresholds.json"};
  for (const threshold::RunState& r : state.runs)
    if (r.measure_optimised && !r.design.is_null()) outputs.push_back("designs/" + threshold::design_file(r));
  return outputs;
}

EntryRun::Outputs EntryRun::hls() {
  if (job_.emit.hls == HlsEmit::none) return {};
  const report::RunReport r = load_report();
  std::vector<report::NamedDesign> designs;
  const int best = report::best_final(r);
  if (job_.emit.hls == HlsEmit::all) {
    designs.push_back(r.baseline);
    for (const report::NamedDesign& d : r.finals) designs.push_back(d);
  } else {
    designs.push_back(best >= 0 ? r.finals[std::size_t(best)] : r.baseline);
  }
  Outputs outputs;
  {
    ProgressStep step(progress_, tag_ + "emitting HLS", 0);
    outputs = emit_hls(graph(), calibration(), dir_, designs);
  }
  for (const report::HlsProject& p : hls_projects(dir_))
    log(p.emitted ? "HLS for " + p.design + " in " + p.dir + "/" : "HLS for " + p.design + " not emitted: " + p.reason);
  report_.reset();
  return outputs;
}

report::RunReport EntryRun::load_report() {
  if (report_) return *report_;
  report::RunReport r;
  r.title = job_.name + (single_ ? "" : " — " + entry_.id);
  r.description = job_.description;
  r.job_file = job_.source;
  const ir::Graph& g = graph();
  int convs = 0;
  for (ir::Vertex v : g.topological_order())
    if (g.layer(v).is_weighted()) {
      ++convs;
      r.layers.push_back(g.layer(v).name);
    }
  r.model_summary = std::to_string(convs) + " Conv/FC layers, " + report::grouped(g.total_params()) + " parameters, " +
                    report::fixed(double(g.total_macs()) / 1e6, 1) + " MMAC per image";
  r.info = run_info();
  r.state = threshold::loop_state_from_json(read_json(state_ / "threshold.json"), (state_ / "threshold.json").string());
  r.profile = sparsity::read_stats(dir_ / "sparsity.json");
  r.dense = report::NamedDesign{"dense", "designs/dense.json", dse::read_design(dir_ / "designs" / "dense.json")};
  r.baseline = {"baseline", "designs/baseline.json", dse::read_design(dir_ / "designs" / "baseline.json")};
  for (const threshold::RunState& run : r.state.runs)
    if (run.measure_optimised && !run.design.is_null()) {
      const std::string file = "designs/" + threshold::design_file(run);
      r.finals.push_back({run.name, file, dse::read_design(dir_ / file)});
    }
  r.hls = hls_projects(dir_);
  report_ = r;
  return r;
}

EntryRun::Outputs EntryRun::write_reports() {
  const report::RunReport r = load_report();
  write_file_atomic(dir_ / "report.md", report::render_markdown(r));
  Outputs outputs{"report.md"};
  if (job_.emit.html) {
    write_file_atomic(dir_ / "report.html", report::render_html(r));
    outputs.push_back("report.html");
  }
  return outputs;
}

}  // namespace

JobResult run_job(const JobSpec& job, const RunOptions& o) {
  Distribution& dist = o.distribution ? *o.distribution : single_process();
  Progress& progress = o.progress ? *o.progress : null_progress();
  const std::vector<JobEntry> entries = job.entries();
  const json fingerprint = job.fingerprint();
  const fs::path out = o.outdir.empty() ? default_outdir(job) : o.outdir;

  // Fail before touching anything when a model file is missing (e.g. the default ResNet-18 not trained yet).
  for (const ModelRef& m : job.models)
    if (!m.is_zoo() && !path_exists(m.file)) load_model(m, job.source + ": /model");
  const Start start = check_outdir(out, o, fingerprint);
  dist.barrier();  // every rank has checked before rank 0 changes anything
  if (dist.rank() == 0) {
    if (start == Start::wipe) fs::remove_all(out);
    if (start == Start::extend)  // thresholding (and every step after it) goes on from its checkpoint
      for (const JobEntry& e : entries) fs::remove(step_marker(out / kStateDir / e.id, step_index("threshold")));
    ensure_directory(out / kStateDir);
    write_json_atomic(out / kStateDir / kJobState, fingerprint);
  }
  dist.barrier();

  const bool single = entries.size() == 1;
  if (dist.rank() == 0)
    progress.log("run: " + job.name + " (" + std::to_string(entries.size()) + (single ? " entry" : " entries") +
                 (dist.size() > 1 ? " over " + std::to_string(dist.size()) + " processes" : "") + ") → " + out.string() +
                 (start == Start::resume ? " (resuming)"
                  : start == Start::extend ? " (resuming with the iteration limit raised to " +
                                                 std::to_string(job.thresholds.max_iterations) + ")"
                                           : ""));
  json mine = json::array();
  for (std::size_t i = std::size_t(dist.rank()); i < entries.size(); i += std::size_t(dist.size())) {
    const JobEntry& e = entries[i];
    const fs::path dir = single ? out : out / e.id;
    try {
      EntryRun run(job, e, dir, out / kStateDir / e.id, single, progress);
      EntryResult r = run.run();
      mine.push_back({{"index", i}, {"row", r.row}});
    } catch (const InputError& err) {
      mine.push_back({{"index", i}, {"input_error", {err.where(), err.detail()}}});
    } catch (const std::exception& err) {
      mine.push_back({{"index", i}, {"error", err.what()}});
    }
  }

  // Rank 0 gathers every entry's result; the others only learn whether their own entries failed.
  const std::vector<std::string> gathered = dist.gather(mine.dump());
  std::vector<json> results = dist.rank() == 0 ? std::vector<json>(entries.size()) : std::vector<json>{};
  if (dist.rank() == 0)
    for (const std::string& text : gathered)
      for (const json& item : json::parse(text)) results[item.at("index").get<std::size_t>()] = item;
  const std::vector<json>& check = dist.rank() == 0 ? results : mine.get_ref<const json::array_t&>();
  for (const json& item : check) {
    if (item.contains("input_error")) {
      const std::string id = entries[item.at("index").get<std::size_t>()].id;
      const std::string where = item["input_error"][0].get<std::string>();
      throw InputError(single ? where : "entry " + id + (where.empty() ? "" : ": " + where),
                       item["input_error"][1].get<std::string>());
    }
    if (item.contains("error")) throw std::runtime_error(item["error"].get<std::string>());
  }

  JobResult result;
  result.outdir = out;
  if (dist.rank() != 0) return result;
  std::vector<json> rows;
  for (std::size_t i = 0; i < entries.size(); ++i) {
    result.entries.push_back({entries[i].id, single ? out : out / entries[i].id, results[i]["row"]});
    rows.push_back(results[i]["row"]);
  }
  if (!single) {
    write_file_atomic(out / "sweep.md", report::sweep_markdown(job.name, rows));
    write_json_atomic(out / "sweep.json", rows);
    progress.log("run: wrote " + (out / "sweep.md").string());
  } else {
    progress.log("run: wrote " + (out / "report.md").string() + (job.emit.html ? " and report.html" : ""));
  }
  return result;
}

}  // namespace sparsedse::job
