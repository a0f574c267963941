// ConnectionListener on 127.0.0.1 with real sockets; a recorder stands in for the gRPC server.
#include "services/server/connection_listener.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <vector>

namespace casecoord::server {
namespace {

// Generous: the conditions awaited follow from the listener's own steps, not from elapsed time.
constexpr auto kPatience = std::chrono::seconds(30);

// Takes the connections the listener hands over, as the gRPC server would.
class Recorder {
 public:
  ConnectionListener::HandOff HandOff() {
    return [this](int, int fd) {
      std::lock_guard<std::mutex> lock(mutex_);
      fds_.push_back(fd);
      changed_.notify_all();
    };
  }

  // Waits until `count` connections were handed over; false if they never were.
  bool WaitFor(size_t count) {
    std::unique_lock<std::mutex> lock(mutex_);
    return changed_.wait_for(lock, kPatience, [&] { return fds_.size() >= count; });
  }

  std::vector<int> fds() {
    std::lock_guard<std::mutex> lock(mutex_);
    return fds_;
  }

  // Closes the `index`th connection, as the server does when it is done with one.
  void Close(size_t index) {
    std::lock_guard<std::mutex> lock(mutex_);
    close(fds_[index]);
    fds_[index] = -1;
  }

  ~Recorder() {
    for (int fd : fds_) {
      if (fd >= 0) close(fd);
    }
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<int> fds_;
};

// Waits until `done` holds, checking now and then; false if it never does.
bool Eventually(const std::function<bool()>& done) {
  auto deadline = std::chrono::steady_clock::now() + kPatience;
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return true;
}

int UnconnectedSocket() { return socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0); }

bool ConnectTo(int fd, int port) {
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0;
}

int Connect(int port) {
  int fd = UnconnectedSocket();
  EXPECT_TRUE(ConnectTo(fd, port));
  return fd;
}

// The local port of a client socket, and the remote port of the server's end of it, are the same
// connection's.
int LocalPort(int fd) {
  sockaddr_in address{};
  socklen_t length = sizeof(address);
  getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  return ntohs(address.sin_port);
}
int PeerPort(int fd) {
  sockaddr_in address{};
  socklen_t length = sizeof(address);
  getpeername(fd, reinterpret_cast<sockaddr*>(&address), &length);
  return ntohs(address.sin_port);
}

std::unique_ptr<ConnectionListener> Listen(int max_connections) {
  ConnectionListenerOptions options;
  options.max_connections = max_connections;
  options.recheck_interval = std::chrono::milliseconds(20);
  options.retry_interval = std::chrono::milliseconds(20);
  auto listener = ConnectionListener::Bind("127.0.0.1:0", options);
  EXPECT_TRUE(listener.ok()) << listener.status().ToString();
  return listener.ok() ? std::move(listener).value() : nullptr;
}

TEST(ConnectionListenerTest, HandsOverEachConnectionReadyForGrpc) {
  auto listener = Listen(10);
  ASSERT_NE(listener, nullptr);
  EXPECT_GT(listener->port(), 0);
  Recorder recorder;
  listener->Start(recorder.HandOff());
  int client = Connect(listener->port());
  ASSERT_TRUE(recorder.WaitFor(1));
  int fd = recorder.fds()[0];
  EXPECT_EQ(PeerPort(fd), LocalPort(client));
  EXPECT_TRUE(fcntl(fd, F_GETFL) & O_NONBLOCK);
  EXPECT_TRUE(fcntl(fd, F_GETFD) & FD_CLOEXEC);
  EXPECT_EQ(listener->stats().accepted, 1u);
  close(client);
}

TEST(ConnectionListenerTest, WaitsAtItsLimitUntilAConnectionCloses) {
  auto listener = Listen(2);
  ASSERT_NE(listener, nullptr);
  Recorder recorder;
  listener->Start(recorder.HandOff());
  std::vector<int> clients;
  for (int i = 0; i < 3; ++i) clients.push_back(Connect(listener->port()));

  // Two are taken; then the listener stops accepting, leaving the third in the backlog.
  ASSERT_TRUE(Eventually([&] { return listener->stats().times_full == 1; }));
  EXPECT_EQ(listener->stats().accepted, 2u);
  EXPECT_EQ(recorder.fds().size(), 2u);

  // The server closes one of its connections: the third is taken in its place.
  recorder.Close(0);
  ASSERT_TRUE(recorder.WaitFor(3));
  EXPECT_EQ(PeerPort(recorder.fds()[2]), LocalPort(clients[2]));
  EXPECT_EQ(listener->stats().accepted, 3u);
  for (int client : clients) close(client);
}

TEST(ConnectionListenerTest, ADescriptorNumberReusedForAnotherFileIsNotAConnection) {
  auto listener = Listen(1);
  ASSERT_NE(listener, nullptr);
  Recorder recorder;
  listener->Start(recorder.HandOff());
  int first = Connect(listener->port());
  ASSERT_TRUE(recorder.WaitFor(1));
  int handed = recorder.fds()[0];
  // The server closes the connection and the process opens a file, which gets the same number:
  // the listener must not take the file for its connection.
  recorder.Close(0);
  int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
  ASSERT_GE(null, 0);
  int file = dup2(null, handed);
  ASSERT_EQ(file, handed);
  close(null);
  int second = Connect(listener->port());
  ASSERT_TRUE(recorder.WaitFor(2));
  EXPECT_EQ(PeerPort(recorder.fds()[1]), LocalPort(second));
  close(file);
  close(first);
  close(second);
}

// The fault of gRPC 1.51's listener: after accept() fails with EMFILE, it never accepts again.
TEST(ConnectionListenerTest, KeepsAcceptingAfterTheProcessRanOutOfDescriptors) {
#if defined(__SANITIZE_ADDRESS__)
  // UBSan's pointer checks open a pipe to probe memory: in a process with no descriptor left they
  // report every object as invalid. The sanitized caseserver binary still runs the same scenario
  // (CaseserverProcessTest.KeepsServingAfterMoreConnectionsThanItsFileLimitAllows).
  GTEST_SKIP() << "the sanitizer runtime itself needs free descriptors";
#endif
  auto listener = Listen(100);
  ASSERT_NE(listener, nullptr);
  Recorder recorder;
  listener->Start(recorder.HandOff());
  std::vector<int> clients;
  for (int i = 0; i < 3; ++i) clients.push_back(UnconnectedSocket());

  // Lower the soft limit to the lowest free descriptor number: every number below it is taken, so
  // the process cannot open anything more, accept() included.
  struct rlimit saved {};
  ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &saved), 0);
  int lowest_free = open("/dev/null", O_RDONLY | O_CLOEXEC);  // open() takes the lowest free
  ASSERT_GE(lowest_free, 0);
  close(lowest_free);
  struct rlimit exhausted = saved;
  exhausted.rlim_cur = static_cast<rlim_t>(lowest_free);
  ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &exhausted), 0);
  bool failed_to_accept = true;
  for (int client : clients)
    failed_to_accept = ConnectTo(client, listener->port()) && failed_to_accept;
  failed_to_accept =
      failed_to_accept && Eventually([&] { return listener->stats().accept_failures > 0; });
  ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &saved), 0);
  ASSERT_TRUE(failed_to_accept);
  EXPECT_TRUE(recorder.fds().empty());

  // Descriptors are available again: every waiting connection is accepted.
  ASSERT_TRUE(recorder.WaitFor(3));
  EXPECT_EQ(listener->stats().accepted, 3u);
  for (int client : clients) close(client);
}

