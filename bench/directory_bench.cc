// The agency directory at city scale: caseserver (casecoord::testing::TestServer, production mode,
// mutual TLS, 16 workers) is loaded with generated agencies through the real CreateAgency RPC (as
// "admin", --load-concurrency threads), then SearchAgencies and FindPartners are measured against
// two baselines in the same process, each a gRPC server with caseserver's TLS and transport
// settings (bench/baseline_server.h):
//   echo          an empty Admin.GetServerInfo: the floor of a call.
//   payload echo  an AgencyDirectory whose SearchAgencies and FindPartners answer at once, on the
//                 reactor thread, with a copy of the response caseserver gave to the same request
//                 (captured once after the load): the same bytes to serialize, encrypt, frame,
//                 decrypt and parse, without the gatekeeper, the worker hop or the store. search /
//                 payload echo is the share of the server's own work; payload echo / echo is what
//                 carrying the answer costs.
// Measured:
//   latency   one client, one call at a time (concurrency 1) over a real TLS connection on
//             loopback: p50/p99 of each call as the client sees it, for every target, overall and
//             per query. Echo's figure is the transport; the rest is the server's.
//   QPS       closed-loop clients at --concurrency (default 64) over min(concurrency, 8) TLS
//             connections: search and partners QPS over echo QPS and over payload echo QPS.
// Each client cycles through a fixed mix of queries (the tables list them). The five targets (echo,
// payload echo for search, payload echo for partners, search, partners) are measured in
// alternating half-second slices (A B C D E E D C B A ..., the first target rotating each round),
// so noise from the shared machine hits all alike; each ratio is the median of the per-round
// ratios. A call counts if it completes inside a slice's measured window; calls still in flight at
// its end are cancelled, and the next slice waits until the process is idle. Goals: p99 <= 2 ms at
// concurrency 1 and QPS ratio to the empty echo >= 0.7 at concurrency 64, for both methods.
//
// For attribution the program also builds an in-process copy of the same directory (an encrypted
// storage::Storage with the server's options and its own directory::AgencyStore, written in
// batches) and times AgencyStore::Search and FindPartners there per query, without gRPC, TLS, the
// gatekeeper or the worker hop: wall time and thread CPU time, first as loaded (in memtables),
// then after Storage::CompactAll() (in table files, as after a flush). It also times copying,
// serializing and parsing the captured responses (the default BASIC view), and prints CPU per
// call at --concurrency split by difference between the targets.
//
// With --profile-seconds S it skips the rounds: after the load it runs each target alone at
// --concurrency for S seconds and prints the CLOCK_MONOTONIC bounds of each run, so that a
// profiler attached to the process (perf record -k CLOCK_MONOTONIC ...) can split its samples by
// target. The QPS it prints then is not comparable with the rounds' (no alternation).
//
// The data (fixed seed): Japanese names from 30 wards and neighbourhoods x agency kinds, with
// katakana readings; every AgencyKind; 2-6 of 24 issue tags, one typical of the kind and the rest
// drawn with a Zipf-like skew (weight 1/rank), so that common tags cover thousands of agencies; 1-3
// districts; 90% ACTIVE, 90% accepting referrals; addresses, phones, hours and services, so that
// records have a realistic size. Every answer is checked against the count the data predicts.
//
//   directory_bench [--agencies 10000] [--seconds 2] [--rounds 3] [--concurrency 64]
//                   [--load-concurrency 64] [--store-seconds 0.2] [--seed 20261122]
//                   [--page-size N] [--profile-seconds S]
//
// --seconds is the measured time per target, concurrency and round; --store-seconds the in-process
// time per query and storage state (at least 10 calls each).
//
// This is a program, not a test: it prints figures and never fails on them. It exits non-zero if
// any call fails or returns a different number of results than the data predicts.

#include <grpcpp/grpcpp.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "bench/agency_generator.h"
#include "bench/baseline_server.h"
#include "bench/bench_support.h"
#include "casecoord/v1/admin.grpc.pb.h"
#include "casecoord/v1/directory.grpc.pb.h"
#include "clients/cli/client.h"
#include "services/common/clock.h"
#include "services/common/log.h"
#include "services/directory/agency_store.h"
#include "services/storage/storage.h"
#include "services/text/japanese_text.h"
#include "services/vocab/term_catalog.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_pki.h"
#include "tests/support/test_server.h"

