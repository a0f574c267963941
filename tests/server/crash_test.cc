// Crash tests of the real caseserver: the binary as deployed, over TLS sockets, on an encrypted
// RocksDB on disk. Writers write concurrently with request ids while the server is killed with
// SIGKILL at random moments, cycle after cycle; each write whose outcome the kill hid is retried
// with the same request id after the next start. In the end every acknowledged write is there
// exactly once (and under the name it was acknowledged with), the audit chain verifies, and the
// statistics counters equal a recount from the records.
//
// The second test also models a power failure: after each kill every file of the database is cut
// to its size at its last sync (storage::SyncJournal), dropping what only the page cache held.
//
// The random choices (when to kill, which write next) come from one seed, printed with any failure.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <functional>
#include <iostream>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <thread>

#include "casecoord/v1/cases.grpc.pb.h"
#include "clients/cli/client.h"
#include "services/common/fiscal_year.h"
#include "services/common/grpc_errors.h"
#include "services/storage/file_system.h"
#include "tests/support/process_run.h"
#include "tests/support/server_process.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_pki.h"
#include "tests/support/test_vocabulary.h"

namespace casecoord {
namespace {

constexpr int kCycles = 20;       // kills while the writers write
constexpr int kStartupKills = 4;  // further kills during start-up (log replay, seeding)
constexpr int kWriters = 4;
constexpr int kMaxKillDelayMs = 400;
constexpr char kAgency[] = "agencies/kita-houkatsu-1";  // from deploy/demo/agencies.csv
constexpr char kMarker[] = "crash-test ";

// One create-like write, as its writer knows it. A retry sends exactly the same request.
struct Write {
  bool is_case = true;  // CreateCase; otherwise AppendConsultation on `parent`
  std::string request_id;
  std::string parent;
  bool contact = false;  // a COORDINATION_CONTACT (counted in the statistics) or a CONSULTATION
  v1::Date date;
  std::string result;  // the name the server answered with, once acknowledged
};

// The record's marker (presenting problem or summary) names the write that made it.
std::string Marker(const Write& write) { return kMarker + write.request_id; }

struct Writer {
  int id = 0;
  std::mt19937 random;
  int next = 0;
  std::vector<Write> acknowledged;
  std::optional<Write> pending;    // sent, outcome unknown: retried with its id after a restart
  std::vector<std::string> cases;  // acknowledged cases, which consultations go to
  int retried_after_crash = 0;
};

v1::Date Today() {
  const std::string day = FormatJstDate(std::chrono::system_clock::now());  // YYYY-MM-DD
  v1::Date date;
  date.set_year(std::stoi(day.substr(0, 4)));
  date.set_month(std::stoi(day.substr(5, 2)));
  date.set_day(std::stoi(day.substr(8, 2)));
  return date;
}

Write NextWrite(Writer& writer) {
  Write write;
  write.request_id = "w" + std::to_string(writer.id) + "-" + std::to_string(writer.next++);
  write.is_case = writer.cases.empty() || writer.random() % 3 == 0;
  if (!write.is_case) write.parent = writer.cases[writer.random() % writer.cases.size()];
  write.contact = writer.random() % 2 == 0;
  write.date = Today();
  return write;
}

std::unique_ptr<grpc::ClientContext> Context() {
  auto context = std::make_unique<grpc::ClientContext>();
  context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
  return context;
}

// Sends `write`; on OK sets write->result.
grpc::Status Send(v1::Cases::Stub& stub, Write* write) {
  grpc::Status status;
  if (write->is_case) {
    v1::CreateCaseRequest request;
    request.set_request_id(write->request_id);
    auto* member = request.mutable_case_()->add_members();
    member->set_member_id("m1");
    member->set_display_name("架空 次郎");
    member->set_principal(true);
    member->add_issue_tags("hikikomori");
    request.mutable_case_()->set_district("kita");
    request.mutable_case_()->set_referring_agency(kAgency);
    request.mutable_case_()->set_presenting_problem(Marker(*write));
    v1::Case made;
    status = stub.CreateCase(Context().get(), request, &made);
    if (status.ok()) write->result = made.name();
  } else {
    v1::AppendConsultationRequest request;
    request.set_request_id(write->request_id);
    request.set_parent(write->parent);
    auto* entry = request.mutable_entry();
    entry->set_kind(write->contact ? v1::COORDINATION_CONTACT : v1::CONSULTATION);
    if (write->contact) entry->set_agency(kAgency);
    entry->set_summary(Marker(*write));
    *entry->mutable_date() = write->date;
    v1::ConsultationEntry made;
    status = stub.AppendConsultation(Context().get(), request, &made);
    if (status.ok()) write->result = made.name();
  }
  return status;
}

// The server went away before or while answering: the call never got an answer from it (every
// error caseserver answers carries google.rpc.Status details).
bool OutcomeUnknown(const grpc::Status& status) {
  switch (status.error_code()) {
    case grpc::StatusCode::UNAVAILABLE:
    case grpc::StatusCode::UNKNOWN:
    case grpc::StatusCode::INTERNAL:
    case grpc::StatusCode::CANCELLED:
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      return status.error_details().empty();
    default:
      return false;
  }
}

// Writes until a call fails; a call the server did not answer leaves its write pending.
void RunWriter(Writer& writer, const std::shared_ptr<grpc::Channel>& channel,
               const std::atomic<bool>& stop) {
  auto stub = v1::Cases::NewStub(channel);
  while (!stop.load(std::memory_order_acquire)) {
    if (!writer.pending) writer.pending = NextWrite(writer);
    Write& write = *writer.pending;
    const grpc::Status status = Send(*stub, &write);
    if (!status.ok()) {
      if (!OutcomeUnknown(status)) {
        ADD_FAILURE() << write.request_id << " refused: " << DescribeGrpcError(status);
      }
      return;
    }
    if (write.is_case) writer.cases.push_back(write.result);
    writer.acknowledged.push_back(std::move(write));
    writer.pending.reset();
  }
}

// What a file kind of the database directory is called in the coverage check.
std::string FileKind(const std::string& name) {
  for (const char* prefix : {"MANIFEST-", "OPTIONS-", "CURRENT", "IDENTITY"}) {
    if (name.starts_with(prefix)) return prefix;
  }
  for (const char* suffix : {".log", ".sst"}) {
    if (name.ends_with(suffix)) return suffix;
  }
  return name;
}

class CrashTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ca_.WriteTo(dir_.Sub("pki"), {});
    std::filesystem::create_directories(dir_.Sub("scratch"));
    for (const char* key : {"kek", "audit"}) {
      testing::ProcessRun keygen = testing::RunProcess(
          {CASESERVER_PATH, "keygen", "--out", dir_.Sub(key)}, dir_.Sub("scratch"));
      ASSERT_EQ(keygen.exit_code, 0) << keygen.err;
    }
    seed_ = std::random_device()();
    random_.seed(seed_);
    for (int i = 0; i < kWriters; ++i) {
      writers_[i].id = i;
      writers_[i].random.seed(seed_ + 1 + i);
    }
  }

