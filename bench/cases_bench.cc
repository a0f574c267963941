// Cases at city scale: the acceptance line of the cases issue. With --cases (default 1,000,000)
// cases loaded, the real caseserver binary is started against the data and measured:
//   start-up  process start (fork) until its "caseserver serving" log line, which it writes right
//             after health turns SERVING, and until the first GetCase answered over a fresh mutual
//             TLS connection. Measured --startups times on the loaded data, then once more after
//             the measurements, when the WAL they wrote has to be replayed (as after any restart).
//   RSS       VmRSS and VmHWM of the caseserver process alone (/proc/<pid>/status), after
//             start-up and after the measurements; the clients are in this process, not in it.
//   QPS       closed-loop clients (one unary call at a time each) at each --concurrency over
//             min(concurrency, 8) TLS connections, each as its own coordinator, against five
//             targets measured in alternating half-second slices (A B C D E E D C B A ..., the
//             first target rotating each round), so noise from the shared machine hits all alike:
//               echo    an empty Admin.GetServerInfo served in this process on gRPC's reactor
//                       thread behind caseserver's TLS and transport settings
//                       (bench/baseline_server.h): the floor of a call;
//               get-pe  a payload echo: a Cases service in this process whose GetCase answers at
//                       once, on the reactor thread, with a case caseserver returned (captured
//                       once), renamed to the one asked for: carrying a case without the server's
//                       work, so that get / get-pe is the share left to the server;
//               floor   the audited floor of GetCase: a Cases service in a server process of its
//                       own (this program started again) whose GetCase runs through a real
//                       Gatekeeper, AuditLog and call observer (identity, policy, the worker
//                       hop, the record check, the audit entry durable before the answer, the
//                       access-log line) exactly as caseserver's does, but answers a captured
//                       case from memory: no RocksDB read, no key unwrapped, nothing decrypted.
//                       get / floor is the share the case read leaves of the audited path; the
//                       floor's audit log reports its entries per committed group (one fsync);
//               get     Cases.GetCase of a random case: identity, policy, the case read and its
//                       personal data opened, and an audit entry made durable before the answer;
//               append  Cases.AppendConsultation to a random case (CONSULTATION or
//                       COORDINATION_CONTACT entries, half each): the entry, its history event
//                       and counters, and the audit entry in one synced batch.
//             Each ratio is the median of per-round ratios. Latency p50/p99 is as the client
//             sees it; CPU per call is given for this process (clients, and the echo server) and
//             for the serving process (caseserver or the floor's; all of its threads, RocksDB's
//             included).
// Goals: get/echo >= 0.5 at concurrency 64; get/floor >= 0.8 (printed at every concurrency, judged
// at 64); append QPS at 64 >= 5x append QPS at 1 (group commit); caseserver RSS <= 256 MiB;
// start-up <= 2 s.
//
// For attribution the program also times the store's steps in-process before it starts the server
// (storage open, CaseStore::Get, PrepareAppendConsultation, an audited synced append, and a bare
// synced commit on the same file system) and prints RocksDB's memory figures for the data; and
// after the measurements it opens a copy of the database as the server left it without RocksDB's
// recovery flush, to show what the restart replays and what each column family held in memory.
//
// The data (fixed seed) is generated and loaded in-process, not through RPCs: a directory of
// --agencies agencies (kinds x the city's ten wards), nine coordinators and an admin (audited, as
// the server would create them), then the cases through CaseStore::PrepareCreate, each committed
// with Storage::CommitUnsynced (the store reads its sequences from storage, so a case must be
// committed before the next is prepared, and an fsync each would take hours). Households of 1-4
// members with names, readings, birth dates, relationships and issue tags after eleven patterns
// (8050, young carer, debt, double care, an isolated elder, ...); a district, an address, a
// referring agency of a fitting kind in that ward, 0-2 involved agencies, urgency, consent, the
// presenting problem. Intake dates spread over nine fiscal years; 70% of the cases moved on
// (completed by advice, coordinating, or coordinating then closed), and 0-2 consultation entries
// each. Loaded cases have no audit entries of their own (an audit entry is always a synced commit;
// one records the bulk load). The stores mark their index layouts first, as the server does on an
// empty database, so that its first start does not take the data for an older layout.
// The database is then compacted and kept in --dir (default /tmp/casecoord-bench-1m for the
// default size, /tmp/casecoord-bench-cases-N otherwise) with a marker file naming the format,
// counts and seed, so that later runs skip the load; --reload forces it. Every run adds the
// entries and audit entries its measurements write.
//
//   cases_bench [--cases 1000000] [--agencies 200] [--seconds 3] [--rounds 3]
//               [--concurrency 1,16,64] [--workers 16] [--startups 3] [--store-calls 2000]
//               [--seed 20261122] [--dir PATH] [--reload] [--compact] [--caseserver PATH]
//               [--profile-seconds S]
//
// --seconds is the measured time per target, concurrency and round. With --profile-seconds S it
// skips the rounds: after the start-ups it prints the caseserver's pid, waits 5 s (to attach a
// profiler to it), then runs each target alone at the highest concurrency for S seconds and prints
// the CLOCK_MONOTONIC bounds of each window, so that perf samples can be split by target.
// --compact compacts the cached database before the measurements, as the load leaves it: runs add
// data, and a case rewritten since the last compaction is read from another file than its key.
//
// This is a program, not a test: it prints figures and never fails on them. It exits non-zero if
// any call fails or returns something other than what was asked for.

#include <absl/synchronization/mutex.h>
#include <fcntl.h>
#include <grpcpp/grpcpp.h>
#include <rocksdb/db.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <deque>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "bench/baseline_server.h"
#include "bench/bench_support.h"
#include "casecoord/v1/admin.grpc.pb.h"
#include "casecoord/v1/cases.grpc.pb.h"
#include "clients/cli/client.h"
#include "services/auth/audit_log.h"
#include "services/auth/emergency_access.h"
#include "services/auth/gatekeeper.h"
#include "services/auth/rate_limiter.h"
#include "services/auth/user_registry.h"
#include "services/cases/case_consultations.h"
#include "services/cases/case_keys.h"
#include "services/cases/case_maintenance.h"
#include "services/cases/case_store.h"
#include "services/cases/cases_service.h"
#include "services/common/clock.h"
#include "services/common/fiscal_year.h"
#include "services/common/log.h"
#include "services/common/worker_pool.h"
#include "services/directory/agency_store.h"
#include "services/server/config.h"
#include "services/server/server.h"
#include "services/storage/counters.h"
#include "services/storage/encryption.h"
#include "services/storage/key_source.h"
#include "services/storage/storage.h"
#include "services/vocab/term_catalog.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_pki.h"

