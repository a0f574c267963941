#include "clients/cli/client.h"

#include <fstream>
#include <iterator>

namespace casecoord::client {
namespace {

Result<std::string> ReadFile(const std::string& option, const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::InvalidArgument(option, "cannot read " + path);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

}  // namespace

std::shared_ptr<grpc::Channel> Connect(const ConnectionPems& pems) {
  grpc::SslCredentialsOptions ssl;
  ssl.pem_root_certs = pems.ca_pem;
  ssl.pem_cert_chain = pems.cert_pem;
  ssl.pem_private_key = pems.key_pem;
  grpc::ChannelArguments arguments;
  arguments.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, 60000);
  // Each channel gets its own connection, so benchmarks with several channels really open several.
  arguments.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  return grpc::CreateCustomChannel(pems.target, grpc::SslCredentials(ssl), arguments);
}

Result<std::shared_ptr<grpc::Channel>> Connect(const ConnectionOptions& options) {
  ConnectionPems pems;
  pems.target = options.target;
  auto ca = ReadFile("ca", options.ca_file);
  if (!ca.ok()) return ca.status();
  pems.ca_pem = *ca;
  if (!options.cert_file.empty()) {
    auto cert = ReadFile("cert", options.cert_file);
    if (!cert.ok()) return cert.status();
    auto key = ReadFile("key", options.key_file);
    if (!key.ok()) return key.status();
    pems.cert_pem = *cert;
    pems.key_pem = *key;
  }
  return Connect(pems);
}

}  // namespace casecoord::client
