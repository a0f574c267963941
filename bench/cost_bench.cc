// What one user flooding an expensive call does to another user's reads (issue 14). A real
// caseserver (casecoord::testing::TestServer: production mode, mutual TLS, RocksDB on disk, the
// default 16 workers) is loaded through the RPCs with a city's data: --agencies agencies
// (bench/agency_generator.h), 20 advisers, and --cases cases, each with a referral accepted by
// agencies/a1, three consultations, a support meeting, an adviser dispatch and, for every other
// case, a monitoring schedule that is overdue. Then it restarts with the production rate limits
// (rate-limit-per-second, rate-limit-burst at their defaults) and, for each row of the table:
//   victim   user "victim" (a coordinator) reads random cases with GetCase, one call at a time,
//            paced at --victim-rate calls/s (below its own rate limit, as a person or a screen
//            would be);
//   unloaded the victim alone for --seconds: its p50/p99;
//   loaded   the same while the row's user floods the row's call from --flood-threads threads,
//            each on its own TLS connection, back to back, as an attacker would: a refusal
//            (RESOURCE_EXHAUSTED) is answered by the next call at once. The victim's p50/p99 again,
//            and how many flood calls were served and refused.
// Each row's call is the most expensive one its service offers a non-admin role an attacker could
// hold (coordinator, agency staff, adviser, planner, auditor), with the most expensive legal
// parameters: the largest page, the widest filter, the query that matches most. The last row
// floods the cheapest call (GetServerInfo, answered on gRPC's thread) as a control: what the
// volume of calls alone costs, the clients included, which run in this process on the same cores.
// The figure that matters is p99 loaded / p99 unloaded per row, the median of the per-round
// ratios; a row PASSes at <= 3.
//
//   cost_bench [--cases 300] [--agencies 3000] [--seconds 3] [--rounds 1] [--flood-threads 4]
//              [--victim-rate 150] [--rows 1,2,...]
//
// This is a program, not a test: it prints PASS/FAIL per row and exits 0 whatever the figures.
// It exits non-zero only if loading fails, a flood call fails other than by RESOURCE_EXHAUSTED,
// or the victim gets an error.

#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <future>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "bench/agency_generator.h"
#include "bench/bench_support.h"
#include "casecoord/v1/admin.grpc.pb.h"
#include "casecoord/v1/advisers.grpc.pb.h"
#include "casecoord/v1/cases.grpc.pb.h"
#include "casecoord/v1/directory.grpc.pb.h"
#include "casecoord/v1/meetings.grpc.pb.h"
#include "casecoord/v1/monitoring.grpc.pb.h"
#include "casecoord/v1/statistics.grpc.pb.h"
#include "services/common/grpc_errors.h"
#include "services/common/log.h"
#include "services/server/config.h"
#include "tests/support/test_server.h"

namespace casecoord::bench {
namespace {

using Clock = std::chrono::steady_clock;

constexpr double kPassRatio = 3.0;
constexpr char kVictim[] = "victim";
constexpr int kAdvisers = 20;
constexpr double kWarmupSeconds = 0.5;

struct Flags {
  int cases = 300;
  int agencies = 3000;
  double seconds = 3.0;
  int rounds = 1;
  int flood_threads = 4;
  int victim_rate = 150;
  std::vector<int> rows = {};  // 1-based; empty: all
};

void Die(const std::string& what, const grpc::Status& status) {
  std::fprintf(stderr, "cost_bench: %s: %s\n", what.c_str(), DescribeGrpcError(status).c_str());
  std::exit(1);
}

std::unique_ptr<grpc::ClientContext> Context(int seconds = 60) {
  auto context = std::make_unique<grpc::ClientContext>();
  context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(seconds));
  return context;
}

// Runs fn(thread, i) for i in 0 .. count - 1 on `threads` threads.
void ParallelFor(int count, int threads, const std::function<void(int, int)>& fn) {
  std::atomic<int> next{0};
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      for (int i = next++; i < count; i = next++) fn(t, i);
    });
  }
  for (auto& worker : workers) worker.join();
}