namespace casecoord::bench {
namespace {

namespace fs = std::filesystem;
using Steady = std::chrono::steady_clock;

constexpr double kGoalGetRatio = 0.5;
constexpr double kGoalGetToFloor = 0.8;
constexpr double kGoalAppendScaling = 5.0;
constexpr double kGoalRssMib = 256;
constexpr double kGoalStartupSeconds = 2.0;
constexpr int kMaxChannels = 8;
// coordinator-1 .. coordinator-9: each client connection (at most 8) is its own coordinator, as in
// an office; the loader opens cases as any of them.
constexpr int kCoordinators = 9;
constexpr double kSliceSeconds = 0.5;
constexpr double kSliceWarmupSeconds = 0.05;
constexpr double kMaxSliceWarmupSeconds = 2.0;
// Bump when the generated data or its layout changes, so that cached data is loaded again.
constexpr int kDataFormat = 3;  // 3: per-case last event and entry numbers
constexpr int kLoadYears = 9;
constexpr char kServingMessage[] = "\"msg\":\"caseserver serving\"";

struct Flags {
  int cases = 1000000;
  int agencies = 200;
  double seconds = 3.0;
  int rounds = 3;
  std::vector<int> concurrency = {1, 16, 64};
  int workers = 16;
  int startups = 3;
  int store_calls = 2000;
  int seed = 20261122;
  double profile_seconds = 0;  // > 0: each target alone for this long instead of the rounds
  std::string dir;             // default from --cases
  bool reload = false;
  bool compact = false;  // compact the cached database before measuring, as after a load
  std::string caseserver = CASESERVER_PATH;
};

[[noreturn]] void Die(const std::string& message) {
  std::fprintf(stderr, "cases_bench: %s\n", message.c_str());
  std::exit(1);
}

template <typename T>
T OrDie(Result<T> result, const std::string& what) {
  if (!result.ok()) Die(what + ": " + result.status().ToString());
  return std::move(result).value();
}

void OrDie(const Status& status, const std::string& what) {
  if (!status.ok()) Die(what + ": " + status.ToString());
}

double ThreadCpuSeconds() {
  timespec now{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
  return static_cast<double>(now.tv_sec) + static_cast<double>(now.tv_nsec) / 1e9;
}

double ProcessCpuSeconds() {
  timespec now{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &now);
  return static_cast<double>(now.tv_sec) + static_cast<double>(now.tv_nsec) / 1e9;
}

double SecondsSince(Steady::time_point start) {
  return std::chrono::duration<double>(Steady::now() - start).count();
}

// ---- another process, through /proc ----

// User + system CPU seconds of process `pid` (all threads), at the kernel's tick resolution.
double CpuSecondsOf(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const size_t paren = text.rfind(')');
  if (paren == std::string::npos) return NAN;
  std::istringstream fields(text.substr(paren + 2));
  std::string field;
  double ticks = 0;
  // After "pid (comm) ", field 3 (state) comes first; utime and stime are fields 14 and 15.
  for (int n = 3; n <= 15 && fields >> field; ++n) {
    if (n >= 14) ticks += std::strtod(field.c_str(), nullptr);
  }
  return ticks / static_cast<double>(sysconf(_SC_CLK_TCK));
}

struct Memory {
  double rss_mib = NAN;   // VmRSS
  double hwm_mib = NAN;   // VmHWM: the peak RSS so far
  double anon_mib = NAN;  // RssAnon: heap, stacks, RocksDB's caches and memtables
  double file_mib = NAN;  // RssFile: mapped files (the binary and its shared libraries)
  int threads = 0;
};

Memory MemoryOf(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  Memory memory;
  for (std::string line; std::getline(in, line);) {
    auto value = [&line]() { return std::strtod(line.c_str() + line.find(':') + 1, nullptr); };
    if (line.starts_with("VmRSS:")) memory.rss_mib = value() / 1024;
    if (line.starts_with("VmHWM:")) memory.hwm_mib = value() / 1024;
    if (line.starts_with("RssAnon:")) memory.anon_mib = value() / 1024;
    if (line.starts_with("RssFile:")) memory.file_mib = value() / 1024;
    if (line.starts_with("Threads:")) memory.threads = static_cast<int>(value());
  }
  return memory;
}

std::string Describe(const Memory& m) {
  char text[160];
  std::snprintf(text, sizeof(text),
                "VmRSS %.1f MiB (anonymous %.1f, files %.1f), VmHWM %.1f MiB, %d threads",
                m.rss_mib, m.anon_mib, m.file_mib, m.hwm_mib, m.threads);
  return text;
}

// Total bytes of the regular files under `dir` whose name ends with `suffix` ("" = all).
uint64_t BytesUnder(const std::string& dir, std::string_view suffix = "") {
  uint64_t bytes = 0;
  std::error_code error;
  for (const auto& entry : fs::recursive_directory_iterator(dir, error)) {
    if (entry.is_regular_file() && entry.path().string().ends_with(suffix)) {
      bytes += entry.file_size();
    }
  }
  return bytes;
}

// ---- generated data ----

struct Ward {
  const char* id;
  const char* name;
  const char* reading;
};
constexpr Ward kWards[] = {
    {"kita", "北区", "キタク"},         {"minami", "南区", "ミナミク"},
    {"higashi", "東区", "ヒガシク"},    {"nishi", "西区", "ニシク"},
    {"chuo", "中央区", "チュウオウク"}, {"minato", "港区", "ミナトク"},
    {"aoba", "青葉区", "アオバク"},     {"midori", "緑区", "ミドリク"},
    {"izumi", "泉区", "イズミク"},      {"wakaba", "若葉区", "ワカバク"},
};
constexpr int kWardCount = static_cast<int>(std::size(kWards));
constexpr const char* kNeighbourhoods[] = {"桜台",   "本町",   "新町", "山手", "光が丘",
                                           "旭ヶ丘", "富士見", "松原", "栄町", "南台"};
constexpr const char* kOrdinals[] = {"第一", "第二", "第三", "第四", "第五"};
constexpr const char* kOrdinalReadings[] = {"ダイイチ", "ダイニ", "ダイサン", "ダイヨン", "ダイゴ"};

struct AgencyKindSpec {
  v1::AgencyKind kind;
  const char* id_prefix;
  const char* suffix;
  const char* reading;
  std::vector<const char*> tags;
};

const std::vector<AgencyKindSpec>& AgencyKinds() {
  static const std::vector<AgencyKindSpec> kinds = {
      {v1::COMMUNITY_GENERAL_SUPPORT_CENTER,
       "houkatsu",
       "地域包括支援センター",
       "チイキホウカツシエンセンター",
       {"dementia", "elder-abuse", "8050", "isolation"}},
      {v1::DISABILITY_CONSULTATION_OFFICE,
       "soudan",
       "障害者相談支援事業所",
       "ショウガイシャソウダンシエンジギョウショ",
       {"intellectual-disability", "mental-disability", "developmental-disability"}},
      {v1::WELFARE_OFFICE,
       "fukushi",
       "福祉事務所",
       "フクシジムショ",
       {"debt", "housing-loss", "single-parent"}},
      {v1::SELF_RELIANCE_SUPPORT_CENTER,
       "jiritsu",
       "自立相談支援機関",
       "ジリツソウダンシエンキカン",
       {"debt", "housing-loss", "unemployment", "hikikomori"}},
      {v1::PUBLIC_HEALTH_CENTER,
       "hoken",
       "保健センター",
       "ホケンセンター",
       {"mental-disability", "suicide-risk", "substance-dependence"}},
      {v1::CHILDREN_CONSULTATION_CENTER,
       "kodomo",
       "こども相談センター",
       "コドモソウダンセンター",
       {"child-abuse", "young-carer", "single-parent"}},
      {v1::SOCIAL_WELFARE_COUNCIL,
       "shakyo",
       "社会福祉協議会",
       "シャカイフクシキョウギカイ",
       {"isolation", "guardianship", "debt"}},
      {v1::HOSPITAL,
       "byouin",
       "市民病院 医療福祉相談室",
       "シミンビョウイン イリョウフクシソウダンシツ",
       {"mental-disability", "dementia"}},
      {v1::NPO,
       "npo",
       "ひきこもり家族会",
       "ヒキコモリカゾクカイ",
       {"hikikomori", "isolation", "foreign-resident"}},
  };
  return kinds;
}

struct DirectoryAgency {
  std::string id;
  v1::Agency agency;
  int kind_index = 0;
  int ward = 0;
};

// The directory: kinds x wards, then again with the next ordinal, up to `count` agencies; every
// agency ACTIVE and accepting referrals. Deterministic, so that the measuring run can name
// agencies without reading them back.
std::vector<DirectoryAgency> MakeDirectory(int count) {
  const auto& kinds = AgencyKinds();
  const int per_round = static_cast<int>(kinds.size()) * kWardCount;
  std::vector<DirectoryAgency> agencies;
  for (int i = 0; i < count; ++i) {
    DirectoryAgency entry;
    entry.kind_index = i % static_cast<int>(kinds.size());
    entry.ward = (i / static_cast<int>(kinds.size())) % kWardCount;
    const int ordinal = i / per_round;  // 0-based
    const AgencyKindSpec& kind = kinds[entry.kind_index];
    const Ward& ward = kWards[entry.ward];
    entry.id = std::string(ward.id) + "-" + kind.id_prefix + "-" + std::to_string(ordinal + 1);
    const bool named = ordinal < static_cast<int>(std::size(kOrdinals));
    const std::string ordinal_text =
        ordinal == 0 ? "" : (named ? kOrdinals[ordinal] : "第" + std::to_string(ordinal + 1));
    const std::string ordinal_reading =
        ordinal == 0 ? ""
                     : (named ? kOrdinalReadings[ordinal] : "ダイ" + std::to_string(ordinal + 1));
    v1::Agency& agency = entry.agency;
    agency.set_kind(kind.kind);
    agency.set_display_name(std::string("架空市") + ward.name + ordinal_text + kind.suffix);
    agency.set_kana(std::string("カクウシ") + ward.reading + ordinal_reading + kind.reading);
    for (const char* tag : kind.tags) agency.add_issue_tags(tag);
    agency.add_districts(ward.id);
    agency.set_state(v1::Agency::ACTIVE);
    agency.set_accepts_referrals(true);
    agency.set_address(std::string("架空市") + ward.name + kNeighbourhoods[i % 10] +
                       std::to_string(1 + i % 5) + "丁目" + std::to_string(1 + i % 17) + "番" +
                       std::to_string(1 + i % 9) + "号");
    char phone[32];
    std::snprintf(phone, sizeof(phone), "099-%03d-%04d", 100 + i % 900, 1000 + (i * 37) % 9000);
    agency.set_phone(phone);
    agency.set_hours("平日 8:30〜17:15");
    agencies.push_back(std::move(entry));
  }
  return agencies;
}

struct Named {
  const char* name;
  const char* reading;
};
constexpr Named kSurnames[] = {
    {"佐藤", "サトウ"},   {"鈴木", "スズキ"},   {"高橋", "タカハシ"}, {"田中", "タナカ"},
    {"伊藤", "イトウ"},   {"渡辺", "ワタナベ"}, {"山本", "ヤマモト"}, {"中村", "ナカムラ"},
    {"小林", "コバヤシ"}, {"加藤", "カトウ"},   {"吉田", "ヨシダ"},   {"山田", "ヤマダ"},
    {"佐々木", "ササキ"}, {"山口", "ヤマグチ"}, {"松本", "マツモト"}, {"井上", "イノウエ"},
    {"木村", "キムラ"},   {"林", "ハヤシ"},     {"斎藤", "サイトウ"}, {"清水", "シミズ"}};
constexpr Named kMaleNames[] = {{"一郎", "イチロウ"}, {"健", "ケン"},       {"大輔", "ダイスケ"},
                                {"誠", "マコト"},     {"翔太", "ショウタ"}, {"隆", "タカシ"},
                                {"浩二", "コウジ"},   {"拓也", "タクヤ"},   {"悠斗", "ユウト"},
                                {"蓮", "レン"},       {"茂", "シゲル"},     {"博", "ヒロシ"},
                                {"和夫", "カズオ"},   {"陽翔", "ハルト"},   {"直樹", "ナオキ"}};
constexpr Named kFemaleNames[] = {{"花子", "ハナコ"},   {"恵子", "ケイコ"}, {"さくら", "サクラ"},
                                  {"陽子", "ヨウコ"},   {"美咲", "ミサキ"}, {"幸子", "サチコ"},
                                  {"由美", "ユミ"},     {"結衣", "ユイ"},   {"和子", "カズコ"},
                                  {"明美", "アケミ"},   {"葵", "アオイ"},   {"京子", "キョウコ"},
                                  {"真由美", "マユミ"}, {"陽菜", "ヒナ"},   {"節子", "セツコ"}};

// A member of a household pattern: its relationship to the principal, an age range, the kind of
// given name, its issue tags, and the probability (percent) that the household has this member.
struct MemberPattern {
  const char* relationship;
  int min_age;
  int max_age;
  bool female;
  std::vector<const char*> tags;
  int percent = 100;
};

struct HouseholdPattern {
  int weight;
  std::vector<MemberPattern> members;  // the first is the principal (本人)
  std::vector<const char*> household_tags;
  std::vector<int> referrer_kinds;  // indexes into AgencyKinds()
  std::vector<const char*> problems;
};

const std::vector<HouseholdPattern>& HouseholdPatterns() {
  static const std::vector<HouseholdPattern> patterns = {
      {15,
       {{"本人", 45, 60, false, {"hikikomori"}},
        {"母", 75, 92, true, {"dementia"}},
        {"父", 78, 95, false, {}, 30}},
       {"8050"},
       {0, 3, 8},
       {"母の介護認定調査で訪問した際、同居の長男が十年以上ほとんど外出していないことが分かった。"
        "世帯の収入は母の年金のみで、母の認知症が進んでいる。",
        "母が入院し、自宅に残された本人が食事をとれていないと近所の民生委員から連絡があった。"}},
      {10,
       {{"本人", 12, 17, true, {"young-carer"}},
        {"母", 38, 52, true, {"mental-disability"}},
        {"妹", 6, 11, true, {}, 50}},
       {},
       {5, 4},
       {"中学生の長女が母の通院の付き添いと家事を担い、欠席が続いていると学校から相談があった。",
        "母の精神疾患の症状が重く、本人が妹の世話をしている。本人は進学をあきらめかけている。"}},
      {15,
       {{"本人", 30, 65, false, {"debt", "unemployment"}}, {"妻", 30, 65, true, {}, 40}},
       {},
       {3, 2, 6},
       {"失職後に家賃と公共料金を滞納し、消費者金融からの借入れが膨らんでいる。",
        "収入が途絶え、家計が立ち行かない。本人は就労を希望しているが体調に不安がある。"}},
      {8,
       {{"本人", 40, 55, true, {"double-care"}},
        {"父", 75, 92, false, {"dementia"}},
        {"長男", 8, 18, false, {"developmental-disability"}},
        {"夫", 42, 60, false, {}, 60}},
       {"double-care"},
       {0, 1},
       {"父の介護と発達障害のある長男の子育てが重なり、本人が心身ともに限界だと訴えている。"}},
      {15,
       {{"本人", 70, 95, false, {"isolation", "no-relatives"}}},
       {"hoarding"},
       {0, 6},
       {"独居の高齢者宅の周囲にごみがあふれ、近隣から苦情が出ている。親族とは連絡が取れない。",
        "本人は身寄りがなく、最近物忘れが目立つ。金銭管理ができていない様子がある。"}},
      {10,
       {{"本人", 25, 45, true, {"single-parent", "debt"}},
        {"長女", 3, 15, true, {}},
        {"長男", 2, 14, false, {}, 50}},
       {},
       {2, 5},
       {"ひとり親世帯で、パート収入だけでは生活費が足りず、児童扶養手当の手続きもできていない。"}},
      {5,
       {{"本人", 25, 50, true, {"domestic-violence", "housing-loss"}}, {"長男", 1, 12, false, {}}},
       {},
       {2, 5},
       {"配偶者からの暴力を避けて子どもと家を出たが、住む場所と当面の生活費がない。"}},
      {5,
       {{"本人", 25, 50, false, {"foreign-resident", "unemployment"}},
        {"妻", 25, 50, true, {"foreign-resident"}},
        {"長女", 0, 12, true, {}, 70}},
       {},
       {3, 8},
       {"雇止めにあい、日本語での手続きが難しく、必要な支援につながっていない。"}},
      {7,
       {{"本人", 20, 60, false, {"mental-disability", "suicide-risk"}},
        {"母", 50, 85, true, {}, 70}},
       {},
       {4, 7},
       {"本人が「もう消えたい」と話していると家族から保健センターに相談があった。通院は中断している"
        "。"}},
      {5,
       {{"本人", 75, 90, true, {"elder-abuse", "dementia"}},
        {"長男", 45, 60, false, {"unemployment", "gambling"}}},
       {},
       {0},
       {"同居の長男が本人の年金を使い込んでいる疑いがあり、本人の身なりも乱れているとケアマネジャー"
        "から連絡があった。"}},
      {5,
       {{"本人", 40, 70, false, {"housing-loss"}}},
       {"housing-loss"},
       {3, 6},
       {"アパートの取り壊しで退去を求められているが、保証人がおらず転居先が見つからない。"}},
  };
  return patterns;
}

// Every district and issue tag the generated data uses, as the city's vocabularies (labels are
// the ids): the stores accept only terms of their lists.
const vocab::TermCatalog& BenchVocabulary() {
  static const vocab::TermCatalog* const terms = [] {
    auto* catalog = new vocab::TermCatalog();
    for (const auto& ward : kWards) {
      catalog->PutActive(vocab::Vocabulary::kDistricts, ward.id, ward.name, ward.reading);
    }
    auto add_tag = [catalog](const char* tag) {
      catalog->PutActive(vocab::Vocabulary::kIssueTags, tag, tag);
    };
    for (const auto& kind : AgencyKinds())
      std::for_each(kind.tags.begin(), kind.tags.end(), add_tag);
    for (const auto& pattern : HouseholdPatterns()) {
      std::for_each(pattern.household_tags.begin(), pattern.household_tags.end(), add_tag);
      for (const auto& member : pattern.members) {
        std::for_each(member.tags.begin(), member.tags.end(), add_tag);
      }
    }
    return catalog;
  }();
  return *terms;
}

constexpr const char* kReferralNotes[] = {
    "初回面談を実施済み。本人の同意を得て連絡しています。",
    "訪問時の様子から、複数の課題があると判断しました。",
    "当機関だけでは対応が難しく、支援会議での検討をお願いします。",
};
constexpr const char* kInvolvedNotes[] = {
    "月に一度の訪問を継続中。",
    "家計相談を受けている。",
    "主治医として通院を支援している。",
};
constexpr const char* kSummaries[] = {
    "本人と面談。生活の状況と困りごとを聞き取り、次回は家計の状況を一緒に確認することとした。",
    "家族から電話。本人の様子に大きな変化はないが、受診を嫌がっているとのこと。引き続き見守る。",
    "関係機関の担当者と情報共有。来週の同行訪問の日程を調整し、役割分担を確認した。",
    "自宅を訪問。室内の状況を確認し、本人の了解を得て片付けの支援について説明した。",
    "支援会議に向けて、これまでの経過と各機関の関わりを整理した。",
};

// The JST calendar date of `instant`.
v1::Date DateOf(std::chrono::system_clock::time_point instant) {
  const std::string text = FormatJstDate(instant);  // YYYY-MM-DD
  v1::Date date;
  date.set_year(std::stoi(text.substr(0, 4)));
  date.set_month(std::stoi(text.substr(5, 2)));
  date.set_day(std::stoi(text.substr(8, 2)));
  return date;
}

class CaseGenerator {
 public:
  CaseGenerator(uint64_t seed, const std::vector<DirectoryAgency>& directory)
      : rng_(seed), directory_(directory) {
    for (size_t i = 0; i < directory.size(); ++i) {
      by_kind_ward_[{directory[i].kind_index, directory[i].ward}].push_back(i);
      by_kind_[directory[i].kind_index].push_back(i);
    }
    std::vector<double> weights;
    for (const auto& pattern : HouseholdPatterns()) weights.push_back(pattern.weight);
    pattern_ = std::discrete_distribution<int>(weights.begin(), weights.end());
  }

  // A household opened on the JST date `today`.
  v1::Case Next(const v1::Date& today) {
    const HouseholdPattern& pattern = HouseholdPatterns()[pattern_(rng_)];
    const int ward = Uniform(kWardCount);
    const Named& surname = kSurnames[Uniform(std::size(kSurnames))];
    v1::Case record;
    int member_number = 0;
    for (const MemberPattern& plan : pattern.members) {
      if (member_number > 0 && Uniform(100) >= plan.percent) continue;
      v1::HouseholdMember* member = record.add_members();
      member->set_member_id("m" + std::to_string(++member_number));
      const Named& given = plan.female ? kFemaleNames[Uniform(std::size(kFemaleNames))]
                                       : kMaleNames[Uniform(std::size(kMaleNames))];
      member->set_display_name(std::string(surname.name) + " " + given.name);
      member->set_kana(std::string(surname.reading) + " " + given.reading);
      const int age = plan.min_age + Uniform(plan.max_age - plan.min_age + 1);
      member->mutable_birth_date()->set_year(today.year() - age - 1);
      member->mutable_birth_date()->set_month(1 + Uniform(12));
      member->mutable_birth_date()->set_day(1 + Uniform(28));
      member->set_relationship(plan.relationship);
      member->set_principal(member_number == 1);
      for (const char* tag : plan.tags) member->add_issue_tags(tag);
    }
    for (const char* tag : pattern.household_tags) record.add_household_issue_tags(tag);
    record.set_district(kWards[ward].id);
    std::string address =
        std::string("架空市") + kWards[ward].name +
        kNeighbourhoods[Uniform(std::size(kNeighbourhoods))] + std::to_string(1 + Uniform(5)) +
        "丁目" + std::to_string(1 + Uniform(30)) + "番" + std::to_string(1 + Uniform(20)) + "号";
    if (Uniform(2) == 0) {
      address += " コーポ" + std::string(kNeighbourhoods[Uniform(std::size(kNeighbourhoods))]) +
                 " " + std::to_string(100 * (1 + Uniform(4)) + 1 + Uniform(8)) + "号室";
    }
    record.set_address(address);
    const int referrer_kind = pattern.referrer_kinds[Uniform(pattern.referrer_kinds.size())];
    const size_t referrer = AgencyOf(referrer_kind, ward);
    record.set_referring_agency("agencies/" + directory_[referrer].id);
    record.set_referral_note(kReferralNotes[Uniform(std::size(kReferralNotes))]);
    const int involved = Uniform(3);
    for (int i = 0; i < involved; ++i) {
      const size_t other = AgencyOf(Uniform(AgencyKinds().size()), ward);
      if (other == referrer) continue;
      auto* agency = record.add_involved_agencies();
      agency->set_agency("agencies/" + directory_[other].id);
      agency->set_note(kInvolvedNotes[Uniform(std::size(kInvolvedNotes))]);
    }
    const int urgency = Uniform(100);
    record.set_urgency(urgency < 70 ? v1::ROUTINE : (urgency < 92 ? v1::PROMPT : v1::URGENT));
    const int consent = Uniform(100);
    record.set_consent(consent < 70   ? v1::CONSENTED
                       : consent < 80 ? v1::WITHOUT_CONSENT_SUPPORT_MEETING
                                      : v1::CONSENT_PENDING);
    record.set_presenting_problem(pattern.problems[Uniform(pattern.problems.size())]);
    if (Uniform(2) == 0) {
      v1::Date review = today;
      review.set_month(today.month() % 12 + 1);
      review.set_day(std::min(today.day(), 28));
      if (today.month() == 12) review.set_year(today.year() + 1);
      *record.mutable_next_review_date() = review;
    }
    return record;
  }

  // An entry for the consultation log on `date`: a coordination contact with an agency of the
  // directory, or a consultation (other kinds when `any_kind`).
  v1::ConsultationEntry Entry(const v1::Date& date, bool any_kind) {
    v1::ConsultationEntry entry;
    static constexpr v1::ConsultationKind kKinds[] = {v1::CONSULTATION, v1::COORDINATION_CONTACT,
                                                      v1::PHONE_CALL, v1::HOME_VISIT};
    const v1::ConsultationKind kind = kKinds[Uniform(any_kind ? 4 : 2)];
    entry.set_kind(kind);
    *entry.mutable_date() = date;
    if (kind == v1::COORDINATION_CONTACT) {
      entry.set_agency("agencies/" + directory_[Uniform(directory_.size())].id);
      entry.set_method(Uniform(2) == 0 ? v1::PHONE : v1::IN_PERSON);
    } else {
      entry.set_method(kind == v1::HOME_VISIT   ? v1::VISIT
                       : kind == v1::PHONE_CALL ? v1::PHONE
                                                : v1::IN_PERSON);
    }
    entry.set_summary(kSummaries[Uniform(std::size(kSummaries))]);
    return entry;
  }

  int Uniform(size_t n) { return static_cast<int>(rng_() % n); }

 private:
  // An agency of kind `kind` in `ward`, or of that kind anywhere if the ward has none.
  size_t AgencyOf(int kind, int ward) {
    auto it = by_kind_ward_.find({kind, ward});
    if (it != by_kind_ward_.end()) return it->second[Uniform(it->second.size())];
    const auto& any = by_kind_.at(kind);
    return any[Uniform(any.size())];
  }

  std::mt19937_64 rng_;
  const std::vector<DirectoryAgency>& directory_;
  std::map<std::pair<int, int>, std::vector<size_t>> by_kind_ward_;
  std::map<int, std::vector<size_t>> by_kind_;
  std::discrete_distribution<int> pattern_;
};

std::string CoordinatorId(int n) { return "coordinator-" + std::to_string(n); }

// ---- the cached data ----

struct DataPaths {
  std::string dir;
  std::string db() const { return dir + "/db"; }
  std::string kek() const { return dir + "/kek"; }
  std::string audit_key() const { return dir + "/audit-key"; }
  std::string marker() const { return dir + "/bench-data"; }
  std::string loading() const { return dir + "/bench-loading"; }  // present while loading
};

std::string MarkerText(const Flags& flags) {
  return "casecoord cases_bench data\nformat " + std::to_string(kDataFormat) + "\ncases " +
         std::to_string(flags.cases) + "\nagencies " + std::to_string(flags.agencies) + "\nseed " +
         std::to_string(flags.seed) + "\n";
}

std::string ReadText(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

void WriteText(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  if (!out.flush()) Die("cannot write " + path);
}

// Empties `paths.dir` for a load, refusing a non-empty directory that this program did not make
// (it would be deleted otherwise).
void ResetDirectory(const DataPaths& paths) {
  std::error_code error;
  if (fs::exists(paths.dir)) {
    const bool ours =
        fs::exists(paths.marker()) || fs::exists(paths.loading()) || fs::is_empty(paths.dir, error);
    if (!ours) {
      Die(paths.dir + " exists and holds no cases_bench data; choose another --dir or remove it");
    }
    fs::remove_all(paths.dir, error);
    if (error) Die("cannot remove " + paths.dir + ": " + error.message());
  }
  fs::create_directories(paths.dir, error);
  if (error) Die("cannot create " + paths.dir + ": " + error.message());
  fs::permissions(paths.dir, fs::perms::owner_all, fs::perm_options::replace, error);
}

std::shared_ptr<const storage::Keyring> KeyringOf(const DataPaths& paths) {
  return std::make_shared<const storage::Keyring>(
      OrDie(storage::LoadKeyFile(paths.kek()), "reading the KEK"));
}

std::string AuditKeyOf(const DataPaths& paths) {
  const auto key = OrDie(storage::LoadKeyFile(paths.audit_key()), "reading the audit key");
  return std::string(reinterpret_cast<const char*>(key.bytes()), storage::kKeyBytes);
}

std::unique_ptr<storage::Storage> OpenStorage(const DataPaths& paths,
                                              std::shared_ptr<const storage::Keyring> keyring) {
  storage::StorageOptions options;  // the server's defaults (64 MiB block cache)
  options.path = paths.db();
  options.keyring = std::move(keyring);
  return OrDie(storage::Storage::Open(options), "opening " + paths.db());
}

// A bulk change of the loader, audited as the server audits its own seeding.
void CommitAudited(auth::AuditLog& audit, const std::string& resource, storage::WriteBatch* batch) {
  auth::AuditRecord record{"system", "", "bench-load", resource, "OK", "benchmark data", "", {}};
  OrDie(audit.Append(record, batch), "committing " + resource);
}

// Loads the users, the directory and the cases into `paths`, then compacts.
void Load(const DataPaths& paths, const Flags& flags,
          const std::vector<DirectoryAgency>& directory) {
  ResetDirectory(paths);
  WriteText(paths.loading(), MarkerText(flags));
  OrDie(storage::GenerateKeyFile(paths.kek()), "writing the KEK");
  OrDie(storage::GenerateKeyFile(paths.audit_key()), "writing the audit key");
  auto keyring = KeyringOf(paths);
  auto storage = OpenStorage(paths, keyring);
  auto audit = OrDie(auth::AuditLog::Open(*storage, AuditKeyOf(paths)), "opening the audit log");
  const auto start = Steady::now();

  {
    auto users = OrDie(auth::UserRegistry::Open(*storage), "opening the user registry");
    std::vector<std::pair<std::string, v1::Role>> accounts = {{"admin", v1::ADMIN}};
    for (int n = 1; n <= kCoordinators; ++n)
      accounts.push_back({CoordinatorId(n), v1::COORDINATOR});
    for (const auto& [id, role] : accounts) {
      v1::User user;
      user.set_display_name("推進員 " + id);
      user.add_roles(role);
      user.set_state(v1::User::ACTIVE);
      storage::WriteBatch batch(*storage);
      auto created = OrDie(users->PrepareCreate(id, user, &batch), "preparing user " + id);
      CommitAudited(*audit, created.name(), &batch);
      users->Publish(created);
    }
  }

  // As the server does before it serves, so that the data looks like a server's own (the stores
  // mark their index layout; a database without the mark is re-indexed at the next start).
  directory::AgencyStore agencies(*storage, BenchVocabulary(), SystemClock::Instance());
  OrDie(agencies.RebuildIndexesIfStale(), "marking the directory's indexes");
  for (size_t begin = 0; begin < directory.size(); begin += 50) {
    storage::WriteBatch batch(*storage);
    for (size_t i = begin; i < std::min(directory.size(), begin + 50); ++i) {
      OrDie(agencies.PrepareCreate(directory[i].id, directory[i].agency, &batch),
            "preparing agency " + directory[i].id);
    }
    CommitAudited(*audit, "agencies", &batch);
  }

  // Intake dates run from kLoadYears ago until now, in order of case id, as in a city that has
  // used the system for that long.
  const auto now = std::chrono::system_clock::now();
  const std::chrono::system_clock::duration span = std::chrono::hours(24 * 365 * kLoadYears);
  ManualClock clock(now - span);
  const auto step = span / flags.cases;
  const cases::CaseKeyring case_keys(keyring);
  cases::CaseStore store(*storage, agencies, BenchVocabulary(), case_keys, clock);
  cases::CaseConsultations consultations(store, *storage, agencies, clock);
  OrDie(cases::CaseMaintenance(store, *storage, clock).RebuildIndexesIfStale(),
        "marking the case indexes");
  CaseGenerator generator(static_cast<uint64_t>(flags.seed), directory);
  std::printf("load: %d cases into %s (prepared by CaseStore, committed unsynced one by one)\n",
              flags.cases, paths.db().c_str());
  std::fflush(stdout);
  const auto cases_start = Steady::now();
  double create_seconds = 0;
  int64_t transitions = 0, entries = 0;
  auto commit = [&storage](storage::WriteBatch& batch, const std::string& what) {
    OrDie(storage->CommitUnsynced(batch), what);
  };
  for (int n = 1; n <= flags.cases; ++n) {
    clock.Advance(step);
    const v1::Date today = DateOf(clock.Now());
    const auto create_start = Steady::now();
    storage::WriteBatch batch(*storage);
    const v1::Case input = generator.Next(today);
    const std::string loader = CoordinatorId(1 + generator.Uniform(kCoordinators));
    auto created = OrDie(store.PrepareCreate(loader, "load-" + std::to_string(n), input, &batch),
                         "preparing case " + std::to_string(n));
    if (created.name() != "cases/" + std::to_string(n)) {
      Die("case " + std::to_string(n) + " was created as " + created.name() +
          "; the database was not empty");
    }
    commit(batch, created.name());
    create_seconds += SecondsSince(create_start);

    // Where the case stands now: 30% still at intake, 20% completed by advice, 25% coordinating,
    // 25% coordinated and then closed.
    const int fate = generator.Uniform(100);
    std::vector<std::pair<v1::CaseState, v1::CaseOutcome>> moves;
    if (fate >= 30 && fate < 50) moves.push_back({v1::COMPLETED_BY_ADVICE, {}});
    if (fate >= 50) moves.push_back({v1::COORDINATING, {}});
    if (fate >= 75) {
      const int outcome = generator.Uniform(100);
      moves.push_back({v1::CLOSED, outcome < 70   ? v1::RESOLVED
                                   : outcome < 85 ? v1::TRANSFERRED
                                                  : v1::NOT_RESOLVED_REVIEWED});
    }
    for (const auto& [to, outcome] : moves) {
      v1::TransitionCaseRequest move;
      move.set_name(created.name());
      move.set_to(to);
      move.set_outcome(outcome);
      if (outcome == v1::NOT_RESOLVED_REVIEWED) {
        move.set_reason("支援会議で検証。本人の意向により支援を終了し、見守りは地域で継続する。");
      }
      storage::WriteBatch moved(*storage);
      OrDie(store.PrepareTransition(loader, move, &moved), "moving " + created.name());
      commit(moved, created.name());
      ++transitions;
    }
    const int logged = generator.Uniform(3);
    for (int e = 0; e < logged; ++e) {
      storage::WriteBatch appended(*storage);
      OrDie(consultations.PrepareAppendConsultation(loader, created.name(),
                                                    generator.Entry(today, true), &appended),
            "logging for " + created.name());
      commit(appended, created.name());
      ++entries;
    }
    if (n % (flags.cases >= 10 ? flags.cases / 10 : 1) == 0) {
      const double seconds = SecondsSince(cases_start);
      std::printf("load: %d cases, %.0f s, %.0f cases/s (creates alone %.0f/s)\n", n, seconds,
                  n / seconds, n / create_seconds);
      std::fflush(stdout);
    }
  }
  const double cases_seconds = SecondsSince(cases_start);
  // One audited, synced commit records the load in the trail and syncs the WAL behind it.
  CommitAudited(*audit, "cases", nullptr);
  const auto compact_start = Steady::now();
  OrDie(storage->CompactAll(), "compacting");
  const double compact_seconds = SecondsSince(compact_start);
  audit.reset();
  storage.reset();
  WriteText(paths.marker(), MarkerText(flags));
  fs::remove(paths.loading());
  std::printf(
      "load: %d cases (%lld transitions, %lld consultation entries) in %.0f s: %.0f cases/s, "
      "%.0f commits/s; creates alone %.0f/s. Users and %zu agencies first, compaction %.0f s, "
      "%.0f s in all. Database %.0f MiB\n",
      flags.cases, static_cast<long long>(transitions), static_cast<long long>(entries),
      cases_seconds, flags.cases / cases_seconds,
      (flags.cases + transitions + entries) / cases_seconds, flags.cases / create_seconds,
      directory.size(), compact_seconds, SecondsSince(start), BytesUnder(paths.db()) / 1048576.0);
}

// ---- in-process timings of the store's steps ----

struct Samples {
  std::vector<float> wall_us;
  std::vector<float> cpu_us;
};

void PrintSamples(const char* what, Samples& samples) {
  std::printf("  %-58s n %5zu  wall p50 %7.0f  p99 %7.0f us  thread CPU p50 %6.0f us\n", what,
              samples.wall_us.size(), Percentile(samples.wall_us, 0.5),
              Percentile(samples.wall_us, 0.99), Percentile(samples.cpu_us, 0.5));
}

template <typename Work>
void Time(Samples* samples, Work work) {
  const auto start = Steady::now();
  const double cpu = ThreadCpuSeconds();
  work();
  samples->cpu_us.push_back(static_cast<float>((ThreadCpuSeconds() - cpu) * 1e6));
  samples->wall_us.push_back(
      std::chrono::duration<float, std::micro>(Steady::now() - start).count());
}

uint64_t IntProperty(storage::Storage& storage, const std::string& name) {
  uint64_t value = 0;
  storage.db()->GetAggregatedIntProperty(name, &value);
  return value;
}

// The shared block cache's usage (every column family reports the same cache, so not summed).
uint64_t CacheBytes(storage::Storage& storage) {
  uint64_t value = 0;
  storage.db()->GetIntProperty(storage.handle(storage::ColumnFamily::kRecords),
                               "rocksdb.block-cache-usage", &value);
  return value;
}

// Opens the data in-process, as the server does, and times the steps of its two methods one at a
// time (no gRPC, no gatekeeper, no worker hop); prints RocksDB's memory figures afterwards.
void TimeStoreSteps(const DataPaths& paths, const Flags& flags,
                    const std::vector<DirectoryAgency>& directory) {
  std::printf("\nstore steps in-process, one thread, %s (random cases of %d):\n",
              paths.db().c_str(), flags.cases);
  auto keyring = KeyringOf(paths);
  const double wal_mib = BytesUnder(paths.db(), ".log") / 1048576.0;
  Samples open;
  std::unique_ptr<storage::Storage> storage;
  Time(&open, [&] { storage = OpenStorage(paths, keyring); });
  Samples open_rest;
  std::unique_ptr<auth::AuditLog> audit;
  std::unique_ptr<auth::UserRegistry> users;
  std::unique_ptr<directory::AgencyStore> agencies;
  Time(&open_rest, [&] {
    users = OrDie(auth::UserRegistry::Open(*storage), "opening the user registry");
    audit = OrDie(auth::AuditLog::Open(*storage, AuditKeyOf(paths)), "opening the audit log");
    agencies = std::make_unique<directory::AgencyStore>(*storage, BenchVocabulary(),
                                                        SystemClock::Instance());
    OrDie(agencies->RebuildIndexesIfStale(), "checking the directory indexes");
  });
  std::printf(
      "  Storage::Open %.0f ms (thread CPU %.0f ms; %.1f MiB of WAL left by the last run "
      "replayed); users, audit head, directory index check %.0f ms\n",
      open.wall_us[0] / 1000, open.cpu_us[0] / 1000, wal_mib, open_rest.wall_us[0] / 1000);
  const cases::CaseKeyring case_keys(keyring);
  cases::CaseStore store(*storage, *agencies, BenchVocabulary(), case_keys,
                         SystemClock::Instance());
  cases::CaseConsultations consultations(store, *storage, *agencies, SystemClock::Instance());
  cases::CaseMaintenance maintenance(store, *storage, SystemClock::Instance());
  {
    // As the server's start-up does; it does work only on data loaded by an older layout, and
    // doing it here keeps that one-time cost out of the start-up measured below.
    Samples layout;
    Time(&layout, [&] { OrDie(maintenance.RebuildIndexesIfStale(), "checking the case layout"); });
    std::printf(
        "  case layout check (moves keys and re-indexes only after a layout change) %.0f ms\n",
        layout.wall_us[0] / 1000);
  }
  if (flags.compact) {
    const auto compact_start = Steady::now();
    OrDie(storage->CompactAll(), "compacting");
    std::printf("  --compact: the database compacted in %.0f s\n", SecondsSince(compact_start));
  }
  CaseGenerator generator(static_cast<uint64_t>(flags.seed) + 1, directory);
  // Entries are dated today: the loaded cases' intakes run up to the moment of the load, and an
  // entry may not be dated before its case's intake.
  const v1::Date today = DateOf(std::chrono::system_clock::now());
  auto random_case = [&] { return "cases/" + std::to_string(1 + generator.Uniform(flags.cases)); };

  Samples get, prepare, audited, fsync;
  for (int i = 0; i < flags.store_calls; ++i) {
    const std::string name = random_case();
    Time(&get, [&] { OrDie(store.Get(name), "getting " + name); });
  }
  for (int i = 0; i < flags.store_calls; ++i) {
    const std::string name = random_case();
    const v1::ConsultationEntry entry = generator.Entry(today, false);
    storage::WriteBatch batch(*storage);  // discarded: nothing is written
    Time(&prepare, [&] {
      OrDie(consultations.PrepareAppendConsultation("coordinator-1", name, entry, &batch),
            "preparing an entry for " + name);
    });
  }
  // What one AppendConsultation does in the store when nothing else is committing: prepare, then
  // the entry with its audit entry in one synced batch. These are real, audited entries.
  const int synced_calls = std::max(20, flags.store_calls / 10);
  for (int i = 0; i < synced_calls; ++i) {
    const std::string name = random_case();
    const v1::ConsultationEntry entry = generator.Entry(today, false);
    Time(&audited, [&] {
      storage::WriteBatch batch(*storage);
      OrDie(consultations.PrepareAppendConsultation("coordinator-1", name, entry, &batch),
            "preparing an entry for " + name);
      auth::AuditRecord record{"system", "", "bench-store-timing", name, "OK", "benchmark", "", {}};
      OrDie(audit->Append(record, &batch), "committing an entry for " + name);
    });
  }
  {
    // The fsync floor on the same file system: a one-key synced commit to a database of its own.
    testing::TempDir scratch;
    storage::StorageOptions options;
    options.path = scratch.Sub("db");
    options.keyring = keyring;
    auto floor = OrDie(storage::Storage::Open(options), "opening a scratch database");
    for (int i = 0; i < synced_calls; ++i) {
      storage::WriteBatch batch(*floor);
      batch.Put(storage::ColumnFamily::kMeta, "probe", std::to_string(i));
      Time(&fsync, [&] { OrDie(floor->Commit(batch), "committing to the scratch database"); });
    }
  }
  PrintSamples("CaseStore::Get (read, unwrap key, open sealed part)", get);
  PrintSamples("CaseStore::PrepareAppendConsultation (not committed)", prepare);
  PrintSamples("prepare + AuditLog::Append (synced commit), one at a time", audited);
  PrintSamples("a one-key synced Commit (the fsync floor)", fsync);
  uint64_t files = 0;
  for (const auto& entry : fs::directory_iterator(paths.db())) {
    files += entry.path().extension() == ".sst" ? 1 : 0;
  }
  std::printf(
      "  RocksDB memory after these reads: block cache %.1f MiB (capacity 64), table readers "
      "(index and filter blocks outside the cache) %.1f MiB, memtables %.1f MiB; %.0f MiB in %llu "
      "table files, %.1f M keys\n",
      CacheBytes(*storage) / 1048576.0,
      IntProperty(*storage, "rocksdb.estimate-table-readers-mem") / 1048576.0,
      IntProperty(*storage, "rocksdb.cur-size-all-mem-tables") / 1048576.0,
      IntProperty(*storage, "rocksdb.total-sst-files-size") / 1048576.0,
      static_cast<unsigned long long>(files),
      IntProperty(*storage, "rocksdb.estimate-num-keys") / 1e6);
  audit.reset();
  storage.reset();
}

// ---- what a restart replays ----

// A copy of the database as the server left it: table files hard-linked (they never change), the
// rest (WAL, manifest) copied. Made before the server's own restart replays the WAL, for
// DiagnoseReplay.
std::string CopyForReplay(const DataPaths& paths) {
  const std::string copy = paths.dir + "/replay-copy";
  std::error_code error;
  fs::remove_all(copy, error);
  fs::create_directories(copy, error);
  for (const auto& entry : fs::directory_iterator(paths.db())) {
    const fs::path target = fs::path(copy) / entry.path().filename();
    if (entry.path().extension() == ".sst") {
      fs::create_hard_link(entry.path(), target, error);
    } else if (entry.is_regular_file()) {
      fs::copy_file(entry.path(), target, error);
    }
    if (error) Die("copying " + entry.path().string() + ": " + error.message());
  }
  return copy;
}

// Opens the copy with RocksDB directly, with Storage's environment and column families, but
// keeping what the WAL replays in the memtables instead of flushing it at once (which is what
// Storage::Open, hence the server, does): shows how much of the restart is the replay and how much
// the flush, and what each column family held in memory when the server stopped. Removes the copy.
void DiagnoseReplay(const std::string& copy, std::shared_ptr<const storage::Keyring> keyring) {
  std::unique_ptr<rocksdb::Env> env = storage::NewEncryptedEnv(keyring);
  rocksdb::Options options;
  options.env = env.get();
  options.info_log = storage::NewRoutedRocksLogger();
  options.avoid_flush_during_recovery = true;
  options.wal_recovery_mode = rocksdb::WALRecoveryMode::kPointInTimeRecovery;
  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
  for (auto name : storage::kColumnFamilyNames) {
    rocksdb::ColumnFamilyOptions cf_options(options);
    if (name == storage::ColumnFamilyName(storage::ColumnFamily::kCounters)) {
      cf_options.merge_operator = storage::NewCounterMergeOperator();
    }
    descriptors.emplace_back(std::string(name), cf_options);
  }
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* raw = nullptr;
  const auto open_start = Steady::now();
  const double open_cpu_start = ThreadCpuSeconds();
  const auto opened =
      rocksdb::DB::Open(rocksdb::DBOptions(options), copy, descriptors, &handles, &raw);
  const double open_seconds = SecondsSince(open_start);
  const double open_cpu = ThreadCpuSeconds() - open_cpu_start;
  if (!opened.ok()) {
    std::printf("  replay diagnosis: cannot open the copy: %s\n", opened.ToString().c_str());
  } else {
    std::unique_ptr<rocksdb::DB> db(raw);
    std::string held;
    double total = 0;
    for (size_t i = 0; i < handles.size(); ++i) {
      uint64_t bytes = 0;
      db->GetIntProperty(handles[i], rocksdb::DB::Properties::kCurSizeAllMemTables, &bytes);
      total += bytes / 1048576.0;
      if (bytes >= 1 << 20) {
        char part[64];
        std::snprintf(part, sizeof(part), " %s %.1f", storage::kColumnFamilyNames[i].data(),
                      bytes / 1048576.0);
        held += part;
      }
    }
    const auto flush_start = Steady::now();
    const auto flushed = db->Flush(rocksdb::FlushOptions(), handles);
    const double flush_seconds = SecondsSince(flush_start);
    std::printf(
        "  replay diagnosis (a copy, opened in-process without the recovery flush): replaying the "
        "WAL took %.2f s (%.2f s CPU) and left %.1f MiB in memtables (MiB:%s); flushing them "
        "took %.2f s%s\n",
        open_seconds, open_cpu, total, held.c_str(), flush_seconds,
        flushed.ok() ? "" : " (flush failed)");
    for (auto* handle : handles) db->DestroyColumnFamilyHandle(handle);
    db->Close();
  }
  std::error_code error;
  fs::remove_all(copy, error);
}

// ---- the caseserver process ----

// The servers this program started (caseserver, the audited floor); killed if it exits first.
std::mutex g_children_mutex;
std::vector<pid_t> g_children;

void ForgetChild(pid_t pid) {
  std::lock_guard<std::mutex> lock(g_children_mutex);
  g_children.erase(std::remove(g_children.begin(), g_children.end(), pid), g_children.end());
}

// A server started from this program (caseserver, or this program as the audited floor); it is
// stopped (SIGKILL) if this program exits first.
class ServerProcess {
 public:
  // Starts `binary serve args...` and waits (up to 10 min) for its "caseserver serving" line.
  ServerProcess(const std::string& binary, const std::vector<std::string>& args) {
    std::vector<std::string> argv = {binary, "serve"};
    argv.insert(argv.end(), args.begin(), args.end());
    std::vector<char*> pointers;
    for (auto& arg : argv) pointers.push_back(arg.data());
    pointers.push_back(nullptr);
    int fds[2];
    if (pipe(fds) != 0) Die("pipe failed");
    const int null_fd = open("/dev/null", O_WRONLY);
    spawned_ = Steady::now();
    pid_ = fork();
    if (pid_ < 0) Die("fork failed");
    if (pid_ == 0) {
      // Only async-signal-safe calls until exec. The server dies with the thread that forked it
      // (this program's main thread), so that an interrupted benchmark leaves nothing behind.
      prctl(PR_SET_PDEATHSIG, SIGKILL);
      dup2(fds[1], STDERR_FILENO);
      dup2(null_fd, STDOUT_FILENO);
      close(fds[0]);
      close(fds[1]);
      execv(pointers[0], pointers.data());
      _exit(127);
    }
    {
      std::lock_guard<std::mutex> lock(g_children_mutex);
      g_children.push_back(pid_);
    }
    close(fds[1]);
    close(null_fd);
    stderr_fd_ = fds[0];
    reader_ = std::thread([this] { ReadLog(); });
    std::unique_lock<std::mutex> lock(mutex_);
    if (!changed_.wait_for(lock, std::chrono::minutes(10),
                           [this] { return port_ > 0 || ended_; }) ||
        port_ == 0) {
      lock.unlock();
      Stop();
      Die("caseserver did not start:\n" + RecentLog());
    }
  }
  ~ServerProcess() { Stop(); }
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;

  pid_t pid() const { return pid_; }
  int port() const { return port_; }
  std::string target() const { return "localhost:" + std::to_string(port_); }
  Steady::time_point spawned() const { return spawned_; }
  // From fork to the "caseserver serving" line.
  double serving_seconds() const {
    return std::chrono::duration<double>(serving_ - spawned_).count();
  }

  // SIGTERM, then waits for the exit (the server drains and closes RocksDB); returns seconds.
  double Stop() {
    if (pid_ <= 0) return 0;
    const auto start = Steady::now();
    kill(pid_, SIGTERM);
    int status = 0;
    waitpid(pid_, &status, 0);
    ForgetChild(pid_);
    pid_ = -1;
    if (reader_.joinable()) reader_.join();
    close(stderr_fd_);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
      std::fprintf(stderr, "cases_bench: caseserver ended with status %d:\n%s\n", status,
                   RecentLog().c_str());
    }
    return SecondsSince(start);
  }

  // The last lines the server logged, and how many warnings or errors it logged in all.
  std::string RecentLog() const {
    std::lock_guard<std::mutex> lock(mutex_);
    std::string text;
    for (const auto& line : lines_) text += line + "\n";
    return text;
  }
  int problems() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return problems_;
  }

 private:
  // Reads the server's log until it closes stderr, so that the pipe never fills and blocks it.
  void ReadLog() {
    std::string line;
    char buffer[4096];
    while (true) {
      const ssize_t n = read(stderr_fd_, buffer, sizeof(buffer));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      for (ssize_t i = 0; i < n; ++i) {
        if (buffer[i] != '\n') {
          line.push_back(buffer[i]);
          continue;
        }
        OnLine(line);
        line.clear();
      }
    }
    std::lock_guard<std::mutex> lock(mutex_);
    ended_ = true;
    changed_.notify_all();
  }

  void OnLine(const std::string& line) {
    std::lock_guard<std::mutex> lock(mutex_);
    lines_.push_back(line);
    if (lines_.size() > 30) lines_.pop_front();
    if (line.find("\"level\":\"warning\"") != std::string::npos ||
        line.find("\"level\":\"error\"") != std::string::npos) {
      ++problems_;
    }
    if (port_ == 0 && line.find(kServingMessage) != std::string::npos) {
      serving_ = Steady::now();
      const size_t at = line.find("\"port\":\"");
      if (at != std::string::npos) port_ = std::atoi(line.c_str() + at + 8);
      changed_.notify_all();
    }
  }

  pid_t pid_ = -1;
  int stderr_fd_ = -1;
  Steady::time_point spawned_, serving_;
  std::thread reader_;
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  int port_ = 0;
  bool ended_ = false;
  std::deque<std::string> lines_;
  int problems_ = 0;
};

void KillServerAtExit() {
  std::vector<pid_t> children;
  {
    std::lock_guard<std::mutex> lock(g_children_mutex);
    children.swap(g_children);
  }
  for (const pid_t pid : children) {
    kill(pid, SIGKILL);
    waitpid(pid, nullptr, 0);
  }
}

struct Startup {
  double serving_seconds = 0;     // fork → "caseserver serving"
  double first_call_seconds = 0;  // fork → first GetCase answered
  double wal_mib = 0;             // WAL files present before the start (replayed)
  double cpu_seconds = 0;         // CPU the server used until the first answer (all threads)
  Memory memory;                  // right after the first call
};

struct Pki {
  testing::TempDir dir;
  testing::TestCa ca;
  Pki() { ca.WriteTo(dir.Sub("pki"), {}); }
};

std::shared_ptr<grpc::Channel> ChannelAs(const Pki& pki, const std::string& target,
                                         const std::string& user) {
  testing::KeyPair pair = pki.ca.IssueClient(user);
  return client::Connect(client::ConnectionPems{target, pki.ca.root_pem(), pair.certificate_pem,
                                                pair.private_key_pem});
}

std::vector<std::string> ServeArgs(const DataPaths& paths, const Pki& pki, const Flags& flags) {
  return {"--listen=127.0.0.1:0", "--mode=production", "--municipality=架空市",
          "--data-dir=" + paths.db(), "--backup-dir=" + pki.dir.Sub("backups"),
          "--restore-dir=" + pki.dir.Sub("restores"), "--tls-cert=" + pki.dir.Sub("pki/server.crt"),
          "--tls-key=" + pki.dir.Sub("pki/server.key"),
          "--tls-client-ca=" + pki.dir.Sub("pki/ca.crt"), "--kek-file=" + paths.kek(),
          "--audit-key-file=" + paths.audit_key(),
          "--worker-threads=" + std::to_string(flags.workers), "--drain-ms=0",
          // The limits guard a city's servers against runaway clients; here they would be the
          // thing measured.
          "--rate-limit-per-second=1000000", "--rate-limit-burst=1000000", "--log-level=info",
          // A scheduled backup would be measured too; the access log stays on (to /dev/null).
          "--backup-interval=0"};
}

// Starts the server and times it to its first answered GetCase over a new connection.
std::unique_ptr<ServerProcess> StartAndTime(const DataPaths& paths, const Pki& pki,
                                            const Flags& flags, Startup* startup) {
  startup->wal_mib = BytesUnder(paths.db(), ".log") / 1048576.0;
  auto server = std::make_unique<ServerProcess>(flags.caseserver, ServeArgs(paths, pki, flags));
  startup->serving_seconds = server->serving_seconds();
  auto stub = v1::Cases::NewStub(ChannelAs(pki, server->target(), CoordinatorId(1)));
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
  context.set_wait_for_ready(true);
  v1::GetCaseRequest request;
  request.set_name("cases/" + std::to_string(flags.cases));
  v1::Case response;
  const grpc::Status status = stub->GetCase(&context, request, &response);
  if (!status.ok() || response.name() != request.name()) {
    Die("first GetCase failed: " + status.error_message() + "\n" + server->RecentLog());
  }
  startup->first_call_seconds = SecondsSince(server->spawned());
  startup->cpu_seconds = CpuSecondsOf(server->pid());
  startup->memory = MemoryOf(server->pid());
  return server;
}

// ---- the payload echo ----

// A second baseline: a Cases service whose GetCase answers at once, on gRPC's reactor thread, with
// a copy of a case caseserver returned (captured once), renamed to the case asked for. The same
// kind and size of bytes are serialized, encrypted, sent and parsed as for the real call, without
// the gatekeeper, the worker hop, the store or the audit entry: get / payload echo is the share
// left to the server's own work, payload echo / echo what carrying a case costs.
class PayloadEchoCases final : public v1::Cases::CallbackService {
 public:
  void Add(v1::Case record) { canned_.push_back(std::move(record)); }
  size_t size() const { return canned_.size(); }
  double mean_bytes() const {
    double bytes = 0;
    for (const auto& record : canned_) bytes += static_cast<double>(record.ByteSizeLong());
    return canned_.empty() ? 0 : bytes / static_cast<double>(canned_.size());
  }

