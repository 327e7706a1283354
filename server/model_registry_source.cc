#include "server/model_registry_source.h"

#include <filesystem>
#include <fstream>
#include <sstream>
#include <system_error>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "model/model_card.h"

namespace pcs {
namespace fs = std::filesystem;

namespace {

constexpr char kCardFile[] = "model_card.json";

// "" when the folder has a card file, else the reason. The card's content is
// checked by the loader (ReadModelFolder), so that every defect of a card
// fails one load and is counted there.
std::string CheckCard(const fs::path& card_path) {
  std::error_code ec;
  if (!fs::is_regular_file(card_path, ec)) {
    return "model_card.json is missing (incomplete copy?)";
  }
  return "";
}

std::string Signature(const fs::path& card_path) {
  std::error_code ec;
  auto size = fs::file_size(card_path, ec);
  auto mtime = fs::last_write_time(card_path, ec);
  return absl::StrCat(size, "@", mtime.time_since_epoch().count());
}

}  // namespace

RegistrySnapshot ModelRegistrySource::Scan(const std::string& models_dir,
                                           const std::string& pin_version) {
  RegistrySnapshot snapshot;
  std::error_code ec;
  fs::directory_iterator it(models_dir, ec);
  if (ec) {
    snapshot.error = absl::StrCat("cannot read models dir '", models_dir,
                                  "': ", ec.message());
  } else {
    for (const fs::directory_entry& entry : it) {
      if (!entry.is_directory(ec)) continue;
      std::string name = entry.path().filename().string();
      if (absl::StartsWith(name, ".")) continue;  // .tmp-* publishes
      fs::path card = entry.path() / kCardFile;
      std::string problem = CheckCard(card);
      if (problem.empty()) {
        snapshot.versions.push_back(name);
        snapshot.signatures[name] = Signature(card);
      } else {
        snapshot.ignored[name] = problem;
      }
    }
    std::sort(snapshot.versions.begin(), snapshot.versions.end());
  }
  if (!pin_version.empty()) {
    snapshot.aspired_version = pin_version;
    snapshot.pinned = true;
    return snapshot;
  }
  absl::StatusOr<std::optional<std::string>> champion =
      ReadChampion(models_dir);
  if (!champion.ok()) {
    if (snapshot.error.empty())
      snapshot.error = std::string(champion.status().message());
  } else if (champion->has_value()) {
    snapshot.aspired_version = **champion;
  }
  return snapshot;
}

absl::StatusOr<std::unique_ptr<ModelRegistrySource>>
ModelRegistrySource::Create(ModelRegistrySourceOptions options,
                            Callback callback) {
  if (options.models_dir.empty()) {
    return absl::InvalidArgumentError("models_dir is empty");
  }
  if (options.poll_period < absl::ZeroDuration()) {
    return absl::InvalidArgumentError("poll_period is negative");
  }
  std::unique_ptr<ModelRegistrySource> source(
      new ModelRegistrySource(std::move(options), std::move(callback)));
  source->PollNow();
  if (source->options_.poll_period > absl::ZeroDuration()) {
    source->thread_ = std::thread([s = source.get()] { s->PollLoop(); });
  }
  return source;
}

ModelRegistrySource::~ModelRegistrySource() {
  stop_.Notify();
  if (thread_.joinable()) thread_.join();
}

RegistrySnapshot ModelRegistrySource::PollNow() {
  absl::MutexLock lock(&poll_mu_);
  RegistrySnapshot snapshot = Scan(options_.models_dir, options_.pin_version);
  if (callback_) callback_(snapshot);
  return snapshot;
}

void ModelRegistrySource::PollLoop() {
  while (!stop_.WaitForNotificationWithTimeout(options_.poll_period)) {
    PollNow();
  }
}

}  // namespace pcs
