#include "tests/support/test_pki.h"

#include <fcntl.h>
#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

namespace casecoord::testing {
namespace {

// Certificates are backdated so that small clock differences between the test process and
// whatever checks the certificate cannot make a fresh certificate "not yet valid".
constexpr long kBackdateSeconds = 60 * 60;
constexpr long kLifetimeSeconds = 24 * 60 * 60;
constexpr int kSerialBits = 128;
constexpr char kUserUriPrefix[] = "urn:casecoord:user:";

struct PkeyDeleter {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
struct X509Deleter {
  void operator()(X509* p) const { X509_free(p); }
};
struct BioDeleter {
  void operator()(BIO* p) const { BIO_free(p); }
};
struct BnDeleter {
  void operator()(BIGNUM* p) const { BN_free(p); }
};
struct ExtensionDeleter {
  void operator()(X509_EXTENSION* p) const { X509_EXTENSION_free(p); }
};
struct GeneralNamesDeleter {
  void operator()(GENERAL_NAMES* p) const { GENERAL_NAMES_free(p); }
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyDeleter>;
using X509Ptr = std::unique_ptr<X509, X509Deleter>;
using BioPtr = std::unique_ptr<BIO, BioDeleter>;
using BnPtr = std::unique_ptr<BIGNUM, BnDeleter>;
using ExtensionPtr = std::unique_ptr<X509_EXTENSION, ExtensionDeleter>;
using GeneralNamesPtr = std::unique_ptr<GENERAL_NAMES, GeneralNamesDeleter>;

// A broken test PKI makes every dependent test fail in confusing ways, so stop at the first
// error and show OpenSSL's own explanation.
[[noreturn]] void Die(const std::string& what) {
  std::fprintf(stderr, "test_pki: %s failed\n", what.c_str());
  ERR_print_errors_fp(stderr);
  std::abort();
}

void Check(bool ok, const char* what) {
  if (!ok) Die(what);
}

PkeyPtr NewKey() {
  PkeyPtr key(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
  Check(key != nullptr, "EVP_PKEY_Q_keygen(EC, P-256)");
  return key;
}

std::string BioToString(BIO* bio) {
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio, &data);
  Check(len >= 0, "BIO_get_mem_data");
  return std::string(data, static_cast<size_t>(len));
}

std::string CertToPem(X509* cert) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  Check(bio != nullptr, "BIO_new");
  Check(PEM_write_bio_X509(bio.get(), cert) == 1, "PEM_write_bio_X509");
  return BioToString(bio.get());
}

std::string KeyToPem(EVP_PKEY* key) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  Check(bio != nullptr, "BIO_new");
  Check(PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr) == 1,
        "PEM_write_bio_PrivateKey");
  return BioToString(bio.get());
}

// Extensions given in OpenSSL's config syntax, e.g. {NID_key_usage, "critical,keyCertSign"}.
struct ExtensionSpec {
  int nid;
  const char* value;
};

// Builds an unsigned certificate for `key` with the given CN. The issuer name is set later by
// Sign() because a self-signed root is its own issuer.
X509Ptr NewCertificate(EVP_PKEY* key, const std::string& common_name) {
  X509Ptr cert(X509_new());
  Check(cert != nullptr, "X509_new");
  Check(X509_set_version(cert.get(), X509_VERSION_3) == 1, "X509_set_version");

  // Random serials keep certificates from different TestCa instances, or from repeated
  // IssueClient calls, distinct for peers that cache by issuer and serial.
  BnPtr serial(BN_new());
  Check(serial != nullptr, "BN_new");
  Check(BN_rand(serial.get(), kSerialBits, BN_RAND_TOP_ONE, BN_RAND_BOTTOM_ANY) == 1, "BN_rand");
  Check(BN_to_ASN1_INTEGER(serial.get(), X509_get_serialNumber(cert.get())) != nullptr,
        "BN_to_ASN1_INTEGER");

  Check(X509_gmtime_adj(X509_getm_notBefore(cert.get()), -kBackdateSeconds) != nullptr,
        "X509_gmtime_adj(notBefore)");
  Check(X509_gmtime_adj(X509_getm_notAfter(cert.get()), kLifetimeSeconds) != nullptr,
        "X509_gmtime_adj(notAfter)");

  X509_NAME* name = X509_get_subject_name(cert.get());
  Check(X509_NAME_add_entry_by_NID(name, NID_commonName, MBSTRING_UTF8,
                                   reinterpret_cast<const unsigned char*>(common_name.data()),
                                   static_cast<int>(common_name.size()), -1, 0) == 1,
        "X509_NAME_add_entry_by_NID(CN)");
  Check(X509_set_pubkey(cert.get(), key) == 1, "X509_set_pubkey");
  return cert;
}

// `issuer` may be `cert` itself for the self-signed root; the authority key identifier then
// has nothing to refer to, so callers omit it for the root.
void AddExtensions(X509* cert, X509* issuer, const std::vector<ExtensionSpec>& specs) {
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  for (const ExtensionSpec& spec : specs) {
    ExtensionPtr ext(X509V3_EXT_nconf_nid(nullptr, &ctx, spec.nid, spec.value));
    if (ext == nullptr) Die(std::string("X509V3_EXT_nconf_nid(") + OBJ_nid2sn(spec.nid) + ")");
    Check(X509_add_ext(cert, ext.get(), -1) == 1, "X509_add_ext");
  }
}

void Sign(X509* cert, X509* issuer, EVP_PKEY* issuer_key) {
  Check(X509_set_issuer_name(cert, X509_get_subject_name(issuer)) == 1, "X509_set_issuer_name");
  Check(X509_sign(cert, issuer_key, EVP_sha256()) > 0, "X509_sign");
}

void WriteFile(const std::filesystem::path& path, const std::string& contents, mode_t mode) {
  // Creating the file with its final mode leaves no window in which a key is world-readable;
  // fchmod covers a file left over from an earlier run with looser permissions.
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0) Die("open(" + path.string() + "): " + std::strerror(errno));
  if (::fchmod(fd, mode) != 0) Die("fchmod(" + path.string() + "): " + std::strerror(errno));
  size_t written = 0;
  while (written < contents.size()) {
    const ssize_t n = ::write(fd, contents.data() + written, contents.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) Die("write(" + path.string() + "): " + std::strerror(errno));
    written += static_cast<size_t>(n);
  }
  if (::close(fd) != 0) Die("close(" + path.string() + "): " + std::strerror(errno));
}

