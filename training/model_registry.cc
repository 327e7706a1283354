#include "training/model_registry.h"

#include <cmath>
#include <ctime>
#include <filesystem>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "core/sha256.h"
#include "model/model_card.h"
#include "model/model_card_writer.h"

namespace pcs {
namespace {

namespace fs = std::filesystem;

absl::Status WriteText(const fs::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  out.close();
  if (!out)
    return absl::InternalError(absl::StrCat("cannot write ", path.string()));
  return absl::OkStatus();
}

std::string Utc(const char* format) {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), format, &tm);
  return buf;
}

absl::Status PromoteChampion(const fs::path& root, const std::string& version,
                             const nlohmann::json& gate_json,
                             const std::optional<std::string>& previous) {
  const fs::path tmp = root / absl::StrCat("CHAMPION.tmp-", version);
  if (absl::Status s = WriteText(tmp, version + "\n"); !s.ok()) return s;
  std::error_code ec;
  fs::rename(tmp, root / "CHAMPION", ec);
  if (ec)
    return absl::InternalError(
        absl::StrCat("cannot replace CHAMPION: ", ec.message()));
  nlohmann::json line = {
      {"version", version},
      {"promoted_at", UtcIsoNow()},
      {"previous", previous ? nlohmann::json(*previous) : nullptr},
      {"gate", gate_json}};
  std::ofstream hist(root / "champion_history.jsonl", std::ios::app);
  hist << line.dump() << "\n";
  hist.close();
  if (!hist) return absl::InternalError("cannot append champion_history.jsonl");
  return absl::OkStatus();
}

}  // namespace

std::string UtcVersionNow() { return Utc("%Y%m%dT%H%M%SZ"); }
std::string UtcIsoNow() { return Utc("%Y-%m-%dT%H:%M:%SZ"); }

absl::StatusOr<PublishResult> PublishModel(const std::string& models_dir,
                                           const ModelArtifact& a,
                                           const GateDecision& gate,
                                           const GateOptions& gate_options) {
  if (a.version.empty())
    return absl::InvalidArgumentError("empty model version");
  const fs::path root(models_dir);
  const fs::path final_dir = root / a.version;
  const fs::path tmp = root / absl::StrCat(".tmp-", a.version);
  std::error_code ec;
  fs::create_directories(root, ec);
  if (ec)
    return absl::InternalError(
        absl::StrCat("cannot create ", models_dir, ": ", ec.message()));
  if (fs::exists(final_dir)) {
    return absl::AlreadyExistsError(
        absl::StrCat("model version exists: ", final_dir.string()));
  }
  fs::remove_all(tmp, ec);
  fs::create_directories(tmp, ec);
  if (ec)
    return absl::InternalError(absl::StrCat("cannot create ", tmp.string()));
  auto fail = [&](absl::Status s) {
    std::error_code ignored;
    fs::remove_all(tmp, ignored);
    return s;
  };
  PublishResult result;
  // An unusable CHAMPION (empty, not a folder name) counts as none: this
  // publish replaces it.
  absl::StatusOr<std::optional<std::string>> champion =
      ReadChampion(models_dir);
  result.previous_champion = champion.ok() ? *champion : std::nullopt;
  result.status = gate.promote ? "champion" : "rejected_challenger";
  result.model_sha256 = Sha256Hex(a.model_json);
  const std::string rows_text = a.reference_rows.dump(1) + "\n";
  if (absl::Status s = WriteText(tmp / "model.json", a.model_json); !s.ok())
    return fail(s);
  if (absl::Status s = WriteText(tmp / "reference_rows.json", rows_text);
      !s.ok())
    return fail(s);
  nlohmann::json card = a.card;
  AddPublication(
      {a.version, result.status, GateJson(gate, gate_options), "model.json",
       result.model_sha256, "reference_rows.json", Sha256Hex(rows_text)},
      card);
  if (absl::Status s = WriteText(tmp / "model_card.json", card.dump(2) + "\n");
      !s.ok()) {
    return fail(s);
  }
  fs::rename(tmp, final_dir, ec);
  if (ec)
    return fail(absl::InternalError(absl::StrCat(
        "cannot publish ", final_dir.string(), ": ", ec.message())));
  result.dir = final_dir.string();
  if (gate.promote) {
    absl::Status s = PromoteChampion(root, a.version, card["gate"],
                                     result.previous_champion);
    if (!s.ok()) return s;
  }
  return result;
}

}  // namespace pcs
