// caseserver's TCP listener. It accepts connections itself and hands each one to the gRPC server
// (ServerBuilder's external connection acceptor), because the listener of gRPC 1.51 has two faults
// that no setting fixes (docs/architecture.md, "Connection limits"):
//   - it stops accepting for good as soon as accept4() fails with anything but EINTR, EAGAIN or
//     ECONNABORTED. EMFILE is such a failure, so a moment without free file descriptors leaves the
//     server deaf until it is restarted;
//   - it accepts every connection it is offered, so nothing keeps it from that moment.
// This listener bounds the connections it has handed over that are still open: at
// `max_connections` it stops accepting, so new connections wait in the kernel's backlog, until one
// of them closes. If accept() still fails for lack of descriptors or memory (EMFILE, ENFILE,
// ENOBUFS, ENOMEM: something else in the process used them up), it waits `retry_interval` and tries
// again, however long that lasts.
//
// gRPC says nothing when it closes a connection, so the listener remembers each descriptor it
// handed over together with the identity (device and inode) of its socket. When it reaches the
// bound it checks them all with fstat(): a descriptor that is closed, or now names another file, is
// no longer one of its connections. The check is O(max_connections), and it runs only at the bound.
//
// Thread safety: Start() and Stop() are called by the owner, not concurrently with each other;
// stats() may be called from any thread. `hand_off` runs on the listener's own thread.
#pragma once

#include <sys/socket.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "services/common/status.h"

namespace casecoord::server {

struct ConnectionListenerOptions {
  // Connections handed over and still open, at most. >= 1.
  int max_connections = 4096;
  // While at max_connections, how often to check whether some of them have closed.
  std::chrono::milliseconds recheck_interval{100};
  // After accept() fails for lack of descriptors or memory, how long to wait before retrying.
  std::chrono::milliseconds retry_interval{100};
};

struct ConnectionListenerStats {
  uint64_t accepted = 0;  // connections handed over
  // Times the listener stopped accepting because max_connections were open.
  uint64_t times_full = 0;
  // accept() failures for lack of descriptors or memory (each one followed by a wait and a retry).
  uint64_t accept_failures = 0;
  // Connections handed over and not yet seen closed. Closed ones are only noticed when the listener
  // reaches max_connections, so this may count some that are already closed.
  size_t open = 0;
};

class ConnectionListener {
 public:
  // Receives each accepted connection: `fd` is non-blocking, close-on-exec, with TCP_NODELAY, and
  // is owned by the callee from then on; `listener_fd` is the socket it was accepted on.
  using HandOff = std::function<void(int listener_fd, int fd)>;

  // Binds and listens on every address `address` ("host:port", "[ipv6]:port", or ":port" for all
  // interfaces) resolves to; port 0 picks one free port for all of them. Errors: INVALID_ARGUMENT
  // (field "listen") for an address that does not parse or resolve, UNAVAILABLE with reason
  // BIND_FAILED when no address can be bound.
  static Result<std::unique_ptr<ConnectionListener>> Bind(const std::string& address,
                                                          ConnectionListenerOptions options);

  // Stops (see Stop()).
  ~ConnectionListener();
  ConnectionListener(const ConnectionListener&) = delete;
  ConnectionListener& operator=(const ConnectionListener&) = delete;

  // The bound port.
  int port() const { return port_; }

  // Starts accepting on a thread of the listener's own, handing each connection to `hand_off`.
  // At most once.
  void Start(HandOff hand_off);

  // Stops accepting and closes the listening sockets (connections still in the backlog are reset).
  // Once it returns, `hand_off` is not running and never runs again. Connections already handed
  // over are left alone. Idempotent.
  void Stop();

  ConnectionListenerStats stats() const;

 private:
  struct SocketId {
    dev_t device;
    ino_t inode;
  };

  ConnectionListener(std::vector<int> sockets, int port, int wake_fd,
                     ConnectionListenerOptions options);

  void Run();
  // Accepts from `listener` until it has no more waiting or max_connections are open. Returns
  // false when the listener must stop.
  bool AcceptFrom(int listener);
  // Forgets connections whose descriptor is closed or reused.
  void ForgetClosed();
  // At the connection limit: logs the first time, then waits recheck_interval. True when Stop()
  // was called meanwhile.
  bool WaitForRoom(size_t limit);
  // Below the limit again: logs it once.
  void NoteRoomAgain();
  // Logs the failure of poll (errno) and waits retry_interval. True when Stop() was called
  // meanwhile.
  bool PauseAfterPollFailure();
  // Sleeps for `duration` unless Stop() is called first; true if it was.
  bool WaitForStop(std::chrono::milliseconds duration);
  void UpdateStats(uint64_t accepted, uint64_t times_full, uint64_t accept_failures);

  const std::vector<int> sockets_;
  const int port_;
  const int wake_fd_;  // an eventfd that Stop() signals
  const ConnectionListenerOptions options_;
  HandOff hand_off_;
  std::thread thread_;
  bool stopped_ = false;

  // Touched only by the listener's thread.
  std::unordered_map<int, SocketId> open_;
  bool full_ = false;     // at max_connections
  bool failing_ = false;  // accept() failing for lack of descriptors or memory

  mutable std::mutex stats_mutex_;
  ConnectionListenerStats stats_;  // guarded by stats_mutex_
};

}  // namespace casecoord::server