// Appends rather than uses replace_extension() so that a user id containing a dot keeps it.
void WritePair(const std::filesystem::path& stem, const KeyPair& pair) {
  WriteFile(stem.string() + ".crt", pair.certificate_pem, 0644);
  WriteFile(stem.string() + ".key", pair.private_key_pem, 0600);
}

}  // namespace

struct TestCa::Impl {
  PkeyPtr key;
  X509Ptr cert;
  std::string root_pem;

  KeyPair Issue(const std::string& common_name, const std::vector<ExtensionSpec>& extensions,
                GENERAL_NAMES* subject_alt_names) const {
    PkeyPtr leaf_key = NewKey();
    X509Ptr leaf = NewCertificate(leaf_key.get(), common_name);
    AddExtensions(leaf.get(), cert.get(), extensions);
    if (subject_alt_names != nullptr) {
      Check(X509_add1_ext_i2d(leaf.get(), NID_subject_alt_name, subject_alt_names, 0,
                              X509V3_ADD_DEFAULT) == 1,
            "X509_add1_ext_i2d(subjectAltName)");
    }
    Sign(leaf.get(), cert.get(), key.get());
    return KeyPair{CertToPem(leaf.get()), KeyToPem(leaf_key.get())};
  }
};

TestCa::TestCa(const std::string& common_name) : impl_(new Impl) {
  impl_->key = NewKey();
  impl_->cert = NewCertificate(impl_->key.get(), common_name);
  AddExtensions(impl_->cert.get(), impl_->cert.get(),
                {
                    {NID_basic_constraints, "critical,CA:TRUE"},
                    {NID_key_usage, "critical,keyCertSign,cRLSign"},
                    {NID_subject_key_identifier, "hash"},
                });
  Sign(impl_->cert.get(), impl_->cert.get(), impl_->key.get());
  impl_->root_pem = CertToPem(impl_->cert.get());
}

TestCa::~TestCa() { delete impl_; }

const std::string& TestCa::root_pem() const { return impl_->root_pem; }

KeyPair TestCa::IssueServer() const {
  return impl_->Issue("localhost",
                      {
                          {NID_basic_constraints, "critical,CA:FALSE"},
                          {NID_key_usage, "critical,digitalSignature"},
                          {NID_ext_key_usage, "serverAuth"},
                          {NID_subject_alt_name, "DNS:localhost,IP:127.0.0.1,IP:::1"},
                          {NID_subject_key_identifier, "hash"},
                          {NID_authority_key_identifier, "keyid"},
                      },
                      nullptr);
}

KeyPair TestCa::IssueClient(const std::string& user_id) const {
  // The URI is built as a GENERAL_NAME rather than through the config syntax so that user ids
  // containing commas or colons in tests cannot be misparsed into extra or invalid names.
  const std::string uri = kUserUriPrefix + user_id;
  GeneralNamesPtr names(GENERAL_NAMES_new());
  Check(names != nullptr, "GENERAL_NAMES_new");
  GENERAL_NAME* name = GENERAL_NAME_new();
  Check(name != nullptr, "GENERAL_NAME_new");
  ASN1_IA5STRING* value = ASN1_IA5STRING_new();
  Check(value != nullptr, "ASN1_IA5STRING_new");
  Check(ASN1_STRING_set(value, uri.data(), static_cast<int>(uri.size())) == 1, "ASN1_STRING_set");
  GENERAL_NAME_set0_value(name, GEN_URI, value);
  Check(sk_GENERAL_NAME_push(names.get(), name) > 0, "sk_GENERAL_NAME_push");

  return impl_->Issue(user_id,
                      {
                          {NID_basic_constraints, "critical,CA:FALSE"},
                          {NID_key_usage, "critical,digitalSignature"},
                          {NID_ext_key_usage, "clientAuth"},
                          {NID_subject_key_identifier, "hash"},
                          {NID_authority_key_identifier, "keyid"},
                      },
                      names.get());
}

void TestCa::WriteTo(const std::string& dir, const std::vector<std::string>& user_ids) const {
  const std::filesystem::path root(dir);
  const std::filesystem::path users = root / "users";
  std::filesystem::create_directories(users);
  WriteFile(root / "ca.crt", impl_->root_pem, 0644);
  WritePair(root / "server", IssueServer());
  for (const std::string& id : user_ids) {
    WritePair(users / id, IssueClient(id));
  }
}

}  // namespace casecoord::testing