// Today's date in JST, shifted by `days`.
v1::Date JstDate(int days = 0) {
  using namespace std::chrono;
  const auto jst =
      floor<std::chrono::days>(system_clock::now() + hours(9)) + std::chrono::days(days);
  const year_month_day ymd(jst);
  v1::Date date;
  date.set_year(static_cast<int>(ymd.year()));
  date.set_month(static_cast<int>(static_cast<unsigned>(ymd.month())));
  date.set_day(static_cast<int>(static_cast<unsigned>(ymd.day())));
  return date;
}

// ---- the data ----

constexpr const char* kSurnames[] = {"佐藤", "鈴木", "高橋", "田中",
                                     "伊藤", "渡辺", "山本", "中村"};
constexpr const char* kGivenNames[] = {"一郎", "花子", "健太", "美咲",
                                       "次郎", "陽子", "翔",   "和子"};
constexpr const char* kCaseTags[] = {"8050",         "hikikomori",       "debt",
                                     "dementia",     "isolation",        "young-carer",
                                     "housing-loss", "mental-disability"};
constexpr const char* kProblems[] = {
    "80代の母と50代の長男の二人世帯。長男は20年以上ひきこもっており、母の認知症が進んで家計の管理が"
    "難しくなっている。滞納が続き、電気が止められそうだと民生委員から相談があった。",
    "多重債務があり、家賃の滞納で退去を求められている。子ども二人を育てるひとり親で、仕事を掛け持ち"
    "しているが体調を崩しがちで、中学生の長女が家事と弟の世話を担っている。",
    "単身の高齢男性。近隣との交流がなく、室内に物があふれて衛生状態が悪化している。通院を中断して"
    "おり、親族とも連絡が取れない。地域包括支援センターが訪問を続けている。"};
constexpr const char* kSummaries[] = {
    "本人と面談。生活の状況と困りごとを聞き取り、次回は家計の状況を一緒に確認することとした。",
    "関係機関の担当者と情報共有。来週の同行訪問の日程を調整し、役割分担を確認した。",
    "自宅を訪問。室内の状況を確認し、本人の了解を得て片付けの支援について説明した。"};

v1::CreateCaseRequest CaseRequest(int index, std::mt19937_64& rng) {
  auto pick = [&rng](auto& array) { return array[rng() % std::size(array)]; };
  v1::CreateCaseRequest request;
  request.set_request_id("cost-case-" + std::to_string(index));
  v1::Case& record = *request.mutable_case_();
  const std::string surname = pick(kSurnames);
  const int members = 1 + static_cast<int>(rng() % 4);
  for (int m = 1; m <= members; ++m) {
    auto* member = record.add_members();
    member->set_member_id("m" + std::to_string(m));
    member->set_display_name(surname + " " + pick(kGivenNames));
    member->mutable_birth_date()->set_year(1940 + static_cast<int>(rng() % 70));
    member->mutable_birth_date()->set_month(1 + static_cast<int>(rng() % 12));
    member->mutable_birth_date()->set_day(1 + static_cast<int>(rng() % 28));
    member->set_principal(m == 1);
    member->add_issue_tags(pick(kCaseTags));
  }
  record.add_household_issue_tags(pick(kCaseTags));
  record.set_district(kDistricts[rng() % std::size(kDistricts)].id);
  record.set_address(std::string("架空市北区") + std::to_string(1 + rng() % 5) + "丁目" +
                     std::to_string(1 + rng() % 30) + "番");
  record.set_referring_agency("agencies/a1");
  record.set_presenting_problem(pick(kProblems));
  record.add_fields(v1::COMMUNITY);
  return request;
}

