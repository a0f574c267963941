// Connecting to caseserver over TLS with a client certificate: shared by casectl, tests and bench.
#pragma once

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>

#include "services/common/status.h"

namespace casecoord::client {

struct ConnectionOptions {
  std::string target = "localhost:8443";
  std::string ca_file;    // CA that signed the server certificate (PEM)
  std::string cert_file;  // client certificate (PEM); empty connects without one
  std::string key_file;   // client private key (PEM)
};

// PEM contents rather than files (tests and benchmarks hold them in memory).
struct ConnectionPems {
  std::string target;
  std::string ca_pem;
  std::string cert_pem;
  std::string key_pem;
};

Result<std::shared_ptr<grpc::Channel>> Connect(const ConnectionOptions& options);
std::shared_ptr<grpc::Channel> Connect(const ConnectionPems& pems);

}  // namespace casecoord::client
