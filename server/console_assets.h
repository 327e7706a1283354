#ifndef PCS_SERVER_CONSOLE_ASSETS_H_
#define PCS_SERVER_CONSOLE_ASSETS_H_

#include <string>

namespace pcs {

// One file of the analyst review console (server/console/), compiled into
// pcs-server by server/console/embed_assets.cmake so the server needs no
// files at run time.
struct ConsoleAsset {
  const char* name;  // path below /console/, e.g. "index.html"
  const char* content_type;
  std::string content;
};

// The asset named `name`, or nullptr. Thread-safe (built once).
const ConsoleAsset* FindConsoleAsset(const std::string& name);

}  // namespace pcs

#endif  // PCS_SERVER_CONSOLE_ASSETS_H_