  grpc::ServerUnaryReactor* GetCase(grpc::CallbackServerContext* context,
                                    const v1::GetCaseRequest* request,
                                    v1::Case* response) override {
    auto* reactor = context->DefaultReactor();
    *response = canned_[std::hash<std::string>()(request->name()) % canned_.size()];
    response->set_name(request->name());
    reactor->Finish(grpc::Status::OK);
    return reactor;
  }

 private:
  std::vector<v1::Case> canned_;
};

// ---- the audited floor ----

// The floor of an audited GetCase: a Cases service in a process of its own (this program, started
// as "cases_bench serve --audited-floor ..."), whose GetCase goes through a real auth::Gatekeeper
// exactly as CasesService::GetCase does (identity from the certificate, rate
// limit, policy, the worker hop, the resource named, the record-level check, a hash-chained and
// HMAC'd audit entry made durable by the audit log's group commit before the answer), but answers
// a case captured from caseserver (renamed to the one asked for) instead of reading, unwrapping
// and opening it: no RocksDB read, no per-case key. Its storage, users and audit log are its own:
// an encrypted database in a fresh directory under $TMPDIR (the file system of the default
// --dir), holding the coordinators. Its gRPC server has caseserver's TLS, transport settings and
// call observer (per-method metrics, and an access-log line per call on stdout, which goes to
// /dev/null as caseserver's does). get / floor is therefore the share of the audited path that
// the case read leaves; the floor's audit log counts its groups (AuditLog::commit_stats), which
// the process writes to a file for the bench. Differences from caseserver that remain: glibc's
// malloc, not caseserver's jemalloc; and its database holds no cases.
class AuditedFloorCases final : public v1::Cases::CallbackService {
 public:
  AuditedFloorCases(const server::ServerConfig& config, int workers) {
    const std::string kek = dir_.Sub("kek");
    auto key = OrDie(storage::GenerateKeyFile(kek), "writing the floor's KEK");
    storage::StorageOptions options;  // the server's defaults
    options.path = dir_.Sub("db");
    options.keyring = std::make_shared<const storage::Keyring>(std::move(key));
    storage_ = OrDie(storage::Storage::Open(options), "opening the floor's database");
    audit_ = OrDie(auth::AuditLog::Open(*storage_, std::string(32, 'f')), "opening its audit log");
    users_ = OrDie(auth::UserRegistry::Open(*storage_), "opening its user registry");
    for (int n = 1; n <= kCoordinators; ++n) {
      v1::User user;
      user.set_display_name("推進員 " + CoordinatorId(n));
      user.add_roles(v1::COORDINATOR);
      user.set_state(v1::User::ACTIVE);
      storage::WriteBatch batch(*storage_);
      auto created = OrDie(users_->PrepareCreate(CoordinatorId(n), user, &batch), "a user");
      CommitAudited(*audit_, created.name(), &batch);
      users_->Publish(created);
    }
    emergency_ = OrDie(
        auth::EmergencyAccessStore::Open(
            *storage_, std::chrono::minutes(config.break_glass_minutes), SystemClock::Instance()),
        "opening its break-glass store");
    // As ServeArgs raises caseserver's limits.
    rate_limiter_ = std::make_unique<auth::RateLimiter>(1000000, 1000000);
    workers_ = std::make_unique<WorkerPool>(workers, config.max_queued_requests);
    auth::GatekeeperDependencies gate;
    gate.storage = storage_.get();
    gate.users = users_.get();
    gate.audit = audit_.get();
    gate.rate_limiter = rate_limiter_.get();
    gate.emergency = emergency_.get();
    gate.workers = workers_.get();
    gatekeeper_ = std::make_unique<auth::Gatekeeper>(gate);
  }
  void Add(v1::Case record) { canned_.push_back(std::move(record)); }
  auth::AuditCommitStats audit_stats() const { return audit_->commit_stats(); }