// Every write of one case, as the coordinator, the agency staff of agencies/a1 and so on.
struct Loaders {
  std::unique_ptr<v1::Cases::Stub> cases, staff_cases;
  std::unique_ptr<v1::Meetings::Stub> meetings;
  std::unique_ptr<v1::Advisers::Stub> advisers;
  std::unique_ptr<v1::Monitoring::Stub> monitoring;
};

void LoadCase(Loaders& as, int index) {
  std::mt19937_64 rng(20261207 + index);
  v1::Case opened;
  if (auto s = as.cases->CreateCase(Context().get(), CaseRequest(index, rng), &opened); !s.ok()) {
    Die("CreateCase", s);
  }
  v1::CreateReferralRequest refer;
  refer.set_parent(opened.name());
  refer.mutable_referral()->set_agency("agencies/a1");
  refer.mutable_referral()->set_role(v1::LEAD);
  v1::Referral referral;
  if (auto s = as.cases->CreateReferral(Context().get(), refer, &referral); !s.ok()) {
    Die("CreateReferral", s);
  }
  v1::AnswerReferralRequest accept;
  accept.set_name(referral.name());
  if (auto s = as.staff_cases->AcceptReferral(Context().get(), accept, &referral); !s.ok()) {
    Die("AcceptReferral", s);
  }
  for (int n = 0; n < 3; ++n) {
    v1::AppendConsultationRequest append;
    append.set_parent(opened.name());
    append.mutable_entry()->set_kind(v1::CONSULTATION);
    *append.mutable_entry()->mutable_date() = JstDate(-n);
    append.mutable_entry()->set_method(v1::IN_PERSON);
    append.mutable_entry()->set_summary(kSummaries[n]);
    v1::ConsultationEntry entry;
    if (auto s = as.cases->AppendConsultation(Context().get(), append, &entry); !s.ok()) {
      Die("AppendConsultation", s);
    }
  }
  v1::CreateMeetingRequest meet;
  meet.set_request_id("cost-meeting-" + std::to_string(index));
  v1::Meeting* meeting = meet.mutable_meeting();
  meeting->set_type(v1::SUPPORT_MEETING);
  meeting->set_case_(opened.name());
  meeting->set_title("第1回ケース検討会議");
  meeting->mutable_scheduled_time()->set_seconds(std::time(nullptr) + 86400 * (1 + index % 30));
  struct Participant {
    const char* user;
    const char* agency;
    v1::ParticipantRole role;
  };
  for (const Participant& who :
       {Participant{"users/coordinator", "", v1::FACILITATOR},
        Participant{"users/agency-staff", "agencies/a1", v1::PRINCIPAL_SUPPORT_ROLE},
        Participant{"users/adviser", "", v1::ADVISER_ROLE}}) {
    auto* participant = meeting->add_participants();
    participant->set_user(who.user);
    participant->set_agency(who.agency);
    participant->set_role(who.role);
  }
  meeting->set_materials(opened.presenting_problem());
  v1::Meeting created_meeting;
  if (auto s = as.meetings->CreateMeeting(Context().get(), meet, &created_meeting); !s.ok()) {
    Die("CreateMeeting", s);
  }
  v1::CreateDispatchRequest dispatch;
  dispatch.set_request_id("cost-dispatch-" + std::to_string(index));
  dispatch.mutable_dispatch()->set_case_(opened.name());
  dispatch.mutable_dispatch()->set_field(v1::COMMUNITY);
  dispatch.mutable_dispatch()->set_request_note("長男の就労に向けた関わり方について助言がほしい");
  v1::Dispatch created_dispatch;
  if (auto s = as.advisers->CreateDispatch(Context().get(), dispatch, &created_dispatch); !s.ok()) {
    Die("CreateDispatch", s);
  }
  if (index % 2 != 0) return;
  v1::TransitionCaseRequest transition;
  transition.set_name(opened.name());
  transition.set_to(v1::COORDINATING);
  if (auto s = as.cases->TransitionCase(Context().get(), transition, &opened); !s.ok()) {
    Die("TransitionCase", s);
  }
  v1::SetMonitoringScheduleRequest schedule;
  schedule.set_name(opened.name() + "/monitoring");
  schedule.set_track(v1::LIFE);
  schedule.mutable_schedule()->set_interval_days(30);
  *schedule.mutable_schedule()->mutable_start_date() = JstDate(-60 - index % 300);
  v1::MonitoringRecord record;
  if (auto s = as.monitoring->SetMonitoringSchedule(Context().get(), schedule, &record); !s.ok()) {
    Die("SetMonitoringSchedule", s);
  }
}