  std::vector<std::string> DataArgs() const {
    return {"--data-dir=" + DataDir(), "--backup-dir=" + dir_.Sub("data/backups"),
            "--kek-file=" + dir_.Sub("kek"), "--audit-key-file=" + dir_.Sub("audit")};
  }
  std::string DataDir() const { return dir_.Sub("data/db"); }

  std::vector<std::string> ServeArgs() const {
    std::vector<std::string> args = {
        "serve",
        // Demo users and data: production mode refuses them.
        "--mode=development", "--backup-interval=0", "--listen=127.0.0.1:0",
        "--tls-cert=" + dir_.Sub("pki/server.crt"), "--tls-key=" + dir_.Sub("pki/server.key"),
        "--tls-client-ca=" + dir_.Sub("pki/ca.crt"), "--bootstrap-admin=ops", "--demo-users=true",
        "--demo-vocabularies=" + testing::DemoVocabulariesPath(),
        "--demo-directory=" + std::string(CASECOORD_SOURCE_DIR) + "/deploy/demo/agencies.csv",
        "--rate-limit-per-second=1000000", "--rate-limit-burst=1000000", "--drain-ms=0"};
    for (const auto& arg : DataArgs()) args.push_back(arg);
    return args;
  }

  std::shared_ptr<grpc::Channel> Channel(int port, const testing::KeyPair& user) const {
    return client::Connect(client::ConnectionPems{"localhost:" + std::to_string(port),
                                                  ca_.root_pem(), user.certificate_pem,
                                                  user.private_key_pem});
  }

