#include "model/model_card.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <system_error>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "core/sha256.h"

namespace pcs {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;

const char* TypeName(const Json& j) { return j.type_name(); }

// Deepest nesting of [ and { outside strings. nlohmann::json copies and
// destroys values recursively, so a document nested thousands deep (a few
// KB of "[[[[") could exhaust the stack; such text is refused unparsed.
int NestingDepth(absl::string_view text) {
  int depth = 0;
  int max_depth = 0;
  bool in_string = false;
  bool escaped = false;
  for (char c : text) {
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      max_depth = std::max(max_depth, ++depth);
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return max_depth;
}

absl::Status WrongType(absl::string_view field, absl::string_view want,
                       const Json& got) {
  return absl::InvalidArgumentError(absl::StrCat(
      "model_card.json: ", field, " must be ", want, ", got ", TypeName(got)));
}

// Finds `key` in `object`; nullptr when absent or null.
const Json* Find(const Json& object, const char* key) {
  auto it = object.find(key);
  if (it == object.end() || it->is_null()) return nullptr;
  return &*it;
}

absl::Status GetString(const Json& object, const char* key,
                       absl::string_view path, bool required,
                       std::string* out) {
  const Json* j = Find(object, key);
  if (j == nullptr) {
    if (!required) return absl::OkStatus();
    return absl::InvalidArgumentError(
        absl::StrCat("model_card.json: ", path, " is missing"));
  }
  if (!j->is_string()) return WrongType(path, "a string", *j);
  *out = j->get<std::string>();
  if (required && out->empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("model_card.json: ", path, " is empty"));
  }
  return absl::OkStatus();
}

absl::Status GetFileName(const Json& object, const char* key,
                         std::string* out) {
  if (absl::Status s = GetString(object, key, key, /*required=*/true, out);
      !s.ok())
    return s;
  if (!IsPlainFileName(*out)) {
    return absl::InvalidArgumentError(
        absl::StrCat("model_card.json: ", key,
                     " must be a plain file name in the version folder"));
  }
  return absl::OkStatus();
}

absl::Status GetProbability(const Json& object, const char* key,
                            absl::string_view path, double* out) {
  const Json* j = Find(object, key);
  if (j == nullptr) return absl::OkStatus();
  if (!j->is_number()) return WrongType(path, "a number", *j);
  const double v = j->get<double>();
  if (!(v >= 0.0 && v <= 1.0)) {
    return absl::InvalidArgumentError(
        absl::StrCat("model_card.json: ", path, " must lie in [0, 1]"));
  }
  *out = v;
  return absl::OkStatus();
}

absl::Status CheckObject(const Json& object, const char* key) {
  const Json* j = Find(object, key);
  if (j != nullptr && !j->is_object()) return WrongType(key, "an object", *j);
  return absl::OkStatus();
}

absl::Status ParseSchema(const Json& card, ModelCard* out) {
  const Json* schema = Find(card, "feature_schema");
  if (schema == nullptr) {
    return absl::InvalidArgumentError(
        "model_card.json: feature_schema is missing");
  }
  if (!schema->is_object())
    return WrongType("feature_schema", "an object", *schema);
  if (absl::Status s = GetString(*schema, "hash", "feature_schema.hash", true,
                                 &out->feature_schema_hash);
      !s.ok()) {
    return s;
  }
  if (absl::Status s = GetString(*schema, "version", "feature_schema.version",
                                 false, &out->feature_schema_version);
      !s.ok()) {
    return s;
  }
  if (const Json* names = Find(*schema, "names")) {
    if (!names->is_array())
      return WrongType("feature_schema.names", "an array", *names);
    for (const Json& n : *names) {
      if (!n.is_string())
        return WrongType("feature_schema.names[]", "a string", n);
      out->feature_names.push_back(n.get<std::string>());
    }
  }
  return absl::OkStatus();
}

absl::Status ParseServingAndGate(const Json& card, ModelCard* out) {
  if (const Json* serving = Find(card, "serving")) {
    if (!serving->is_object())
      return WrongType("serving", "an object", *serving);
    if (absl::Status s = GetProbability(*serving, "decision_threshold",
                                        "serving.decision_threshold",
                                        &out->decision_threshold);
        !s.ok()) {
      return s;
    }
    if (absl::Status s =
            GetProbability(*serving, "blend_weight", "serving.blend_weight",
                           &out->blend_weight);
        !s.ok()) {
      return s;
    }
  }
  if (const Json* gate = Find(card, "gate")) {
    if (!gate->is_object()) return WrongType("gate", "an object", *gate);
    if (const Json* passed = Find(*gate, "passed")) {
      if (!passed->is_boolean())
        return WrongType("gate.passed", "a boolean", *passed);
      out->gate_passed = passed->get<bool>();
    }
    if (absl::Status s =
            GetString(*gate, "reason", "gate.reason", false, &out->gate_reason);
        !s.ok()) {
      return s;
    }
  }
  return absl::OkStatus();
}

absl::Status ParseNumbers(const Json& card, ModelCard* out) {
  if (const Json* metrics = Find(card, "metrics")) {
    if (!metrics->is_object())
      return WrongType("metrics", "an object", *metrics);
    out->metrics = *metrics;
    for (const auto& [name, value] : metrics->items()) {
      if (value.is_number() && std::isfinite(value.get<double>())) {
        out->top_level_metrics[name] = value.get<double>();
      }
    }
  }
  if (const Json* rates = Find(card, "type_base_rates")) {
    if (!rates->is_object())
      return WrongType("type_base_rates", "an object", *rates);
    for (const auto& [type, value] : rates->items()) {
      const std::string path =
          absl::StrCat("type_base_rates.", type.substr(0, 64));
      if (!value.is_number()) return WrongType(path, "a number", value);
      const double v = value.get<double>();
      if (!(v >= 0.0 && v <= 1.0)) {
        return absl::InvalidArgumentError(
            absl::StrCat("model_card.json: ", path, " must lie in [0, 1]"));
      }
      out->type_base_rates[type] = v;
    }
  }
  if (const Json* reference = Find(card, "feature_reference")) {
    if (!reference->is_object())
      return WrongType("feature_reference", "an object", *reference);
    out->feature_reference = *reference;
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> ReadSmallFile(const fs::path& path,
                                          absl::string_view what) {
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) {
    return absl::NotFoundError(
        absl::StrCat(what, " is missing (incomplete copy?)"));
  }
  const uintmax_t size = fs::file_size(path, ec);
  if (ec) return absl::NotFoundError(absl::StrCat(what, " cannot be read"));
  if (size > kMaxCardBytes) {
    return absl::InvalidArgumentError(absl::StrCat(
        what, " is ", size, " bytes, over the ", kMaxCardBytes, " byte limit"));
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat(what, " cannot be read"));
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

absl::Status CheckSha(const fs::path& file, const std::string& expected,
                      absl::string_view card_field) {
  absl::StatusOr<std::string> actual = Sha256HexOfFile(file.string());
  if (!actual.ok()) return actual.status();
  if (*actual != expected) {
    return absl::DataLossError(
        absl::StrCat("sha256 of ", file.filename().string(), " is ", *actual,
                     " but model_card.json ", card_field, " says '",
                     expected.substr(0, 64), "'"));
  }
  return absl::OkStatus();
}

absl::Status Warmup(const ModelFolder& m) {
  for (size_t r = 0; r < m.reference_rows.size(); ++r) {
    const ReferenceRow& row = m.reference_rows[r];
    const double margin = m.ensemble.PredictMargin(row.features.data());
    const double probability = m.Probability(margin);
    if (!(std::abs(margin - row.margin) <= ModelFolder::kWarmupTolerance) ||
        !(std::abs(probability - row.probability) <=
          ModelFolder::kWarmupTolerance)) {
      return absl::FailedPreconditionError(
          absl::StrCat("warm-up mismatch on reference row ", r, ": margin ",
                       margin, " vs recorded ", row.margin, ", probability ",
                       probability, " vs recorded ", row.probability));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<ModelFolder> ReadFolder(const fs::path& dir,
                                       const std::string& version,
                                       const std::string& expected_schema_hash,
                                       int expected_num_features) {
  absl::StatusOr<ModelCard> card =
      ReadModelCard((dir / "model_card.json").string());
  if (!card.ok()) return card.status();
  for (const std::string& f : {card->model_file, card->reference_rows_file}) {
    std::error_code ec;
    if (!fs::is_regular_file(dir / f, ec)) {
      return absl::NotFoundError(
          absl::StrCat(f, " is missing (incomplete copy?)"));
    }
  }
  if (absl::Status s =
          CheckSha(dir / card->model_file, card->model_sha256, "model_sha256");
      !s.ok()) {
    return s;
  }
  if (!card->reference_rows_sha256.empty()) {
    if (absl::Status s =
            CheckSha(dir / card->reference_rows_file,
                     card->reference_rows_sha256, "reference_rows_sha256");
        !s.ok()) {
      return s;
    }
  }
  if (card->feature_schema_hash != expected_schema_hash) {
    return absl::FailedPreconditionError(absl::StrCat(
        "feature schema mismatch: model_card.json feature_schema.hash '",
        card->feature_schema_hash.substr(0, 64), "' != this build's '",
        expected_schema_hash, "'"));
  }
  absl::StatusOr<TreeEnsemble> ensemble =
      TreeEnsemble::FromXGBoostJsonFile((dir / card->model_file).string());
  if (!ensemble.ok()) return ensemble.status();
  if (ensemble->num_features() != expected_num_features) {
    return absl::FailedPreconditionError(
        absl::StrCat("model has ", ensemble->num_features(),
                     " features but the schema has ", expected_num_features));
  }
  absl::StatusOr<Calibrator> calibrator =
      Calibrator::FromJson(card->calibration);
  if (!calibrator.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "model_card.json: calibration: ", calibrator.status().message()));
  }
  absl::StatusOr<std::string> rows_text =
      ReadSmallFile(dir / card->reference_rows_file, card->reference_rows_file);
  if (!rows_text.ok()) return rows_text.status();
  absl::StatusOr<Json> rows_json =
      ParseBoundedJson(*rows_text, card->reference_rows_file);
  if (!rows_json.ok()) return rows_json.status();
  absl::StatusOr<std::vector<ReferenceRow>> rows =
      ParseReferenceRows(*rows_json, expected_num_features);
  if (!rows.ok()) return rows.status();

  ModelFolder m{.dir = dir.string(),
                .version = version,
                .card = *std::move(card),
                .ensemble = *std::move(ensemble),
                .calibrator = *std::move(calibrator),
                .reference_rows = *std::move(rows)};
  if (absl::Status s = Warmup(m); !s.ok()) return s;
  return m;
}

}  // namespace

absl::StatusOr<Json> ParseBoundedJson(absl::string_view text,
                                      absl::string_view what) {
  if (NestingDepth(text) > kMaxJsonDepth) {
    return absl::InvalidArgumentError(absl::StrCat(
        what, " is nested deeper than ", kMaxJsonDepth, " levels"));
  }
  Json json = Json::parse(text.begin(), text.end(), nullptr,
                          /*allow_exceptions=*/false);
  if (json.is_discarded()) {
    return absl::InvalidArgumentError(absl::StrCat(what, " is not valid JSON"));
  }
  return json;
}

bool IsPlainFileName(absl::string_view name) {
  return !name.empty() && name.size() <= 255 && name != "." && name != ".." &&
         name.find_first_of(absl::string_view("/\\\0", 3)) ==
             absl::string_view::npos;
}

absl::StatusOr<ModelCard> ParseModelCard(const Json& json) {
  if (!json.is_object()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "model_card.json must be a JSON object, got ", TypeName(json)));
  }
  ModelCard card;
  for (auto [key, out] :
       {std::pair{"version", &card.version}, std::pair{"status", &card.status},
        std::pair{"reference_rows_sha256", &card.reference_rows_sha256},
        std::pair{"trained_at", &card.trained_at},
        std::pair{"code_version", &card.code_version}}) {
    if (absl::Status s = GetString(json, key, key, /*required=*/false, out);
        !s.ok())
      return s;
  }
  if (absl::Status s = GetFileName(json, "model_file", &card.model_file);
      !s.ok())
    return s;
  if (absl::Status s =
          GetFileName(json, "reference_rows_file", &card.reference_rows_file);
      !s.ok()) {
    return s;
  }
  if (absl::Status s = GetString(json, "model_sha256", "model_sha256", true,
                                 &card.model_sha256);
      !s.ok()) {
    return s;
  }
  if (absl::Status s = ParseSchema(json, &card); !s.ok()) return s;
  const Json* calibration = Find(json, "calibration");
  if (calibration == nullptr) {
    return absl::InvalidArgumentError(
        "model_card.json: calibration is missing");
  }
  if (!calibration->is_object())
    return WrongType("calibration", "an object", *calibration);
  card.calibration = *calibration;
  if (absl::Status s = ParseServingAndGate(json, &card); !s.ok()) return s;
  absl::StatusOr<std::optional<DecisionPolicy>> policy =
      ParseDecisionPolicy(json);
  if (!policy.ok()) return policy.status();
  card.policy = *std::move(policy);
  if (absl::Status s = ParseNumbers(json, &card); !s.ok()) return s;
  for (const char* key : {"data_vintage", "hyperparameters", "config"}) {
    if (absl::Status s = CheckObject(json, key); !s.ok()) return s;
  }
  card.raw = json;
  return card;
}

absl::StatusOr<ModelCard> ParseModelCardText(absl::string_view text) {
  absl::StatusOr<Json> json = ParseBoundedJson(text, "model_card.json");
  if (!json.ok()) return json.status();
  return ParseModelCard(*json);
}

absl::StatusOr<ModelCard> ReadModelCard(const std::string& path) {
  absl::StatusOr<std::string> text = ReadSmallFile(path, "model_card.json");
  if (!text.ok()) return text.status();
  return ParseModelCardText(*text);
}

absl::StatusOr<std::vector<ReferenceRow>> ParseReferenceRows(const Json& json,
                                                             int num_features) {
  const Json* rows = json.is_object() ? Find(json, "rows") : nullptr;
  if (rows == nullptr || !rows->is_array() || rows->empty()) {
    return absl::InvalidArgumentError("reference_rows.json has no rows");
  }
  std::vector<ReferenceRow> out;
  out.reserve(rows->size());
  for (size_t r = 0; r < rows->size(); ++r) {
    const Json& row = (*rows)[r];
    auto bad = [r, num_features] {
      return absl::InvalidArgumentError(absl::StrCat(
          "reference_rows.json row ", r, " must be an object with ",
          num_features,
          " features (numbers or null), a numeric margin and probability"));
    };
    if (!row.is_object()) return bad();
    const Json* features = Find(row, "features");
    const Json* margin = Find(row, "margin");
    const Json* probability = Find(row, "probability");
    if (features == nullptr || !features->is_array() ||
        features->size() != static_cast<size_t>(num_features) ||
        margin == nullptr || !margin->is_number() || probability == nullptr ||
        !probability->is_number()) {
      return bad();
    }
    ReferenceRow parsed;
    parsed.features.reserve(num_features);
    for (const Json& v : *features) {
      if (v.is_null()) {
        parsed.features.push_back(NAN);
      } else if (v.is_number()) {
        parsed.features.push_back(v.get<float>());
      } else {
        return bad();
      }
    }
    parsed.margin = margin->get<double>();
    parsed.probability = probability->get<double>();
    if (!std::isfinite(parsed.margin) || !std::isfinite(parsed.probability))
      return bad();
    out.push_back(std::move(parsed));
  }
  return out;
}

double CalibratedProbability(const Calibrator& calibrator, double margin) {
  return calibrator.Apply(Logistic(margin));
}

absl::StatusOr<ModelFolder> ReadModelFolder(
    const std::string& dir, const std::string& expected_schema_hash,
    int expected_num_features) {
  const fs::path path = fs::path(dir).lexically_normal();
  std::string version = path.filename().string();
  if (version.empty()) version = path.parent_path().filename().string();
  absl::StatusOr<ModelFolder> folder =
      ReadFolder(path, version, expected_schema_hash, expected_num_features);
  if (!folder.ok()) {
    return absl::Status(folder.status().code(),
                        absl::StrCat("model version ", version, ": ",
                                     folder.status().message()));
  }
  folder->dir = dir;
  return folder;
}

absl::StatusOr<std::optional<std::string>> ReadChampion(
    const std::string& models_dir) {
  const fs::path path = fs::path(models_dir) / "CHAMPION";
  std::error_code ec;
  if (!fs::exists(path, ec)) return std::nullopt;
  if (!fs::is_regular_file(path, ec)) {
    return absl::FailedPreconditionError("CHAMPION is not a regular file");
  }
  std::ifstream in(path);
  std::string line;
  if (!in) return absl::FailedPreconditionError("CHAMPION cannot be read");
  // One line; read at most 4 KiB of it.
  char buffer[4096];
  in.read(buffer, sizeof(buffer));
  line.assign(buffer, static_cast<size_t>(in.gcount()));
  line = line.substr(0, line.find('\n'));
  const std::string version(absl::StripAsciiWhitespace(line));
  if (version.empty())
    return absl::FailedPreconditionError("CHAMPION file is empty");
  if (!IsPlainFileName(version)) {
    return absl::FailedPreconditionError(
        "CHAMPION must name a version folder (a plain folder name)");
  }
  return version;
}

}  // namespace pcs