void CreateUser(testing::TestServer& server, const std::string& id, v1::Role role) {
  v1::CreateUserRequest request;
  request.set_user_id(id);
  request.mutable_user()->set_display_name("テスト " + id);
  request.mutable_user()->add_roles(role);
  v1::User created;
  auto status = v1::Admin::NewStub(server.ChannelFor("admin"))
                    ->CreateUser(Context().get(), request, &created);
  if (!status.ok()) Die("CreateUser " + id, status);
}

void Load(testing::TestServer& server, const Flags& flags) {
  CreateUser(server, kVictim, v1::COORDINATOR);
  const int threads = 16;
  std::vector<std::shared_ptr<grpc::Channel>> admins, coordinators;
  for (int t = 0; t < threads; ++t) {
    admins.push_back(server.ChannelFor("admin"));
    coordinators.push_back(server.ChannelFor("coordinator"));
  }
  Generator generator(20261122);
  std::vector<v1::CreateAgencyRequest> agencies(flags.agencies + 2);
  for (int i = 0; i < flags.agencies; ++i) {
    auto [id, agency] = generator.Next(i);
    agencies[i].set_agency_id(id);
    *agencies[i].mutable_agency() = std::move(agency);
  }
  for (int i : {0, 1}) {  // the agencies of TestServer's agency staff
    auto& request = agencies[flags.agencies + i];
    request.set_agency_id(i == 0 ? "a1" : "a2");
    request.mutable_agency()->set_display_name(i == 0 ? "架空市北区自立相談支援機関"
                                                      : "架空市社協");
    request.mutable_agency()->set_kana(i == 0 ? "カクウシキタクジリツソウダンシエンキカン"
                                              : "カクウシシャキョウ");
    request.mutable_agency()->set_kind(v1::SELF_RELIANCE_SUPPORT_CENTER);
  }
  ParallelFor(static_cast<int>(agencies.size()), threads, [&](int t, int i) {
    v1::Agency created;
    auto status = v1::AgencyDirectory::NewStub(admins[t])->CreateAgency(Context().get(),
                                                                        agencies[i], &created);
    if (!status.ok()) Die("CreateAgency " + agencies[i].agency_id(), status);
  });
  ParallelFor(kAdvisers, threads, [&](int t, int i) {
    v1::CreateAdviserRequest request;
    request.set_adviser_id("adviser-" + std::to_string(i));
    request.mutable_adviser()->set_display_name("アドバイザー " + std::to_string(i));
    request.mutable_adviser()->set_kind(v1::COMPLEX_ISSUE_ADVISER);
    request.mutable_adviser()->add_fields(v1::COMMUNITY);
    if (i == 0) request.mutable_adviser()->set_user("users/adviser");
    request.mutable_adviser()->set_active(true);
    v1::Adviser created;
    auto status =
        v1::Advisers::NewStub(coordinators[t])->CreateAdviser(Context().get(), request, &created);
    if (!status.ok()) Die("CreateAdviser", status);
  });
  std::vector<Loaders> loaders(threads);
  for (int t = 0; t < threads; ++t) {
    auto staff = server.ChannelFor("agency-staff");
    loaders[t] =
        Loaders{v1::Cases::NewStub(coordinators[t]), v1::Cases::NewStub(staff),
                v1::Meetings::NewStub(coordinators[t]), v1::Advisers::NewStub(coordinators[t]),
                v1::Monitoring::NewStub(coordinators[t])};
  }
  ParallelFor(flags.cases, threads, [&](int t, int i) { LoadCase(loaders[t], i); });
}