namespace casecoord::bench {
namespace {

using Clock = std::chrono::steady_clock;

constexpr double kGoalP99Us = 2000;
constexpr double kGoalRatio = 0.7;
constexpr int kMaxChannels = 8;
constexpr double kSliceSeconds = 0.5;
// Long enough for freshly started client threads to have their first call in flight.
constexpr double kSliceWarmupSeconds = 0.05;
constexpr double kMaxSliceWarmupSeconds = 2.0;
constexpr int kServerDefaultPageSize = 20;  // what clients get without asking
// --page-size: the page_size the clients send; 0 sends none (the server's default).
int g_page_size = 0;
int ResultsPerPage() { return g_page_size == 0 ? kServerDefaultPageSize : g_page_size; }
constexpr char kLoader[] = "admin";

struct Flags {
  int agencies = 10000;
  double seconds = 2.0;
  int rounds = 3;
  int concurrency = 64;
  int load_concurrency = 64;
  double store_seconds = 0.2;  // per query, in-process timing (at least 10 calls)
  int seed = 20261122;
  double profile_seconds = 0;  // > 0: each target alone for this long instead of the rounds
};

// ---- the queries, with the answers the data predicts ----

enum class Kind { kEcho, kSearch, kPartners };

struct Query {
  std::string label;  // the class, for the tables
  Kind kind = Kind::kEcho;
  std::string text;               // search
  std::vector<std::string> tags;  // partners
  std::string district;           // partners
  int expected = 0;               // results the server must return (page size 20)
  int matching = 0;               // agencies that match (before the page limit)
  int loaded = 0;                 // partners: agencies covering any requested tag (all states)
  size_t response_bytes = 0;      // the serialized response caseserver gave (captured)
};

// The requests the clients send for `query` (search or partners), in the default (BASIC) view.
v1::SearchAgenciesRequest SearchRequestOf(const Query& query) {
  v1::SearchAgenciesRequest request;
  request.set_query(query.text);
  request.set_page_size(g_page_size);
  return request;
}

v1::FindPartnersRequest PartnersRequestOf(const Query& query) {
  v1::FindPartnersRequest request;
  for (const auto& tag : query.tags) request.add_issue_tags(tag);
  request.set_district(query.district);
  request.set_page_size(g_page_size);
  return request;
}

std::string Describe(const Query& query) {
  if (query.kind == Kind::kSearch) return "\"" + query.text + "\"";
  std::string text;
  for (const auto& tag : query.tags) text += (text.empty() ? "" : "+") + tag;
  if (!query.district.empty()) text += " @" + query.district;
  return text;
}

std::vector<Query> SearchQueries(const std::vector<v1::Agency>& agencies) {
  // Two existing full names, picked from the data so that they match whatever the seed.
  std::string long_name, long_name2;
  for (const auto& agency : agencies) {
    if (long_name.empty() && agency.kind() == v1::COMMUNITY_GENERAL_SUPPORT_CENTER &&
        agency.display_name().starts_with("架空市")) {
      long_name = agency.display_name();
    }
    if (long_name2.empty() && agency.kind() == v1::NPO) long_name2 = agency.display_name();
  }
  std::vector<Query> queries;
  auto add = [&queries](const char* label, std::string text) {
    Query query;
    query.label = label;
    query.kind = Kind::kSearch;
    query.text = std::move(text);
    queries.push_back(std::move(query));
  };
  add("2 chars, ward", "北区");
  add("2 chars, common", "相談");
  add("2 chars, common", "支援");
  add("2 chars, rare", "観察");
  add("hiragana->kana", "ほうかつ");
  add("hiragana->kana", "しゃかいふくし");
  add("hiragana word", "ひまわり");
  add("katakana", "ハローワーク");
  add("full-width", "ＮＰＯ法人");
  add("phrase", "地域包括支援センター");
  add("full name", long_name);
  add("full name", long_name2);
  add("miss, rare bigram", "宇宙開発機構");
  add("miss, common bigrams", "相談支援病院");
  return queries;
}

std::vector<Query> PartnerQueries() {
  std::vector<Query> queries;
  auto add = [&queries](const char* label, std::vector<std::string> tags, std::string district) {
    Query query;
    query.label = label;
    query.kind = Kind::kPartners;
    query.tags = std::move(tags);
    query.district = std::move(district);
    queries.push_back(std::move(query));
  };
  add("1 tag, common", {"dementia"}, "");
  add("1 tag, middle", {"hikikomori"}, "");
  add("1 tag, rare", {"reentry"}, "");
  add("2 tags", {"8050", "hikikomori"}, "");
  add("3 tags", {"debt", "housing-loss", "unemployment"}, "");
  add("1 tag + district", {"dementia"}, "kita");
  add("2 tags + district", {"8050", "hikikomori"}, "minami");
  add("3 tags + district", {"debt", "housing-loss", "isolation"}, "chuo");
  return queries;
}

// Fills expected/matching/loaded from the generated data, by the contract in directory.proto.
void Predict(const std::vector<v1::Agency>& agencies, std::vector<Query>* queries) {
  std::vector<std::string> names, readings;
  for (const auto& agency : agencies) {
    names.push_back(text::NormalizeForSearch(agency.display_name()));
    readings.push_back(text::NormalizeForSearch(agency.kana()));
  }
  for (auto& query : *queries) {
    query.matching = query.loaded = 0;
    if (query.kind == Kind::kSearch) {
      const std::string needle = text::NormalizeForSearch(query.text);
      for (size_t i = 0; i < agencies.size(); ++i) {
        if (text::ContainsNormalized(names[i], needle) ||
            text::ContainsNormalized(readings[i], needle)) {
          ++query.matching;
        }
      }
    } else {
      for (const auto& agency : agencies) {
        const auto& tags = agency.issue_tags();
        bool covers = std::any_of(query.tags.begin(), query.tags.end(), [&](const auto& tag) {
          return std::find(tags.begin(), tags.end(), tag) != tags.end();
        });
        if (!covers) continue;
        ++query.loaded;
        const auto& districts = agency.districts();
        if (agency.state() == v1::Agency::ACTIVE && agency.accepts_referrals() &&
            (query.district.empty() ||
             std::find(districts.begin(), districts.end(), query.district) != districts.end())) {
          ++query.matching;
        }
      }
    }
    query.expected = std::min(query.matching, ResultsPerPage());
  }
}

// ---- load through the RPC ----

struct LoadResult {
  double seconds = 0;
  std::vector<float> latencies_us;
};

// CreateAgency for every agency as `kLoader`, from `concurrency` threads over the channels. Exits
// the process if any call fails.
LoadResult LoadThroughRpc(const std::vector<std::string>& ids,
                          const std::vector<v1::Agency>& agencies, const Target& target,
                          int concurrency) {
  std::atomic<size_t> next{0};
  std::atomic<int> errors{0};
  std::vector<std::vector<float>> latencies(concurrency);
  std::vector<std::thread> loaders;
  const auto start = Clock::now();
  for (int i = 0; i < concurrency; ++i) {
    loaders.emplace_back([&, i] {
      auto stub = v1::AgencyDirectory::NewStub(target.channels[i % target.channels.size()]);
      for (size_t n = next++; n < agencies.size(); n = next++) {
        v1::CreateAgencyRequest request;
        request.set_agency_id(ids[n]);
        *request.mutable_agency() = agencies[n];
        v1::Agency created;
        grpc::ClientContext context;
        context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
        auto call_start = Clock::now();
        grpc::Status status = stub->CreateAgency(&context, request, &created);
        latencies[i].push_back(
            std::chrono::duration<float, std::micro>(Clock::now() - call_start).count());
        if (!status.ok() && errors.fetch_add(1) < 3) {
          std::fprintf(stderr, "directory_bench: CreateAgency %s: %s\n", ids[n].c_str(),
                       status.error_message().c_str());
        }
      }
    });
  }
  for (auto& loader : loaders) loader.join();
  LoadResult result;
  result.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  if (errors > 0) {
    std::fprintf(stderr, "directory_bench: %d of %zu CreateAgency calls failed\n", errors.load(),
                 agencies.size());
    std::exit(1);
  }
  for (auto& mine : latencies) {
    result.latencies_us.insert(result.latencies_us.end(), mine.begin(), mine.end());
  }
  return result;
}

// ---- the payload echo ----

// The second baseline: an AgencyDirectory whose SearchAgencies and FindPartners answer at once, on
// the reactor thread, with the response caseserver gave to the same request (looked up by the
// request's serialized bytes). Besides the transport, each call costs a lookup and a copy of the
// canned response into gRPC's response message (timed separately, see TimeResponses). Requests
// it has no response for fail with NOT_FOUND. Fill it before calling it.
class PayloadEchoDirectory final : public v1::AgencyDirectory::CallbackService {
 public:
  void Add(const v1::SearchAgenciesRequest& request, const v1::SearchAgenciesResponse& response) {
    searches_[request.SerializeAsString()] = response;
  }
  void Add(const v1::FindPartnersRequest& request, const v1::FindPartnersResponse& response) {
    partners_[request.SerializeAsString()] = response;
  }

