// Browser sessions (issue 17): the server-side table behind the `__Host-casecoord` cookie.
//
// A session has two identifiers. The secret (32 random bytes, base64url) is the cookie value: it
// is handed out once by Create and never stored; the table keys sessions by its SHA-256, so a
// lookup compares hashes, not secrets (no timing signal about the secret), and a dump of the table
// holds no usable credential. The session id (16 random bytes, hex) is public: audit entries,
// session lists and Revoke name a session by it, and it authenticates nothing.
//
// Sessions live in memory only: a restart ends them all (people sign in again), which keeps
// secrets off the disk and needs no cleanup of stale records.
//
// Every end of a session (sign-out, idle or absolute expiry, revocation, a change of the user,
// eviction by a newer session) is reported exactly once through the on_ended callback, which the
// server uses to audit it. The callback runs on the calling thread after the table's lock is
// released, so it may call back into the table.
//
// Thread safety: every method may be called concurrently.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <list>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "services/common/clock.h"
#include "services/common/status.h"
#include "services/common/thread_annotations.h"

namespace casecoord::auth {

struct Session {
  std::string user_id;
  std::string session_id;  // public, 32 hex digits
  std::chrono::system_clock::time_point created;
  std::chrono::system_clock::time_point last_seen;
  std::string client_note;  // e.g. the browser's User-Agent, for the session list
};

enum class EndCause {
  kSignedOut,    // the user signed out
  kIdle,         // no request for longer than the idle timeout
  kAbsolute,     // older than the absolute timeout
  kRevoked,      // an administrator or the user revoked it
  kUserChanged,  // the user was disabled or its password or second factor was reset
  kEvicted,      // the user opened more than max_sessions_per_user sessions; the oldest went
};

// "signed_out", "idle", "absolute", "revoked", "user_changed", "evicted": for audit entries.
std::string_view EndCauseName(EndCause cause);

class SessionTable {
 public:
  struct Options {
    std::chrono::seconds idle_timeout = std::chrono::minutes(30);
    std::chrono::seconds absolute_timeout = std::chrono::hours(12);
    size_t max_sessions_per_user = 10;
  };

  struct Created {
    std::string secret;  // the cookie value; not kept by the table
    std::string session_id;
  };

  using OnEnded = std::function<void(const Session&, EndCause)>;

  // `clock` must outlive the table. `on_ended` may be empty.
  SessionTable(const Clock& clock, Options options, OnEnded on_ended);
  SessionTable(const SessionTable&) = delete;
  SessionTable& operator=(const SessionTable&) = delete;

  // A new session of `user_id`, created and last seen now. When the user then has more than
  // max_sessions_per_user (at least 1) sessions, its oldest ends (kEvicted). INTERNAL
  // "RANDOM_FAILURE" if the random generator fails.
  Result<Created> Create(std::string user_id, std::string client_note);

  // The live session whose cookie value is `secret`, with last_seen moved to now.
  // UNAUTHENTICATED "SESSION_UNKNOWN" for a secret no session has (never issued, signed out,
  // revoked, already expired and removed); UNAUTHENTICATED "SESSION_EXPIRED" for a session that is
  // idle for longer than idle_timeout or older than absolute_timeout: it is ended (kIdle or
  // kAbsolute) by this call, so the next Touch with the same secret gets SESSION_UNKNOWN.
  // A session is still live at exactly idle_timeout (absolute_timeout) and expired one tick after.
  Result<Session> Touch(std::string_view secret);

  // Ends the session whose cookie value is `secret` (kSignedOut). False if there is none.
  bool SignOut(std::string_view secret);

  // Ends the session `session_id` (kRevoked). False if there is none.
  bool Revoke(std::string_view session_id);

  // Ends every session of `user_id` with `cause` (kUserChanged when the user is disabled or its
  // credentials reset; kRevoked when someone revokes them all). Returns how many ended.
  int RevokeAllOf(std::string_view user_id, EndCause cause = EndCause::kUserChanged);

  // The live sessions of `user_id` (of everybody), oldest first. Expired sessions that no Touch or
  // SweepExpired has ended yet are left out.
  std::vector<Session> ListOf(std::string_view user_id) const;
  std::vector<Session> ListAll() const;

  // Ends every expired session with its cause (kAbsolute before kIdle when both apply). The server
  // calls it periodically so that expiries are audited, and memory freed, without a request.
  void SweepExpired();

  // Sessions held, including expired ones not yet ended.
  size_t size() const;

 private:
  struct Ended {
    Session session;
    EndCause cause;
  };

  std::optional<EndCause> ExpiryOf(const Session& session,
                                   std::chrono::system_clock::time_point now) const;
  // Removes the session keyed `key` (which must exist) and returns it.
  Session RemoveLocked(const std::string& key) CASECOORD_REQUIRES(mutex_);
  void Report(const std::vector<Ended>& ended) const;

  const Clock& clock_;
  const Options options_;
  const OnEnded on_ended_;

  mutable Mutex mutex_;
  // Sessions by the SHA-256 of their secret.
  std::unordered_map<std::string, Session> by_key_ CASECOORD_GUARDED_BY(mutex_);
  std::unordered_map<std::string, std::string> key_of_session_id_ CASECOORD_GUARDED_BY(mutex_);
  // Per user, the keys of its sessions in creation order (oldest first).
  std::map<std::string, std::list<std::string>, std::less<>> keys_of_user_
      CASECOORD_GUARDED_BY(mutex_);
};

}  // namespace casecoord::auth
