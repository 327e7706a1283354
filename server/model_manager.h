#ifndef PCS_SERVER_MODEL_MANAGER_H_
#define PCS_SERVER_MODEL_MANAGER_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "server/metrics_registry.h"
#include "server/model_registry_source.h"
#include "server/servable_model.h"

namespace pcs {

// State of one model version (exported as pcs_model_version_state).
enum class ModelVersionState { kLoading, kAvailable, kFailed, kUnloaded };
const char* ModelVersionStateName(ModelVersionState state);

struct ModelVersionInfo {
  std::string version;
  ModelVersionState state = ModelVersionState::kLoading;
  std::string reason;  // load error, "serving", "replaced by X", ...
  bool serving = false;
  absl::Time updated;
};

struct ModelManagerOptions {
  // Where versions live (ModelLoader gets models_dir/<version>).
  std::string models_dir = {};
  // Optional; when set, reload outcomes and version states are exported.
  MetricsRegistry* metrics = nullptr;
  // Optional; replaces ModelLoader(dir).Load() (tests: a loader that blocks
  // or fails on demand).
  std::function<absl::StatusOr<std::shared_ptr<const ServableModel>>(
      const std::string& dir)>
      load_hook = nullptr;
};

// Publishes the serving model version (TF Serving AspiredVersionsManager with
// an availability-preserving policy, reduced to "one serving version").
//
// OnSnapshot() receives what the registry source found; when the aspired
// version differs from the serving one it loads it (ModelLoader: typed card,
// checks + warm-up) on the caller's (the poller's) thread, without holding
// the manager's mutex (Versions() and DescribeModel answer during a load),
// and only when that load succeeds swaps the published pointer. A failing
// version never serves; the previous one keeps serving; the failure is
// logged, counted (pcs_model_reloads_total{outcome="failure"}) and kept as
// the version's state and reason. An aspired version that cannot even be
// tried (no card file, not in the registry) is counted once per distinct
// reason. A failed version is retried only when its folder is re-published
// (its model_card.json signature changes).
//
// Threading: Current() is lock-free for readers apart from the atomic
// shared_ptr's internal spin (a request takes one snapshot and keeps it for
// its whole life, so a swap mid-request is harmless). OnSnapshot() calls are
// serialised by the source; the version table is guarded by a mutex.
class ModelManager {
 public:
  explicit ModelManager(ModelManagerOptions options);
  ~ModelManager();

  // The serving model, or null when none is (requests then fall back).
  std::shared_ptr<const ServableModel> Current() const {
    return current_.load(std::memory_order_acquire);
  }

  // Registry callback (see ModelRegistrySource).
  void OnSnapshot(const RegistrySnapshot& snapshot) ABSL_LOCKS_EXCLUDED(mu_);

  // Every version seen, newest first.
  std::vector<ModelVersionInfo> Versions() const ABSL_LOCKS_EXCLUDED(mu_);
  std::string aspired_version() const ABSL_LOCKS_EXCLUDED(mu_);
  bool pinned() const ABSL_LOCKS_EXCLUDED(mu_);

  int64_t reloads_succeeded() const { return reloads_succeeded_.load(); }
  int64_t reloads_failed() const { return reloads_failed_.load(); }
  std::string last_error() const ABSL_LOCKS_EXCLUDED(mu_);

  // Drops the serving model (shutdown; requests in flight keep theirs).
  void UnloadAll() ABSL_LOCKS_EXCLUDED(mu_);

 private:
  void SetState(const std::string& version, ModelVersionState state,
                const std::string& reason) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Records the snapshot; true when `snapshot.aspired_version` should be
  // loaded now (then *signature is its folder signature).
  bool PrepareLoad(const RegistrySnapshot& snapshot, std::string* signature)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::StatusOr<std::shared_ptr<const ServableModel>> LoadVersion(
      const std::string& version) const ABSL_LOCKS_EXCLUDED(mu_);
  void Publish(const std::string& version,
               std::shared_ptr<const ServableModel> loaded)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void CountFailure(const std::string& version, const std::string& reason)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void ExportServingInfo(const ServableModel* old_model,
                         const ServableModel* new_model);

  const ModelManagerOptions options_;
  std::atomic<std::shared_ptr<const ServableModel>> current_;
  std::atomic<int64_t> reloads_succeeded_{0};
  std::atomic<int64_t> reloads_failed_{0};

  mutable absl::Mutex mu_;
  std::map<std::string, ModelVersionInfo> versions_ ABSL_GUARDED_BY(mu_);
  // Signature of the folder when its load failed (retry when it changes).
  std::map<std::string, std::string> failed_signatures_ ABSL_GUARDED_BY(mu_);
  std::string aspired_ ABSL_GUARDED_BY(mu_);
  bool pinned_ ABSL_GUARDED_BY(mu_) = false;
  bool shut_down_ ABSL_GUARDED_BY(mu_) = false;
  std::string last_error_ ABSL_GUARDED_BY(mu_);

  Counter* reload_success_ = nullptr;
  Counter* reload_failure_ = nullptr;
  GaugeFamily* version_state_ = nullptr;
  GaugeFamily* model_info_ = nullptr;
};

}  // namespace pcs

#endif  // PCS_SERVER_MODEL_MANAGER_H_
