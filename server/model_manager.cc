#include "server/model_manager.h"

#include <algorithm>
#include <filesystem>

#include "absl/strings/str_cat.h"
#include "server/metrics_registry.h"
#include "server/model_loader.h"
#include "spdlog/spdlog.h"

namespace pcs {

const char* ModelVersionStateName(ModelVersionState state) {
  switch (state) {
    case ModelVersionState::kLoading:
      return "loading";
    case ModelVersionState::kAvailable:
      return "available";
    case ModelVersionState::kFailed:
      return "failed";
    case ModelVersionState::kUnloaded:
      return "unloaded";
  }
  return "unknown";
}

ModelManager::ModelManager(ModelManagerOptions options)
    : options_(std::move(options)) {
  if (options_.metrics != nullptr) {
    CounterFamily* reloads = options_.metrics->AddCounter(
        "pcs_model_reloads_total",
        "Model version loads by outcome (success|failure)", {"outcome"});
    reload_success_ = reloads->WithLabels({"success"});
    reload_failure_ = reloads->WithLabels({"failure"});
    version_state_ = options_.metrics->AddGauge(
        "pcs_model_version_state",
        "1 for the current state of each model version "
        "(loading|available|failed|unloaded)",
        {"version", "state"});
    model_info_ = options_.metrics->AddGauge(
        "pcs_model_info", "1 for the model version serving now",
        {"version", "feature_schema_hash"});
  }
}

ModelManager::~ModelManager() { UnloadAll(); }

void ModelManager::SetState(const std::string& version, ModelVersionState state,
                            const std::string& reason) {
  ModelVersionInfo& info = versions_[version];
  info.version = version;
  info.state = state;
  info.reason = reason;
  info.updated = absl::Now();
  if (version_state_ != nullptr) {
    for (auto s : {ModelVersionState::kLoading, ModelVersionState::kAvailable,
                   ModelVersionState::kFailed, ModelVersionState::kUnloaded}) {
      version_state_->WithLabels({version, ModelVersionStateName(s)})
          ->Set(s == state ? 1 : 0);
    }
  }
}

void ModelManager::ExportServingInfo(const ServableModel* old_model,
                                     const ServableModel* new_model) {
  if (model_info_ == nullptr) return;
  if (old_model != nullptr) {
    model_info_
        ->WithLabels({old_model->version, old_model->feature_schema_hash})
        ->Set(0);
  }
  if (new_model != nullptr) {
    model_info_
        ->WithLabels({new_model->version, new_model->feature_schema_hash})
        ->Set(1);
  }
}

void ModelManager::CountFailure(const std::string& version,
                                const std::string& reason) {
  last_error_ = reason;
  reloads_failed_.fetch_add(1);
  if (reload_failure_ != nullptr) reload_failure_->Increment();
  auto serving = Current();
  spdlog::error(
      "event=model_load_failed version={} keeps_serving={} error=\"{}\"",
      version, serving ? serving->version : "none", reason);
}

void ModelManager::Publish(const std::string& version,
                           std::shared_ptr<const ServableModel> loaded) {
  std::shared_ptr<const ServableModel> old = current_.exchange(loaded);
  failed_signatures_.erase(version);
  SetState(version, ModelVersionState::kAvailable, "serving");
  versions_[version].serving = true;
  if (old != nullptr && old->version != version) {
    SetState(old->version, ModelVersionState::kUnloaded,
             absl::StrCat("replaced by ", version));
    versions_[old->version].serving = false;
  }
  ExportServingInfo(old.get(), loaded.get());
  reloads_succeeded_.fetch_add(1);
  if (reload_success_ != nullptr) reload_success_->Increment();
  spdlog::info("event=model_published version={} previous={} trees={}", version,
               old ? old->version : "none", loaded->ensemble.num_trees());
}

absl::StatusOr<std::shared_ptr<const ServableModel>> ModelManager::LoadVersion(
    const std::string& version) const {
  const std::string dir =
      (std::filesystem::path(options_.models_dir) / version).string();
  if (options_.load_hook) return options_.load_hook(dir);
  return ModelLoader(dir).Load();
}

void ModelManager::OnSnapshot(const RegistrySnapshot& snapshot) {
  std::string aspired;
  std::string signature;
  {
    absl::MutexLock lock(&mu_);
    if (!PrepareLoad(snapshot, &signature)) return;
    aspired = snapshot.aspired_version;
    SetState(aspired, ModelVersionState::kLoading, "loading");
  }
  // The load (file reads, parse, checks, warm-up) runs without mu_, so status
  // RPCs (Versions(), DescribeModel) answer while it runs. OnSnapshot calls
  // are serialised by the source, so two loads never overlap.
  absl::StatusOr<std::shared_ptr<const ServableModel>> loaded =
      LoadVersion(aspired);
  absl::MutexLock lock(&mu_);
  if (shut_down_) {
    SetState(aspired, ModelVersionState::kUnloaded, "shutdown");
    return;
  }
  if (!loaded.ok()) {
    const std::string reason(loaded.status().message());
    SetState(aspired, ModelVersionState::kFailed, reason);
    failed_signatures_[aspired] = signature;
    CountFailure(aspired, reason);
    return;
  }
  Publish(aspired, *std::move(loaded));
}

bool ModelManager::PrepareLoad(const RegistrySnapshot& snapshot,
                               std::string* signature) {
  aspired_ = snapshot.aspired_version;
  pinned_ = snapshot.pinned;
  for (const auto& [version, reason] : snapshot.ignored) {
    auto it = versions_.find(version);
    if (it == versions_.end() || it->second.reason != reason) {
      SetState(version, ModelVersionState::kFailed, reason);
    }
  }
  for (const std::string& version : snapshot.versions) {
    if (versions_.find(version) == versions_.end()) {
      SetState(version, ModelVersionState::kUnloaded, "not aspired");
    }
  }
  if (!snapshot.error.empty()) {
    spdlog::warn("event=model_registry_problem error=\"{}\"", snapshot.error);
  }
  const std::string& aspired = snapshot.aspired_version;
  if (aspired.empty() || shut_down_) return false;  // keep what serves
  auto serving = Current();
  if (serving != nullptr && serving->version == aspired) return false;
  auto ignored = snapshot.ignored.find(aspired);
  if (ignored != snapshot.ignored.end() ||
      std::find(snapshot.versions.begin(), snapshot.versions.end(), aspired) ==
          snapshot.versions.end()) {
    std::string reason = ignored != snapshot.ignored.end()
                             ? ignored->second
                             : absl::StrCat("aspired version ", aspired,
                                            " is not in the registry");
    // Counted once per distinct reason, not on every poll.
    if (last_error_ != reason) CountFailure(aspired, reason);
    if (ignored == snapshot.ignored.end()) {
      SetState(aspired, ModelVersionState::kFailed, reason);
    }
    return false;
  }
  *signature =
      snapshot.signatures.count(aspired) ? snapshot.signatures.at(aspired) : "";
  auto failed = failed_signatures_.find(aspired);
  if (failed != failed_signatures_.end() && failed->second == *signature) {
    return false;  // same bytes failed before; wait for a re-publish
  }
  return true;
}

std::vector<ModelVersionInfo> ModelManager::Versions() const {
  absl::MutexLock lock(&mu_);
  std::vector<ModelVersionInfo> out;
  for (auto it = versions_.rbegin(); it != versions_.rend(); ++it) {
    out.push_back(it->second);
  }
  return out;
}

std::string ModelManager::aspired_version() const {
  absl::MutexLock lock(&mu_);
  return aspired_;
}

bool ModelManager::pinned() const {
  absl::MutexLock lock(&mu_);
  return pinned_;
}

std::string ModelManager::last_error() const {
  absl::MutexLock lock(&mu_);
  return last_error_;
}

void ModelManager::UnloadAll() {
  absl::MutexLock lock(&mu_);
  shut_down_ = true;
  std::shared_ptr<const ServableModel> old = current_.exchange(nullptr);
  if (old != nullptr) {
    SetState(old->version, ModelVersionState::kUnloaded, "shutdown");
    versions_[old->version].serving = false;
    ExportServingInfo(old.get(), nullptr);
  }
}

}  // namespace pcs