// ---- the flood ----

// One call of a flooding thread, on its own stub and request.
using FloodCall = std::function<grpc::Status(grpc::ClientContext&, size_t* response_bytes)>;

struct Row {
  const char* service;
  const char* method;
  const char* user;
  const char* parameters;
  std::function<FloodCall(std::shared_ptr<grpc::Channel>)> make;
};

// The flooders send each call through a generic stub: the request is serialized once, and the
// answer is received as bytes and never parsed, as an attacker would not bother to (parsing it in
// this process would take the server's cores, which a remote attacker's parsing does not).
template <typename Service>
std::function<FloodCall(std::shared_ptr<grpc::Channel>)> Unary(
    const char* method, const google::protobuf::MessageLite& request) {
  grpc::Slice slice(request.SerializeAsString());
  grpc::ByteBuffer serialized(&slice, 1);
  const std::string path = std::string("/") + Service::service_full_name() + "/" + method;
  return [serialized, path](std::shared_ptr<grpc::Channel> channel) -> FloodCall {
    auto stub = std::make_shared<grpc::GenericStub>(channel);
    return [stub, serialized, path](grpc::ClientContext& context, size_t* bytes) {
      grpc::ByteBuffer answer;
      std::promise<grpc::Status> done;
      stub->UnaryCall(&context, path, grpc::StubOptions(), &serialized, &answer,
                      [&done](grpc::Status status) { done.set_value(std::move(status)); });
      grpc::Status status = done.get_future().get();
      *bytes = answer.Length();
      return status;
    };
  };
}

std::vector<Row> Rows() {
  std::vector<Row> rows;
  {
    v1::ListCasesRequest request;
    request.set_page_size(1000);
    rows.push_back({"Cases", "ListCases", "coordinator", "page_size 1000, no filter (every case)",
                    Unary<v1::Cases>("ListCases", request)});
  }
  {
    v1::ListAgenciesRequest request;
    request.set_page_size(1000);
    request.set_order_by("kana");
    rows.push_back({"AgencyDirectory", "ListAgencies", "agency-staff",
                    "page_size 1000, order_by kana",
                    Unary<v1::AgencyDirectory>("ListAgencies", request)});
  }
  {
    v1::SearchAgenciesRequest request;
    request.set_query("ン");  // in nearly every reading: the longest posting list
    request.set_page_size(200);
    request.set_filter("state = ACTIVE");
    request.set_view(v1::AGENCY_VIEW_FULL);
    rows.push_back({"AgencyDirectory", "SearchAgencies", "agency-staff",
                    "query \"ン\", page_size 200, view FULL, filter state",
                    Unary<v1::AgencyDirectory>("SearchAgencies", request)});
  }
  {
    v1::ListMeetingsRequest request;
    request.set_page_size(1000);
    rows.push_back({"Meetings", "ListMeetings", "coordinator", "page_size 1000, no filter",
                    Unary<v1::Meetings>("ListMeetings", request)});
  }
  {
    v1::ListDispatchesRequest request;
    request.set_page_size(1000);
    rows.push_back({"Advisers", "ListDispatches", "coordinator", "page_size 1000, no filter",
                    Unary<v1::Advisers>("ListDispatches", request)});
  }
  {
    v1::ListDueItemsRequest request;
    request.set_page_size(1000);
    *request.mutable_due_by() = JstDate(366);
    rows.push_back({"Monitoring", "ListDueItems", "coordinator", "page_size 1000, due_by +1 year",
                    Unary<v1::Monitoring>("ListDueItems", request)});
  }
  {
    v1::GetYearlyReportRequest request;
    const int year = JstDate().month() >= 4 ? JstDate().year() : JstDate().year() - 1;
    request.set_fiscal_year_from(year - 19);
    request.set_fiscal_year_to(year);
    request.set_cumulative(true);
    for (int metric = v1::StatMetric_MIN + 1; metric <= v1::StatMetric_MAX; ++metric) {
      for (int dimension = v1::StatDimension_MIN + 1; dimension <= v1::StatDimension_MAX;
           ++dimension) {
        if (dimension == v1::OUTCOME && metric != v1::CASES_CLOSED) continue;
        auto* breakdown = request.add_breakdowns();
        breakdown->set_metric(static_cast<v1::StatMetric>(metric));
        breakdown->set_dimension(static_cast<v1::StatDimension>(dimension));
      }
    }
    rows.push_back({"Statistics", "GetYearlyReport", "planner",
                    "20 years, cumulative, every breakdown",
                    Unary<v1::Statistics>("GetYearlyReport", request)});
  }
  {
    v1::ListAuditEntriesRequest request;
    request.set_page_size(1000);
    rows.push_back({"Admin", "ListAuditEntries", "auditor", "page_size 1000, every entry",
                    Unary<v1::Admin>("ListAuditEntries", request)});
  }
  rows.push_back({"Admin", "VerifyAuditChain", "auditor", "the whole chain",
                  Unary<v1::Admin>("VerifyAuditChain", v1::VerifyAuditChainRequest())});
  rows.push_back({"(control)", "GetServerInfo", "auditor", "the cheapest call",
                  Unary<v1::Admin>("GetServerInfo", v1::GetServerInfoRequest())});
  return rows;
}

