#include "sparsedse/job/job.hpp"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <set>

#include "sparsedse/common/error.hpp"
#include "sparsedse/common/io.hpp"
#include "sparsedse/common/json_fields.hpp"
#include "sparsedse/data/dataset.hpp"
#include "sparsedse/frontend/model.hpp"

namespace sparsedse::job {

namespace fs = std::filesystem;
using nlohmann::json;

std::string file_digest(const fs::path& path) {
  const std::string bytes = read_file(path);
  std::uint64_t h = 0xcbf29ce484222325ull;
  for (unsigned char c : bytes) h = (h ^ c) * 0x100000001b3ull;
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
  return buf;
}

namespace {

fs::path resolve(const std::string& text, const fs::path& base_dir) {
  fs::path p(text);
  return p.is_absolute() || base_dir.empty() ? p : (base_dir / p).lexically_normal();
}

// A name ("u250", "default") or a file path: anything with a slash or a .json suffix is a path.
bool is_path(const std::string& text) { return text.find('/') != std::string::npos || text.ends_with(".json"); }

// Entry ids become directory names.
std::string safe_name(std::string s) {
  for (char& c : s)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' || c == '_')) c = '-';
  return s;
}

long long parse_count(const std::string& value, const std::string& where, const std::string& key, long long min) {
  char* end = nullptr;
  const long long v = std::strtoll(value.c_str(), &end, 10);
  if (value.empty() || *end != '\0' || v < min)
    throw InputError(where, "zoo option '" + key + "': expected an integer >= " + std::to_string(min) + ", got '" +
                                value + "'");
  return v;
}

// A string naming a file, or an inline object (the same schema as the file).
struct ConfigSource {
  json doc;
  std::string where;  // for errors: the file, or the job file + JSON path
  std::string text;   // as written, "inline" for an object
};

ConfigSource config_source(const JsonFields& f, const std::string& key, const fs::path& base_dir) {
  const json& v = f.raw(key);
  if (v.is_object()) return {v, f.where(key), "inline"};
  if (!v.is_string()) f.fail(key, "a file name or an inline object, got " + std::string(v.type_name()));
  const fs::path file = resolve(v.get<std::string>(), base_dir);
  if (!path_exists(file)) throw InputError(f.where(key), "file not found: " + file.string());
  return {read_json(file), file.string(), v.get<std::string>()};
}

DatasetRef dataset_ref(const JsonFields& parent, const std::string& key, const fs::path& base_dir, bool test) {
  JsonFields d = parent.object(key);
  d.allow_only({"dataset", "images"});
  DatasetRef ref;
  ref.text = d.string("dataset");
  ref.file = resolve(ref.text, base_dir);
  if (!path_exists(ref.file)) throw InputError(d.where("dataset"), "dataset file not found: " + ref.file.string());
  data::DatasetSpec::read(ref.file);  // a bad dataset description fails now, not minutes into the run
  ref.images = test ? d.integer_at_least("images", 0, 0) : d.integer_at_least("images", 1, 0);
  return ref;
}

std::vector<std::string> strings_or_one(const JsonFields& f, const std::string& one, const std::string& many,
                                        const std::string& fallback) {
  if (f.has(one) && f.has(many)) f.fail(many, "either '" + one + "' or '" + many + "', not both");
  if (f.has(one)) return {f.string(one)};
  if (!f.has(many)) {
    if (fallback.empty()) throw InputError(f.where(one), "missing required field (or give a list in '" + many + "')");
    return {fallback};
  }
  const json& list = f.raw(many);
  if (!list.is_array() || list.empty()) f.fail(many, "a non-empty list of strings");
  std::vector<std::string> out;
  for (std::size_t i = 0; i < list.size(); ++i) {
    if (!list[i].is_string()) throw InputError(f.where(many) + "/" + std::to_string(i), "expected a string");
    out.push_back(list[i].get<std::string>());
  }
  return out;
}

}  // namespace

std::string ModelRef::label() const { return is_zoo() ? zoo : file.stem().string(); }

ModelRef parse_model_ref(const std::string& text, const fs::path& base_dir, const std::string& where) {
  ModelRef ref;
  ref.text = text;
  if (text.empty()) throw InputError(where, "expected a model file or a zoo reference (zoo:NAME), got \"\"");
  if (!text.starts_with("zoo:")) {
    ref.file = resolve(text, base_dir);
    const std::string ext = ref.file.extension().string();
    if (ext != ".onnx" && ext != ".json")
      throw InputError(where, "expected a .onnx or .json model file or zoo:NAME, got \"" + text + "\"");
    return ref;
  }
  const std::string rest = text.substr(4);
  const std::size_t q = rest.find('?');
  ref.zoo = rest.substr(0, q);
  const auto& names = frontend::zoo_names();
  if (std::find(names.begin(), names.end(), ref.zoo) == names.end()) {
    std::string known, hint = closest_match(ref.zoo, names);
    for (const auto& n : names) known += (known.empty() ? "" : ", ") + n;
    throw InputError(where, "unknown zoo network '" + ref.zoo + "'" +
                                (hint.empty() ? "" : " (did you mean '" + hint + "'?)") + "; known: " + known);
  }
  if (q == std::string::npos) return ref;
  const std::vector<std::string> keys{"in_channels", "classes", "seed", "image_size"};
  std::string query = rest.substr(q + 1);
  std::size_t start = 0;
  while (start <= query.size()) {
    const std::size_t amp = query.find('&', start);
    const std::string pair = query.substr(start, amp == std::string::npos ? std::string::npos : amp - start);
    const std::size_t eq = pair.find('=');
    if (eq == std::string::npos) throw InputError(where, "zoo option '" + pair + "': expected key=value");
    const std::string key = pair.substr(0, eq), value = pair.substr(eq + 1);
    if (key == "in_channels") ref.zoo_options.in_channels = int(parse_count(value, where, key, 1));
    else if (key == "classes") ref.zoo_options.classes = int(parse_count(value, where, key, 1));
    else if (key == "seed") ref.zoo_options.seed = std::uint64_t(parse_count(value, where, key, 0));
    else if (key == "image_size") ref.zoo_options.image_size = int(parse_count(value, where, key, 1));
    else {
      const std::string hint = closest_match(key, keys);
      throw InputError(where, "unknown zoo option '" + key + "'" + (hint.empty() ? "" : " (did you mean '" + hint + "'?)") +
                                  "; known: in_channels, classes, seed, image_size");
    }
    if (amp == std::string::npos) break;
    start = amp + 1;
  }
  return ref;
}

ir::Graph load_model(const ModelRef& ref, const std::string& where) {
  if (ref.is_zoo()) return frontend::zoo_model(ref.zoo, ref.zoo_options);
  if (!path_exists(ref.file))
    throw InputError(where.empty() ? ref.text : where,
                     "model file not found: " + ref.file.string() +
                         (ref.file.filename() == "resnet18-fmnist.onnx" || ref.file.filename() == "resnet20-fmnist.onnx"
                              ? " (the shipped models are trained with tools/train; see models/README.md)"
                              : ""));
  return frontend::load_model(ref.file);
}

JobSpec job_from_json(const json& doc, const fs::path& file) {
  const std::string src = file.string();
  const fs::path base = file.parent_path();
  JsonFields f(doc, src);
  f.allow_only({"name", "description", "model", "models", "platform", "platforms", "dataset", "optimiser", "hardware",
                "thresholds", "policies", "seeds", "emit", "threads"});
  JobSpec job;
  job.source = src;
  job.name = f.string("name", file.stem().string());
  if (job.name.empty()) f.fail("name", "a non-empty name");
  job.description = f.string("description", "");

  const std::string model_key = f.has("models") ? "models" : "model";
  const auto model_texts = strings_or_one(f, "model", "models", "");
  for (std::size_t i = 0; i < model_texts.size(); ++i)
    job.models.push_back(parse_model_ref(
        model_texts[i], base, model_key == "models" ? f.where("models") + "/" + std::to_string(i) : f.where("model")));

  job.platform_texts = strings_or_one(f, "platform", "platforms", hw::kDefaultPlatform);
  for (std::size_t i = 0; i < job.platform_texts.size(); ++i) {
    const std::string& t = job.platform_texts[i];
    const std::string where = f.has("platforms") ? f.where("platforms") + "/" + std::to_string(i) : f.where("platform");
    try {
      job.platforms.push_back(hw::find_platform(is_path(t) ? resolve(t, base).string() : t));
    } catch (const InputError& e) {
      throw InputError(where, e.what());
    }
  }

  JsonFields d = f.object("dataset");
  d.allow_only({"calibration", "test"});
  job.calibration = dataset_ref(d, "calibration", base, false);
  if (d.has("test")) job.test = dataset_ref(d, "test", base, true);

  if (f.has("optimiser")) {
    const json& v = f.raw("optimiser");
    if (v.is_string() && !is_path(v.get<std::string>())) {
      job.optimiser_text = v.get<std::string>();
      try {
        job.optimiser = dse::find_optimiser_config(job.optimiser_text);
      } catch (const InputError& e) {
        throw InputError(f.where("optimiser"), e.what());
      }
    } else {
      ConfigSource s = config_source(f, "optimiser", base);
      job.optimiser_text = s.text;
      job.optimiser = dse::optimiser_config_from_json(s.doc, s.where);
    }
  } else {
    job.optimiser_text = dse::kDefaultOptimiserConfig;
    job.optimiser = dse::find_optimiser_config(dse::kDefaultOptimiserConfig);
  }
  if (f.has("hardware")) {
    ConfigSource s = config_source(f, "hardware", base);
    job.hardware = hw::parse_model_options(s.doc, s.where);
  }

  bool thresholds_policy = false, thresholds_seed = false;
  bool thresholds_calibration = false, thresholds_test = false;
  if (f.has("thresholds")) {
    ConfigSource s = config_source(f, "thresholds", base);
    job.thresholds = threshold::threshold_config_from_json(s.doc, s.where);
    thresholds_policy = s.doc.contains("policy");
    thresholds_seed = s.doc.contains("seed");
    thresholds_calibration = s.doc.contains("calibration");
    thresholds_test = s.doc.contains("test_images");
  }
  // The subset sizes live in /dataset; a thresholds file may carry them too, but then they must agree.
  if (job.calibration.images == 0) {
    job.calibration.images = job.thresholds.calibration;
  } else if (thresholds_calibration && job.thresholds.calibration != job.calibration.images) {
    throw InputError(d.where("calibration") + "/images", "disagrees with the thresholds config's 'calibration' (" +
                                                            std::to_string(job.thresholds.calibration) + "); set one");
  }
  job.thresholds.calibration = job.calibration.images;
  if (job.test) {
    if (job.test->images == 0 && thresholds_test) job.test->images = job.thresholds.test_images;
    else if (thresholds_test && job.thresholds.test_images != job.test->images)
      throw InputError(d.where("test") + "/images", "disagrees with the thresholds config's 'test_images' (" +
                                                       std::to_string(job.thresholds.test_images) + "); set one");
    job.thresholds.test_images = job.test->images;
  }

  if (f.has("policies")) {
    if (thresholds_policy) f.fail("policies", "either /policies or /thresholds/policy, not both");
    const json& list = f.raw("policies");
    if (!list.is_array() || list.empty()) f.fail("policies", "a non-empty list of \"uniform\", \"latency-aware\" or \"both\"");
    for (std::size_t i = 0; i < list.size(); ++i) {
      const std::string where = f.where("policies") + "/" + std::to_string(i);
      if (!list[i].is_string()) throw InputError(where, "expected \"uniform\", \"latency-aware\" or \"both\"");
      job.policy_sets.push_back(threshold::parse_policies(list[i].get<std::string>(), where));
    }
  } else {
    job.policy_sets.push_back(job.thresholds.policies);
  }
  if (f.has("seeds")) {
    if (thresholds_seed) f.fail("seeds", "either /seeds or /thresholds/seed, not both");
    const json& list = f.raw("seeds");
    if (!list.is_array() || list.empty()) f.fail("seeds", "a non-empty list of distinct non-negative integers");
    for (std::size_t i = 0; i < list.size(); ++i) {
      const std::string where = f.where("seeds") + "/" + std::to_string(i);
      if (!list[i].is_number_integer() || list[i].get<long long>() < 0)
        throw InputError(where, "expected a non-negative integer");
      const std::uint64_t seed = list[i].get<std::uint64_t>();
      if (std::count(job.seeds.begin(), job.seeds.end(), seed))
        throw InputError(where, "seed " + std::to_string(seed) + " is listed twice");
      job.seeds.push_back(seed);
    }
  }

  if (f.has("emit")) {
    JsonFields e = f.object("emit");
    e.allow_only({"html", "hls"});
    job.emit.html = e.boolean("html", true);
    const std::string hls = e.choice("hls", {"final", "all", "none"}, "final");
    job.emit.hls = hls == "all" ? HlsEmit::all : hls == "none" ? HlsEmit::none : HlsEmit::final;
  }
  job.threads = int(f.integer_at_least("threads", 0, 0));
  return job;
}

JobSpec read_job(const fs::path& file) { return job_from_json(read_json(file), file); }

std::vector<JobEntry> JobSpec::entries() const {
  std::vector<JobEntry> out;
  std::set<std::string> ids;
  for (const ModelRef& m : models)
    for (std::size_t p = 0; p < platforms.size(); ++p)
      for (const auto& policies : policy_sets)
        for (std::size_t k = 0; k < std::max<std::size_t>(1, seeds.size()); ++k) {
          JobEntry e;
          e.model = m;
          e.platform_text = platform_texts[p];
          e.platform = platforms[p];
          e.thresholds = thresholds;
          e.thresholds.policies = policies;
          std::string id = m.label() + "_" + (is_path(platform_texts[p]) ? fs::path(platform_texts[p]).stem().string()
                                                                         : platform_texts[p]);
          if (policy_sets.size() > 1) id += "_" + std::string(policies.size() == 2 ? "both" : to_string(policies[0]));
          if (!seeds.empty()) {
            e.thresholds.seed = seeds[k];
            id += "_seed" + std::to_string(seeds[k]);
          }
          id = safe_name(id);
          // The same model under two spellings: number the repeats.
          std::string unique = id;
          for (int n = 2; ids.count(unique); ++n) unique = id + "-" + std::to_string(n);
          ids.insert(unique);
          e.id = unique;
          out.push_back(std::move(e));
        }
  return out;
}

json JobSpec::fingerprint() const {
  json models_json = json::array();
  for (const ModelRef& m : models) {
    json j = {{"model", m.text}};
    if (m.is_zoo()) {
      j["zoo"] = {{"name", m.zoo},
                  {"in_channels", m.zoo_options.in_channels},
                  {"classes", m.zoo_options.classes},
                  {"seed", m.zoo_options.seed},
                  {"image_size", m.zoo_options.image_size}};
    } else {
      j["file"] = m.file.string();
      j["digest"] = path_exists(m.file) ? file_digest(m.file) : "missing";
    }
    models_json.push_back(j);
  }
  json platforms_json = json::array();
  for (const hw::Platform& p : platforms) platforms_json.push_back(hw::to_json(p));
  auto dataset_json = [](const DatasetRef& d) {
    return json{{"dataset", d.text}, {"file", d.file.string()}, {"images", d.images}};
  };
  json policies = json::array();
  for (const auto& set : policy_sets) {
    json s = json::array();
    for (threshold::Policy p : set) s.push_back(to_string(p));
    policies.push_back(s);
  }
  json fp = {{"name", name},
             {"description", description},
             {"models", models_json},
             {"platforms", platforms_json},
             {"calibration", dataset_json(calibration)},
             {"test", test ? dataset_json(*test) : json()},
             {"optimiser", dse::to_json(optimiser)},
             {"hardware", hw::to_json(hardware)},
             {"thresholds", threshold::to_json(thresholds)},
             {"policies", policies},
             {"emit", {{"html", emit.html}, {"hls", emit.hls == HlsEmit::all ? "all" : emit.hls == HlsEmit::none ? "none" : "final"}}}};
  if (!seeds.empty()) fp["seeds"] = seeds;  // absent otherwise, so runs started before the axis existed resume
  return fp;
}

fs::path default_job_file() {
  const fs::path rel = fs::path("configs") / "jobs" / "default.json";
  std::vector<fs::path> candidates{rel};
  if (const char* env = std::getenv("SPARSEDSE_DATA_DIR")) candidates.push_back(fs::path(env) / rel);
#ifdef SPARSEDSE_SOURCE_DIR
  candidates.push_back(fs::path(SPARSEDSE_SOURCE_DIR) / rel);
#endif
  for (const fs::path& c : candidates)
    if (path_exists(c)) return c;
  throw InputError(rel.string(), "the default job was not found (looked in ., $SPARSEDSE_DATA_DIR and the source tree)");
}

}  // namespace sparsedse::job
