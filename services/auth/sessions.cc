#include "services/auth/sessions.h"

#include <openssl/evp.h>

#include <algorithm>
#include <utility>

#include "services/auth/random_token.h"
#include "services/common/text.h"

namespace casecoord::auth {
namespace {

constexpr size_t kSecretBytes = 32;
constexpr size_t kSessionIdBytes = 16;
// A secret Create hands out is 43 characters; anything much longer is not one of ours and is not
// worth hashing.
constexpr size_t kMaxSecretSize = 128;

std::string Sha256(std::string_view text) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  if (EVP_Digest(text.data(), text.size(), digest, &size, EVP_sha256(), nullptr) != 1) return "";
  return std::string(reinterpret_cast<const char*>(digest), size);
}

SessionTable::Options AtLeastOneSession(SessionTable::Options options) {
  options.max_sessions_per_user = std::max<size_t>(options.max_sessions_per_user, 1);
  return options;
}

}  // namespace

std::string_view EndCauseName(EndCause cause) {
  switch (cause) {
    case EndCause::kSignedOut:
      return "signed_out";
    case EndCause::kIdle:
      return "idle";
    case EndCause::kAbsolute:
      return "absolute";
    case EndCause::kRevoked:
      return "revoked";
    case EndCause::kUserChanged:
      return "user_changed";
    case EndCause::kEvicted:
      return "evicted";
  }
  return "unknown";
}

SessionTable::SessionTable(const Clock& clock, Options options, OnEnded on_ended)
    : clock_(clock), options_(AtLeastOneSession(options)), on_ended_(std::move(on_ended)) {}

Result<SessionTable::Created> SessionTable::Create(std::string user_id, std::string client_note) {
  CASECOORD_ASSIGN_OR_RETURN(std::string secret_bytes, RandomBytes(kSecretBytes));
  CASECOORD_ASSIGN_OR_RETURN(std::string id_bytes, RandomBytes(kSessionIdBytes));
  Created created{Base64Url(secret_bytes), LowerHex(id_bytes)};
  std::string key = Sha256(created.secret);
  if (key.empty()) return Status(Reason::kHandlerFailed, "SHA-256 failed");

  const auto now = clock_.Now();
  std::vector<Ended> ended;
  {
    MutexLock lock(mutex_);
    std::list<std::string>& keys = keys_of_user_[user_id];
    keys.push_back(key);
    key_of_session_id_[created.session_id] = key;
    by_key_[key] =
        Session{std::move(user_id), created.session_id, now, now, std::move(client_note)};
    while (keys.size() > options_.max_sessions_per_user) {
      // RemoveLocked erases `keys` itself only when it empties, which the bound (>= 1) prevents.
      ended.push_back({RemoveLocked(std::string(keys.front())), EndCause::kEvicted});
    }
  }
  Report(ended);
  return created;
}

Result<Session> SessionTable::Touch(std::string_view secret) {
  if (secret.size() > kMaxSecretSize) {
    return Status(Reason::kSessionUnknown, "no session has this secret");
  }
  const std::string key = Sha256(secret);
  const auto now = clock_.Now();
  std::vector<Ended> ended;
  {
    MutexLock lock(mutex_);
    auto found = by_key_.find(key);
    if (found == by_key_.end()) {
      return Status(Reason::kSessionUnknown, "no session has this secret");
    }
    Session& session = found->second;
    if (std::optional<EndCause> expiry = ExpiryOf(session, now)) {
      ended.push_back({RemoveLocked(key), *expiry});
    } else {
      session.last_seen = now;
      return session;
    }
  }
  Report(ended);
  return Status(Reason::kSessionExpired, "session " + ended.front().session.session_id +
                                             " expired (" +
                                             std::string(EndCauseName(ended.front().cause)) + ")");
}

bool SessionTable::SignOut(std::string_view secret) {
  if (secret.size() > kMaxSecretSize) return false;
  const std::string key = Sha256(secret);
  std::vector<Ended> ended;
  {
    MutexLock lock(mutex_);
    if (!by_key_.contains(key)) return false;
    ended.push_back({RemoveLocked(key), EndCause::kSignedOut});
  }
  Report(ended);
  return true;
}

bool SessionTable::Revoke(std::string_view session_id) {
  std::vector<Ended> ended;
  {
    MutexLock lock(mutex_);
    auto found = key_of_session_id_.find(std::string(session_id));
    if (found == key_of_session_id_.end()) return false;
    ended.push_back({RemoveLocked(std::string(found->second)), EndCause::kRevoked});
  }
  Report(ended);
  return true;
}

int SessionTable::RevokeAllOf(std::string_view user_id, EndCause cause) {
  std::vector<Ended> ended;
  {
    MutexLock lock(mutex_);
    auto found = keys_of_user_.find(user_id);
    if (found == keys_of_user_.end()) return 0;
    const std::list<std::string> keys = found->second;  // RemoveLocked erases the list
    for (const std::string& key : keys) ended.push_back({RemoveLocked(key), cause});
  }
  Report(ended);
  return static_cast<int>(ended.size());
}

std::vector<Session> SessionTable::ListOf(std::string_view user_id) const {
  const auto now = clock_.Now();
  std::vector<Session> sessions;
  MutexLock lock(mutex_);
  auto found = keys_of_user_.find(user_id);
  if (found == keys_of_user_.end()) return sessions;
  for (const std::string& key : found->second) {
    const Session& session = by_key_.at(key);
    if (!ExpiryOf(session, now)) sessions.push_back(session);
  }
  return sessions;
}

std::vector<Session> SessionTable::ListAll() const {
  const auto now = clock_.Now();
  std::vector<Session> sessions;
  {
    MutexLock lock(mutex_);
    for (const auto& [key, session] : by_key_) {
      if (!ExpiryOf(session, now)) sessions.push_back(session);
    }
  }
  std::sort(sessions.begin(), sessions.end(), [](const Session& a, const Session& b) {
    return a.created != b.created ? a.created < b.created : a.session_id < b.session_id;
  });
  return sessions;
}

void SessionTable::SweepExpired() {
  const auto now = clock_.Now();
  std::vector<Ended> ended;
  {
    MutexLock lock(mutex_);
    std::vector<std::pair<std::string, EndCause>> expired;
    for (const auto& [key, session] : by_key_) {
      if (std::optional<EndCause> expiry = ExpiryOf(session, now)) {
        expired.emplace_back(key, *expiry);
      }
    }
    for (const auto& [key, cause] : expired) ended.push_back({RemoveLocked(key), cause});
  }
  Report(ended);
}

size_t SessionTable::size() const {
  MutexLock lock(mutex_);
  return by_key_.size();
}

std::optional<EndCause> SessionTable::ExpiryOf(const Session& session,
                                               std::chrono::system_clock::time_point now) const {
  if (now - session.created > options_.absolute_timeout) return EndCause::kAbsolute;
  if (now - session.last_seen > options_.idle_timeout) return EndCause::kIdle;
  return std::nullopt;
}

Session SessionTable::RemoveLocked(const std::string& key) {
  auto found = by_key_.find(key);
  Session session = std::move(found->second);
  by_key_.erase(found);
  key_of_session_id_.erase(session.session_id);
  auto user = keys_of_user_.find(session.user_id);
  if (user != keys_of_user_.end()) {
    user->second.remove(key);
    if (user->second.empty()) keys_of_user_.erase(user);
  }
  return session;
}

void SessionTable::Report(const std::vector<Ended>& ended) const {
  if (!on_ended_) return;
  for (const Ended& end : ended) on_ended_(end.session, end.cause);
}

}  // namespace casecoord::auth