  // Kills the server at random moments, kCycles times while the writers write and kStartupKills
  // times while it starts; `after_kill` runs once each kill has ended the process.
  void CrashRepeatedly(const std::string& binary, const std::vector<std::string>& environment,
                       const std::function<void()>& after_kill) {
    for (int cycle = 0; cycle < kCycles + kStartupKills; ++cycle) {
      SCOPED_TRACE("cycle " + std::to_string(cycle));
      testing::ServerProcess server =
          testing::SpawnServer(binary, ServeArgs(), testing::SpawnOptions{0, 0, environment, ""});
      std::string log;
      // Every sixth start is killed at a random moment of its start-up (log replay, seeding) or
      // soon after, without writers.
      if (cycle % 6 == 5) {
        std::this_thread::sleep_for(std::chrono::milliseconds(random_() % 300));
        Kill(server, &log);
        after_kill();
        if (HasFatalFailure()) return;
        continue;
      }
      const int port = testing::WaitUntilServing(server.stderr_fd, &log, 120);
      if (port == 0) {
        Kill(server, &log);
        FAIL() << "no start after a crash:\n" << log;
      }
      // The log is drained while the writers run, so that a full pipe never stalls the server.
      std::thread drain([&] {
        log += testing::ReadUntil(
            server.stderr_fd, [](const std::string&) { return false; }, 600);
      });
      std::atomic<bool> stop{false};
      std::vector<std::thread> threads;
      for (auto& writer : writers_) {
        if (writer.pending) ++writer.retried_after_crash;
        threads.emplace_back(RunWriter, std::ref(writer), Channel(port, coordinator_),
                             std::cref(stop));
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20 + random_() % kMaxKillDelayMs));
      kill(server.pid, SIGKILL);
      EXPECT_EQ(testing::WaitExit(server.pid), 128 + SIGKILL);
      stop.store(true, std::memory_order_release);
      for (auto& thread : threads) thread.join();
      drain.join();
      close(server.stderr_fd);
      after_kill();
      if (HasFatalFailure()) return;
    }
  }

  void Kill(testing::ServerProcess& server, std::string* log) {
    kill(server.pid, SIGKILL);
    testing::WaitExit(server.pid);
    *log += testing::ReadUntil(
        server.stderr_fd, [](const std::string&) { return false; }, 5);
    close(server.stderr_fd);
  }

  // A clean start after the last crash: retries what is pending, checks every write, the counters
  // and (after a graceful stop) the audit chain.
  void CheckEverything(const std::string& binary, const std::vector<std::string>& environment) {
    testing::ServerProcess server =
        testing::SpawnServer(binary, ServeArgs(), testing::SpawnOptions{0, 0, environment, ""});
    std::string log;
    const int port = testing::WaitUntilServing(server.stderr_fd, &log, 120);
    if (port == 0) {
      Kill(server, &log);
      FAIL() << "no start after the last crash:\n" << log;
    }
    std::thread drain([&] {
      log += testing::ReadUntil(
          server.stderr_fd, [](const std::string&) { return false; }, 600);
    });
    CheckWrites(port);
    CheckCounters(port);
    kill(server.pid, SIGTERM);
    EXPECT_EQ(testing::WaitExit(server.pid), 0);
    drain.join();
    close(server.stderr_fd);

    std::vector<std::string> verify = {CASESERVER_PATH, "audit", "verify"};
    for (const auto& arg : DataArgs()) verify.push_back(arg);
    testing::ProcessRun verified = testing::RunProcess(verify, dir_.Sub("scratch"));
    EXPECT_EQ(verified.exit_code, 0) << verified.out << verified.err;
    EXPECT_NE(verified.out.find("audit trail intact"), std::string::npos) << verified.out;
    // The operators' offline check after a crash agrees with the one made while serving.
    std::vector<std::string> recount = {CASESERVER_PATH, "counters", "verify"};
    for (const auto& arg : DataArgs()) recount.push_back(arg);
    testing::ProcessRun counted = testing::RunProcess(recount, dir_.Sub("scratch"));
    EXPECT_EQ(counted.exit_code, 0) << counted.out << counted.err;
    EXPECT_NE(counted.out.find("counters agree with a recount"), std::string::npos) << counted.out;
  }

  void CheckWrites(int port) {
    auto stub = v1::Cases::NewStub(Channel(port, coordinator_));
    size_t acknowledged_cases = 0, acknowledged_entries = 0;
    for (auto& writer : writers_) {
      // A write whose outcome a crash hid lands now, or was there and is answered from the ledger.
      if (writer.pending) {
        ++writer.retried_after_crash;
        grpc::Status status = Send(*stub, &*writer.pending);
        ASSERT_TRUE(status.ok()) << writer.pending->request_id << ": " << DescribeGrpcError(status);
        writer.acknowledged.push_back(std::move(*writer.pending));
        writer.pending.reset();
      }
      // Every acknowledged write, sent again, is answered with what it made then.
      for (const Write& write : writer.acknowledged) {
        Write again = write;
        grpc::Status status = Send(*stub, &again);
        ASSERT_TRUE(status.ok()) << write.request_id << ": " << DescribeGrpcError(status);
        EXPECT_EQ(again.result, write.result) << write.request_id;
        ++(write.is_case ? acknowledged_cases : acknowledged_entries);
      }
    }
    // Every record a write made, by its marker.
    std::map<std::string, std::vector<std::string>> found;
    size_t cases = 0, entries = 0;
    std::string page_token;
    do {
      v1::ListCasesRequest list;
      list.set_page_size(100);
      list.set_page_token(page_token);
      v1::ListCasesResponse page;
      grpc::Status status = stub->ListCases(Context().get(), list, &page);
      ASSERT_TRUE(status.ok()) << DescribeGrpcError(status);
      for (const v1::Case& record : page.cases()) {
        if (!record.presenting_problem().starts_with(kMarker)) continue;
        ++cases;
        found[record.presenting_problem()].push_back(record.name());
        ASSERT_NO_FATAL_FAILURE(ListEntries(*stub, record.name(), &found, &entries));
      }
      page_token = page.next_page_token();
    } while (!page_token.empty());

    for (const Writer& writer : writers_) {
      for (const Write& write : writer.acknowledged) {
        EXPECT_EQ(found[Marker(write)], std::vector<std::string>{write.result})
            << write.request_id << " is not there exactly once, as acknowledged";
      }
    }
    // Nothing else: every write ever sent was acknowledged by now.
    EXPECT_EQ(cases, acknowledged_cases);
    EXPECT_EQ(entries, acknowledged_entries);
    // The test wrote something worth checking.
    EXPECT_GE(acknowledged_cases + acknowledged_entries, size_t{kCycles});
    int retried = 0;
    for (const Writer& writer : writers_) retried += writer.retried_after_crash;
    std::cout << "seed " << seed_ << ": " << acknowledged_cases << " cases and "
              << acknowledged_entries << " consultation entries acknowledged; " << retried
              << " writes retried after a crash\n";
  }

  void ListEntries(v1::Cases::Stub& stub, const std::string& parent,
                   std::map<std::string, std::vector<std::string>>* found, size_t* entries) {
    std::string page_token;
    do {
      v1::ListConsultationsRequest list;
      list.set_parent(parent);
      list.set_page_size(100);
      list.set_page_token(page_token);
      v1::ListConsultationsResponse page;
      grpc::Status status = stub.ListConsultations(Context().get(), list, &page);
      ASSERT_TRUE(status.ok()) << DescribeGrpcError(status);
      for (const v1::ConsultationEntry& entry : page.entries()) {
        if (!entry.summary().starts_with(kMarker)) continue;
        ++*entries;
        (*found)[entry.summary()].push_back(entry.name());
      }
      page_token = page.next_page_token();
    } while (!page_token.empty());
  }

  // The stored counters equal a recount from the records (CaseCounting::PrepareRebuildCounters).
  void CheckCounters(int port) {
    v1::RebuildCaseCountersRequest request;
    request.set_validate_only(true);
    v1::RebuildCaseCountersResponse response;
    grpc::Status status = v1::Cases::NewStub(Channel(port, ops_))
                              ->RebuildCaseCounters(Context().get(), request, &response);
    ASSERT_TRUE(status.ok()) << DescribeGrpcError(status);
    EXPECT_GT(response.counters_recomputed(), 0);
    for (const auto& difference : response.differences()) {
      ADD_FAILURE() << "counter " << difference.fiscal_year() << " " << difference.metric() << " "
                    << difference.dimension() << "=" << difference.value() << ": stored "
                    << difference.stored() << ", recounted " << difference.recomputed();
    }
    EXPECT_FALSE(response.replaced());
  }

  testing::TempDir dir_;
  testing::TestCa ca_;
  const testing::KeyPair coordinator_ = ca_.IssueClient("coordinator");
  const testing::KeyPair ops_ = ca_.IssueClient("ops");
  uint32_t seed_ = 0;
  std::mt19937 random_;
  Writer writers_[kWriters];
};