  grpc::ServerUnaryReactor* GetCase(grpc::CallbackServerContext* context,
                                    const v1::GetCaseRequest* request,
                                    v1::Case* response) override {
    return gatekeeper_->Handle(
        context, cases::CasesMethod("GetCase"), [this, request, response](auth::Call& call) {
          // CasesService::Visible, with the store's read replaced by the canned case; a
          // coordinator's normal scope covers every case.
          call.set_resource(request->name());
          CASECOORD_RETURN_IF_ERROR(call.CheckRecordAccess(request->name(), true));
          *response = canned_[std::hash<std::string>()(request->name()) % canned_.size()];
          response->set_name(request->name());
          return Status::Ok();
        });
  }

 private:
  testing::TempDir dir_;
  std::unique_ptr<storage::Storage> storage_;
  std::unique_ptr<auth::AuditLog> audit_;
  std::unique_ptr<auth::UserRegistry> users_;
  std::unique_ptr<auth::EmergencyAccessStore> emergency_;
  std::unique_ptr<auth::RateLimiter> rate_limiter_;
  std::unique_ptr<WorkerPool> workers_;
  std::unique_ptr<auth::Gatekeeper> gatekeeper_;
  std::vector<v1::Case> canned_;
};

// The files the bench hands the audited floor's process: the PKI caseserver uses, the captured
// cases (each a 4-byte little-endian length and a serialized v1::Case), and where the process
// keeps its audit log's group counts ("groups entries", rewritten every 20 ms).
struct FloorFiles {
  std::string pki_dir;
  std::string cases;
  std::string stats;
};

void WriteCases(const std::string& path, const std::vector<v1::Case>& cases) {
  std::string bytes;
  for (const auto& record : cases) {
    const std::string one = record.SerializeAsString();
    const auto size = static_cast<uint32_t>(one.size());
    for (int shift = 0; shift < 32; shift += 8) bytes.push_back(static_cast<char>(size >> shift));
    bytes += one;
  }
  std::ofstream(path, std::ios::binary) << bytes;
}

std::vector<v1::Case> ReadCases(const std::string& path) {
  const std::string bytes = ReadText(path);
  std::vector<v1::Case> cases;
  for (size_t at = 0; at + 4 <= bytes.size();) {
    uint32_t size = 0;
    for (int k = 0; k < 4; ++k)
      size |= static_cast<uint32_t>(static_cast<uint8_t>(bytes[at + k])) << (8 * k);
    at += 4;
    if (at + size > bytes.size() || !cases.emplace_back().ParseFromString(bytes.substr(at, size))) {
      Die("the audited floor's cases file is damaged");
    }
    at += size;
  }
  return cases;
}

auth::AuditCommitStats ReadFloorStats(const std::string& path) {
  std::istringstream text(ReadText(path));
  auth::AuditCommitStats stats;
  text >> stats.groups >> stats.entries;
  return stats;
}

// "cases_bench serve --audited-floor PKI_DIR CASES_FILE STATS_FILE WORKERS": serves the audited
// floor on 127.0.0.1 (an ephemeral port, announced on stderr in caseserver's "serving" log line)
// until SIGTERM.
int ServeAuditedFloor(const FloorFiles& files, int workers) {
  sigset_t term;
  sigemptyset(&term);
  sigaddset(&term, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &term, nullptr);  // before any thread starts, so all inherit it
  log::SetMinimumLevel(log::Level::kWarning);
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  auto config = OrDie(
      server::ResolveConfig({}, "", [](const std::string&) { return std::nullopt; }), "config");
  AuditedFloorCases floor(config, workers);
  for (auto& record : ReadCases(files.cases)) floor.Add(std::move(record));
  server::CallObserver observer(nullptr, /*access_log=*/true);
  grpc::SslServerCredentialsOptions tls(GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
  tls.pem_root_certs = ReadText(files.pki_dir + "/ca.crt");
  tls.pem_key_cert_pairs.push_back(
      {ReadText(files.pki_dir + "/server.key"), ReadText(files.pki_dir + "/server.crt")});
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort("127.0.0.1:0", grpc::SslServerCredentials(tls), &port);
  builder.RegisterService(&floor);
  server::ApplyTransportSettings(config, builder);
  std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> observers;
  observers.push_back(observer.InterceptorFactory());
  builder.experimental().SetInterceptorCreators(std::move(observers));
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (!server || port == 0) Die("the audited floor could not listen");
  std::atomic<bool> stopping{false};
  std::thread reporter([&] {
    while (!stopping) {
      const auth::AuditCommitStats stats = floor.audit_stats();
      const std::string staged = files.stats + ".new";
      std::ofstream(staged) << stats.groups << " " << stats.entries << "\n";
      std::filesystem::rename(staged, files.stats);
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  });
  std::fprintf(stderr, "{%s,\"port\":\"%d\"}\n", kServingMessage, port);
  std::fflush(stderr);
  int signal = 0;
  sigwait(&term, &signal);
  stopping = true;
  reporter.join();
  server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2));
  return 0;
}

// ---- the measured load ----

enum class Kind { kEcho, kGet, kAppend };

struct Workload {
  std::string name;
  Kind kind = Kind::kEcho;
  const Target* target = nullptr;
  // The process serving it, if not caseserver and not this one (the audited floor): its CPU is
  // reported as the server's.
  pid_t process = 0;
};

struct Tally {
  uint64_t calls = 0;  // completed inside the measured windows
  double seconds = 0;
  std::vector<float> latencies_us;
  uint64_t completed = 0;                       // over whole slices
  double bench_cpu = 0;                         // this process: the clients (and the echo server)
  double server_cpu = 0;                        // the caseserver process
  Steady::time_point window_start, window_end;  // the last slice's measured window
};

struct Measurement {
  double qps = 0;
  double p50_us = NAN;
  double p99_us = NAN;
  double bench_cpu_us = NAN;   // per completed call
  double server_cpu_us = NAN;  // per completed call
};

Measurement ResultOf(Tally& tally) {
  const double completed = static_cast<double>(std::max<uint64_t>(1, tally.completed));
  return Measurement{tally.calls / tally.seconds, Percentile(tally.latencies_us, 0.50),
                     Percentile(tally.latencies_us, 0.99), tally.bench_cpu * 1e6 / completed,
                     tally.server_cpu * 1e6 / completed};
}

// What a client thread calls with.
struct Client {
  std::unique_ptr<v1::Admin::Stub> admin;
  std::unique_ptr<v1::Cases::Stub> cases;
  CaseGenerator* generator;  // this thread's own
  const std::vector<v1::Date>* dates;
  int case_count;
};

grpc::Status CallOnce(Kind kind, Client& client, grpc::ClientContext* context) {
  if (kind == Kind::kEcho) {
    v1::ServerInfo response;
    return client.admin->GetServerInfo(context, v1::GetServerInfoRequest(), &response);
  }
  const std::string name =
      "cases/" + std::to_string(1 + client.generator->Uniform(client.case_count));
  if (kind == Kind::kGet) {
    v1::GetCaseRequest request;
    request.set_name(name);
    v1::Case response;
    grpc::Status status = client.cases->GetCase(context, request, &response);
    if (status.ok() && (response.name() != name || response.members().empty())) {
      return grpc::Status(grpc::StatusCode::INTERNAL,
                          "GetCase " + name + " answered " + response.name() + " without members");
    }
    return status;
  }
  v1::AppendConsultationRequest request;
  request.set_parent(name);
  const auto& dates = *client.dates;
  *request.mutable_entry() =
      client.generator->Entry(dates[client.generator->Uniform(dates.size())], false);
  v1::ConsultationEntry response;
  grpc::Status status = client.cases->AppendConsultation(context, request, &response);
  if (status.ok() && !response.name().starts_with(name + "/consultations/")) {
    return grpc::Status(grpc::StatusCode::INTERNAL,
                        "AppendConsultation to " + name + " answered " + response.name());
  }
  return status;
}

// Waits (at most 3 s) until this process and the server are nearly idle, so that what one slice
// left running (a flush, the last commits) is not charged to the next.
void Settle(pid_t server) {
  for (int i = 0; i < 30; ++i) {
    const double before = ProcessCpuSeconds() + CpuSecondsOf(server);
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    if ((ProcessCpuSeconds() + CpuSecondsOf(server) - before) / 0.1 < 0.25) return;
  }
}

// `concurrency` client threads, each with blocking stubs on channel (i mod channels), calling back
// to back: warm-up, then a measured window. A call counts (for QPS and latency) if it completes
// inside the window; calls in flight at its end are waited for (a write cannot be taken back by a
// cancel) and not counted. Any failed or wrong call ends the program.
void RunSlice(const Workload& workload, int concurrency, double warmup_seconds, double seconds,
              uint64_t seed, pid_t server, const std::vector<DirectoryAgency>& directory,
              const std::vector<v1::Date>& dates, int case_count, Tally* tally) {
  const int channels =
      std::min<int>(concurrency, static_cast<int>(workload.target->channels.size()));
  std::atomic<int> phase{0};  // 0 warm-up, 1 measuring, 2 stop
  std::atomic<int> errors{0};
  std::atomic<uint64_t> completed{0};
  std::vector<std::vector<float>> latencies(concurrency);
  std::vector<std::thread> clients;
  if (workload.process > 0) server = workload.process;
  const double bench_cpu_start = ProcessCpuSeconds();
  const double server_cpu_start = CpuSecondsOf(server);
  for (int i = 0; i < concurrency; ++i) {
    clients.emplace_back([&, i] {
      const auto& channel = workload.target->channels[i % channels];
      CaseGenerator generator(seed * 1000 + static_cast<uint64_t>(i), directory);
      Client client{v1::Admin::NewStub(channel), v1::Cases::NewStub(channel), &generator, &dates,
                    case_count};
      auto& mine = latencies[i];
      mine.reserve(1 << 12);
      uint64_t done = 0;
      while (phase.load() != 2) {
        grpc::ClientContext context;
        context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
        const auto start = Steady::now();
        const grpc::Status status = CallOnce(workload.kind, client, &context);
        const auto end = Steady::now();
        if (!status.ok()) {
          if (errors.fetch_add(1) < 3) {
            std::fprintf(stderr, "cases_bench: %s: %s\n", workload.name.c_str(),
                         status.error_message().c_str());
          }
          continue;
        }
        ++done;
        if (phase.load() == 1) {
          mine.push_back(std::chrono::duration<float, std::micro>(end - start).count());
        }
      }
      completed += done;
    });
  }
  const double measured = MeasureWindow(phase, warmup_seconds, seconds);
  tally->window_end = Steady::now();
  tally->window_start = tally->window_end - std::chrono::duration_cast<Steady::duration>(
                                                std::chrono::duration<double>(measured));
  for (auto& client : clients) client.join();
  if (errors > 0) {
    // Failed calls are fast; counting them would flatter the target, so the figures are void.
    Die(std::to_string(errors.load()) + " failed or wrong calls to " + workload.name);
  }
  for (auto& mine : latencies) {
    tally->calls += mine.size();
    tally->latencies_us.insert(tally->latencies_us.end(), mine.begin(), mine.end());
  }
  tally->seconds += measured;
  tally->completed += completed;
  tally->bench_cpu += ProcessCpuSeconds() - bench_cpu_start;
  tally->server_cpu += CpuSecondsOf(server) - server_cpu_start;
  Settle(server);
}

constexpr size_t kTargets = 5;
enum { kEcho = 0, kPayload = 1, kFloor = 2, kGet = 3, kAppend = 4 };

// The ratios reported per round and in the summary: numerator QPS / denominator QPS.
struct RatioSpec {
  const char* column;
  size_t numerator;
  size_t denominator;
};
constexpr RatioSpec kRatios[] = {{"get/e", kGet, kEcho},     {"append/e", kAppend, kEcho},
                                 {"get/pe", kGet, kPayload}, {"pe/e", kPayload, kEcho},
                                 {"get/fl", kGet, kFloor},   {"fl/e", kFloor, kEcho}};
constexpr size_t kGetToFloor = 4;
constexpr size_t kRatioCount = std::size(kRatios);
using Workloads = std::array<const Workload*, kTargets>;

struct Runner {
  pid_t server;
  const std::vector<DirectoryAgency>* directory;
  const std::vector<v1::Date>* dates;
  int case_count;
  uint64_t seed;
};

// Warms every workload, then runs slices in the order o, reverse(o), o, ... (o = the workloads
// rotated by `rotation`) until each has had `seconds` of measured time; adds to `tallies`. Each
// slice warms up for 1.5 times the mean latency of the workload's first warm-up (0.05 s to 2 s):
// a closed loop restarted with all its clients at once needs about one latency to reach its
// steady state.
void Interleave(const Workloads& workloads, int concurrency, double seconds, int rotation,
                Runner& runner, std::array<Tally, kTargets>* tallies) {
  std::array<size_t, kTargets> order;
  std::array<double, kTargets> warmups;
  for (size_t k = 0; k < kTargets; ++k) order[k] = (k + rotation) % kTargets;
  for (size_t t : order) {
    Tally first;
    RunSlice(*workloads[t], concurrency, 0, std::min(0.5, seconds / 4), runner.seed++,
             runner.server, *runner.directory, *runner.dates, runner.case_count, &first);
    // Little's law: the mean latency of a closed loop is its concurrency over its throughput.
    const double latency = first.calls == 0 ? INFINITY : concurrency * first.seconds / first.calls;
    warmups[t] = std::clamp(1.5 * latency, kSliceWarmupSeconds, kMaxSliceWarmupSeconds);
  }
  const int passes = std::max(2, static_cast<int>(std::lround(seconds / kSliceSeconds)));
  for (int i = 0; i < passes; ++i) {
    for (size_t k = 0; k < kTargets; ++k) {
      const size_t t = i % 2 == 0 ? order[k] : order[kTargets - 1 - k];
      RunSlice(*workloads[t], concurrency, warmups[t], seconds / passes, runner.seed++,
               runner.server, *runner.directory, *runner.dates, runner.case_count, &(*tallies)[t]);
    }
  }
}

// The audited floor's audit groups at one concurrency, over all rounds.
struct FloorGroups {
  uint64_t groups = 0;
  uint64_t entries = 0;
};

// At each concurrency: GetCase and its audited floor (medians over rounds), the median per-round
// ratio against its goal, and the floor's audit entries per committed group (one fsync each).
void PrintFloor(const std::vector<int>& concurrency,
                const std::vector<std::array<std::vector<double>, kTargets>>& round_qps,
                const std::vector<std::array<std::vector<double>, kRatioCount>>& ratios,
                const std::vector<FloorGroups>& groups) {
  std::printf(
      "\naudited floor (GetCase through a real gatekeeper and audit log in a server process of its "
      "own, the case "
      "served from memory; medians over rounds; audit group = entries per committed group, one "
      "fsync each, of the floor's audit log)\n");
  std::printf("%5s %12s %12s %10s %6s %12s %10s  %s\n", "conc", "GetCase/s", "floor/s", "get/floor",
              "goal", "audit group", "groups", "per-round get/floor");
  for (size_t level = 0; level < concurrency.size(); ++level) {
    const double ratio = Median(ratios[level][kGetToFloor]);
    std::string rounds;
    for (double v : ratios[level][kGetToFloor]) rounds += std::to_string(v).substr(0, 5) + " ";
    const FloorGroups& g = groups[level];
    std::printf("%5d %12.0f %12.0f %10.3f  >=%.2f %12.1f %10llu  %s %s\n", concurrency[level],
                Median(round_qps[level][kGet]), Median(round_qps[level][kFloor]), ratio,
                kGoalGetToFloor, g.groups == 0 ? NAN : static_cast<double>(g.entries) / g.groups,
                static_cast<unsigned long long>(g.groups), rounds.c_str(),
                ratio >= kGoalGetToFloor ? "(met)" : "(NOT met)");
  }
}

double MonotonicSeconds(Steady::time_point at) {
  return std::chrono::duration<double>(at.time_since_epoch()).count();
}

// --profile-seconds: each target alone at the highest --concurrency for `profile_seconds` after a
// 1 s warm-up, with the bounds of its measured window on CLOCK_MONOTONIC (steady_clock), the clock
// `perf record -k CLOCK_MONOTONIC` stamps its samples with. Waits 5 s first, so that a profiler
// can attach to the caseserver pid it prints.
void Profile(const Workloads& workloads, const Flags& flags, Runner& runner) {
  const int concurrency = *std::max_element(flags.concurrency.begin(), flags.concurrency.end());
  std::printf(
      "\nprofile: caseserver pid %d, this process pid %d; each target alone at concurrency %d, "
      "measured for %.1f s after a 1 s warm-up, starting in 5 s; windows in CLOCK_MONOTONIC "
      "seconds\n",
      static_cast<int>(runner.server), static_cast<int>(getpid()), concurrency,
      flags.profile_seconds);
  std::fflush(stdout);
  std::this_thread::sleep_for(std::chrono::seconds(5));
  for (size_t t = 0; t < kTargets; ++t) {
    Tally tally;
    RunSlice(*workloads[t], concurrency, 1.0, flags.profile_seconds, runner.seed++, runner.server,
             *runner.directory, *runner.dates, runner.case_count, &tally);
    const Measurement m = ResultOf(tally);
    std::printf(
        "profile: %-7s window %.6f %.6f  QPS %.0f  p50/p99 %.0f/%.0f us  CPU per call: this "
        "process %.0f us, serving process %.0f us; caseserver %s\n",
        workloads[t]->name.c_str(), MonotonicSeconds(tally.window_start),
        MonotonicSeconds(tally.window_end), m.qps, m.p50_us, m.p99_us, m.bench_cpu_us,
        m.server_cpu_us, Describe(MemoryOf(runner.server)).c_str());
    std::fflush(stdout);
  }
}

void PrintStartup(const char* label, const Startup& s) {
  std::printf(
      "  %-44s serving %6.3f s  first GetCase %6.3f s (CPU %5.2f s)  WAL replayed %5.1f MiB  %s\n",
      label, s.serving_seconds, s.first_call_seconds, s.cpu_seconds, s.wal_mib,
      Describe(s.memory).c_str());
}

// Pre-parses the flags bench_support's ParseFlags has no form for (a path, a switch), removing
// them from argv.
void ParseOwnFlags(int* argc, char** argv, Flags* flags) {
  int kept = 1;
  for (int i = 1; i < *argc; ++i) {
    const std::string_view name = argv[i];
    if (name == "--reload") {
      flags->reload = true;
    } else if (name == "--compact") {
      flags->compact = true;
    } else if ((name == "--dir" || name == "--caseserver") && i + 1 < *argc) {
      (name == "--dir" ? flags->dir : flags->caseserver) = argv[++i];
    } else {
      argv[kept++] = argv[i];
    }
  }
  *argc = kept;
}

int Main(int argc, char** argv) {
  Flags flags;
  ParseOwnFlags(&argc, argv, &flags);
  ParseFlags(
      argc, argv,
      "cases_bench [--cases 1000000] [--agencies 200] [--seconds 3] [--rounds 3] "
      "[--concurrency 1,16,64] [--workers 16] [--startups 3] [--store-calls 2000] "
      "[--seed 20261122] [--dir PATH] [--reload] [--compact] [--caseserver PATH] "
      "[--profile-seconds S]",
      FlagSpec{{{"--seconds", &flags.seconds}, {"--profile-seconds", &flags.profile_seconds}},
               {{"--cases", &flags.cases},
                {"--agencies", &flags.agencies},
                {"--rounds", &flags.rounds},
                {"--workers", &flags.workers},
                {"--startups", &flags.startups},
                {"--store-calls", &flags.store_calls},
                {"--seed", &flags.seed}},
               {{"--concurrency", &flags.concurrency}}});
  if (flags.agencies < static_cast<int>(AgencyKinds().size()) * kWardCount) {
    Die("--agencies must be at least " + std::to_string(AgencyKinds().size() * kWardCount) +
        " (every kind in every ward)");
  }
  if (flags.dir.empty()) {
    flags.dir = flags.cases == 1000000
                    ? "/tmp/casecoord-bench-1m"
                    : "/tmp/casecoord-bench-cases-" + std::to_string(flags.cases);
  }
  // The bench's own logs would interleave with the tables.
  log::SetMinimumLevel(log::Level::kWarning);
  // As caseserver's main does: Debian's abseil checks every mutex for lock-order cycles, which
  // would slow the clients and the echo baseline here but not the server being compared.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  std::atexit(KillServerAtExit);

  const DataPaths paths{flags.dir};
  const std::vector<DirectoryAgency> directory = MakeDirectory(flags.agencies);
  std::printf(
      "cases_bench: %d cases, %d agencies, seed %d, data in %s; caseserver %s, production mode, "
      "mutual TLS, %d workers; %u hardware threads\n",
      flags.cases, flags.agencies, flags.seed, paths.dir.c_str(), flags.caseserver.c_str(),
      flags.workers, std::thread::hardware_concurrency());
  if (!flags.reload && ReadText(paths.marker()) == MarkerText(flags)) {
    std::printf("data: loaded earlier (%s matches); --reload to load again. Database %.0f MiB\n",
                paths.marker().c_str(), BytesUnder(paths.db()) / 1048576.0);
  } else {
    Load(paths, flags, directory);
  }
  std::fflush(stdout);

  TimeStoreSteps(paths, flags, directory);

  // ---- start-up and memory ----
  Pki pki;
  std::printf("\nstart-up of caseserver on this data (fork until the log line / the answer):\n");
  std::vector<Startup> startups(flags.startups);
  std::unique_ptr<ServerProcess> server;
  for (int i = 0; i < flags.startups; ++i) {
    if (server) server->Stop();
    server = StartAndTime(paths, pki, flags, &startups[i]);
    PrintStartup(("start " + std::to_string(i + 1)).c_str(), startups[i]);
    std::fflush(stdout);
  }

  // ---- throughput ----
  auto config = OrDie(
      server::ResolveConfig({}, "", [](const std::string&) { return std::nullopt; }), "config");
  // The cases the payload echo and the audited floor answer: 200 random ones as caseserver
  // returns them.
  PayloadEchoCases payload_service;
  std::vector<v1::Case> captured;
  {
    auto stub = v1::Cases::NewStub(ChannelAs(pki, server->target(), CoordinatorId(1)));
    std::mt19937_64 rng(static_cast<uint64_t>(flags.seed) + 3);
    for (int i = 0; i < 200; ++i) {
      v1::GetCaseRequest request;
      request.set_name("cases/" + std::to_string(1 + rng() % static_cast<uint64_t>(flags.cases)));
      v1::Case response;
      grpc::ClientContext context;
      context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
      const grpc::Status status = stub->GetCase(&context, request, &response);
      if (!status.ok()) Die("capturing " + request.name() + ": " + status.error_message());
      captured.push_back(response);
      payload_service.Add(std::move(response));
    }
    std::printf(
        "\nGetCase answers a case of %.0f bytes on average (%zu captured for the payload echo and "
        "the audited floor)\n",
        payload_service.mean_bytes(), payload_service.size());
  }
  const FloorFiles floor_files{pki.dir.Sub("pki"), pki.dir.Sub("floor-cases"),
                               pki.dir.Sub("floor-audit-stats")};
  WriteCases(floor_files.cases, captured);
  ServerProcess floor_server(fs::read_symlink("/proc/self/exe").string(),
                             {"--audited-floor", floor_files.pki_dir, floor_files.cases,
                              floor_files.stats, std::to_string(flags.workers)});
  EchoAdminService echo_service;
  TlsServer echo(pki.ca, config, &echo_service);
  TlsServer payload(pki.ca, config, &payload_service);
  Target echo_target{"echo", {}};
  Target payload_target{"payload echo", {}};
  Target floor_target{"audited floor", {}};
  Target cases_target{"caseserver", {}};
  for (int i = 0; i < kMaxChannels; ++i) {
    echo_target.channels.push_back(ChannelAs(pki, echo.target(), CoordinatorId(i + 1)));
    payload_target.channels.push_back(ChannelAs(pki, payload.target(), CoordinatorId(i + 1)));
    floor_target.channels.push_back(ChannelAs(pki, floor_server.target(), CoordinatorId(i + 1)));
    cases_target.channels.push_back(ChannelAs(pki, server->target(), CoordinatorId(i + 1)));
  }
  WaitConnected(echo_target);
  WaitConnected(payload_target);
  WaitConnected(floor_target);
  WaitConnected(cases_target);
  const Workload echo_load{"echo", Kind::kEcho, &echo_target};
  const Workload payload_load{"get-pe", Kind::kGet, &payload_target};
  const Workload floor_load{"floor", Kind::kGet, &floor_target, floor_server.pid()};
  const Workload get_load{"get", Kind::kGet, &cases_target};
  const Workload append_load{"append", Kind::kAppend, &cases_target};
  const Workloads workloads = {&echo_load, &payload_load, &floor_load, &get_load, &append_load};
  // Today only, as for the store steps: a case loaded in the last days has its intake after any
  // earlier date.
  const std::vector<v1::Date> dates = {DateOf(std::chrono::system_clock::now())};
  Runner runner{server->pid(), &directory, &dates, flags.cases,
                static_cast<uint64_t>(flags.seed) + 7};

  if (flags.profile_seconds > 0) {
    Profile(workloads, flags, runner);
    return 0;
  }

  std::printf(
      "\nRPC: closed loop, %d rounds, %.1f s measured per target and concurrency (in %.1f s "
      "slices, alternating echo / payload echo of GetCase / audited floor of GetCase / get / "
      "append); QPS, then ratios (e = echo, pe = payload echo, fl = audited floor)\n",
      flags.rounds, flags.seconds, kSliceSeconds);
  std::printf("%-5s %5s", "round", "conc");
  for (const auto* workload : workloads) std::printf(" %9s", workload->name.c_str());
  for (const auto& ratio : kRatios) std::printf(" %9s", ratio.column);
  std::printf("\n");
  const size_t levels = flags.concurrency.size();
  std::vector<std::array<Tally, kTargets>> pooled(levels);
  std::vector<std::array<std::vector<double>, kTargets>> round_qps(levels);
  std::vector<std::array<std::vector<Measurement>, kTargets>> round_m(levels);
  std::vector<std::array<std::vector<double>, kRatioCount>> ratios(levels);
  std::vector<FloorGroups> floor_groups(levels);
  for (int round = 0; round < flags.rounds; ++round) {
    for (size_t level = 0; level < levels; ++level) {
      std::array<Tally, kTargets> tallies;
      const auth::AuditCommitStats floor_before = ReadFloorStats(floor_files.stats);
      Interleave(workloads, flags.concurrency[level], flags.seconds,
                 round % static_cast<int>(kTargets), runner, &tallies);
      // Only the floor's calls write to the floor's audit log (warm-ups included); its process
      // rewrites the counts every 20 ms.
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      const auth::AuditCommitStats floor_after = ReadFloorStats(floor_files.stats);
      floor_groups[level].groups += floor_after.groups - floor_before.groups;
      floor_groups[level].entries += floor_after.entries - floor_before.entries;
      std::array<Measurement, kTargets> m;
      for (size_t t = 0; t < kTargets; ++t) {
        m[t] = ResultOf(tallies[t]);
        round_qps[level][t].push_back(m[t].qps);
        round_m[level][t].push_back(m[t]);
        Tally& into = pooled[level][t];
        into.latencies_us.insert(into.latencies_us.end(), tallies[t].latencies_us.begin(),
                                 tallies[t].latencies_us.end());
      }
      std::printf("%-5d %5d", round + 1, flags.concurrency[level]);
      for (size_t t = 0; t < kTargets; ++t) std::printf(" %9.0f", m[t].qps);
      for (size_t r = 0; r < kRatioCount; ++r) {
        ratios[level][r].push_back(m[kRatios[r].numerator].qps / m[kRatios[r].denominator].qps);
        std::printf(" %9.3f", ratios[level][r].back());
      }
      std::printf("\n");
      std::fflush(stdout);
    }
  }
  const Memory after_runs = MemoryOf(server->pid());
  const int server_problems = server->problems();

  auto median_of = [](const std::vector<Measurement>& ms, double Measurement::*field) {
    std::vector<double> values;
    for (const auto& m : ms) values.push_back(m.*field);
    return Median(values);
  };
  std::printf(
      "\nsummary (QPS and CPU: medians over rounds; p50/p99: all measured calls of all rounds, at "
      "the client; CPU per completed call of this process (clients; and the echo server) and of "
      "the serving process (caseserver; the floor's own); ratios: medians of the per-round "
      "ratios)\n");
  std::printf("%5s %-7s %9s %9s %9s %13s %15s %8s %8s %8s  %s\n", "conc", "target", "QPS", "p50 us",
              "p99 us", "bench CPU us", "server CPU us", "to echo", "to pe", "to floor",
              "per-round to echo");
  for (size_t level = 0; level < levels; ++level) {
    for (size_t t = 0; t < kTargets; ++t) {
      std::string to_echo = "-", to_payload = "-", to_floor = "-", rounds;
      for (size_t r = 0; r < kRatioCount; ++r) {
        if (kRatios[r].numerator != t) continue;
        char text[16];
        std::snprintf(text, sizeof(text), "%.3f", Median(ratios[level][r]));
        if (kRatios[r].denominator == kEcho) {
          to_echo = text;
          for (double v : ratios[level][r]) rounds += std::to_string(v).substr(0, 5) + " ";
        } else if (kRatios[r].denominator == kFloor) {
          to_floor = text;
        } else {
          to_payload = text;
        }
      }
      // The echoes are served in this process; caseserver serves get and append, the audited
      // floor's process the floor.
      const bool ours = t == kGet || t == kAppend || t == kFloor;
      std::printf("%5d %-7s %9.0f %9.0f %9.0f %13.0f %15.0f %8s %8s %8s  %s\n",
                  flags.concurrency[level], workloads[t]->name.c_str(), Median(round_qps[level][t]),
                  Percentile(pooled[level][t].latencies_us, 0.5),
                  Percentile(pooled[level][t].latencies_us, 0.99),
                  median_of(round_m[level][t], &Measurement::bench_cpu_us),
                  ours ? median_of(round_m[level][t], &Measurement::server_cpu_us) : NAN,
                  to_echo.c_str(), to_payload.c_str(), to_floor.c_str(), rounds.c_str());
    }
  }

  PrintFloor(flags.concurrency, round_qps, ratios, floor_groups);

  // ---- restart with the WAL the measurements left, then stop ----
  const double stop_seconds = server->Stop();
  server.reset();
  const std::string copy = CopyForReplay(paths);
  Startup restart;
  server = StartAndTime(paths, pki, flags, &restart);
  server->Stop();
  std::printf("\nstart-up and memory of caseserver (the process alone):\n");
  for (int i = 0; i < flags.startups; ++i) {
    PrintStartup(("start " + std::to_string(i + 1) + " on the loaded data").c_str(), startups[i]);
  }
  PrintStartup("restart after the measurements", restart);
  std::printf(
      "  after the measurements: %s; graceful stop took %.2f s; %d warnings/errors logged\n",
      Describe(after_runs).c_str(), stop_seconds, server_problems);
  DiagnoseReplay(copy, KeyringOf(paths));

  // ---- goals ----
  std::printf("\ngoals (%d cases):\n", flags.cases);
  const auto level_of = [&flags](int concurrency) -> int {
    for (size_t level = 0; level < flags.concurrency.size(); ++level) {
      if (flags.concurrency[level] == concurrency) return static_cast<int>(level);
    }
    return -1;
  };
  const int at64 = level_of(64), at1 = level_of(1);
  if (at64 >= 0) {
    const double ratio = Median(ratios[at64][0]);
    std::printf(
        "  audited GetCase / echo at concurrency 64: %.3f (goal >= %.2f: %s); / payload echo "
        "%.3f, payload echo / echo %.3f (no goal)\n",
        ratio, kGoalGetRatio, ratio >= kGoalGetRatio ? "met" : "NOT met", Median(ratios[at64][2]),
        Median(ratios[at64][3]));
  }
  if (at64 >= 0) {
    const double ratio = Median(ratios[at64][kGetToFloor]);
    std::printf(
        "  audited GetCase / audited floor (case from memory) at concurrency 64: %.3f (goal >= "
        "%.2f: %s); floor / echo %.3f (no goal)\n",
        ratio, kGoalGetToFloor, ratio >= kGoalGetToFloor ? "met" : "NOT met",
        Median(ratios[at64][kGetToFloor + 1]));
  }
  if (at64 >= 0 && at1 >= 0) {
    std::vector<double> scaling;
    for (int round = 0; round < flags.rounds; ++round) {
      scaling.push_back(round_qps[at64][kAppend][round] / round_qps[at1][kAppend][round]);
    }
    std::string rounds;
    for (double s : scaling) rounds += std::to_string(s).substr(0, 5) + " ";
    const double ratio = Median(scaling);
    std::printf("  AppendConsultation QPS at 64 / at 1: %.2f (goal >= %.1f: %s); per round %s\n",
                ratio, kGoalAppendScaling, ratio >= kGoalAppendScaling ? "met" : "NOT met",
                rounds.c_str());
  }
  double peak = after_runs.hwm_mib;
  for (const auto& s : startups) peak = std::max(peak, s.memory.hwm_mib);
  peak = std::max(peak, restart.memory.hwm_mib);
  std::printf(
      "  caseserver peak RSS (VmHWM) over every start and the measurements: %.1f MiB "
      "(goal <= %.0f MiB: %s)\n",
      peak, kGoalRssMib, peak <= kGoalRssMib ? "met" : "NOT met");
  double worst = restart.first_call_seconds;
  std::vector<double> clean;
  for (const auto& s : startups) {
    worst = std::max(worst, s.first_call_seconds);
    clean.push_back(s.first_call_seconds);
  }
  std::printf(
      "  start-up to the first answer: median %.3f s on the loaded data, %.3f s after the "
      "measurements (%.0f MiB of WAL), worst %.3f s (goal <= %.1f s: %s)\n",
      Median(clean), restart.first_call_seconds, restart.wal_mib, worst, kGoalStartupSeconds,
      worst <= kGoalStartupSeconds ? "met" : "NOT met");
  return 0;
}

}  // namespace
}  // namespace casecoord::bench

int main(int argc, char** argv) {
  if (argc == 7 && std::string_view(argv[1]) == "serve" &&
      std::string_view(argv[2]) == "--audited-floor") {
    return casecoord::bench::ServeAuditedFloor({argv[3], argv[4], argv[5]}, std::atoi(argv[6]));
  }
  return casecoord::bench::Main(argc, argv);
}