  grpc::ServerUnaryReactor* SearchAgencies(grpc::CallbackServerContext* context,
                                           const v1::SearchAgenciesRequest* request,
                                           v1::SearchAgenciesResponse* response) override {
    return Answer(context, searches_, *request, response);
  }
  grpc::ServerUnaryReactor* FindPartners(grpc::CallbackServerContext* context,
                                         const v1::FindPartnersRequest* request,
                                         v1::FindPartnersResponse* response) override {
    return Answer(context, partners_, *request, response);
  }

 private:
  template <typename Request, typename Response>
  static grpc::ServerUnaryReactor* Answer(grpc::CallbackServerContext* context,
                                          const std::map<std::string, Response>& canned,
                                          const Request& request, Response* response) {
    auto* reactor = context->DefaultReactor();
    auto it = canned.find(request.SerializeAsString());
    if (it == canned.end()) {
      reactor->Finish(grpc::Status(grpc::StatusCode::NOT_FOUND, "no canned response"));
    } else {
      response->CopyFrom(it->second);
      reactor->Finish(grpc::Status::OK);
    }
    return reactor;
  }

  std::map<std::string, v1::SearchAgenciesResponse> searches_;
  std::map<std::string, v1::FindPartnersResponse> partners_;
};

// The responses caseserver gives to `queries`, one call each over `channel`, kept in `payload`
// and their serialized sizes in the queries. Exits if a call fails or returns a different number
// of results than the data predicts.
template <typename Response>
std::vector<Response> Capture(const std::shared_ptr<grpc::Channel>& channel,
                              std::vector<Query>* queries, PayloadEchoDirectory* payload) {
  auto stub = v1::AgencyDirectory::NewStub(channel);
  std::vector<Response> responses;
  for (auto& query : *queries) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
    Response response;
    grpc::Status status;
    int got = 0;
    if constexpr (std::is_same_v<Response, v1::SearchAgenciesResponse>) {
      const auto request = SearchRequestOf(query);
      status = stub->SearchAgencies(&context, request, &response);
      got = response.matches_size();
      if (status.ok()) payload->Add(request, response);
    } else {
      const auto request = PartnersRequestOf(query);
      status = stub->FindPartners(&context, request, &response);
      got = response.partners_size();
      if (status.ok()) payload->Add(request, response);
    }
    if (!status.ok() || got != query.expected) {
      std::fprintf(stderr, "directory_bench: capturing %s: %s, %d results, expected %d\n",
                   Describe(query).c_str(), status.error_message().c_str(), got, query.expected);
      std::exit(1);
    }
    query.response_bytes = response.ByteSizeLong();
    responses.push_back(std::move(response));
  }
  return responses;
}

// ---- the in-process copy, for attribution ----

template <typename T>
T OrDie(Result<T> result, const char* what) {
  if (!result.ok()) {
    std::fprintf(stderr, "directory_bench: %s: %s\n", what, result.status().ToString().c_str());
    std::exit(1);
  }
  return std::move(result).value();
}

void OrDie(const Status& status, const char* what) {
  if (!status.ok()) {
    std::fprintf(stderr, "directory_bench: %s: %s\n", what, status.ToString().c_str());
    std::exit(1);
  }
}

// The same agencies in an encrypted storage::Storage of its own (the server's options), behind
// an AgencyStore, written in batches of 200 without audit entries.
class LocalDirectory {
 public:
  LocalDirectory(const std::vector<std::string>& ids, const std::vector<v1::Agency>& agencies) {
    storage::StorageOptions options;
    options.path = dir_.Sub("db");
    options.keyring =
        std::make_shared<const storage::Keyring>(storage::KeyEncryptionKey::Generate());
    storage_ = OrDie(storage::Storage::Open(options), "opening the local database");
    // The lists hold every tag and district the generated agencies use (labels are the ids).
    for (const auto& agency : agencies) {
      for (const auto& tag : agency.issue_tags()) {
        terms_.PutActive(vocab::Vocabulary::kIssueTags, tag, tag);
      }
      for (const auto& district : agency.districts()) {
        terms_.PutActive(vocab::Vocabulary::kDistricts, district, district);
      }
    }
    store_ = std::make_unique<directory::AgencyStore>(*storage_, terms_, SystemClock::Instance());
    const auto start = Clock::now();
    for (size_t begin = 0; begin < agencies.size(); begin += 200) {
      storage::WriteBatch batch(*storage_);
      for (size_t n = begin; n < std::min(agencies.size(), begin + 200); ++n) {
        OrDie(store_->PrepareCreate(ids[n], agencies[n], &batch), "preparing a local agency");
      }
      Status committed = storage_->Commit(batch);
      if (!committed.ok()) {
        std::fprintf(stderr, "directory_bench: local commit: %s\n", committed.ToString().c_str());
        std::exit(1);
      }
    }
    load_seconds_ = std::chrono::duration<double>(Clock::now() - start).count();
    TimeCatalog(ids.front(), agencies.front());
  }

  double load_seconds() const { return load_seconds_; }

  // What the in-memory catalog costs outside queries: loading it from the records (at start-up),
  // building its first snapshot, and rebuilding the snapshot after one change (which the first
  // query after any write pays).
  void TimeCatalog(const std::string& id, const v1::Agency& agency) {
    auto ms_since = [](Clock::time_point start) {
      return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
    };
    auto start = Clock::now();
    OrDie(store_->LoadCatalog(), "loading the catalog");
    catalog_load_ms_ = ms_since(start);
    start = Clock::now();
    OrDie(store_->Search("相談", 1), "the first search");
    snapshot_build_ms_ = ms_since(start);
    v1::Agency patch;
    patch.set_name("agencies/" + id);
    patch.set_phone(agency.phone());  // unchanged content; still a new record version
    v1::FieldMask mask;
    mask.add_paths("phone");
    storage::WriteBatch batch(*storage_);
    OrDie(store_->PrepareUpdate(patch, mask, &batch), "preparing an update");
    OrDie(storage_->Commit(batch), "committing an update");
    start = Clock::now();
    OrDie(store_->Search("相談", 1), "the search after a change");
    snapshot_rebuild_ms_ = ms_since(start);
  }
  std::string CatalogCosts() const {
    char text[200];
    std::snprintf(text, sizeof(text),
                  "loading it %.1f ms, its first snapshot %.1f ms, the snapshot after one change "
                  "%.1f ms",
                  catalog_load_ms_, snapshot_build_ms_, snapshot_rebuild_ms_);
    return text;
  }

