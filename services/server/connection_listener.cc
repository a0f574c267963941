#include "services/server/connection_listener.h"

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>

#include "services/common/log.h"
#include "services/common/text.h"

namespace casecoord::server {
namespace {

Status BindFailed(const std::string& address, const std::string& why) {
  return Status(Reason::kBindFailed, "cannot listen on " + address + ": " + why);
}

// "host:port", "[v6]:port" or ":port" -> host ("" for every interface) and port.
bool SplitHostPort(const std::string& address, std::string* host, std::string* port) {
  size_t colon = address.rfind(':');
  if (colon == std::string::npos || colon + 1 == address.size()) return false;
  *host = address.substr(0, colon);
  *port = address.substr(colon + 1);
  if (host->size() >= 2 && host->front() == '[' && host->back() == ']') {
    *host = host->substr(1, host->size() - 2);
  } else if (host->find(':') != std::string::npos) {
    return false;  // an IPv6 address needs brackets
  }
  return port->find_first_not_of("0123456789") == std::string::npos &&
         ParseDecimalInt(*port, 0, 65535).has_value();
}

// The port of a bound socket, or -1.
int BoundPort(int fd) {
  sockaddr_storage address{};
  socklen_t length = sizeof(address);
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) return -1;
  if (address.ss_family == AF_INET) {
    return ntohs(reinterpret_cast<sockaddr_in*>(&address)->sin_port);
  }
  return ntohs(reinterpret_cast<sockaddr_in6*>(&address)->sin6_port);
}

void SetPort(sockaddr* address, int port) {
  if (address->sa_family == AF_INET) {
    reinterpret_cast<sockaddr_in*>(address)->sin_port = htons(static_cast<uint16_t>(port));
  } else {
    reinterpret_cast<sockaddr_in6*>(address)->sin6_port = htons(static_cast<uint16_t>(port));
  }
}

// A listening socket on `address`, or -1 with errno set.
int Listen(const addrinfo& info, bool ipv6_only) {
  int fd = socket(info.ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_TCP);
  if (fd < 0) return -1;
  int one = 1;
  // A restarted server must be able to bind the port its predecessor's connections still linger
  // on (TIME_WAIT).
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  // Several addresses (e.g. 0.0.0.0 and :: for ":port") each get their own socket; a dual-stack
  // :: socket would collide with the IPv4 one.
  if (info.ai_family == AF_INET6 && ipv6_only) {
    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
  }
  if (bind(fd, info.ai_addr, info.ai_addrlen) != 0 || listen(fd, SOMAXCONN) != 0) {
    int error = errno;
    close(fd);
    errno = error;
    return -1;
  }
  return fd;
}

// accept() failures that concern only the connection being accepted: it is gone, the next one may
// be fine. Linux reports a pending network error of the new connection this way (accept(2)).
bool ConnectionOnlyFailure(int error) {
  switch (error) {
    case EINTR:
    case ECONNABORTED:
    case EPROTO:
    case EPERM:  // refused by a firewall rule
    case ENETDOWN:
    case ENOPROTOOPT:
    case EHOSTDOWN:
    case ENONET:
    case EHOSTUNREACH:
    case EOPNOTSUPP:
    case ENETUNREACH:
      return true;
    default:
      return false;
  }
}

}  // namespace

Result<std::unique_ptr<ConnectionListener>> ConnectionListener::Bind(
    const std::string& address, ConnectionListenerOptions options) {
  std::string host, port;
  if (!SplitHostPort(address, &host, &port)) {
    return Status::InvalidArgument(
        "listen", "must be host:port, [ipv6]:port or :port, got \"" + address.substr(0, 64) + "\"");
  }
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_protocol = IPPROTO_TCP;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* resolved = nullptr;
  int lookup = getaddrinfo(host.empty() ? nullptr : host.c_str(), port.c_str(), &hints, &resolved);
  if (lookup != 0) {
    return Status::InvalidArgument(
        "listen", "cannot resolve \"" + host.substr(0, 64) + "\": " + gai_strerror(lookup));
  }
  std::vector<addrinfo*> addresses;
  for (addrinfo* info = resolved; info != nullptr; info = info->ai_next) {
    bool duplicate = false;
    for (addrinfo* seen : addresses) {
      duplicate = duplicate || (seen->ai_addrlen == info->ai_addrlen &&
                                std::memcmp(seen->ai_addr, info->ai_addr, info->ai_addrlen) == 0);
    }
    if (!duplicate) addresses.push_back(info);
  }

  // Like gRPC's own listener: every address the name resolves to, those that cannot be bound
  // skipped (a host without IPv6 still resolves "localhost" to ::1), all on one port.
  std::vector<int> sockets;
  // SplitHostPort accepted it: digits, 0 to 65535.
  int bound_port = static_cast<int>(ParseDecimalInt(port, 0, 65535).value_or(0));
  std::string first_error;
  for (addrinfo* info : addresses) {
    if (bound_port != 0) SetPort(info->ai_addr, bound_port);
    int fd = Listen(*info, addresses.size() > 1);
    if (fd < 0) {
      if (first_error.empty()) first_error = std::strerror(errno);
      continue;
    }
    bound_port = BoundPort(fd);
    sockets.push_back(fd);
  }
  freeaddrinfo(resolved);
  if (sockets.empty()) return BindFailed(address, first_error);

  int wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (wake_fd < 0) {
    std::string why = std::strerror(errno);
    for (int fd : sockets) close(fd);
    return BindFailed(address, "eventfd: " + why);
  }
  return std::unique_ptr<ConnectionListener>(
      new ConnectionListener(std::move(sockets), bound_port, wake_fd, options));
}