// ---- the measurement ----

struct Window {
  std::vector<float> victim_ms;
  int victim_errors = 0;
  uint64_t served = 0, refused = 0;
  double seconds = 0;
  double p50() { return Percentile(victim_ms, 0.50); }
  double p99() { return Percentile(victim_ms, 0.99); }
};

struct Sample {
  double unloaded_p50, unloaded_p99, loaded_p50, loaded_p99, served_per_s, refused_per_s;
  double ratio() const { return loaded_p99 / unloaded_p99; }
};

class Bench {
 public:
  Bench(testing::TestServer& server, const Flags& flags) : server_(server), flags_(flags) {
    victim_ = v1::Cases::NewStub(server.ChannelFor(kVictim));
  }

  // The victim alone, then with `row` flooding.
  Sample Measure(const Row& row) {
    Window unloaded = VictimWindow(nullptr);
    Window loaded = VictimWindow(&row);
    for (Window* window : {&unloaded, &loaded}) {
      if (window->victim_errors > 0) {
        std::fprintf(stderr, "cost_bench: the victim got %d errors during %s\n",
                     window->victim_errors, row.method);
        std::exit(1);
      }
    }
    return Sample{unloaded.p50(),
                  unloaded.p99(),
                  loaded.p50(),
                  loaded.p99(),
                  loaded.served / loaded.seconds,
                  loaded.refused / loaded.seconds};
  }

  // One unloaded call of `row`: how long it takes and how big its answer is.
  std::pair<double, size_t> Probe(const Row& row) {
    FloodCall call = row.make(server_.ChannelFor(row.user));
    size_t bytes = 0;
    std::vector<float> ms;
    for (int refusals = 0; ms.size() < 3;) {
      grpc::ClientContext context;
      auto start = Clock::now();
      grpc::Status status = call(context, &bytes);
      auto end = Clock::now();
      // A call costing more than a second's tokens is refused until the bucket refills.
      if (status.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED && ++refusals < 20) {
        std::this_thread::sleep_for(std::chrono::milliseconds(250));
        continue;
      }
      if (!status.ok()) Die(std::string("probing ") + row.method, status);
      ms.push_back(std::chrono::duration<float, std::milli>(end - start).count());
    }
    std::this_thread::sleep_for(std::chrono::seconds(1));  // the user's bucket refills
    return {Percentile(ms, 0.5), bytes};
  }

