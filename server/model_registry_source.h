#ifndef PCS_SERVER_MODEL_REGISTRY_SOURCE_H_
#define PCS_SERVER_MODEL_REGISTRY_SOURCE_H_

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"

namespace pcs {

// What the model registry folder holds at one poll.
struct RegistrySnapshot {
  // Version folders with a model_card.json file, sorted ascending
  // (versions are UTC timestamps, so this is oldest first).
  std::vector<std::string> versions;
  // Folders without a model_card.json, with the reason ("model_card.json is
  // missing (incomplete copy?)"). The card's content is checked when the
  // version is loaded (ModelLoader), not here. .tmp-* folders
  // (unfinished publishes) are skipped silently and never appear here.
  std::map<std::string, std::string> ignored;
  // The version to serve: the pin when set, else the CHAMPION file's line
  // (read by ReadChampion, model/model_card.h); "" when neither exists or
  // CHAMPION is unusable (then `error` says why).
  std::string aspired_version;
  bool pinned = false;
  // Signature per version (card size + mtime) so a consumer can tell that a
  // failed version was re-published and is worth another try.
  std::map<std::string, std::string> signatures;
  // Problems reading the registry itself (unreadable CHAMPION etc.).
  std::string error;
};

struct ModelRegistrySourceOptions {
  // Registry root, e.g. "models/phase5". Must exist when polled (a missing
  // folder yields an empty snapshot with `error` set, not a crash).
  std::string models_dir = {};
  // When non-empty, serve this version regardless of CHAMPION (roll back /
  // canary). The pin must name a folder under models_dir.
  std::string pin_version = {};
  // Poll period. Zero disables the background thread: the owner calls
  // PollNow() (tests step the source by hand).
  absl::Duration poll_period = absl::Seconds(10);
};

// Polls the model registry folder (models/phase5/) and reports what it finds
// to a callback (the ModelManager). It never loads models itself.
//
// Registry layout (docs/SERVER.md and docs/MODEL_CARD.md):
//   <models_dir>/<version>/model_card.json, model.json, reference_rows.json
//   <models_dir>/.tmp-<version>/   ignored (publish in progress)
//   <models_dir>/CHAMPION          one line: the version to serve
//
// Threading: the callback runs on the polling thread (or on the caller's
// thread for PollNow()); calls never overlap (serialised by a mutex), so the
// consumer sees snapshots in order. The destructor stops and joins the thread.
//
// Example:
//   auto source = ModelRegistrySource::Create(
//       {.models_dir = "models/phase5", .poll_period = absl::Seconds(5)},
//       [&](const RegistrySnapshot& s) { manager.OnSnapshot(s); });
class ModelRegistrySource {
 public:
  using Callback = std::function<void(const RegistrySnapshot&)>;

  // Polls once synchronously (so the first model is loaded before Create
  // returns), then starts the poll thread when poll_period > 0.
  static absl::StatusOr<std::unique_ptr<ModelRegistrySource>> Create(
      ModelRegistrySourceOptions options, Callback callback);
  ~ModelRegistrySource();

  // Scans now, calls the callback, returns the snapshot.
  RegistrySnapshot PollNow() ABSL_LOCKS_EXCLUDED(poll_mu_);

  // Scans without calling the callback (pure; for tools and tests).
  static RegistrySnapshot Scan(const std::string& models_dir,
                               const std::string& pin_version);

 private:
  ModelRegistrySource(ModelRegistrySourceOptions options, Callback callback)
      : options_(std::move(options)), callback_(std::move(callback)) {}
  void PollLoop();

  const ModelRegistrySourceOptions options_;
  const Callback callback_;
  absl::Mutex poll_mu_;
  absl::Notification stop_;
  std::thread thread_;
};

}  // namespace pcs

#endif  // PCS_SERVER_MODEL_REGISTRY_SOURCE_H_
