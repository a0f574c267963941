// The yearly report at city scale: the acceptance line of the statistics issue. With --cases
// (default 1,000,000) cases whose events fall into the ten fiscal years 2016-2025, it measures in
// one process, on the loaded database:
//   report    StatisticsReporter::YearlyReport for fiscal years 2016-2025 with three breakdowns
//             (CASES_COMPLETED_BY_ADVICE by DISTRICT, CASES_OPENED by ISSUE_TAG, CASES_CLOSED by
//             OUTCOME): the server's own work for a GetYearlyReport call (the store call, without
//             gRPC, TLS, the gatekeeper and the audit append), p50/p99 wall time over --iterations
//             calls per round. Interleaved with it, call by call, the first steps it is made of
//             alone, each including the one before, to show what its cost is: RocksDB's iterator
//             over the counters column family (nothing decoded), ReadCounters over every fiscal
//             year (the one range read, decoded into a map), and a snapshot with the five
//             protected tables (the read plus suppression and its audit; no protobuf output).
//             The first call after opening and after each recount is reported apart (cold block
//             cache).
//   recount   what the report would cost without the counters: CaseCounting::RecountCounters
//             (a walk over every case record and every event) and then the same report built
//             from the recomputed counters (written to a scratch database with
//             stats::ReplaceCounters, since a snapshot reads storage, and reported from there),
//             once per round.
//   operands  the report while merge operands wait in the counters memtable, as on a server
//             between two flushes: on a scratch database holding the counters alone, --operands
//             operands (of delta 0, on the last fiscal year's counters, weighted by their counts)
//             are added step by step, --sweep-calls reports timed at each step, then after a flush.
// Goals: report p99 <= 5 ms; recount / report >= 100 (both in the same run).
// It also checks that the recount equals the stored counters and that the report built from it is
// the one built from the stored counters (not counting generate_time).
//
// The data (fixed seed) is loaded in-process through the stores, each change committed with
// Storage::CommitUnsynced (the case store reads its sequences from storage, so each change must be
// committed before the next is prepared). A ManualClock walks from 2016-04-01 to 2026-03-31 JST:
// the cases open evenly over those ten fiscal years, in ten districts (and a small one, 島しょ部,
// with about five cases a year, so that the district breakdown has cells to suppress), with issue
// tags after household patterns (8050, young carer, debt, double care, ...; one rare tag occurs
// about twice a year). Each case's later events wait in a queue until the clock reaches their
// date, so they fall into the fiscal year they happen in (a case opened in March may be completed
// in April): about half are completed by advice within two months (some with a consultation
// entry first), 45% move to coordination within six weeks, with one to three coordination contacts
// with agencies and, for 60% of those, closure with an outcome months later; 3% are withdrawn from
// intake; the rest stay open. Events not due by 2026-03-31 are dropped (those cases stay open). The
// database is then compacted (before that, in the loading run only, the report is timed once as
// loaded: memtables and level-0 files with merge operands not yet collapsed) and kept in --db
// (default /tmp/casecoord-stats-bench-1m for the default size, /tmp/casecoord-stats-bench-N
// otherwise) with a marker file naming the format, count and seed, so that later runs skip the
// load; --reload forces it. The measurements write nothing to it.
//
//   stats_bench [--cases 1000000] [--iterations 1000] [--rounds 3] [--seed 20261122]
//               [--operands 3000,10000,30000,100000,300000] [--sweep-calls 100] [--db DIR]
//               [--reload]
//
// This is a program, not a test: it prints figures and never fails on them. It exits non-zero if a
// load step or a report fails, or if the recount disagrees with the stored counters.

#include <rocksdb/db.h>
#include <rocksdb/metadata.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <queue>
#include <random>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "bench/bench_support.h"
#include "casecoord/v1/statistics.pb.h"
#include "services/cases/case_consultations.h"
#include "services/cases/case_counting.h"
#include "services/cases/case_keys.h"
#include "services/cases/case_maintenance.h"
#include "services/cases/case_store.h"
#include "services/common/clock.h"
#include "services/common/fiscal_year.h"
#include "services/common/log.h"
#include "services/directory/agency_store.h"
#include "services/stats/counters.h"
#include "services/stats/suppression.h"
#include "services/stats/yearly_report.h"
#include "services/storage/encryption.h"
#include "services/storage/key_source.h"
#include "services/storage/storage.h"
#include "services/vocab/term_catalog.h"
#include "tests/support/temp_dir.h"

