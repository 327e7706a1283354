#include "tests/test_util/test_certificates.h"

#include <unistd.h>

#include <cstdlib>

#include "absl/strings/str_cat.h"

namespace pcs::testing {
namespace {

namespace fs = std::filesystem;

absl::Status Run(const std::string& command) {
  // Output goes to a log next to the files; only failures matter.
  int rc = std::system(command.c_str());
  if (rc != 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("openssl failed (", rc, "): ", command));
  }
  return absl::OkStatus();
}

// A self-signed CA: <name>.pem / <name>.key.
absl::Status MakeCa(const fs::path& dir, const std::string& name,
                    const std::string& cn) {
  const std::string base = (dir / name).string();
  return Run(absl::StrCat(
      "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes "
      "-keyout ",
      base, ".key -out ", base, ".pem -days 2 -subj '/CN=", cn, "' >>",
      (dir / "openssl.log").string(), " 2>&1"));
}

// A leaf certificate signed by `ca`; `days` < 0 gives an expired one.
absl::StatusOr<CertFiles> MakeLeaf(const fs::path& dir, const std::string& ca,
                                   const std::string& name,
                                   const std::string& subject, int days,
                                   const std::string& extensions) {
  const std::string base = (dir / name).string();
  const std::string ca_base = (dir / ca).string();
  const std::string log = (dir / "openssl.log").string();
  std::string ext_arg;
  if (!extensions.empty()) {
    std::string ext_file = base + ".ext";
    if (absl::Status s =
            Run(absl::StrCat("printf '%s\\n' '", extensions, "' > ", ext_file));
        !s.ok()) {
      return s;
    }
    ext_arg = " -extfile " + ext_file;
  }
  if (absl::Status s = Run(absl::StrCat(
          "openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes "
          "-keyout ",
          base, ".key -out ", base, ".csr -subj '", subject, "' >>", log,
          " 2>&1"));
      !s.ok()) {
    return s;
  }
  if (absl::Status s = Run(absl::StrCat(
          "openssl x509 -req -in ", base, ".csr -CA ", ca_base, ".pem -CAkey ",
          ca_base, ".key -CAcreateserial -out ", base, ".pem -days ", days,
          ext_arg, " >>", log, " 2>&1"));
      !s.ok()) {
    return s;
  }
  return CertFiles{base + ".pem", base + ".key"};
}

}  // namespace

absl::StatusOr<TestPki> MakeTestPki(const std::string& tag) {
  TestPki pki;
  pki.dir = fs::temp_directory_path() /
            absl::StrCat("pcs_test_pki_", ::getpid(), "_", tag);
  fs::remove_all(pki.dir);
  fs::create_directories(pki.dir);
  if (absl::Status s = MakeCa(pki.dir, "ca", "pcs test CA"); !s.ok()) return s;
  if (absl::Status s = MakeCa(pki.dir, "other_ca", "someone else CA");
      !s.ok()) {
    return s;
  }
  pki.ca = (pki.dir / "ca.pem").string();
  pki.other_ca = (pki.dir / "other_ca.pem").string();
  const std::string server_ext =
      "subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth";
  const std::string client_ext = "extendedKeyUsage=clientAuth";
  struct Leaf {
    CertFiles* out;
    const char* ca;
    const char* name;
    const char* subject;
    int days;
    const std::string* ext;
  };
  for (const Leaf& leaf :
       {Leaf{&pki.server, "ca", "server", "/CN=localhost", 2, &server_ext},
        Leaf{&pki.expired_server, "ca", "expired_server", "/CN=localhost", -1,
             &server_ext},
        Leaf{&pki.client, "ca", "client", "/O=pcs/CN=analyst-1", 2,
             &client_ext},
        Leaf{&pki.reader, "ca", "reader", "/O=pcs/CN=dashboard", 2,
             &client_ext},
        Leaf{&pki.expired, "ca", "expired", "/O=pcs/CN=expired", -1,
             &client_ext},
        Leaf{&pki.stranger, "other_ca", "stranger", "/O=pcs/CN=analyst-1", 2,
             &client_ext}}) {
    auto files = MakeLeaf(pki.dir, leaf.ca, leaf.name, leaf.subject, leaf.days,
                          *leaf.ext);
    if (!files.ok()) return files.status();
    *leaf.out = *files;
  }
  return pki;
}

}  // namespace pcs::testing