 private:
  Window VictimWindow(const Row* row) {
    std::atomic<int> phase{0};  // 0 warm-up, 1 measuring, 2 stop
    Window window;
    std::vector<std::thread> flooders;
    std::atomic<uint64_t> served{0}, refused{0};
    std::atomic<int> failures{0};
    if (row != nullptr) {
      for (int t = 0; t < flags_.flood_threads; ++t) {
        flooders.emplace_back([&, call = row->make(server_.ChannelFor(row->user))] {
          size_t bytes = 0;
          while (phase.load(std::memory_order_relaxed) != 2) {
            grpc::ClientContext context;
            context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
            const bool counted = phase.load(std::memory_order_relaxed) == 1;
            grpc::Status status = call(context, &bytes);
            if (status.ok()) {
              if (counted) ++served;
            } else if (status.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED) {
              if (counted) ++refused;
            } else if (failures++ == 0) {
              Die(std::string("flooding ") + row->method, status);
            }
          }
        });
      }
    }
    std::thread victim([&] {
      std::mt19937_64 rng(7);
      const auto period = std::chrono::duration<double>(1.0 / flags_.victim_rate);
      auto next = Clock::now();
      while (phase.load(std::memory_order_relaxed) != 2) {
        std::this_thread::sleep_until(next);
        next += std::chrono::duration_cast<Clock::duration>(period);
        v1::GetCaseRequest request;
        request.set_name("cases/" + std::to_string(1 + rng() % flags_.cases));
        v1::Case response;
        grpc::ClientContext context;
        context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
        const bool counted = phase.load(std::memory_order_relaxed) == 1;
        auto start = Clock::now();
        grpc::Status status = victim_->GetCase(&context, request, &response);
        auto end = Clock::now();
        if (!counted || phase.load(std::memory_order_relaxed) != 1) continue;
        if (!status.ok()) {
          if (window.victim_errors++ == 0) {
            std::fprintf(stderr, "cost_bench: victim: %s\n", DescribeGrpcError(status).c_str());
          }
          continue;
        }
        window.victim_ms.push_back(std::chrono::duration<float, std::milli>(end - start).count());
        if (next < end) next = end;  // no burst to catch up after a slow call
      }
    });
    window.seconds = MeasureWindow(phase, kWarmupSeconds, flags_.seconds);
    victim.join();
    for (auto& flooder : flooders) flooder.join();
    window.served = served;
    window.refused = refused;
    // What the flood left queued or unflushed is not charged to the next window.
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    return window;
  }

  testing::TestServer& server_;
  const Flags& flags_;
  std::unique_ptr<v1::Cases::Stub> victim_;
};