ConnectionListener::ConnectionListener(std::vector<int> sockets, int port, int wake_fd,
                                       ConnectionListenerOptions options)
    : sockets_(std::move(sockets)), port_(port), wake_fd_(wake_fd), options_(options) {}

ConnectionListener::~ConnectionListener() {
  Stop();
  close(wake_fd_);
}

void ConnectionListener::Start(HandOff hand_off) {
  hand_off_ = std::move(hand_off);
  thread_ = std::thread([this] { Run(); });
}

void ConnectionListener::Stop() {
  if (stopped_) return;
  stopped_ = true;
  uint64_t one = 1;
  if (write(wake_fd_, &one, sizeof(one)) < 0) {
    // Cannot happen for an eventfd below its maximum count; the join below would then hang, so
    // say so.
    log::Error("connection listener: cannot signal its thread to stop",
               {{"error", std::strerror(errno)}});
  }
  if (thread_.joinable()) thread_.join();
  for (int fd : sockets_) close(fd);
}

ConnectionListenerStats ConnectionListener::stats() const {
  std::lock_guard<std::mutex> lock(stats_mutex_);
  return stats_;
}

void ConnectionListener::UpdateStats(uint64_t accepted, uint64_t times_full,
                                     uint64_t accept_failures) {
  std::lock_guard<std::mutex> lock(stats_mutex_);
  stats_.accepted += accepted;
  stats_.times_full += times_full;
  stats_.accept_failures += accept_failures;
  stats_.open = open_.size();
}

bool ConnectionListener::WaitForStop(std::chrono::milliseconds duration) {
  pollfd wake{wake_fd_, POLLIN, 0};
  int ready = poll(&wake, 1, static_cast<int>(duration.count()));
  return ready > 0;
}

void ConnectionListener::ForgetClosed() {
  for (auto it = open_.begin(); it != open_.end();) {
    struct stat now {};
    bool same = fstat(it->first, &now) == 0 && now.st_dev == it->second.device &&
                now.st_ino == it->second.inode;
    it = same ? std::next(it) : open_.erase(it);
  }
}

bool ConnectionListener::WaitForRoom(size_t limit) {
  // Leave new connections in the backlog (where the kernel holds them without a descriptor of
  // ours) rather than accept and close them: a client waiting there is served as soon as a
  // connection closes, and those closed by the handshake timeout make room within seconds.
  if (!full_) {
    full_ = true;
    UpdateStats(0, 1, 0);
    log::Warning("connection limit reached: new connections wait until one closes",
                 {{"max_connections", std::to_string(limit)}});
  }
  return WaitForStop(options_.recheck_interval);
}

void ConnectionListener::NoteRoomAgain() {
  if (full_) {
    full_ = false;
    UpdateStats(0, 0, 0);
    log::Info("accepting connections again", {{"open", std::to_string(open_.size())}});
  }
}

bool ConnectionListener::PauseAfterPollFailure() {
  log::Error("connection listener: poll failed", {{"error", std::strerror(errno)}});
  return WaitForStop(options_.retry_interval);
}

void ConnectionListener::Run() {
  std::vector<pollfd> watched;
  watched.push_back({wake_fd_, POLLIN, 0});
  for (int fd : sockets_) watched.push_back({fd, POLLIN, 0});
  const size_t limit = static_cast<size_t>(options_.max_connections);
  while (true) {
    if (open_.size() >= limit) ForgetClosed();
    if (open_.size() >= limit) {
      if (WaitForRoom(limit)) return;
      continue;
    }
    NoteRoomAgain();
    if (poll(watched.data(), watched.size(), -1) < 0) {
      if (errno != EINTR && PauseAfterPollFailure()) return;
      continue;
    }
    if (watched[0].revents != 0) return;
    for (size_t i = 1; i < watched.size(); ++i) {
      if (watched[i].revents != 0 && !AcceptFrom(watched[i].fd)) return;
    }
  }
}

bool ConnectionListener::AcceptFrom(int listener) {
  const size_t limit = static_cast<size_t>(options_.max_connections);
  while (open_.size() < limit) {
    int fd = accept4(listener, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      int error = errno;
      if (error == EAGAIN || error == EWOULDBLOCK) break;
      if (ConnectionOnlyFailure(error)) continue;
      // Out of descriptors or memory (EMFILE, ENFILE, ENOBUFS, ENOMEM), or a failure we do not
      // expect: the connection stays in the backlog, and we try again after a pause. Giving up here
      // is exactly the fault of gRPC 1.51's listener that this class exists to avoid.
      UpdateStats(0, 0, 1);
      if (!failing_) {  // once per spell, not every retry_interval
        failing_ = true;
        log::Error("cannot accept connections; retrying until it works",
                   {{"error", std::strerror(error)},
                    {"open", std::to_string(open_.size())},
                    {"retry_ms", std::to_string(options_.retry_interval.count())}});
      }
      return !WaitForStop(options_.retry_interval);
    }
    if (failing_) {
      failing_ = false;
      log::Info("accepting connections again", {{"open", std::to_string(open_.size())}});
    }
    struct stat identity {};
    if (fstat(fd, &identity) != 0) {
      close(fd);
      continue;
    }
    int one = 1;
    // gRPC's own listener sets this too: small HTTP/2 frames must not wait for Nagle's algorithm.
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    // A descriptor number that is handed out again was closed in between, so whatever was recorded
    // under it is gone.
    open_[fd] = SocketId{identity.st_dev, identity.st_ino};
    UpdateStats(1, 0, 0);  // before the hand-off, so that stats() never lags behind it
    hand_off_(listener, fd);
  }
  return true;
}

}  // namespace casecoord::server
