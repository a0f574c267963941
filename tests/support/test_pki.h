#pragma once

#include <string>
#include <vector>

namespace casecoord::testing {

struct KeyPair {  // PEM strings
  std::string certificate_pem;
  std::string private_key_pem;
};

// A certificate authority that issues certificates for tests. Each TestCa is independent:
// certificates of one TestCa do not verify against another's root.
class TestCa {
 public:
  explicit TestCa(const std::string& common_name = "casecoord test CA");
  ~TestCa();
  TestCa(const TestCa&) = delete;
  TestCa& operator=(const TestCa&) = delete;

  const std::string& root_pem() const;

  // Server certificate: SAN DNS:localhost, IP:127.0.0.1, IP:::1; EKU serverAuth.
  KeyPair IssueServer() const;

  // Client certificate: CN = user_id, SAN URI "urn:casecoord:user:<user_id>"; EKU clientAuth.
  KeyPair IssueClient(const std::string& user_id) const;

  // Writes root_pem() to dir/ca.crt, a server pair to dir/server.crt + dir/server.key, and
  // for each user id a pair to dir/users/<id>.crt + .key (keys mode 0600). Creates dirs.
  void WriteTo(const std::string& dir, const std::vector<std::string>& user_ids) const;

 private:
  struct Impl;
  Impl* impl_;
};

}  // namespace casecoord::testing