namespace casecoord::bench {
namespace {

namespace fs = std::filesystem;
using Steady = std::chrono::steady_clock;
using Time = std::chrono::system_clock::time_point;

constexpr double kGoalP99Us = 5000;
constexpr double kGoalRatio = 100;
constexpr int kFirstYear = 2016;
constexpr int kLastYear = 2025;
// Bump when the generated data or its layout changes, so that cached data is loaded again.
constexpr int kDataFormat = 1;
constexpr int kCoordinators = 9;
constexpr int kAsLoadedCalls = 200;

struct Flags {
  int cases = 1000000;
  int iterations = 1000;
  int rounds = 3;
  int seed = 20261122;
  std::vector<int> operands = {3000, 10000, 30000, 100000, 300000};
  int sweep_calls = 100;
  std::string dir;  // default from --cases
  bool reload = false;
};

[[noreturn]] void Die(const std::string& message) {
  std::fprintf(stderr, "stats_bench: %s\n", message.c_str());
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

double SecondsSince(Steady::time_point start) {
  return std::chrono::duration<double>(Steady::now() - start).count();
}

// Total bytes of the regular files under `dir`.
uint64_t BytesUnder(const std::string& dir) {
  uint64_t bytes = 0;
  std::error_code error;
  for (const auto& entry : fs::recursive_directory_iterator(dir, error)) {
    if (entry.is_regular_file()) bytes += entry.file_size();
  }
  return bytes;
}

// ---- generated data ----

struct Ward {
  const char* id;
  const char* name;
};
// The ten wards, then the small island district (kSmallDistrict), which only a few cases name.
constexpr Ward kWards[] = {
    {"kita", "北区"},   {"minami", "南区"},   {"higashi", "東区"},   {"nishi", "西区"},
    {"chuo", "中央区"}, {"minato", "港区"},   {"aoba", "青葉区"},    {"midori", "緑区"},
    {"izumi", "泉区"},  {"wakaba", "若葉区"}, {"shima", "島しょ部"},
};
constexpr int kWardCount = 10;
constexpr int kSmallDistrict = 10;
// Cases per fiscal year (on average) in the small district and with the rare tag.
constexpr double kSmallDistrictPerYear = 5;
constexpr double kRareTagPerYear = 2;
constexpr const char* kNeighbourhoods[] = {"桜台",   "本町",   "新町", "山手", "光が丘",
                                           "旭ヶ丘", "富士見", "松原", "栄町", "南台"};

struct AgencyKindSpec {
  v1::AgencyKind kind;
  const char* id_prefix;
  const char* suffix;
  const char* reading;
};
constexpr AgencyKindSpec kAgencyKinds[] = {
    {v1::COMMUNITY_GENERAL_SUPPORT_CENTER, "houkatsu", "地域包括支援センター",
     "チイキホウカツシエンセンター"},
    {v1::DISABILITY_CONSULTATION_OFFICE, "soudan", "障害者相談支援事業所",
     "ショウガイシャソウダンシエンジギョウショ"},
    {v1::WELFARE_OFFICE, "fukushi", "福祉事務所", "フクシジムショ"},
    {v1::SELF_RELIANCE_SUPPORT_CENTER, "jiritsu", "自立相談支援機関", "ジリツソウダンシエンキカン"},
    {v1::PUBLIC_HEALTH_CENTER, "hoken", "保健センター", "ホケンセンター"},
    {v1::CHILDREN_CONSULTATION_CENTER, "kodomo", "こども相談センター", "コドモソウダンセンター"},
    {v1::SOCIAL_WELFARE_COUNCIL, "shakyo", "社会福祉協議会", "シャカイフクシキョウギカイ"},
    {v1::HOSPITAL, "byouin", "市民病院 医療福祉相談室",
     "シミンビョウイン イリョウフクシソウダンシツ"},
    {v1::NPO, "npo", "ひきこもり家族会", "ヒキコモリカゾクカイ"},
};
constexpr int kKindCount = static_cast<int>(std::size(kAgencyKinds));

// "kita-houkatsu": one agency of every kind in every ward.
std::string AgencyId(int kind, int ward) {
  return std::string(kWards[ward].id) + "-" + kAgencyKinds[kind].id_prefix;
}

v1::Agency MakeAgency(int kind, int ward) {
  const AgencyKindSpec& spec = kAgencyKinds[kind];
  v1::Agency agency;
  agency.set_kind(spec.kind);
  agency.set_display_name(std::string("架空市") + kWards[ward].name + spec.suffix);
  agency.set_kana(std::string("カクウシ") + spec.reading);
  agency.add_districts(kWards[ward].id);
  agency.set_state(v1::Agency::ACTIVE);
  agency.set_accepts_referrals(true);
  agency.set_address(std::string("架空市") + kWards[ward].name + kNeighbourhoods[kind] + "1丁目" +
                     std::to_string(1 + ward) + "番1号");
  char phone[32];
  std::snprintf(phone, sizeof(phone), "099-%03d-%04d", 100 + ward, 1000 + kind);
  agency.set_phone(phone);
  agency.set_hours("平日 8:30〜17:15");
  return agency;
}

struct Named {
  const char* name;
  const char* reading;
};
constexpr Named kSurnames[] = {{"佐藤", "サトウ"},   {"鈴木", "スズキ"},   {"高橋", "タカハシ"},
                               {"田中", "タナカ"},   {"伊藤", "イトウ"},   {"渡辺", "ワタナベ"},
                               {"山本", "ヤマモト"}, {"中村", "ナカムラ"}, {"小林", "コバヤシ"},
                               {"加藤", "カトウ"},   {"吉田", "ヨシダ"},   {"山田", "ヤマダ"}};
constexpr Named kGivenNames[] = {{"一郎", "イチロウ"}, {"健", "ケン"},     {"花子", "ハナコ"},
                                 {"恵子", "ケイコ"},   {"誠", "マコト"},   {"さくら", "サクラ"},
                                 {"翔太", "ショウタ"}, {"陽子", "ヨウコ"}, {"隆", "タカシ"},
                                 {"美咲", "ミサキ"}};

struct MemberPattern {
  const char* relationship;
  int min_age;
  int max_age;
  std::vector<const char*> tags;
  int percent = 100;  // the probability that the household has this member
};

struct HouseholdPattern {
  int weight;
  std::vector<MemberPattern> members;  // the first is the principal (本人)
  std::vector<const char*> household_tags;
  std::vector<int> referrer_kinds;  // indexes into kAgencyKinds
  const char* problem;
};

const std::vector<HouseholdPattern>& HouseholdPatterns() {
  static const std::vector<HouseholdPattern> patterns = {
      {15,
       {{"本人", 45, 60, {"hikikomori"}}, {"母", 75, 92, {"dementia"}}, {"父", 78, 95, {}, 30}},
       {"8050"},
       {0, 3, 8},
       "母の介護認定調査で訪問した際、同居の長男が十年以上ほとんど外出していないことが分かった。"
       "世帯の収入は母の年金のみで、母の認知症が進んでいる。"},
      {10,
       {{"本人", 12, 17, {"young-carer"}},
        {"母", 38, 52, {"mental-disability"}},
        {"妹", 6, 11, {}, 50}},
       {},
       {5, 4},
       "中学生の長女が母の通院の付き添いと家事を担い、欠席が続いていると学校から相談があった。"},
      {15,
       {{"本人", 30, 65, {"debt", "unemployment"}}, {"妻", 30, 65, {}, 40}},
       {},
       {3, 2, 6},
       "失職後に家賃と公共料金を滞納し、消費者金融からの借入れが膨らんでいる。"},
      {8,
       {{"本人", 40, 55, {"double-care"}},
        {"父", 75, 92, {"dementia"}},
        {"長男", 8, 18, {"developmental-disability"}}},
       {"double-care"},
       {0, 1},
       "父の介護と発達障害のある長男の子育てが重なり、本人が心身ともに限界だと訴えている。"},
      {15,
       {{"本人", 70, 95, {"isolation", "no-relatives"}}},
       {"hoarding"},
       {0, 6},
       "独居の高齢者宅の周囲にごみがあふれ、近隣から苦情が出ている。親族とは連絡が取れない。"},
      {10,
       {{"本人", 25, 45, {"single-parent", "debt"}}, {"長女", 3, 15, {}}},
       {},
       {2, 5},
       "ひとり親世帯で、パート収入だけでは生活費が足りず、児童扶養手当の手続きもできていない。"},
      {5,
       {{"本人", 25, 50, {"domestic-violence", "housing-loss"}}, {"長男", 1, 12, {}}},
       {},
       {2, 5},
       "配偶者からの暴力を避けて子どもと家を出たが、住む場所と当面の生活費がない。"},
      {5,
       {{"本人", 25, 50, {"foreign-resident", "unemployment"}},
        {"妻", 25, 50, {"foreign-resident"}}},
       {},
       {3, 8},
       "雇止めにあい、日本語での手続きが難しく、必要な支援につながっていない。"},
      {7,
       {{"本人", 20, 60, {"mental-disability", "suicide-risk"}}, {"母", 50, 85, {}, 70}},
       {},
       {4, 7},
       "本人が「もう消えたい」と話していると家族から保健センターに相談があった。通院は中断している"
       "。"},
      {5,
       {{"本人", 75, 90, {"elder-abuse", "dementia"}}, {"長男", 45, 60, {"gambling"}}},
       {},
       {0},
       "同居の長男が本人の年金を使い込んでいる疑いがあるとケアマネジャーから連絡があった。"},
  };
  return patterns;
}

constexpr char kRareTag[] = "human-trafficking";

// The districts and issue tags the generated data uses, as the city's vocabularies: the stores
// accept only terms of their lists.
const vocab::TermCatalog& BenchVocabulary() {
  static const vocab::TermCatalog* const terms = [] {
    auto* catalog = new vocab::TermCatalog();
    for (const auto& ward : kWards) {
      catalog->PutActive(vocab::Vocabulary::kDistricts, ward.id, ward.name);
    }
    auto add_tag = [catalog](const char* tag) {
      catalog->PutActive(vocab::Vocabulary::kIssueTags, tag, tag);
    };
    add_tag(kRareTag);
    for (const auto& pattern : HouseholdPatterns()) {
      for (const char* tag : pattern.household_tags) add_tag(tag);
      for (const auto& member : pattern.members) {
        for (const char* tag : member.tags) add_tag(tag);
      }
    }
    return catalog;
  }();
  return *terms;
}
constexpr const char* kSummaries[] = {
    "本人と面談。生活の状況と困りごとを聞き取り、次回は家計の状況を一緒に確認することとした。",
    "関係機関の担当者と情報共有。来週の同行訪問の日程を調整し、役割分担を確認した。",
    "自宅を訪問。室内の状況を確認し、本人の了解を得て片付けの支援について説明した。",
    "支援会議に向けて、これまでの経過と各機関の関わりを整理した。",
};

// The JST calendar date of `instant`.
v1::Date DateOf(Time instant) {
  const std::string text = FormatJstDate(instant);  // YYYY-MM-DD
  v1::Date date;
  date.set_year(std::stoi(text.substr(0, 4)));
  date.set_month(std::stoi(text.substr(5, 2)));
  date.set_day(std::stoi(text.substr(8, 2)));
  return date;
}

class CaseGenerator {
 public:
  CaseGenerator(uint64_t seed, int cases) : rng_(seed) {
    std::vector<double> weights;
    for (const auto& pattern : HouseholdPatterns()) weights.push_back(pattern.weight);
    pattern_ = std::discrete_distribution<int>(weights.begin(), weights.end());
    const double years = kLastYear - kFirstYear + 1;
    small_district_ = kSmallDistrictPerYear * years / cases;
    rare_tag_ = kRareTagPerYear * years / cases;
  }

  // A household opened on `today`.
  v1::Case Next(const v1::Date& today) {
    const HouseholdPattern& pattern = HouseholdPatterns()[pattern_(rng_)];
    const int ward = Chance(small_district_) ? kSmallDistrict : Uniform(kWardCount);
    const Named& surname = kSurnames[Uniform(std::size(kSurnames))];
    v1::Case record;
    int number = 0;
    for (const MemberPattern& plan : pattern.members) {
      if (number > 0 && Uniform(100) >= plan.percent) continue;
      v1::HouseholdMember* member = record.add_members();
      member->set_member_id("m" + std::to_string(++number));
      const Named& given = kGivenNames[Uniform(std::size(kGivenNames))];
      member->set_display_name(std::string(surname.name) + " " + given.name);
      member->set_kana(std::string(surname.reading) + " " + given.reading);
      const int age = plan.min_age + Uniform(plan.max_age - plan.min_age + 1);
      member->mutable_birth_date()->set_year(today.year() - age - 1);
      member->mutable_birth_date()->set_month(1 + Uniform(12));
      member->mutable_birth_date()->set_day(1 + Uniform(28));
      member->set_relationship(plan.relationship);
      member->set_principal(number == 1);
      for (const char* tag : plan.tags) member->add_issue_tags(tag);
    }
    for (const char* tag : pattern.household_tags) record.add_household_issue_tags(tag);
    if (Chance(rare_tag_)) record.add_household_issue_tags(kRareTag);
    record.set_district(kWards[ward].id);
    record.set_address(std::string("架空市") + kWards[ward].name +
                       kNeighbourhoods[Uniform(std::size(kNeighbourhoods))] +
                       std::to_string(1 + Uniform(5)) + "丁目" + std::to_string(1 + Uniform(30)) +
                       "番" + std::to_string(1 + Uniform(20)) + "号");
    const int kind = pattern.referrer_kinds[Uniform(pattern.referrer_kinds.size())];
    record.set_referring_agency("agencies/" + AgencyId(kind, ward % kWardCount));
    record.set_referral_note("初回面談を実施済み。本人の同意を得て連絡しています。");
    const int urgency = Uniform(100);
    record.set_urgency(urgency < 70 ? v1::ROUTINE : (urgency < 92 ? v1::PROMPT : v1::URGENT));
    record.set_consent(Uniform(100) < 80 ? v1::CONSENTED : v1::CONSENT_PENDING);
    record.set_presenting_problem(pattern.problem);
    return record;
  }

  // A consultation, or a coordination contact with an agency of the directory, on `date`.
  v1::ConsultationEntry Entry(const v1::Date& date, bool contact) {
    v1::ConsultationEntry entry;
    entry.set_kind(contact ? v1::COORDINATION_CONTACT : v1::CONSULTATION);
    *entry.mutable_date() = date;
    if (contact) {
      entry.set_agency("agencies/" + AgencyId(Uniform(kKindCount), Uniform(kWardCount)));
      entry.set_method(Uniform(2) == 0 ? v1::PHONE : v1::IN_PERSON);
    } else {
      entry.set_method(v1::IN_PERSON);
    }
    entry.set_summary(kSummaries[Uniform(std::size(kSummaries))]);
    return entry;
  }

  int Uniform(size_t n) { return static_cast<int>(rng_() % n); }
  // A whole number of days in [from, to].
  std::chrono::hours Days(int from, int to) {
    return std::chrono::hours(24 * (from + Uniform(to - from + 1)));
  }

 private:
  bool Chance(double p) { return std::uniform_real_distribution<double>(0, 1)(rng_) < p; }

  std::mt19937_64 rng_;
  std::discrete_distribution<int> pattern_;
  double small_district_ = 0;
  double rare_tag_ = 0;
};

std::string CoordinatorId(int n) { return "coordinator-" + std::to_string(n); }

// A later event of a case, waiting for the clock to reach its date.
enum class Action : uint8_t { kAdvice, kCoordinate, kClose, kWithdraw, kContact, kConsultation };
struct Pending {
  int64_t due;  // system_clock ticks
  uint32_t id;
  Action action;
  v1::CaseOutcome outcome;
  bool operator>(const Pending& other) const {
    return due != other.due ? due > other.due : id > other.id;
  }
};

// ---- the cached data ----

struct DataPaths {
  std::string dir;
  std::string db() const { return dir + "/db"; }
  std::string kek() const { return dir + "/kek"; }
  std::string marker() const { return dir + "/bench-data"; }
  std::string loading() const { return dir + "/bench-loading"; }  // present while loading
};

std::string MarkerText(const Flags& flags) {
  return "casecoord stats_bench data\nformat " + std::to_string(kDataFormat) + "\ncases " +
         std::to_string(flags.cases) + "\nseed " + std::to_string(flags.seed) + "\n";
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

// Empties `paths.dir` for a load, refusing a non-empty directory that this program did not make.
void ResetDirectory(const DataPaths& paths) {
  std::error_code error;
  if (fs::exists(paths.dir)) {
    const bool ours =
        fs::exists(paths.marker()) || fs::exists(paths.loading()) || fs::is_empty(paths.dir, error);
    if (!ours) {
      Die(paths.dir + " exists and holds no stats_bench data; choose another --db or remove it");
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

std::unique_ptr<storage::Storage> OpenStorage(const std::string& path,
                                              std::shared_ptr<const storage::Keyring> keyring) {
  storage::StorageOptions options;  // the server's defaults (64 MiB block cache)
  options.path = path;
  options.keyring = std::move(keyring);
  return OrDie(storage::Storage::Open(options), "opening " + path);
}

// ---- the report ----

v1::GetYearlyReportRequest ReportRequest() {
  v1::GetYearlyReportRequest request;
  request.set_fiscal_year_from(kFirstYear);
  request.set_fiscal_year_to(kLastYear);
  const std::pair<v1::StatMetric, v1::StatDimension> breakdowns[] = {
      {v1::CASES_COMPLETED_BY_ADVICE, v1::DISTRICT},
      {v1::CASES_OPENED, v1::ISSUE_TAG},
      {v1::CASES_CLOSED, v1::OUTCOME}};
  for (const auto& [metric, dimension] : breakdowns) {
    auto* breakdown = request.add_breakdowns();
    breakdown->set_metric(metric);
    breakdown->set_dimension(dimension);
  }
  return request;
}

// The report as published, without its generation time (for comparing two reports).
std::string Canonical(v1::YearlyReport report) {
  report.clear_generate_time();
  std::string bytes;
  report.SerializeToString(&bytes);
  return bytes;
}

// A snapshot and the five tables the report shows (the read, suppression and its audit; no
// protobuf output).
void SnapshotAndTables(const stats::StatisticsReporter& reporter,
                       const v1::GetYearlyReportRequest& request) {
  auto snapshot = OrDie(reporter.Snapshot(), "taking a snapshot");
  OrDie(snapshot.CasesTable().status(), "the cases table");
  OrDie(snapshot.ActivitiesTable().status(), "the activities table");
  for (const auto& breakdown : request.breakdowns()) {
    OrDie(snapshot.Table(breakdown.metric(), breakdown.dimension()).status(), "a breakdown");
  }
}

// RocksDB's iterator over the whole counters column family, keys and values not decoded: the
// range read under ReadCounters. Returns the number of entries.
size_t ScanCounters(const storage::Storage& storage) {
  size_t entries = 0;
  auto it = storage.NewIterator(storage::ColumnFamily::kCounters);
  for (it->SeekToFirst(); it->Valid(); it->Next()) entries += it->value().size() > 0 ? 1 : 0;
  OrDie(storage::FromRocksStatus(it->status(), "scanning"), "scanning the counters");
  return entries;
}

struct Samples {
  std::vector<float> wall_us;
  std::vector<float> cpu_us;
};

template <typename Work>
void Measure(Samples* samples, Work work) {
  const auto start = Steady::now();
  const double cpu = ThreadCpuSeconds();
  work();
  samples->cpu_us.push_back(static_cast<float>((ThreadCpuSeconds() - cpu) * 1e6));
  samples->wall_us.push_back(
      std::chrono::duration<float, std::micro>(Steady::now() - start).count());
}

float Max(const std::vector<float>& values) {
  return values.empty() ? NAN : *std::max_element(values.begin(), values.end());
}

void PrintSamples(const char* what, Samples samples) {
  std::printf(
      "  %-55s n %5zu  wall p50 %7.0f  p99 %7.0f  max %7.0f us  CPU p50 %7.0f  p99 %7.0f us\n",
      what, samples.wall_us.size(), Percentile(samples.wall_us, 0.5),
      Percentile(samples.wall_us, 0.99), Max(samples.wall_us), Percentile(samples.cpu_us, 0.5),
      Percentile(samples.cpu_us, 0.99));
}

// The counters column family: files, bytes, entries.
std::string DescribeCounters(storage::Storage& storage) {
  rocksdb::ColumnFamilyMetaData meta;
  storage.db()->GetColumnFamilyMetaData(storage.handle(storage::ColumnFamily::kCounters), &meta);
  uint64_t level0 = 0;
  for (const auto& level : meta.levels) {
    if (level.level == 0) level0 = level.files.size();
  }
  uint64_t memtable = 0;
  storage.db()->GetIntProperty(storage.handle(storage::ColumnFamily::kCounters),
                               "rocksdb.cur-size-all-mem-tables", &memtable);
  uint64_t entries = 0;
  storage.db()->GetIntProperty(storage.handle(storage::ColumnFamily::kCounters),
                               "rocksdb.estimate-num-keys", &entries);
  char text[200];
  std::snprintf(text, sizeof(text),
                "counters column family: %.1f KiB in %zu table files (%llu at level 0), memtables "
                "%.1f KiB, ~%llu entries",
                meta.size / 1024.0, meta.file_count, static_cast<unsigned long long>(level0),
                memtable / 1024.0, static_cast<unsigned long long>(entries));
  return text;
}

// ---- the load ----

void Load(const DataPaths& paths, const Flags& flags) {
  ResetDirectory(paths);
  WriteText(paths.loading(), MarkerText(flags));
  OrDie(storage::GenerateKeyFile(paths.kek()), "writing the KEK");
  auto keyring = KeyringOf(paths);
  auto storage = OpenStorage(paths.db(), keyring);
  const auto start = Steady::now();

  // The clock walks through the ten fiscal years: cases open evenly from 2016-04-01 09:00 JST to
  // the end of March 2026.
  const Time first = *JstMidnight(kFirstYear, 4, 1) + std::chrono::hours(9);
  const Time end = *JstMidnight(kLastYear + 1, 4, 1);
  const auto step = (end - first) / flags.cases;
  ManualClock clock(first);
  auto advance_to = [&clock](Time when) {
    if (when > clock.Now()) clock.Advance(when - clock.Now());
  };

  // As the server does before it serves: the stores mark their index layouts.
  directory::AgencyStore agencies(*storage, BenchVocabulary(), clock);
  OrDie(agencies.RebuildIndexesIfStale(), "marking the directory's indexes");
  {
    storage::WriteBatch batch(*storage);
    for (int ward = 0; ward < kWardCount; ++ward) {
      for (int kind = 0; kind < kKindCount; ++kind) {
        OrDie(agencies.PrepareCreate(AgencyId(kind, ward), MakeAgency(kind, ward), &batch),
              "preparing agency " + AgencyId(kind, ward));
      }
    }
    OrDie(storage->Commit(batch), "committing the directory");
  }
  const cases::CaseKeyring case_keys(keyring);
  cases::CaseStore store(*storage, agencies, BenchVocabulary(), case_keys, clock);
  cases::CaseConsultations consultation_log(store, *storage, agencies, clock);
  OrDie(cases::CaseMaintenance(store, *storage, clock).RebuildIndexesIfStale(),
        "marking the case indexes");
  CaseGenerator generator(static_cast<uint64_t>(flags.seed), flags.cases);
  std::printf(
      "load: %d cases opened from %s to %s into %s (prepared by CaseStore, committed unsynced one "
      "by one; later events when the clock reaches them)\n",
      flags.cases, FormatJstDate(first).c_str(), FormatJstDate(end - step).c_str(),
      paths.db().c_str());
  std::fflush(stdout);

  std::priority_queue<Pending, std::vector<Pending>, std::greater<>> pending;
  auto later = [&pending](Time when, uint32_t id, Action action,
                          v1::CaseOutcome outcome = v1::CASE_OUTCOME_UNSPECIFIED) {
    pending.push({when.time_since_epoch().count(), id, action, outcome});
  };
  auto commit = [&storage](storage::WriteBatch& batch, const std::string& what) {
    OrDie(storage->CommitUnsynced(batch), what);
  };
  int64_t transitions = 0, contacts = 0, consultations = 0, dropped = 0;
  // Carries out a queued event of case `id` at the clock's time.
  auto act = [&](const Pending& event) {
    const std::string name = "cases/" + std::to_string(event.id);
    const std::string user = CoordinatorId(1 + static_cast<int>(event.id % kCoordinators));
    storage::WriteBatch batch(*storage);
    if (event.action == Action::kContact || event.action == Action::kConsultation) {
      const v1::ConsultationEntry entry =
          generator.Entry(DateOf(clock.Now()), event.action == Action::kContact);
      OrDie(consultation_log.PrepareAppendConsultation(user, name, entry, &batch),
            "logging for " + name);
      ++(event.action == Action::kContact ? contacts : consultations);
    } else {
      v1::TransitionCaseRequest move;
      move.set_name(name);
      switch (event.action) {
        case Action::kAdvice:
          move.set_to(v1::COMPLETED_BY_ADVICE);
          break;
        case Action::kCoordinate:
          move.set_to(v1::COORDINATING);
          break;
        default:
          move.set_to(v1::CLOSED);
          move.set_outcome(event.outcome);
          break;
      }
      if (event.outcome == v1::NOT_RESOLVED_REVIEWED) {
        move.set_reason("支援会議で検証。本人の意向により支援を終了し、見守りは地域で継続する。");
      }
      OrDie(store.PrepareTransition(user, move, &batch), "moving " + name);
      ++transitions;
    }
    commit(batch, name);
  };

  const auto cases_start = Steady::now();
  int opened = 0;
  const int progress_every = flags.cases >= 10 ? flags.cases / 10 : 1;
  while (true) {
    const Time next_open = first + step * opened;
    const bool open_next =
        opened < flags.cases &&
        (pending.empty() || next_open.time_since_epoch().count() <= pending.top().due);
    if (!open_next) {
      if (pending.empty()) break;
      const Pending event = pending.top();
      pending.pop();
      const Time due{Time::duration(event.due)};
      if (due >= end) {  // after 2026-03-31: the case stays as it is
        ++dropped;
        continue;
      }
      advance_to(due);
      act(event);
      continue;
    }
    advance_to(next_open);
    const v1::Date today = DateOf(clock.Now());
    const uint32_t id = static_cast<uint32_t>(++opened);
    const std::string user = CoordinatorId(1 + static_cast<int>(id % kCoordinators));
    storage::WriteBatch batch(*storage);
    auto created = OrDie(
        store.PrepareCreate(user, "load-" + std::to_string(id), generator.Next(today), &batch),
        "preparing case " + std::to_string(id));
    if (created.name() != "cases/" + std::to_string(id)) {
      Die("case " + std::to_string(id) + " was created as " + created.name() +
          "; the database was not empty");
    }
    commit(batch, created.name());

    // What happens to it later: 50% completed by advice, 45% coordinated (60% of those closed
    // later), 3% withdrawn from intake, 2% stay at intake.
    const Time now = clock.Now();
    const int fate = generator.Uniform(100);
    if (fate < 50) {
      const auto advice = generator.Days(1, 60);
      if (generator.Uniform(2) == 0) {
        later(now + generator.Days(0, 1) + std::chrono::hours(1), id, Action::kConsultation);
      }
      later(now + advice + std::chrono::hours(2), id, Action::kAdvice);
    } else if (fate < 95) {
      const Time coordinated = now + generator.Days(3, 45);
      later(coordinated, id, Action::kCoordinate);
      const int count = 1 + generator.Uniform(3);
      for (int i = 0; i < count; ++i) {
        later(coordinated + generator.Days(1, 120), id, Action::kContact);
      }
      if (generator.Uniform(100) < 60) {
        const int outcome = generator.Uniform(100);
        later(coordinated + generator.Days(130, 400), id, Action::kClose,
              outcome < 70   ? v1::RESOLVED
              : outcome < 85 ? v1::TRANSFERRED
                             : v1::NOT_RESOLVED_REVIEWED);
      }
    } else if (fate < 98) {
      later(now + generator.Days(5, 30), id, Action::kWithdraw, v1::WITHDRAWN);
    }
    if (opened % progress_every == 0) {
      const double seconds = SecondsSince(cases_start);
      std::printf("load: %d cases (clock at %s), %.0f s, %.0f cases/s\n", opened,
                  FormatJstDate(clock.Now()).c_str(), seconds, opened / seconds);
      std::fflush(stdout);
    }
  }
  const double cases_seconds = SecondsSince(cases_start);
  const int64_t commits = flags.cases + transitions + contacts + consultations;
  std::printf(
      "load: %d cases, %lld transitions, %lld coordination contacts, %lld consultations (%lld "
      "commits; %lld events not due by %s dropped) in %.0f s: %.0f commits/s\n",
      flags.cases, static_cast<long long>(transitions), static_cast<long long>(contacts),
      static_cast<long long>(consultations), static_cast<long long>(commits),
      static_cast<long long>(dropped), FormatJstDate(end - std::chrono::hours(1)).c_str(),
      cases_seconds, commits / cases_seconds);

  // The report on the database as loaded (memtables and level-0 files, whose merge operands are
  // not yet collapsed), once, in this run only.
  {
    const stats::StatisticsReporter reporter(*storage, SystemClock::Instance(),
                                             stats::kDefaultMinPublishedCount);
    const auto request = ReportRequest();
    Samples as_loaded;
    for (int i = 0; i < kAsLoadedCalls; ++i) {
      Measure(&as_loaded, [&] { OrDie(reporter.YearlyReport(request), "the report"); });
    }
    std::printf("as loaded, before compaction: %s\n", DescribeCounters(*storage).c_str());
    PrintSamples("YearlyReport as loaded (not compacted)", as_loaded);
  }
  const auto compact_start = Steady::now();
  OrDie(storage->CompactAll(), "compacting");
  const double compact_seconds = SecondsSince(compact_start);
  storage.reset();
  WriteText(paths.marker(), MarkerText(flags));
  fs::remove(paths.loading());
  std::printf("load: compaction %.0f s, %.0f s in all (%.1f min). Database %.0f MiB\n",
              compact_seconds, SecondsSince(start), SecondsSince(start) / 60,
              BytesUnder(paths.db()) / 1048576.0);
  std::fflush(stdout);
}

// ---- unflushed counter operands ----

// The report with merge operands waiting in the counters memtable, as on a server between flushes
// (RocksDB sums a counter's operands when it is read, and collapses them only when it flushes or
// compacts). On `scratch`, which holds the recounted counters alone: compacted first, then
// operands of delta 0 (values unchanged, so the report must stay `expected`) are added up to each
// of `levels`, picked among the last fiscal year's counters in proportion to their counts, as
// events would write them; then the counters memtable is flushed.
void SweepOperands(storage::Storage& scratch, const stats::StatisticsReporter& reporter,
                   const v1::GetYearlyReportRequest& request, const stats::CounterTable& stored,
                   const std::vector<int>& levels, int calls, uint64_t seed,
                   const std::string& expected) {
  OrDie(scratch.CompactAll(), "compacting the scratch database");
  std::vector<std::string> keys;
  std::vector<double> weights;
  for (const auto& [key, value] : stored) {
    if (key.fiscal_year != kLastYear) continue;
    keys.push_back(stats::EncodeCounterKey(key));
    weights.push_back(static_cast<double>(value < 0 ? -value : value));
  }
  std::discrete_distribution<size_t> pick(weights.begin(), weights.end());
  std::mt19937_64 rng(seed);
  std::printf(
      "\nunflushed counter operands (scratch database holding the counters alone; operands on "
      "the %zu counters of %d, delta 0; %d calls per line):\n",
      keys.size(), kLastYear, calls);
  std::printf("  %-28s %12s %10s %10s %10s %10s\n", "state", "memtable MiB", "p50 us", "p99 us",
              "CPU p50 us", "CPU p99 us");
  auto time_state = [&](const std::string& label) {
    Samples samples;
    for (int i = 0; i < calls; ++i) {
      Measure(&samples, [&] {
        auto report = OrDie(reporter.YearlyReport(request), "the report");
        if (i == 0 && Canonical(std::move(report)) != expected) {
          Die("the report changed with operands of delta 0");
        }
      });
    }
    uint64_t memtable = 0;
    scratch.db()->GetIntProperty(scratch.handle(storage::ColumnFamily::kCounters),
                                 "rocksdb.cur-size-all-mem-tables", &memtable);
    std::printf("  %-28s %12.1f %10.0f %10.0f %10.0f %10.0f\n", label.c_str(), memtable / 1048576.0,
                Percentile(samples.wall_us, 0.5), Percentile(samples.wall_us, 0.99),
                Percentile(samples.cpu_us, 0.5), Percentile(samples.cpu_us, 0.99));
    std::fflush(stdout);
  };
  time_state("compacted, 0 operands");
  int added = 0;
  for (int level : levels) {
    while (added < level) {
      storage::WriteBatch batch(scratch);  // about one event's counters
      for (int i = 0; i < 8 && added < level; ++i, ++added) {
        batch.Add(storage::ColumnFamily::kCounters, keys[pick(rng)], 0);
      }
      OrDie(scratch.CommitUnsynced(batch), "adding operands");
    }
    time_state(std::to_string(level) + " operands");
  }
  rocksdb::FlushOptions flush;
  OrDie(
      storage::FromRocksStatus(
          scratch.db()->Flush(flush, scratch.handle(storage::ColumnFamily::kCounters)), "flushing"),
      "flushing the counters");
  time_state("then flushed (one L0 file)");
}

// Pre-parses the flags bench_support's ParseFlags has no form for (a path, a switch), removing
// them from argv.
void ParseOwnFlags(int* argc, char** argv, Flags* flags) {
  int kept = 1;
  for (int i = 1; i < *argc; ++i) {
    const std::string_view name = argv[i];
    if (name == "--reload") {
      flags->reload = true;
    } else if (name == "--db" && i + 1 < *argc) {
      flags->dir = argv[++i];
    } else {
      argv[kept++] = argv[i];
    }
  }
  *argc = kept;
}

int Main(int argc, char** argv) {
  Flags flags;
  ParseOwnFlags(&argc, argv, &flags);
  ParseFlags(argc, argv,
             "stats_bench [--cases 1000000] [--iterations 1000] [--rounds 3] [--seed 20261122] "
             "[--operands 3000,10000,30000,100000,300000] [--sweep-calls 100] [--db DIR] "
             "[--reload]",
             FlagSpec{{},
                      {{"--cases", &flags.cases},
                       {"--iterations", &flags.iterations},
                       {"--rounds", &flags.rounds},
                       {"--seed", &flags.seed},
                       {"--sweep-calls", &flags.sweep_calls}},
                      {{"--operands", &flags.operands}}});
  if (flags.dir.empty()) {
    flags.dir = flags.cases == 1000000
                    ? "/tmp/casecoord-stats-bench-1m"
                    : "/tmp/casecoord-stats-bench-" + std::to_string(flags.cases);
  }
  log::SetMinimumLevel(log::Level::kWarning);

  const DataPaths paths{flags.dir};
  std::printf("stats_bench: %d cases over fiscal years %d-%d, seed %d, data in %s\n", flags.cases,
              kFirstYear, kLastYear, flags.seed, paths.dir.c_str());
  if (!flags.reload && ReadText(paths.marker()) == MarkerText(flags)) {
    std::printf("data: loaded earlier (%s matches); --reload to load again\n",
                paths.marker().c_str());
  } else {
    Load(paths, flags);
  }
  std::fflush(stdout);

  auto keyring = KeyringOf(paths);
  const auto open_start = Steady::now();
  auto storage = OpenStorage(paths.db(), keyring);
  const double open_seconds = SecondsSince(open_start);
  const cases::CaseCounting counting(*storage);
  const stats::StatisticsReporter reporter(*storage, SystemClock::Instance(),
                                           stats::kDefaultMinPublishedCount);
  const auto request = ReportRequest();

  const stats::CounterTable stored =
      OrDie(stats::ReadCounters(*storage, stats::kMinFiscalYear, stats::kMaxFiscalYear),
            "reading the counters");
  const v1::YearlyReport first_report = OrDie(reporter.YearlyReport(request), "the report");
  std::printf(
      "database: %.0f MiB on disk, opened in %.2f s; %zu non-zero counters; %s; the report is %zu "
      "bytes (%d breakdowns, %d rows in all)\n",
      BytesUnder(paths.db()) / 1048576.0, open_seconds, stored.size(),
      DescribeCounters(*storage).c_str(), first_report.ByteSizeLong(),
      first_report.breakdowns_size(), [&first_report] {
        int rows = first_report.cases().rows_size() + first_report.activities().rows_size();
        for (const auto& table : first_report.breakdowns()) rows += table.rows_size();
        return rows;
      }());
  {
    const auto& cases = first_report.cases();
    std::printf("  cases table (%d-%d):", kFirstYear, kLastYear);
    for (const auto& row : cases.rows()) {
      std::printf(" %s %s", row.key().c_str(), row.cells(row.cells_size() - 1).display().c_str());
    }
    int primary = 0, complementary = 0;
    for (const auto& table : first_report.breakdowns()) {
      primary += table.primary_suppressed();
      complementary += table.complementary_suppressed();
    }
    std::printf("; breakdowns: %d cells suppressed as primary, %d as complementary\n", primary,
                complementary);
  }

  // The report's scratch database for the recount: the same report, built from the recomputed
  // counters.
  testing::TempDir scratch_dir;
  auto scratch = OpenStorage(scratch_dir.Sub("db"), keyring);
  const stats::StatisticsReporter scratch_reporter(*scratch, SystemClock::Instance(),
                                                   stats::kDefaultMinPublishedCount);

  std::printf(
      "\nrounds: %d calls of each of the four (interleaved, rotating order), then one recount; "
      "times per call, one thread\n",
      flags.iterations);
  Samples report, scan, read, tables, cold;
  std::vector<double> recount_s, recount_cpu_s, rebuild_ms, recompute_s;
  for (int round = 0; round < flags.rounds; ++round) {
    // The first call after opening or after the recount walked the whole database.
    Measure(&cold, [&] { OrDie(reporter.YearlyReport(request), "the report"); });
    Samples round_report;
    const std::function<void()> steps[] = {
        [&] {
          Measure(&round_report, [&] { OrDie(reporter.YearlyReport(request), "the report"); });
        },
        [&] {
          Measure(&read, [&] {
            OrDie(stats::ReadCounters(*storage, stats::kMinFiscalYear, stats::kMaxFiscalYear),
                  "reading the counters");
          });
        },
        [&] { Measure(&tables, [&] { SnapshotAndTables(reporter, request); }); },
        [&] { Measure(&scan, [&] { ScanCounters(*storage); }); },
    };
    constexpr int kSteps = static_cast<int>(std::size(steps));
    for (int i = 0; i < flags.iterations; ++i) {
      for (int s = 0; s < kSteps; ++s) steps[(i + s) % kSteps]();
    }
    report.wall_us.insert(report.wall_us.end(), round_report.wall_us.begin(),
                          round_report.wall_us.end());
    report.cpu_us.insert(report.cpu_us.end(), round_report.cpu_us.begin(),
                         round_report.cpu_us.end());

    const auto recount_start = Steady::now();
    const double recount_cpu = ThreadCpuSeconds();
    const stats::CounterChanges recount = OrDie(counting.RecountCounters(), "recounting");
    recount_s.push_back(SecondsSince(recount_start));
    recount_cpu_s.push_back(ThreadCpuSeconds() - recount_cpu);
    const auto rebuild_start = Steady::now();
    OrDie(stats::ReplaceCounters(*scratch, recount.deltas()), "writing the recount");
    const v1::YearlyReport rebuilt =
        OrDie(scratch_reporter.YearlyReport(request), "the report from the recount");
    rebuild_ms.push_back(SecondsSince(rebuild_start) * 1000);
    recompute_s.push_back(recount_s.back() + rebuild_ms.back() / 1000);

    const auto differences = stats::Compare(stored, recount.deltas());
    const bool same_report = Canonical(rebuilt) == Canonical(first_report);
    Samples p = round_report;
    std::printf(
        "round %d: report p50 %.0f us p99 %.0f us (cold first call %.0f us); recount %.2f s "
        "(thread CPU %.2f s, %zu counters, %zu differ from the stored ones), report from it "
        "%.1f ms (%s the stored one's)\n",
        round + 1, Percentile(p.wall_us, 0.5), Percentile(p.wall_us, 0.99), cold.wall_us.back(),
        recount_s.back(), recount_cpu_s.back(), recount.deltas().size(), differences.size(),
        rebuild_ms.back(), same_report ? "identical to" : "DIFFERENT from");
    std::fflush(stdout);
    if (!differences.empty()) {
      for (size_t i = 0; i < std::min<size_t>(5, differences.size()); ++i) {
        std::fprintf(stderr, "  %s stored %lld recounted %lld\n",
                     differences[i].key.ToString().c_str(),
                     static_cast<long long>(differences[i].stored),
                     static_cast<long long>(differences[i].recomputed));
      }
      Die("the recount disagrees with the stored counters");
    }
    if (!same_report) Die("the report from the recount differs from the stored one's");
  }

  std::printf("\nsummary (%d cases, %d rounds; per call, one thread, in this process):\n",
              flags.cases, flags.rounds);
  PrintSamples("YearlyReport (10 years, 3 breakdowns)", report);
  PrintSamples("  part: RocksDB iterator over the counters, not decoded", scan);
  PrintSamples("  part: ReadCounters (that + decoding into the map)", read);
  PrintSamples("  part: snapshot + 5 protected tables (+ suppression)", tables);
  PrintSamples("YearlyReport, first call after open / after a recount", cold);
  std::string rounds;
  for (size_t i = 0; i < recount_s.size(); ++i) {
    char text[64];
    std::snprintf(text, sizeof(text), "%s%.2f", i == 0 ? "" : " ", recompute_s[i]);
    rounds += text;
  }
  const double recount_median = Median(recount_s);
  const double recompute_median = Median(recompute_s);
  std::printf(
      "  RecountCounters: median %.2f s (thread CPU %.2f s); then the report from the recount: "
      "median %.1f ms (ReplaceCounters into a scratch database, synced, and YearlyReport there)\n"
      "  recompute (recount + report): median %.2f s; per round %s s\n",
      recount_median, Median(recount_cpu_s), Median(rebuild_ms), recompute_median, rounds.c_str());

  SweepOperands(*scratch, scratch_reporter, request, stored, flags.operands, flags.sweep_calls,
                static_cast<uint64_t>(flags.seed) + 1, Canonical(first_report));

  Samples copy = report;
  const double p50_us = Percentile(copy.wall_us, 0.5);
  const double p99_us = Percentile(copy.wall_us, 0.99);
  const double ratio = recompute_median * 1e6 / p50_us;
  std::printf("\ngoals (%d cases):\n", flags.cases);
  std::printf("  YearlyReport p99 at the server: %.0f us (goal <= %.0f us: %s)\n", p99_us,
              kGoalP99Us, p99_us <= kGoalP99Us ? "met" : "NOT met");
  std::printf(
      "  recompute / report: %.0fx against the report's p50, %.0fx against its p99; recount alone "
      "%.0fx against p50 (goal >= %.0fx: %s)\n",
      ratio, recompute_median * 1e6 / p99_us, recount_median * 1e6 / p50_us, kGoalRatio,
      ratio >= kGoalRatio ? "met" : "NOT met");
  return 0;
}

}  // namespace
}  // namespace casecoord::bench

int main(int argc, char** argv) { return casecoord::bench::Main(argc, argv); }