int Main(int argc, char** argv) {
  Flags flags;
  ParseFlags(argc, argv,
             "cost_bench [--cases 300] [--agencies 3000] [--seconds 3] [--rounds 1] "
             "[--flood-threads 4] [--victim-rate 150] [--rows 1,2,...]",
             FlagSpec{{{"--seconds", &flags.seconds}},
                      {{"--cases", &flags.cases},
                       {"--agencies", &flags.agencies},
                       {"--rounds", &flags.rounds},
                       {"--flood-threads", &flags.flood_threads},
                       {"--victim-rate", &flags.victim_rate}},
                      {{"--rows", &flags.rows}}});
  log::SetMinimumLevel(log::Level::kWarning);

  // Loads with TestServer's generous rate limits; the generated districts in its lists.
  testing::TestServer server(
      testing::TestServerOptions{.extra_vocabulary_csv = bench::GeneratedVocabularyCsv()});
  auto load_start = Clock::now();
  Load(server, flags);
  const double load_seconds = std::chrono::duration<double>(Clock::now() - load_start).count();
  // Then the server restarts with the production rate limits, as an attacker would meet it.
  auto defaults = server::ResolveConfig({}, "", [](const std::string&) { return std::nullopt; });
  if (!defaults.ok()) {
    std::fprintf(stderr, "cost_bench: %s\n", defaults.status().ToString().c_str());
    return 1;
  }
  server.Stop();
  server.mutable_config().rate_limit_per_second = defaults->rate_limit_per_second;
  server.mutable_config().rate_limit_burst = defaults->rate_limit_burst;
  server.Restart();

  const std::vector<Row> all = Rows();
  std::vector<size_t> chosen;
  for (size_t i = 0; i < all.size(); ++i) {
    if (flags.rows.empty() || std::count(flags.rows.begin(), flags.rows.end(), i + 1) > 0) {
      chosen.push_back(i);
    }
  }
  std::printf(
      "cost_bench: %d cases, %d agencies loaded in %.1f s; rate limit %d/s, burst %d; victim "
      "GetCase at %d/s; %d flood threads; %.1f s per window; %d rounds; %u hardware threads\n\n",
      flags.cases, flags.agencies, load_seconds, defaults->rate_limit_per_second,
      defaults->rate_limit_burst, flags.victim_rate, flags.flood_threads, flags.seconds,
      flags.rounds, std::thread::hardware_concurrency());

  Bench bench(server, flags);
  std::printf("%-3s %-33s %-12s %9s %8s\n", "row", "call", "user", "ms/call", "KB/call");
  for (size_t i : chosen) {
    auto [ms, bytes] = bench.Probe(all[i]);
    std::printf("%-3zu %-33s %-12s %9.1f %8.0f   %s\n", i + 1,
                (std::string(all[i].service) + "." + all[i].method).c_str(), all[i].user, ms,
                bytes / 1024.0, all[i].parameters);
  }
  std::printf("\n%-5s %-3s %-17s %21s %21s %7s %10s %10s\n", "round", "row", "method",
              "unloaded p50/p99 ms", "loaded p50/p99 ms", "ratio", "served/s", "refused/s");
  std::vector<std::vector<Sample>> samples(all.size());
  for (int round = 0; round < flags.rounds; ++round) {
    for (size_t i : chosen) {
      Sample s = bench.Measure(all[i]);
      samples[i].push_back(s);
      std::printf("%-5d %-3zu %-17s %9.2f / %-9.2f %9.2f / %-9.2f %7.2f %10.1f %10.0f\n", round + 1,
                  i + 1, all[i].method, s.unloaded_p50, s.unloaded_p99, s.loaded_p50, s.loaded_p99,
                  s.ratio(), s.served_per_s, s.refused_per_s);
      std::fflush(stdout);
    }
  }

  std::printf("\nmedians over %d rounds (ratio = median of the per-round p99 loaded/unloaded)\n",
              flags.rounds);
  std::printf("%-3s %-33s %-12s %21s %21s %7s %10s %10s %s\n", "row", "flooded call", "user",
              "unloaded p50/p99 ms", "loaded p50/p99 ms", "ratio", "served/s", "refused/s",
              "<= 3x");
  for (size_t i : chosen) {
    auto median = [&](double Sample::*field) {
      std::vector<double> values;
      for (const auto& s : samples[i]) values.push_back(s.*field);
      return Median(values);
    };
    std::vector<double> ratios;
    for (const auto& s : samples[i]) ratios.push_back(s.ratio());
    const double ratio = Median(ratios);
    std::printf("%-3zu %-33s %-12s %9.2f / %-9.2f %9.2f / %-9.2f %7.2f %10.1f %10.0f %s\n", i + 1,
                (std::string(all[i].service) + "." + all[i].method).c_str(), all[i].user,
                median(&Sample::unloaded_p50), median(&Sample::unloaded_p99),
                median(&Sample::loaded_p50), median(&Sample::loaded_p99), ratio,
                median(&Sample::served_per_s), median(&Sample::refused_per_s),
                ratio <= kPassRatio ? "PASS" : "FAIL");
  }
  return 0;
}

}  // namespace
}  // namespace casecoord::bench

int main(int argc, char** argv) { return casecoord::bench::Main(argc, argv); }