  // Flushes the memtables and compacts: afterwards every read goes through table files and the
  // block cache, as in a server that has run for a while.
  void Compact() {
    Status compacted = storage_->CompactAll();
    if (!compacted.ok()) {
      std::fprintf(stderr, "directory_bench: compacting: %s\n", compacted.ToString().c_str());
      std::exit(1);
    }
  }

  // Runs `query` once; returns the number of results, or -1 on an error (printed).
  int Run(const Query& query) const {
    if (query.kind == Kind::kSearch) {
      auto matches = store_->Search(query.text, ResultsPerPage(), nullptr, v1::AGENCY_VIEW_BASIC);
      if (matches.ok()) return static_cast<int>(matches->size());
      std::fprintf(stderr, "directory_bench: local Search: %s\n",
                   matches.status().ToString().c_str());
    } else {
      auto partners =
          store_->FindPartners(query.tags, query.district, ResultsPerPage(), v1::AGENCY_VIEW_BASIC);
      if (partners.ok()) return static_cast<int>(partners->size());
      std::fprintf(stderr, "directory_bench: local FindPartners: %s\n",
                   partners.status().ToString().c_str());
    }
    return -1;
  }

 private:
  testing::TempDir dir_;
  std::unique_ptr<storage::Storage> storage_;
  vocab::TermCatalog terms_;
  std::unique_ptr<directory::AgencyStore> store_;
  double load_seconds_ = 0;
  double catalog_load_ms_ = 0;
  double snapshot_build_ms_ = 0;
  double snapshot_rebuild_ms_ = 0;
};

// ---- the measured load ----

struct Workload {
  std::string name;
  Kind kind = Kind::kEcho;
  const Target* target = nullptr;
  const std::vector<Query>* queries = nullptr;  // cycled through; null for echo
};

struct Tally {
  uint64_t calls = 0;  // completed inside the measured windows
  double seconds = 0;
  std::vector<std::vector<float>> latencies_us;  // per query (one list for echo)
  uint64_t completed = 0;                        // over whole slices
  double cpu_seconds = 0;  // of the whole process: clients, TLS on both ends, the servers
  Clock::time_point window_start, window_end;  // the last slice's measured window
};

struct Measurement {
  double qps = 0;
  double p50_us = NAN;
  double p99_us = NAN;
  double cpu_us_per_call = NAN;
};

double ProcessCpuSeconds() {
  timespec now{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &now);
  return static_cast<double>(now.tv_sec) + static_cast<double>(now.tv_nsec) / 1e9;
}

std::vector<float> Pooled(const Tally& tally) {
  std::vector<float> all;
  for (const auto& list : tally.latencies_us) all.insert(all.end(), list.begin(), list.end());
  return all;
}

Measurement ResultOf(const Tally& tally) {
  std::vector<float> all = Pooled(tally);
  return Measurement{tally.calls / tally.seconds, Percentile(all, 0.50), Percentile(all, 0.99),
                     tally.cpu_seconds * 1e6 / static_cast<double>(tally.completed)};
}

// Calls the workload's method with query `q` in `context`; checks the number of results.
grpc::Status CallOnce(const Workload& workload, v1::Admin::Stub& admin,
                      v1::AgencyDirectory::Stub& directory, size_t q,
                      grpc::ClientContext* context) {
  if (workload.kind == Kind::kEcho) {
    v1::GetServerInfoRequest request;
    v1::ServerInfo response;
    return admin.GetServerInfo(context, request, &response);
  }
  const Query& query = (*workload.queries)[q];
  grpc::Status status;
  int got = 0;
  if (workload.kind == Kind::kSearch) {
    v1::SearchAgenciesResponse response;
    status = directory.SearchAgencies(context, SearchRequestOf(query), &response);
    got = response.matches_size();
  } else {
    v1::FindPartnersRequest request = PartnersRequestOf(query);
    v1::FindPartnersResponse response;
    status = directory.FindPartners(context, request, &response);
    got = response.partners_size();
  }
  if (status.ok() && got != query.expected) {
    return grpc::Status(grpc::StatusCode::INTERNAL, Describe(query) + ": " + std::to_string(got) +
                                                        " results, expected " +
                                                        std::to_string(query.expected));
  }
  return status;
}

// Waits (at most 5 s) until this process is nearly idle: after a slice of slow calls is
// cancelled, the server's workers finish the calls they had started, which must not be charged
// to the next slice.
void Settle() {
  for (int i = 0; i < 100; ++i) {
    const double before = ProcessCpuSeconds();
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    if ((ProcessCpuSeconds() - before) / 0.05 < 0.2) return;
  }
}

// The call a client thread has in flight, so that the slice can cancel it at its end.
struct InFlight {
  std::mutex mutex;
  grpc::ClientContext* context = nullptr;
};

// `concurrency` client threads, each with blocking stubs on channel (i mod channels), calling back
// to back and cycling through the workload's queries (thread i starts at query i): warm-up, then a
// measured window. A call counts (for QPS and latency) if it completes inside the window. At the
// end of the window the calls still in flight are cancelled: at concurrency 64 a slow method has
// calls queued for seconds, and waiting for them would stretch every slice. Any failed or wrong
// call ends the program.
void RunSlice(const Workload& workload, int concurrency, double warmup_seconds, double seconds,
              Tally* tally) {
  const size_t query_count = workload.queries == nullptr ? 1 : workload.queries->size();
  const int channels =
      std::min<int>(concurrency, static_cast<int>(workload.target->channels.size()));
  std::atomic<int> phase{0};  // 0 warm-up, 1 measuring, 2 stop
  std::atomic<int> errors{0};
  std::atomic<uint64_t> completed{0};
  std::vector<std::vector<std::vector<float>>> latencies(
      concurrency, std::vector<std::vector<float>>(query_count));
  std::vector<InFlight> in_flight(concurrency);
  std::vector<std::thread> clients;
  const double cpu_start = ProcessCpuSeconds();
  for (int i = 0; i < concurrency; ++i) {
    clients.emplace_back([&, i] {
      const auto& channel = workload.target->channels[i % channels];
      auto admin = v1::Admin::NewStub(channel);
      auto directory = v1::AgencyDirectory::NewStub(channel);
      auto& mine = latencies[i];
      auto publish = [&slot = in_flight[i]](grpc::ClientContext* context) {
        std::lock_guard<std::mutex> lock(slot.mutex);
        slot.context = context;
      };
      uint64_t done = 0;
      for (size_t n = static_cast<size_t>(i);; ++n) {
        const size_t q = n % query_count;
        grpc::ClientContext context;
        context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
        publish(&context);
        // Checked after publishing, so that a cancel issued after this check reaches the call.
        if (phase.load() == 2) {
          publish(nullptr);
          break;
        }
        auto start = Clock::now();
        grpc::Status status = CallOnce(workload, *admin, *directory, q, &context);
        auto end = Clock::now();
        publish(nullptr);
        const int after = phase.load();
        if (!status.ok()) {
          if (after == 2 && status.error_code() == grpc::StatusCode::CANCELLED) break;
          if (errors.fetch_add(1) < 3) {
            std::fprintf(stderr, "directory_bench: %s: %s\n", workload.name.c_str(),
                         status.error_message().c_str());
          }
          continue;
        }
        ++done;
        if (after == 1) {
          mine[q].push_back(std::chrono::duration<float, std::micro>(end - start).count());
        }
      }
      completed += done;
    });
  }
  const double measured = MeasureWindow(phase, warmup_seconds, seconds);
  tally->window_end = Clock::now();
  tally->window_start = tally->window_end - std::chrono::duration_cast<Clock::duration>(
                                                std::chrono::duration<double>(measured));
  for (auto& slot : in_flight) {
    std::lock_guard<std::mutex> lock(slot.mutex);
    if (slot.context != nullptr) slot.context->TryCancel();
  }
  for (auto& client : clients) client.join();
  const double cpu_end = ProcessCpuSeconds();
  if (errors > 0) {
    // Failed calls are fast; counting them would flatter the target, so the figures are void.
    std::fprintf(stderr, "directory_bench: %d failed or wrong calls to %s\n", errors.load(),
                 workload.name.c_str());
    std::exit(1);
  }
  tally->latencies_us.resize(query_count);
  for (auto& mine : latencies) {
    for (size_t q = 0; q < query_count; ++q) {
      tally->calls += mine[q].size();
      tally->latencies_us[q].insert(tally->latencies_us[q].end(), mine[q].begin(), mine[q].end());
    }
  }
  tally->seconds += measured;
  tally->completed += completed;
  tally->cpu_seconds += cpu_end - cpu_start;
  Settle();
}

constexpr size_t kTargets = 5;
enum { kEcho = 0, kPayloadSearch = 1, kPayloadPartners = 2, kSearch = 3, kPartners = 4 };
using Workloads = std::array<const Workload*, kTargets>;

// Warms every workload, then runs slices in the order o, reverse(o), o, ... (o = the workloads
// rotated by `rotation`) until each has had `seconds` of measured time; adds to `tallies`. Each
// slice's warm-up lasts 1.5 times the mean latency the workload showed in its first warm-up
// (0.05 s to 2 s, stored in `warmups`): a closed loop restarted with all its clients at once
// finishes its cheap queries first, and counting from the start would flatter a target whose
// calls take longer than the window.
void Interleave(const Workloads& workloads, int concurrency, double seconds, int rotation,
                std::array<Tally, kTargets>* tallies, std::array<double, kTargets>* warmups) {
  std::array<size_t, kTargets> order;
  for (size_t k = 0; k < kTargets; ++k) order[k] = (k + rotation) % kTargets;
  for (size_t t : order) {
    Tally first;
    RunSlice(*workloads[t], concurrency, 0, std::min(0.5, seconds / 4), &first);
    // Little's law: the mean latency of a closed loop is its concurrency over its throughput.
    const double latency = first.calls == 0 ? INFINITY : concurrency * first.seconds / first.calls;
    (*warmups)[t] = std::clamp(1.5 * latency, kSliceWarmupSeconds, kMaxSliceWarmupSeconds);
  }
  int passes = std::max(2, static_cast<int>(std::lround(seconds / kSliceSeconds)));
  for (int i = 0; i < passes; ++i) {
    for (size_t k = 0; k < kTargets; ++k) {
      size_t t = i % 2 == 0 ? order[k] : order[kTargets - 1 - k];
      RunSlice(*workloads[t], concurrency, (*warmups)[t], seconds / passes, &(*tallies)[t]);
    }
  }
}

double ThreadCpuSeconds() {
  timespec now{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
  return static_cast<double>(now.tv_sec) + static_cast<double>(now.tv_nsec) / 1e9;
}

// Per-query in-process timings of the local copy: the queries in turn (as the RPC clients send
// them, so that one query's data is not left hot in the cache for its next run), for `seconds` per
// query and at least 10 calls each. Wall time, and this thread's CPU time, which other processes
// on the machine do not inflate.
struct LocalTimings {
  std::vector<std::vector<float>> wall_us;
  std::vector<std::vector<float>> cpu_us;
};

LocalTimings TimeLocally(const LocalDirectory& local, const std::vector<Query>& queries,
                         double seconds) {
  LocalTimings timings{std::vector<std::vector<float>>(queries.size()),
                       std::vector<std::vector<float>>(queries.size())};
  for (const auto& query : queries) local.Run(query);  // warm-up
  const auto until =
      Clock::now() + std::chrono::duration<double>(seconds * static_cast<double>(queries.size()));
  for (size_t n = 0; Clock::now() < until || n < 10 * queries.size(); ++n) {
    const size_t q = n % queries.size();
    const auto start = Clock::now();
    const double cpu_start = ThreadCpuSeconds();
    int got = local.Run(queries[q]);
    timings.cpu_us[q].push_back(static_cast<float>((ThreadCpuSeconds() - cpu_start) * 1e6));
    timings.wall_us[q].push_back(
        std::chrono::duration<float, std::micro>(Clock::now() - start).count());
    if (got != queries[q].expected) {
      std::fprintf(stderr, "directory_bench: local %s: %d results, expected %d\n",
                   Describe(queries[q]).c_str(), got, queries[q].expected);
      std::exit(1);
    }
  }
  return timings;
}

// CPU per response on this thread, averaged over a query mix's captured responses: copying one
// (what the payload echo does per call, destruction included), serializing it (the server's side)
// and parsing it (the client's side, destruction included).
struct ResponseCosts {
  double bytes = 0;
  double copy_us = 0;
  double serialize_us = 0;
  double parse_us = 0;
};

template <typename Response>
ResponseCosts TimeResponses(const std::vector<Response>& responses) {
  constexpr int kRepeats = 300;
  ResponseCosts costs;
  std::vector<std::string> wires;
  for (const auto& response : responses) {
    wires.push_back(response.SerializeAsString());
    costs.bytes += static_cast<double>(wires.back().size());
  }
  const double count = static_cast<double>(responses.size());
  costs.bytes /= count;
  size_t sink = 0;
  double start = ThreadCpuSeconds();
  for (int i = 0; i < kRepeats; ++i) {
    for (const auto& response : responses) {
      Response copy;
      copy.CopyFrom(response);
      sink += copy.GetCachedSize();
    }
  }
  costs.copy_us = (ThreadCpuSeconds() - start) * 1e6 / (kRepeats * count);
  start = ThreadCpuSeconds();
  for (int i = 0; i < kRepeats; ++i) {
    for (const auto& response : responses) sink += response.SerializeAsString().size();
  }
  costs.serialize_us = (ThreadCpuSeconds() - start) * 1e6 / (kRepeats * count);
  start = ThreadCpuSeconds();
  for (int i = 0; i < kRepeats; ++i) {
    for (const auto& wire : wires) {
      Response parsed;
      if (!parsed.ParseFromString(wire)) std::exit(1);
      sink += parsed.GetCachedSize();
    }
  }
  costs.parse_us = (ThreadCpuSeconds() - start) * 1e6 / (kRepeats * count);
  if (sink == 1) std::printf(" ");  // keeps the loops
  return costs;
}

// `text` followed by spaces up to `columns` terminal columns (Japanese characters take two).
std::string Padded(const std::string& text, size_t columns) {
  const size_t width = text::DisplayWidth(text);
  return text + std::string(width < columns ? columns - width : 0, ' ');
}

void PrintQueryTable(const char* title, const std::vector<Query>& queries, Tally& rpc,
                     Tally& payload, LocalTimings& local, LocalTimings& compacted) {
  std::printf(
      "\n%s, latency in us. bytes: the response. RPC and payload echo (PE): concurrency 1 over "
      "TLS, all rounds. Store: AgencyStore in-process, wall p50/p99 and thread CPU p50, as loaded "
      "(memtables) and after compaction\n",
      title);
  std::printf("%-21s %s %6s %4s %6s %6s %8s %8s %7s %7s %7s %7s %7s %7s\n", "class",
              Padded("query", 38).c_str(), "match", "ret", "loaded", "bytes", "RPC p50", "RPC p99",
              "PE p50", "PE p99", "st p50", "st p99", "st CPU", "cmp CPU");
  for (size_t q = 0; q < queries.size(); ++q) {
    const Query& query = queries[q];
    std::string loaded = query.kind == Kind::kPartners ? std::to_string(query.loaded) : "-";
    std::printf("%-21s %s %6d %4d %6s %6zu %8.0f %8.0f %7.0f %7.0f %7.0f %7.0f %7.0f %7.0f\n",
                query.label.c_str(), Padded(Describe(query), 38).c_str(), query.matching,
                query.expected, loaded.c_str(), query.response_bytes,
                Percentile(rpc.latencies_us[q], 0.5), Percentile(rpc.latencies_us[q], 0.99),
                Percentile(payload.latencies_us[q], 0.5), Percentile(payload.latencies_us[q], 0.99),
                Percentile(local.wall_us[q], 0.5), Percentile(local.wall_us[q], 0.99),
                Percentile(local.cpu_us[q], 0.5), Percentile(compacted.cpu_us[q], 0.5));
  }
}

// The ratios reported per round and in the summary: numerator QPS / denominator QPS.
struct RatioSpec {
  const char* column;
  size_t numerator;
  size_t denominator;
};
constexpr RatioSpec kRatios[] = {
    {"srch/e", kSearch, kEcho},           {"prtn/e", kPartners, kEcho},
    {"srch/pe", kSearch, kPayloadSearch}, {"prtn/pe", kPartners, kPayloadPartners},
    {"pe-s/e", kPayloadSearch, kEcho},    {"pe-p/e", kPayloadPartners, kEcho},
};
constexpr size_t kRatioCount = std::size(kRatios);

// The ratio of target `t` to `denominator` in kRatios, or -1.
int RatioIndex(size_t t, size_t denominator) {
  for (size_t r = 0; r < kRatioCount; ++r) {
    if (kRatios[r].numerator == t && kRatios[r].denominator == denominator)
      return static_cast<int>(r);
  }
  return -1;
}

double MonotonicSeconds(Clock::time_point at) {
  return std::chrono::duration<double>(at.time_since_epoch()).count();
}

// --profile-seconds: each target alone at `concurrency` for `seconds` after a 1 s warm-up, with
// the bounds of its measured window on CLOCK_MONOTONIC (steady_clock), the clock that
// `perf record -k CLOCK_MONOTONIC` stamps its samples with.
void Profile(const Workloads& workloads, int concurrency, double seconds) {
  std::printf(
      "\nprofile: pid %d; each target alone at concurrency %d, measured for %.1f s after a 1 s "
      "warm-up; window in CLOCK_MONOTONIC seconds; CPU of the whole process over the whole "
      "slice\n",
      static_cast<int>(getpid()), concurrency, seconds);
  std::fflush(stdout);
  for (size_t t = 0; t < kTargets; ++t) {
    Tally tally;
    RunSlice(*workloads[t], concurrency, 1.0, seconds, &tally);
    const Measurement m = ResultOf(tally);
    std::printf(
        "profile: %-16s window %.6f %.6f  QPS %.0f  p50/p99 %.0f/%.0f us  CPU %.0f us/call\n",
        workloads[t]->name.c_str(), MonotonicSeconds(tally.window_start),
        MonotonicSeconds(tally.window_end), m.qps, m.p50_us, m.p99_us, m.cpu_us_per_call);
    std::fflush(stdout);
  }
}

int Main(int argc, char** argv) {
  Flags flags;
  ParseFlags(argc, argv,
             "directory_bench [--agencies 10000] [--seconds S] [--rounds R] [--concurrency 64] "
             "[--load-concurrency 64] [--store-seconds S] [--seed N] [--page-size N] "
             "[--profile-seconds S]",
             FlagSpec{{{"--seconds", &flags.seconds},
                       {"--store-seconds", &flags.store_seconds},
                       {"--profile-seconds", &flags.profile_seconds}},
                      {{"--agencies", &flags.agencies},
                       {"--rounds", &flags.rounds},
                       {"--concurrency", &flags.concurrency},
                       {"--load-concurrency", &flags.load_concurrency},
                       {"--seed", &flags.seed},
                       {"--page-size", &g_page_size}},
                      {}});
  // The servers' startup and shutdown lines would interleave with the tables.
  log::SetMinimumLevel(log::Level::kWarning);

  // ---- data ----
  Generator generator(static_cast<uint64_t>(flags.seed));
  std::vector<std::string> ids;
  std::vector<v1::Agency> agencies;
  for (int n = 0; n < flags.agencies; ++n) {
    auto [id, agency] = generator.Next(n);
    ids.push_back(std::move(id));
    agencies.push_back(std::move(agency));
  }
  std::vector<Query> search_queries = SearchQueries(agencies);
  std::vector<Query> partner_queries = PartnerQueries();
  Predict(agencies, &search_queries);
  Predict(agencies, &partner_queries);

  // ---- servers and connections ----
  // Production mode, mutual TLS, 16 workers; the generated districts and tags in its lists.
  testing::TestServer caseserver(
      testing::TestServerOptions{.extra_vocabulary_csv = bench::GeneratedVocabularyCsv()});
  EchoAdminService echo_service;
  TlsServer echo(caseserver.ca(), caseserver.config(), &echo_service);
  PayloadEchoDirectory payload_service;  // filled once the directory is loaded
  TlsServer payload(caseserver.ca(), caseserver.config(), &payload_service);
  // Readers are TestServer's active sample users whose role may read the directory: every role
  // but planners, who see aggregates only.
  std::vector<std::string> users;
  for (const auto& user : testing::kSampleUsers) {
    if (user != "disabled" && user != "planner") users.push_back(user);
  }
  Target echo_target{"echo", {}};
  Target payload_target{"payload echo", {}};
  Target ours_target{"caseserver", {}};
  Target loader_target{"caseserver as admin", {}};
  for (int i = 0; i < kMaxChannels; ++i) {
    const std::string& user = users[i % users.size()];
    testing::KeyPair pair = caseserver.ca().IssueClient(user);
    echo_target.channels.push_back(client::Connect(client::ConnectionPems{
        echo.target(), caseserver.ca().root_pem(), pair.certificate_pem, pair.private_key_pem}));
    payload_target.channels.push_back(client::Connect(client::ConnectionPems{
        payload.target(), caseserver.ca().root_pem(), pair.certificate_pem, pair.private_key_pem}));
    ours_target.channels.push_back(caseserver.ChannelFor(user));
    loader_target.channels.push_back(caseserver.ChannelFor(kLoader));
  }
  WaitConnected(echo_target);
  WaitConnected(payload_target);
  WaitConnected(ours_target);
  WaitConnected(loader_target);

  std::printf(
      "directory_bench: %d generated agencies (seed %d), caseserver production mode, mutual TLS, "
      "16 workers; %u hardware threads\n\n",
      flags.agencies, flags.seed, std::thread::hardware_concurrency());

  // ---- load ----
  LoadResult load = LoadThroughRpc(ids, agencies, loader_target, flags.load_concurrency);
  std::printf(
      "load: %zu CreateAgency calls as %s from %d threads over %zu TLS connections: %.1f s, "
      "%.0f agencies/s, per call p50 %.0f us, p99 %.0f us\n",
      agencies.size(), kLoader, flags.load_concurrency, loader_target.channels.size(), load.seconds,
      agencies.size() / load.seconds, Percentile(load.latencies_us, 0.5),
      Percentile(load.latencies_us, 0.99));
  LocalDirectory local(ids, agencies);
  std::printf(
      "local copy: the same agencies written in-process in batches of 200 (no RPC, no audit): "
      "%.1f s, %.0f agencies/s; in-memory catalog: %s\n",
      local.load_seconds(), agencies.size() / local.load_seconds(), local.CatalogCosts().c_str());
  {
    std::vector<int> coverage(kTagCount, 0);
    size_t active = 0, referring = 0, bytes = 0;
    for (const auto& agency : agencies) {
      for (const auto& tag : agency.issue_tags()) {
        coverage[std::find(std::begin(kTags), std::end(kTags), tag) - std::begin(kTags)]++;
      }
      active += agency.state() == v1::Agency::ACTIVE;
      referring += agency.accepts_referrals();
      bytes += agency.ByteSizeLong();
    }
    std::printf(
        "data: %.0f%% active, %.0f%% accept referrals, mean record %zu bytes; agencies per "
        "tag:",
        100.0 * active / agencies.size(), 100.0 * referring / agencies.size(),
        bytes / agencies.size());
    for (int t = 0; t < kTagCount; ++t) std::printf(" %s %d", kTags[t], coverage[t]);
    std::printf("\n");
  }

  // ---- the payload echo's answers, and what carrying them costs ----
  const auto search_responses = Capture<v1::SearchAgenciesResponse>(
      ours_target.channels[0], &search_queries, &payload_service);
  const auto partner_responses = Capture<v1::FindPartnersResponse>(
      ours_target.channels[0], &partner_queries, &payload_service);
  {
    size_t full_pages = 0, full_page_bytes = 0;
    for (const auto* queries : {&search_queries, &partner_queries}) {
      for (const auto& query : *queries) {
        if (query.kind == Kind::kSearch && query.expected == ResultsPerPage()) {
          ++full_pages;
          full_page_bytes += query.response_bytes;
        }
      }
    }
    std::printf(
        "\nresponses captured for the payload echo; a search page of %d agencies is %.0f bytes on "
        "average. CPU per response, this thread, mean over the query mix:\n",
        ResultsPerPage(),
        full_pages == 0 ? NAN : static_cast<double>(full_page_bytes) / full_pages);
    std::printf("%-32s %9s %9s %13s %9s\n", "responses", "bytes", "copy us", "serialize us",
                "parse us");
    const std::pair<const char*, ResponseCosts> costs[] = {
        {"search", TimeResponses(search_responses)},
        {"partners", TimeResponses(partner_responses)}};
    for (const auto& [name, cost] : costs) {
      std::printf("%-32s %9.0f %9.1f %13.1f %9.1f\n", name, cost.bytes, cost.copy_us,
                  cost.serialize_us, cost.parse_us);
    }
  }

  // ---- in-process timings ----
  auto local_search = TimeLocally(local, search_queries, flags.store_seconds);
  auto local_partners = TimeLocally(local, partner_queries, flags.store_seconds);
  local.Compact();
  auto compacted_search = TimeLocally(local, search_queries, flags.store_seconds);
  auto compacted_partners = TimeLocally(local, partner_queries, flags.store_seconds);

  // ---- RPC: latency at concurrency 1, then QPS at --concurrency ----
  const Workload echo_load{"echo", Kind::kEcho, &echo_target, nullptr};
  const Workload payload_search_load{"payload search", Kind::kSearch, &payload_target,
                                     &search_queries};
  const Workload payload_partners_load{"payload partners", Kind::kPartners, &payload_target,
                                       &partner_queries};
  const Workload search_load{"search", Kind::kSearch, &ours_target, &search_queries};
  const Workload partners_load{"partners", Kind::kPartners, &ours_target, &partner_queries};
  const Workloads workloads = {&echo_load, &payload_search_load, &payload_partners_load,
                               &search_load, &partners_load};

  if (flags.profile_seconds > 0) {
    Profile(workloads, flags.concurrency, flags.profile_seconds);
    return 0;
  }

  std::printf(
      "\nRPC: closed loop, %d rounds, %.1f s measured per target and concurrency (in %.1f s "
      "slices, alternating echo / payload echo for search / payload echo for partners / search / "
      "partners); each client cycles through the queries below. QPS, then QPS ratios: srch = "
      "search, prtn = partners, e = echo, pe = the payload echo of the same method\n",
      flags.rounds, flags.seconds, kSliceSeconds);
  std::printf("%-5s %5s %8s %8s %8s %8s %8s", "round", "conc", "echo", "pe-srch", "pe-prtn",
              "search", "partners");
  for (const auto& ratio : kRatios) std::printf(" %8s", ratio.column);
  std::printf("\n");
  const std::array<int, 2> levels = {1, flags.concurrency};
  // [level][target]: pooled over rounds; per-round ratios per level.
  std::array<std::array<Tally, kTargets>, 2> pooled;
  std::array<std::array<std::vector<double>, kRatioCount>, 2> ratios;
  std::array<std::array<std::vector<double>, kTargets>, 2> round_qps;
  std::array<std::array<std::vector<double>, kTargets>, 2> round_cpu;
  std::array<std::array<std::vector<double>, kTargets>, 2> round_warmup;
  for (int round = 0; round < flags.rounds; ++round) {
    for (size_t level = 0; level < levels.size(); ++level) {
      std::array<Tally, kTargets> tallies;
      std::array<double, kTargets> warmups;
      Interleave(workloads, levels[level], flags.seconds, round % static_cast<int>(kTargets),
                 &tallies, &warmups);
      std::array<Measurement, kTargets> m;
      for (size_t t = 0; t < kTargets; ++t) {
        m[t] = ResultOf(tallies[t]);
        round_qps[level][t].push_back(m[t].qps);
        round_cpu[level][t].push_back(m[t].cpu_us_per_call);
        round_warmup[level][t].push_back(warmups[t]);
        Tally& into = pooled[level][t];
        into.latencies_us.resize(tallies[t].latencies_us.size());
        for (size_t q = 0; q < tallies[t].latencies_us.size(); ++q) {
          into.latencies_us[q].insert(into.latencies_us[q].end(),
                                      tallies[t].latencies_us[q].begin(),
                                      tallies[t].latencies_us[q].end());
        }
      }
      std::printf("%-5d %5d", round + 1, levels[level]);
      for (size_t t = 0; t < kTargets; ++t) std::printf(" %8.0f", m[t].qps);
      for (size_t r = 0; r < kRatioCount; ++r) {
        ratios[level][r].push_back(m[kRatios[r].numerator].qps / m[kRatios[r].denominator].qps);
        std::printf(" %8.3f", ratios[level][r].back());
      }
      std::printf("\n");
      std::fflush(stdout);
    }
  }

  std::printf(
      "\nsummary (QPS and CPU: medians over rounds; p50/p99: all measured calls of all rounds; "
      "CPU = this whole process, clients and TLS included, per completed call; ratios: medians "
      "of the per-round ratios)\n");
  std::printf("%5s %-16s %9s %9s %9s %12s %11s %9s %13s\n", "conc", "target", "QPS", "p50 us",
              "p99 us", "CPU us/call", "warm-up s", "to echo", "to payload e.");
  for (size_t level = 0; level < levels.size(); ++level) {
    for (size_t t = 0; t < kTargets; ++t) {
      std::vector<float> all = Pooled(pooled[level][t]);
      std::printf("%5d %-16s %9.0f %9.0f %9.0f %12.0f %11.2f", levels[level],
                  workloads[t]->name.c_str(), Median(round_qps[level][t]), Percentile(all, 0.5),
                  Percentile(all, 0.99), Median(round_cpu[level][t]),
                  Median(round_warmup[level][t]));
      for (size_t denominator :
           {static_cast<size_t>(kEcho),
            static_cast<size_t>(t == kSearch ? kPayloadSearch : kPayloadPartners)}) {
        const int r = RatioIndex(t, denominator);
        if (r < 0) {
          std::printf(denominator == kEcho ? " %9s" : " %13s", "-");
        } else {
          std::printf(denominator == kEcho ? " %9.3f" : " %13.3f", Median(ratios[level][r]));
        }
      }
      std::printf("\n");
    }
  }
  {
    // Where the extra CPU of a call goes, by difference between the targets (medians, c=64).
    const auto& cpu = round_cpu[1];
    std::printf(
        "\nCPU per call at concurrency %d, by difference (whole process, medians over rounds):\n",
        flags.concurrency);
    for (const auto& [name, ours, baseline] :
         {std::tuple{"search", kSearch, kPayloadSearch},
          std::tuple{"partners", kPartners, kPayloadPartners}}) {
      const double echo_cpu = Median(cpu[kEcho]);
      const double payload_cpu = Median(cpu[baseline]);
      const double ours_cpu = Median(cpu[ours]);
      std::printf(
          "%-9s %5.0f us = echo %3.0f + carrying the response (payload echo - echo) %4.0f + the "
          "server's own work (%s - payload echo) %4.0f\n",
          name, ours_cpu, echo_cpu, payload_cpu - echo_cpu, name, ours_cpu - payload_cpu);
    }
  }

  PrintQueryTable("SearchAgencies per query", search_queries, pooled[0][kSearch],
                  pooled[0][kPayloadSearch], local_search, compacted_search);
  PrintQueryTable("FindPartners per query", partner_queries, pooled[0][kPartners],
                  pooled[0][kPayloadPartners], local_partners, compacted_partners);

  std::printf("\n");
  for (size_t t : {kSearch, kPartners}) {
    std::vector<float> all = Pooled(pooled[0][t]);
    const double p99 = Percentile(all, 0.99);
    std::printf("%-8s p99 at concurrency 1: %.0f us (goal <= %.0f us: %s)\n",
                workloads[t]->name.c_str(), p99, kGoalP99Us, p99 <= kGoalP99Us ? "met" : "NOT met");
  }
  for (size_t t : {kSearch, kPartners}) {
    const double ratio = Median(ratios[1][RatioIndex(t, kEcho)]);
    const double payload_ratio =
        Median(ratios[1][RatioIndex(t, t == kSearch ? kPayloadSearch : kPayloadPartners)]);
    std::printf(
        "%-8s QPS / echo QPS at concurrency %d: %.2f (goal >= %.2f: %s); QPS / payload echo "
        "QPS: %.2f (no goal)\n",
        workloads[t]->name.c_str(), flags.concurrency, ratio, kGoalRatio,
        ratio >= kGoalRatio ? "met" : "NOT met", payload_ratio);
  }
  return 0;
}

}  // namespace
}  // namespace casecoord::bench

int main(int argc, char** argv) { return casecoord::bench::Main(argc, argv); }
