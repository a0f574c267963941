// deploy/systemd: the unit passes systemd's own checks, and the built caseserver, started the way
// the unit starts it, tells systemd when it is ready and when it stops, and stops in time.
//
// systemd itself cannot run here (no init system in a build container), so the start is
// reproduced from the unit's text: ExecStart with %d replaced by a credentials directory of
// mode-0400 files (what systemd 252 makes on its ramfs), the drop-in's Environment=, the
// example settings with their paths moved into a temporary directory, and NOTIFY_SOCKET bound
// by the test.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "tests/support/dev_server.h"
#include "tests/support/process_run.h"
#include "tests/support/server_process.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_pki.h"

namespace casecoord {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

#define CASECOORD_SYSTEMD_DIR CASECOORD_SOURCE_DIR "/deploy/systemd"
constexpr char kSystemdDir[] = CASECOORD_SYSTEMD_DIR;
constexpr char kUnitPath[] = CASECOORD_SYSTEMD_DIR "/caseserver.service";
constexpr char kDropInPath[] = CASECOORD_SYSTEMD_DIR "/caseserver.service.d/offsite-s3.conf";
constexpr char kSettingsPath[] = CASECOORD_SYSTEMD_DIR "/caseserver.conf";

// The assignments of a unit file's [Service] section, in order (a name may repeat).
std::vector<std::pair<std::string, std::string>> ServiceAssignments(const std::string& path) {
  std::vector<std::pair<std::string, std::string>> assignments;
  bool in_service = false;
  for (const std::string& line : testing::Lines(testing::ReadFile(path))) {
    if (line.empty() || line[0] == '#' || line[0] == ';') continue;
    if (line[0] == '[') {
      in_service = line == "[Service]";
      continue;
    }
    const size_t equals = line.find('=');
    if (in_service && equals != std::string::npos) {
      assignments.emplace_back(line.substr(0, equals), line.substr(equals + 1));
    }
  }
  return assignments;
}

std::vector<std::string> ValuesOf(const std::vector<std::pair<std::string, std::string>>& all,
                                  const std::string& name) {
  std::vector<std::string> values;
  for (const auto& [key, value] : all) {
    if (key == name) values.push_back(value);
  }
  return values;
}

std::vector<std::string> SplitWords(const std::string& text) {
  std::vector<std::string> words;
  std::istringstream in(text);
  for (std::string word; in >> word;) words.push_back(word);
  return words;
}

std::string ReplaceAll(std::string text, const std::string& from, const std::string& to) {
  for (size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) {
    text.replace(at, from.size(), to);
  }
  return text;
}

// The "name = value" settings of a caseserver settings file, comments dropped.
std::map<std::string, std::string> Settings(const std::string& path) {
  std::map<std::string, std::string> settings;
  for (std::string line : testing::Lines(testing::ReadFile(path))) {
    line = line.substr(0, line.find('#'));
    const size_t equals = line.find('=');
    if (equals == std::string::npos) continue;
    auto trim = [](const std::string& s) {
      const size_t begin = s.find_first_not_of(" \t");
      const size_t end = s.find_last_not_of(" \t");
      return begin == std::string::npos ? std::string() : s.substr(begin, end - begin + 1);
    };
    settings[trim(line.substr(0, equals))] = trim(line.substr(equals + 1));
  }
  return settings;
}

// TimeoutStopSec= in seconds: a plain number or a number with "s" or "min".
int StopTimeoutSeconds(const std::vector<std::pair<std::string, std::string>>& assignments) {
  const std::vector<std::string> values = ValuesOf(assignments, "TimeoutStopSec");
  if (values.size() != 1) return -1;
  const std::string& value = values[0];
  char* end = nullptr;
  const long number = std::strtol(value.c_str(), &end, 10);
  if (end == value.c_str()) return -1;
  const std::string unit = end;
  if (unit.empty() || unit == "s") return static_cast<int>(number);
  if (unit == "min") return static_cast<int>(number * 60);
  return -1;
}

std::string FindOnPath(const std::string& program) {
  const char* path = std::getenv("PATH");
  std::istringstream directories(path != nullptr ? path : "/usr/bin:/bin");
  for (std::string directory; std::getline(directories, directory, ':');) {
    const std::string candidate = directory + "/" + program;
    if (access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return "";
}

// A copy of the unit and its drop-in directory in `dir`, ExecStart pointing at the built binary.
std::string CopyUnitForBuiltBinary(const std::string& dir) {
  const std::string unit =
      ReplaceAll(testing::ReadFile(kUnitPath), "ExecStart=/usr/bin/caseserver ",
                 std::string("ExecStart=") + CASESERVER_PATH + " ");
  const std::string copy = dir + "/caseserver.service";
  std::ofstream(copy) << unit;
  // Every drop-in (the off-site key, the previous KEK), as if all were installed at once.
  fs::create_directories(dir + "/caseserver.service.d");
  for (const auto& drop_in :
       fs::directory_iterator(std::string(CASECOORD_SYSTEMD_DIR) + "/caseserver.service.d")) {
    fs::copy_file(drop_in.path(),
                  dir + "/caseserver.service.d/" + drop_in.path().filename().string());
  }
  return copy;
}

TEST(SystemdUnitTest, SystemdAnalyzeVerifiesTheUnitAndItsDropInWithoutAWord) {
  const std::string analyze = FindOnPath("systemd-analyze");
  ASSERT_FALSE(analyze.empty()) << "systemd-analyze not found: deploy/install-deps.sh installs "
                                   "the systemd package";
  testing::TempDir dir, scratch;
  const std::string unit = CopyUnitForBuiltBinary(dir.path());
  const testing::ProcessRun run = testing::RunProcess({analyze, "verify", unit}, scratch.path());
  EXPECT_EQ(run.exit_code, 0) << run.out << run.err;
  // Unknown keys, unresolvable specifiers and bad syntax are warnings with exit code 0: any word
  // from verify is a defect of the unit.
  EXPECT_EQ(run.out + run.err, "");
}

TEST(SystemdUnitTest, VerifyFailsWhenExecStartDoesNotExist) {
  // Guards the test above: verify must be looking at ExecStart, not at nothing.
  const std::string analyze = FindOnPath("systemd-analyze");
  ASSERT_FALSE(analyze.empty());
  testing::TempDir dir, scratch;
  const std::string unit = dir.Sub("caseserver.service");
  std::ofstream(unit) << ReplaceAll(testing::ReadFile(kUnitPath), "/usr/bin/caseserver ",
                                    dir.Sub("missing/caseserver") + " ");
  const testing::ProcessRun run = testing::RunProcess({analyze, "verify", unit}, scratch.path());
  EXPECT_NE(run.exit_code, 0);
  EXPECT_NE(run.err.find("not executable"), std::string::npos) << run.err;
}

TEST(SystemdUnitTest, SecurityExposureStaysAtMostTwo) {
  const std::string analyze = FindOnPath("systemd-analyze");
  ASSERT_FALSE(analyze.empty());
  testing::TempDir dir, scratch;
  const std::string unit = CopyUnitForBuiltBinary(dir.path());
  // --threshold is in tenths: 20 is an overall exposure of 2.0 (1.2 when written; 10 is unsafe).
  const testing::ProcessRun run = testing::RunProcess(
      {analyze, "security", "--offline=yes", "--threshold=20", "--no-pager", unit}, scratch.path());
  EXPECT_EQ(run.exit_code, 0) << testing::LineWith(run.out, "Overall exposure") << "\n" << run.err;
}

TEST(SystemdUnitTest, SysusersCreatesASystemUserWithoutLogin) {
  const std::string sysusers = FindOnPath("systemd-sysusers");
  ASSERT_FALSE(sysusers.empty()) << "systemd-sysusers not found: install the systemd package";
  testing::TempDir root, scratch;
  fs::create_directories(root.Sub("etc"));
  const testing::ProcessRun run =
      testing::RunProcess({"/bin/sh", "-c", "exec \"$0\" --root=\"$1\" - < \"$2\"", sysusers,
                           root.path(), std::string(kSystemdDir) + "/casecoord.sysusers.conf"},
                          scratch.path());
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const std::string passwd =
      testing::LineWith(testing::ReadFile(root.Sub("etc/passwd")), "casecoord:");
  ASSERT_FALSE(passwd.empty());
  std::vector<std::string> fields;
  std::istringstream in(passwd);
  for (std::string field; std::getline(in, field, ':');) fields.push_back(field);
  ASSERT_EQ(fields.size(), 7u) << passwd;
  EXPECT_LT(std::stoi(fields[2]), 1000) << "not a system uid: " << passwd;
  EXPECT_EQ(fields[5], "/var/lib/casecoord");
  EXPECT_EQ(fields[6], "/usr/sbin/nologin");
  const auto assignments = ServiceAssignments(kUnitPath);
  EXPECT_EQ(ValuesOf(assignments, "User"), std::vector<std::string>{"casecoord"});
  EXPECT_EQ(ValuesOf(assignments, "StateDirectory"), std::vector<std::string>{"casecoord"});
}

TEST(SystemdUnitTest, StopTimeoutCoversTheDrainAndTheGraceOfTheExampleSettings) {
  const int timeout = StopTimeoutSeconds(ServiceAssignments(kUnitPath));
  ASSERT_GT(timeout, 0) << "TimeoutStopSec missing or not in seconds or minutes";
  const std::map<std::string, std::string> settings = Settings(kSettingsPath);
  ASSERT_TRUE(settings.count("drain-ms") && settings.count("shutdown-grace-ms"));
  const int drain_and_grace_ms =
      std::stoi(settings.at("drain-ms")) + std::stoi(settings.at("shutdown-grace-ms"));
  // The rest is closing the database: flushing up to 64 MiB of memtables.
  EXPECT_GE(timeout * 1000, drain_and_grace_ms + 15000)
      << "TimeoutStopSec=" << timeout << " leaves too little after drain-ms + shutdown-grace-ms";
}

TEST(SystemdUnitTest, KeysComeAsCredentialsAndNeverFromTheSettingsFile) {
  const auto assignments = ServiceAssignments(kUnitPath);
  const std::vector<std::string> command = SplitWords(ValuesOf(assignments, "ExecStart").at(0));
  for (const std::string setting : {"kek-file", "audit-key-file", "tls-key"}) {
    bool from_credentials = false;
    for (const std::string& word : command) {
      from_credentials = from_credentials || word.rfind("--" + setting + "=%d/", 0) == 0;
    }
    EXPECT_TRUE(from_credentials) << "ExecStart does not pass --" << setting << "=%d/...";
    EXPECT_EQ(Settings(kSettingsPath).count(setting), 0u) << setting << " in the settings file";
  }
}

// A unix datagram socket standing in for systemd's notification socket.
class NotifySocket {
 public:
  explicit NotifySocket(const std::string& path) : path_(path) {
    fd_ = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    path.copy(address.sun_path, sizeof(address.sun_path) - 1);
    bound_ = fd_ >= 0 && bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0;
  }
  ~NotifySocket() {
    if (fd_ >= 0) close(fd_);
  }
  NotifySocket(const NotifySocket&) = delete;
  NotifySocket& operator=(const NotifySocket&) = delete;
  bool bound() const { return bound_; }

  // Waits until a message holding the line `assignment` arrives (true) or `deadline` passes.
  // Every message read is appended to `received`.
  bool WaitFor(const std::string& assignment, Clock::time_point deadline, std::string* received) {
    while (Clock::now() < deadline) {
      pollfd readable{fd_, POLLIN, 0};
      const auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
      if (poll(&readable, 1, static_cast<int>(std::max<int64_t>(left, 0))) <= 0) continue;
      char buffer[4096];
      const ssize_t size = recv(fd_, buffer, sizeof(buffer), 0);
      if (size <= 0) continue;
      const std::string message(buffer, static_cast<size_t>(size));
      *received += message + "\n---\n";
      for (const std::string& line : testing::Lines(message)) {
        if (line == assignment) return true;
      }
    }
    return false;
  }

 private:
  std::string path_;
  int fd_ = -1;
  bool bound_ = false;
};

// The example settings with every path moved under `root` and the listeners on kernel-chosen
// loopback ports; the off-site copy goes to a directory instead of the bucket.
std::string RewrittenSettings(const std::string& root) {
  std::string out;
  for (const auto& [name, value] : Settings(kSettingsPath)) {
    std::string moved = value;
    if (name == "listen" || name == "http-listen" || name == "metrics-listen") {
      moved = "127.0.0.1:0";
    } else if (name == "offsite-target") {
      moved = root + "/offsite";
    } else {
      moved = ReplaceAll(moved, "/var/lib/casecoord", root + "/state");
      moved = ReplaceAll(moved, "/etc/casecoord", root + "/etc");
      moved = ReplaceAll(moved, "/usr/share/casecoord", root + "/share");
    }
    out += name + " = " + moved + "\n";
  }
  return out;
}

void WriteFile(const std::string& path, const std::string& content, mode_t mode) {
  std::ofstream(path) << content;
  chmod(path.c_str(), mode);
}

bool Answers(const std::string& ca_file, int port, const std::string& path) {
  httplib::SSLClient client("127.0.0.1", port);
  client.set_ca_cert_path(ca_file.c_str());
  client.enable_server_certificate_verification(true);
  client.set_connection_timeout(5);
  auto answer = client.Get(path.c_str());
  return answer && answer->status == 200;
}

bool AcceptsConnections(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const bool connected = connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0;
  close(fd);
  return connected;
}

// The exit code, or -1 if the process is still running at `deadline`. A pidfd becomes readable
// when its process ends, which lets poll() wait for the exit with a timeout.
int WaitExitUntil(pid_t pid, Clock::time_point deadline) {
  const int pidfd = static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
  if (pidfd < 0) return -1;
  pollfd ended{pidfd, POLLIN, 0};
  const auto left =
      std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
  const bool exited = poll(&ended, 1, static_cast<int>(std::max<int64_t>(left, 0))) == 1;
  close(pidfd);
  return exited ? testing::WaitExit(pid) : -1;
}

TEST(SystemdStartTest, NotifiesReadyOnceServingThenStoppingAndExitsZeroWithinTimeoutStopSec) {
  const auto unit = ServiceAssignments(kUnitPath);
  const auto drop_in = ServiceAssignments(kDropInPath);
  ASSERT_EQ(ValuesOf(unit, "Type"), std::vector<std::string>{"notify"});
  const int stop_timeout = StopTimeoutSeconds(unit);
  ASSERT_GT(stop_timeout, 0);

  testing::TempDir root;
  for (const char* dir : {"etc/tls", "share", "offsite", "credentials"}) {
    fs::create_directories(root.Sub(dir));
  }
  // StateDirectory=casecoord with StateDirectoryMode=0700.
  fs::create_directories(root.Sub("state"));
  chmod(root.Sub("state").c_str(), 0700);

  // The certificates the example settings name, and the credentials the unit and its drop-in
  // load, each as systemd 252 hands them over: read-only, readable by the service's user alone.
  testing::TestCa ca;
  const testing::KeyPair server_pair = ca.IssueServer();
  WriteFile(root.Sub("etc/tls/server.crt"), server_pair.certificate_pem, 0644);
  WriteFile(root.Sub("etc/tls/client-ca.crt"), ca.root_pem(), 0644);
  const std::string credentials = root.Sub("credentials");
  std::vector<std::string> credential_ids;
  for (const auto& load : ValuesOf(unit, "LoadCredential")) {
    credential_ids.push_back(load.substr(0, load.find(':')));
  }
  for (const auto& load : ValuesOf(drop_in, "LoadCredential")) {
    credential_ids.push_back(load.substr(0, load.find(':')));
  }
  testing::TempDir scratch;
  for (const std::string& id : credential_ids) {
    const std::string path = credentials + "/" + id;
    if (id == "kek" || id == "audit") {
      const testing::ProcessRun keygen =
          testing::RunProcess({CASESERVER_PATH, "keygen", "--out", path}, scratch.path());
      ASSERT_EQ(keygen.exit_code, 0) << keygen.err;
      chmod(path.c_str(), 0400);
    } else if (id == "tls-key") {
      WriteFile(path, server_pair.private_key_pem, 0400);
    } else if (id == "offsite") {
      WriteFile(path, "access-key-id = test-access-key\nsecret-access-key = test-secret\n", 0400);
    } else {
      FAIL() << "the unit loads a credential this test does not know how to make: " << id;
    }
  }
  chmod(credentials.c_str(), 0500);
  const std::string settings = root.Sub("etc/caseserver.conf");
  WriteFile(settings, RewrittenSettings(root.path()), 0644);

  // ExecStart, word by word, with the unit's specifiers and paths resolved as systemd would.
  std::vector<std::string> command = SplitWords(ValuesOf(unit, "ExecStart").at(0));
  ASSERT_EQ(command.at(0), "/usr/bin/caseserver");
  std::vector<std::string> args;
  for (size_t i = 1; i < command.size(); ++i) {
    std::string arg = ReplaceAll(command[i], "%d", credentials);
    args.push_back(arg == "/etc/casecoord/caseserver.conf" ? settings : arg);
  }
  testing::SpawnOptions options;
  options.stdout_path = root.Sub("stdout");
  options.environment = {"NOTIFY_SOCKET=" + root.Sub("notify"),
                         "CREDENTIALS_DIRECTORY=" + credentials};
  for (const auto& environment : ValuesOf(drop_in, "Environment")) {
    options.environment.push_back(ReplaceAll(environment, "%d", credentials));
  }
  rlimit files{};
  getrlimit(RLIMIT_NOFILE, &files);
  const auto unit_files = ValuesOf(unit, "LimitNOFILE");
  ASSERT_EQ(unit_files.size(), 1u);
  const rlim_t wanted = std::stoul(unit_files[0]);
  if (files.rlim_max >= wanted) options.open_files_soft = options.open_files_hard = wanted;

  NotifySocket notify(root.Sub("notify"));
  ASSERT_TRUE(notify.bound());
  testing::ServerProcess process = testing::SpawnServer(CASESERVER_PATH, args, options);
  fcntl(process.stderr_fd, F_SETFL, O_NONBLOCK);
  std::string log, notifications;

  // Start-up under the sanitizers takes several seconds; TimeoutStartSec is far longer.
  const bool ready =
      notify.WaitFor("READY=1", Clock::now() + std::chrono::seconds(90), &notifications);
  testing::DrainLog(process.stderr_fd, &log);
  if (!ready) {
    kill(process.pid, SIGKILL);
    testing::WaitExit(process.pid);
    close(process.stderr_fd);
    FAIL() << "no READY=1 from caseserver\nnotifications:\n" << notifications << "\nlog:\n" << log;
  }
  // READY=1 promises that the listeners answer now, without a retry.
  const int grpc_port = testing::LoggedPort(log, "caseserver serving");
  const int http_port = testing::LoggedPort(log, "HTTP listener serving");
  EXPECT_GT(grpc_port, 0) << log;
  EXPECT_GT(http_port, 0) << log;
  EXPECT_TRUE(AcceptsConnections(grpc_port));
  const std::string ca_file = root.Sub("etc/tls/client-ca.crt");
  EXPECT_TRUE(Answers(ca_file, http_port, "/healthz"));
  EXPECT_TRUE(Answers(ca_file, http_port, "/readyz"));

  const Clock::time_point term_sent = Clock::now();
  const Clock::time_point stop_deadline = term_sent + std::chrono::seconds(stop_timeout);
  ASSERT_EQ(kill(process.pid, SIGTERM), 0);
  const bool stopping = notify.WaitFor("STOPPING=1", stop_deadline, &notifications);
  const int exit_code = WaitExitUntil(process.pid, stop_deadline);
  const double stop_seconds = std::chrono::duration<double>(Clock::now() - term_sent).count();
  if (exit_code < 0) {
    kill(process.pid, SIGKILL);
    testing::WaitExit(process.pid);
  }
  testing::DrainLog(process.stderr_fd, &log);
  close(process.stderr_fd);
  EXPECT_TRUE(stopping) << "no STOPPING=1 after SIGTERM\nnotifications:\n" << notifications;
  EXPECT_EQ(exit_code, 0) << "after " << stop_seconds << " s (TimeoutStopSec=" << stop_timeout
                          << "; -1: still running, SIGKILLed as systemd would)\nlog:\n"
                          << log;
}

}  // namespace
}  // namespace casecoord
