#ifndef PCS_SERVER_OPENAPI_DOCUMENT_H_
#define PCS_SERVER_OPENAPI_DOCUMENT_H_

#include <string>

namespace pcs {

// The OpenAPI (Swagger 2.0) document of the REST routes,
// proto/pcs/v1/openapi.json as scripts/gen_openapi.sh generated it from the
// proto, compiled into pcs-server by server/embed_openapi.cmake (the server
// needs no file at run time). Served at GET /api/v1/openapi.json.
// Thread-safe (built once).
const std::string& OpenApiDocument();

}  // namespace pcs

#endif  // PCS_SERVER_OPENAPI_DOCUMENT_H_