TEST(ConnectionListenerTest, StopClosesTheListeningSocket) {
  auto listener = Listen(10);
  ASSERT_NE(listener, nullptr);
  Recorder recorder;
  listener->Start(recorder.HandOff());
  int port = listener->port();
  listener->Stop();
  listener->Stop();  // idempotent
  int client = UnconnectedSocket();
  EXPECT_FALSE(ConnectTo(client, port));
  close(client);
  EXPECT_TRUE(recorder.fds().empty());
}

TEST(ConnectionListenerTest, RejectsAddressesItCannotUse) {
  for (const char* address : {"8443", "127.0.0.1:", "::1:8443", "127.0.0.1:99999", "host:port"}) {
    auto listener = ConnectionListener::Bind(address, {});
    ASSERT_FALSE(listener.ok()) << address;
    EXPECT_EQ(listener.status().code(), StatusCode::kInvalidArgument) << address;
  }
  // A port another socket holds.
  auto first = Listen(1);
  ASSERT_NE(first, nullptr);
  auto second = ConnectionListener::Bind("127.0.0.1:" + std::to_string(first->port()), {});
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().reason(), "BIND_FAILED");
}

TEST(ConnectionListenerTest, BindsEveryAddressOfANameOnOnePort) {
  auto listener = ConnectionListener::Bind("localhost:0", {});
  ASSERT_TRUE(listener.ok()) << listener.status().ToString();
  Recorder recorder;
  (*listener)->Start(recorder.HandOff());
  int client = Connect((*listener)->port());  // 127.0.0.1, whatever else localhost is
  ASSERT_TRUE(recorder.WaitFor(1));
  close(client);
}

}  // namespace
}  // namespace casecoord::server