TEST_F(CrashTest, AcknowledgedWritesSurviveKillsExactlyOnce) {
  SCOPED_TRACE("seed " + std::to_string(seed_));
  ASSERT_NO_FATAL_FAILURE(CrashRepeatedly(CASESERVER_PATH, {}, [] {}));
  CheckEverything(CASESERVER_PATH, {});
}

// As above, and after every kill each file is cut to what its last sync made durable.
TEST_F(CrashTest, AcknowledgedWritesSurviveKillsThatDropUnsyncedData) {
  SCOPED_TRACE("seed " + std::to_string(seed_));
  const std::string journal = dir_.Sub("sync-journal");
  const std::vector<std::string> environment = {"CASECOORD_TEST_SYNC_JOURNAL=" + journal};
  uint64_t bytes_dropped = 0;
  int files_cut = 0;
  std::set<std::string> kinds;
  ASSERT_NO_FATAL_FAILURE(CrashRepeatedly(CASESERVER_TEST_SEAMS_PATH, environment, [&] {
    auto dropped = storage::DropUnsyncedData(journal, DataDir());
    ASSERT_TRUE(dropped.ok()) << dropped.status().ToString();
    bytes_dropped += dropped->bytes_dropped;
    files_cut += dropped->files_cut;
    for (const auto& [file, size] : dropped->durable_sizes) kinds.insert(FileKind(file));
    std::filesystem::remove(journal);
  }));
  CheckEverything(CASESERVER_TEST_SEAMS_PATH, environment);
  // The journal saw RocksDB's own files, and the model dropped data some of the time.
  for (const char* kind : {"MANIFEST-", "OPTIONS-", "CURRENT", ".log", ".sst"}) {
    EXPECT_TRUE(kinds.contains(kind)) << kind;
  }
  EXPECT_GT(bytes_dropped, 0u);
  std::cout << "unsynced data dropped: " << bytes_dropped << " bytes from " << files_cut
            << " files\n";
}

}  // namespace
}  // namespace casecoord
