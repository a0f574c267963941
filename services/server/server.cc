#include "services/server/server.h"

#include <grpcpp/health_check_service_interface.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <sys/resource.h>

#include <algorithm>
#include <fstream>
#include <iterator>
#include <sstream>
#include <thread>

#include "services/admin/admin_service.h"
#include "services/advisers/advisers_service.h"
#include "services/cases/cases_service.h"
#include "services/common/fiscal_year.h"
#include "services/common/log.h"
#include "services/common/pagination.h"
#include "services/common/resource_names.h"
#include "services/directory/directory_service.h"
#include "services/meetings/meetings_service.h"
#include "services/monitoring/due_watcher.h"
#include "services/monitoring/monitoring_service.h"
#include "services/monitoring/monitoring_store.h"
#include "services/server/sign_in_setup.h"
#include "services/stats/statistics_service.h"
#include "services/storage/key_source.h"
#include "services/vocab/vocabularies_service.h"
#include "services/vocab/vocabulary_seed.h"

namespace casecoord::server {
namespace {

// HMAC-SHA256(secret, label): a key for one purpose, from which `secret` cannot be recovered.
std::string DerivedKey(const std::string& secret, std::string_view label) {
  unsigned char key[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(label.data()), label.size(), key, &size);
  return std::string(reinterpret_cast<char*>(key), size);
}

Result<std::string> ReadPem(const std::string& option, const std::string& path) {
  if (path.empty()) return Status::InvalidArgument(option, "must be set (a PEM file)");
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::InvalidArgument(option, "cannot read " + path);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

Result<std::shared_ptr<grpc::ServerCredentials>> TlsCredentials(const ServerConfig& config) {
  auto cert = ReadPem("tls-cert", config.tls_cert);
  if (!cert.ok()) return cert.status();
  auto key = ReadPem("tls-key", config.tls_key);
  if (!key.ok()) return key.status();
  auto client_ca = ReadPem("tls-client-ca", config.tls_client_ca);
  if (!client_ca.ok()) return client_ca.status();
  grpc::SslServerCredentialsOptions options(
      config.mode == Mode::kProduction ? GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY
                                       : GRPC_SSL_REQUEST_CLIENT_CERTIFICATE_AND_VERIFY);
  options.pem_root_certs = *client_ca;
  options.pem_key_cert_pairs.push_back({*key, *cert});
  return grpc::SslServerCredentials(options);
}

void LogAuditHead(const auth::AuditLog& audit, const char* when) {
  log::Info("audit head", {{"head", auth::FormatAuditHead(audit.head())}, {"when", when}});
}

struct SeedUser {
  const char* id;
  const char* display_name;
  v1::Role role;
  const char* agency;
};

// Creates `seed` through the audit log (as the "system" user) unless it exists already.
Status EnsureUser(storage::Storage& storage, auth::UserRegistry& users, auth::AuditLog& audit,
                  const SeedUser& seed) {
  if (users.Find(seed.id)) return Status::Ok();
  v1::User user;
  user.set_display_name(seed.display_name);
  user.add_roles(seed.role);
  user.set_agency(seed.agency);
  auto lock = users.LockForWrite();
  storage::WriteBatch batch(storage);
  auto created = users.PrepareCreate(seed.id, user, &batch);
  if (!created.ok()) return created.status();
  auth::AuditRecord record{"system",        "", "bootstrap", created->name(), "OK",
                           "configuration", "", {}};
  CASECOORD_RETURN_IF_ERROR(audit.Append(record, &batch));
  users.Publish(*created);
  log::Info("user created from configuration", {{"user", seed.id}});
  return Status::Ok();
}

// Statistics that other stores count from their own records (meetings held without a case), so
// that a recount of the case store covers every counter.
void AddRecounters(const meetings::MeetingStore& meetings, cases::CaseCounting& counting) {
  counting.AddRecounter([&meetings] { return meetings.RecountCounters(); });
}

Status SeedUsers(const ServerConfig& config, storage::Storage& storage, auth::UserRegistry& users,
                 auth::AuditLog& audit) {
  if (!config.bootstrap_admin.empty()) {
    CASECOORD_RETURN_IF_ERROR(EnsureUser(
        storage, users, audit,
        {config.bootstrap_admin.c_str(), "初期管理者 (bootstrap admin)", v1::ADMIN, ""}));
  }
  if (!config.demo_users) return Status::Ok();
  static const SeedUser kDemoUsers[] = {
      {"coordinator", "推進員 山田 (coordinator)", v1::COORDINATOR, ""},
      {"agency-staff", "包括支援センター 佐藤 (agency staff)", v1::AGENCY_STAFF,
       "agencies/kita-houkatsu-1"},
      {"adviser", "アドバイザー 鈴木 (adviser)", v1::ADVISER, ""},
      {"planner", "企画課 高橋 (planner)", v1::PLANNER, ""},
      {"auditor", "監査 田中 (auditor)", v1::AUDITOR, ""},
  };
  for (const auto& seed : kDemoUsers) {
    CASECOORD_RETURN_IF_ERROR(EnsureUser(storage, users, audit, seed));
  }
  return Status::Ok();
}

// Imports config.demo_directory (as the "system" user, audited) if the directory is empty.
Status SeedDirectory(const ServerConfig& config, storage::Storage& storage,
                     directory::AgencyStore& agencies, auth::AuditLog& audit) {
  if (config.demo_directory.empty()) return Status::Ok();
  auto first = agencies.List(directory::AgencyFilter{}, directory::AgencyOrder::kId, "", 1);
  if (!first.ok()) return first.status();
  if (!first->agencies.empty()) return Status::Ok();
  std::ifstream in(config.demo_directory, std::ios::binary);
  std::stringstream bytes;
  bytes << in.rdbuf();
  if (!in) {
    return Status(Reason::kDemoDirectoryUnreadable,
                  "demo-directory: cannot read " + config.demo_directory);
  }
  auto csv = directory::ParseAgencyCsv(bytes.str());
  if (!csv.ok()) return csv.status();
  auto lock = agencies.LockForWrite();
  storage::WriteBatch batch(storage);
  auto imported = agencies.PrepareImport(*csv, v1::AgencyImportOptions(), &batch);
  if (!imported.ok()) return imported.status();
  if (imported->rejected() > 0) {
    const v1::ImportProblem& problem = imported->problems(0);
    return Status(Reason::kDemoDirectoryInvalid, "demo-directory: " + config.demo_directory +
                                                     " line " + std::to_string(problem.line()) +
                                                     " " + problem.column_name() + ": " +
                                                     problem.problem());
  }
  auth::AuditRecord record{"system", "", "bootstrap", "agencies", "OK", "configuration", "", {}};
  CASECOORD_RETURN_IF_ERROR(audit.Append(record, &batch));
  log::Info("demo directory loaded",
            {{"file", config.demo_directory}, {"agencies", std::to_string(imported->created())}});
  return Status::Ok();
}

// Commits `batch` (prepared by a store) with an audit entry by the "system" user.
Status CommitAsSystem(auth::AuditLog& audit, const std::string& resource,
                      storage::WriteBatch* batch) {
  auth::AuditRecord record{"system", "", "bootstrap", resource, "OK", "configuration", "", {}};
  return audit.Append(record, batch);
}

v1::HouseholdMember DemoMember(const char* id, const char* name, const char* kana,
                               const char* relationship, bool principal,
                               std::initializer_list<const char*> tags) {
  v1::HouseholdMember member;
  member.set_member_id(id);
  member.set_display_name(name);
  member.set_kana(kana);
  member.set_relationship(relationship);
  member.set_principal(principal);
  for (const char* tag : tags) member.add_issue_tags(tag);
  return member;
}

struct DemoCase {
  const char* request_id;
  v1::Case household;
  v1::CaseState state;
};

// The three fictional households of the demo.
std::vector<DemoCase> DemoCases() {
  std::vector<DemoCase> demos(3);
  demos[0] = {"demo-8050", {}, v1::COORDINATING};
  *demos[0].household.add_members() =
      DemoMember("m1", "架空 一郎", "カクウ イチロウ", "本人", true, {"hikikomori"});
  *demos[0].household.add_members() =
      DemoMember("m2", "架空 花子", "カクウ ハナコ", "母", false, {"dementia"});
  demos[0].household.add_household_issue_tags("8050");
  demos[0].household.set_district("kita");
  demos[0].household.add_fields(v1::ELDERLY_CARE);
  demos[0].household.add_fields(v1::HEALTH);
  demos[0].household.set_referring_agency("agencies/kita-houkatsu-1");
  demos[0].household.set_presenting_problem(
      "母（82）の認知症が進み、同居の長男（54）は10年以上ほとんど外出していない。");
  demos[0].household.set_urgency(v1::PROMPT);
  demos[0].household.set_consent(v1::CONSENTED);
  demos[1] = {"demo-young-carer", {}, v1::INTAKE};
  *demos[1].household.add_members() =
      DemoMember("m1", "見本 さくら", "ミホン サクラ", "本人", true, {"young-carer"});
  *demos[1].household.add_members() =
      DemoMember("m2", "見本 恵子", "ミホン ケイコ", "母", false, {"mental-disability"});
  demos[1].household.set_district("minami");
  demos[1].household.add_fields(v1::CHILDREN);
  demos[1].household.add_fields(v1::DISABILITY);
  demos[1].household.set_referring_agency("agencies/kodomo-nanbu");
  demos[1].household.set_presenting_problem(
      "中学2年の長女が母の通院付き添いと家事を担い、欠席が続いている。");
  demos[1].household.set_urgency(v1::URGENT);
  demos[1].household.set_consent(v1::CONSENT_PENDING);
  demos[2] = {"demo-debt", {}, v1::COMPLETED_BY_ADVICE};
  *demos[2].household.add_members() =
      DemoMember("m1", "試験 健", "シケン ケン", "本人", true, {"debt", "unemployment"});
  demos[2].household.set_district("chuo");
  demos[2].household.add_fields(v1::POVERTY);
  demos[2].household.add_fields(v1::EMPLOYMENT);
  demos[2].household.set_referring_agency("agencies/yorisoi-chuo");
  demos[2].household.set_presenting_problem("失職後に家賃を滞納。家計相談と求職の窓口を案内した。");
  demos[2].household.set_urgency(v1::ROUTINE);
  demos[2].household.set_consent(v1::CONSENTED);
  return demos;
}

// Opens `demo` and moves it to its state; a case in coordination gets the referring agency on its
// team.
Status OpenDemoCase(const DemoCase& demo, storage::Storage& storage, cases::CaseStore& cases,
                    const cases::CaseReferrals& referrals, auth::AuditLog& audit) {
  auto lock = cases.LockNewCase();  // seeding runs before serving; held for the whole household
  storage::WriteBatch batch(storage);
  auto opened = cases.PrepareCreate("coordinator", demo.request_id, demo.household, &batch);
  if (!opened.ok()) return opened.status();
  CASECOORD_RETURN_IF_ERROR(CommitAsSystem(audit, opened->name(), &batch));
  if (demo.state == v1::INTAKE) return Status::Ok();
  v1::TransitionCaseRequest move;
  move.set_name(opened->name());
  move.set_to(demo.state);
  storage::WriteBatch moved(storage);
  auto transitioned = cases.PrepareTransition("coordinator", move, &moved);
  if (!transitioned.ok()) return transitioned.status();
  CASECOORD_RETURN_IF_ERROR(CommitAsSystem(audit, opened->name(), &moved));
  if (demo.state != v1::COORDINATING) return Status::Ok();
  // The referring 地域包括 joins the team, so the demo agency-staff user sees this case.
  v1::Referral ask;
  ask.set_agency("agencies/kita-houkatsu-1");
  ask.set_role(v1::PRINCIPAL_SUPPORT);
  ask.set_note("母の介護保険サービスの調整を継続してください。");
  storage::WriteBatch referred(storage);
  auto referral = referrals.PrepareRefer("coordinator", opened->name(), ask, &referred);
  if (!referral.ok()) return referral.status();
  CASECOORD_RETURN_IF_ERROR(CommitAsSystem(audit, referral->name(), &referred));
  v1::AnswerReferralRequest accept;
  accept.set_name(referral->name());
  storage::WriteBatch accepted(storage);
  auto answered = referrals.PrepareAnswer("agency-staff", accept,
                                          cases::CaseReferrals::Answer::kAccept, &accepted);
  if (!answered.ok()) return answered.status();
  CASECOORD_RETURN_IF_ERROR(CommitAsSystem(audit, referral->name(), &accepted));
  return Status::Ok();
}

// Opens three fictional households (an 8050 household in coordination with a team, a young carer
// at intake, a debt consultation completed by advice) if there are no cases yet.
Status SeedDemoCases(const ServerConfig& config, storage::Storage& storage, cases::CaseStore& cases,
                     const cases::CaseReferrals& referrals, auth::AuditLog& audit) {
  if (!config.demo_cases || !config.demo_users || config.demo_directory.empty()) {
    return Status::Ok();
  }
  auto existing = cases.List(cases::Viewer{true, ""}, cases::CaseFilter{}, "", 1);
  if (!existing.ok()) return existing.status();
  if (!existing->cases.empty()) return Status::Ok();
  const std::vector<DemoCase> demos = DemoCases();
  for (const DemoCase& demo : demos) {
    CASECOORD_RETURN_IF_ERROR(OpenDemoCase(demo, storage, cases, referrals, audit));
  }
  log::Info("demo cases opened", {{"cases", std::to_string(demos.size())}});
  return Status::Ok();
}

// A plan for the demo (make run), so that planners have indicators to look at: one bound to the
// cases' statistics, one to the directory's cooperation survey, one entered by hand.
Status SeedDemoPlan(const ServerConfig& config, storage::Storage& storage,
                    const stats::PlanStore& plans, auth::AuditLog& audit, const Clock& clock) {
  if (!config.demo_cases || !config.demo_users) return Status::Ok();
  auto existing = plans.List("", 1);
  if (!existing.ok()) return existing.status();
  if (!existing->plans.empty()) return Status::Ok();
  const int first = FiscalYearOf(clock.Now());
  v1::WelfarePlan plan;
  plan.set_display_name("第2期地域共生社会推進計画（架空）");
  plan.set_first_fiscal_year(first);
  plan.set_last_fiscal_year(first + 2);
  auto* goal = plan.add_policy_areas();
  goal->set_id("goal-1");
  goal->set_level(v1::BASIC_GOAL);
  goal->set_title("複合課題を抱える世帯を分野を超えて支える");
  auto* measure = plan.add_policy_areas();
  measure->set_id("measure-1");
  measure->set_level(v1::MEASURE);
  measure->set_title("総合相談支援体制の充実");
  measure->set_parent_id("goal-1");
  auto indicator = [&](const char* id, const char* name, v1::IndicatorUnit unit, double baseline,
                       double target) {
    v1::Indicator* out = plan.add_indicators();
    out->set_id(id);
    out->set_display_name(name);
    out->set_policy_area_id("measure-1");
    out->set_unit(unit);
    out->set_baseline_fiscal_year(first - 1);
    out->set_baseline_value(baseline);
    out->set_target_fiscal_year(first + 2);
    out->set_target_value(target);
    out->set_direction(v1::HIGHER_IS_BETTER);
    out->set_department("保健福祉企画総務課");
    return out;
  };
  v1::Indicator* resolved =
      indicator("resolved-cumulative", "円滑に解決した複合課題ケース数（累計）", v1::CASES, 0, 30);
  resolved->set_cumulative(true);
  auto* ref = resolved->mutable_binding()->mutable_statistic();
  ref->set_metric(v1::CASES_CLOSED);
  ref->set_dimension(v1::OUTCOME);
  ref->set_value("resolved");
  indicator("cooperation-share", "関係機関と密接に連携できている機関の割合", v1::PERCENT, 62.5, 80)
      ->mutable_binding()
      ->set_cooperation_survey_share(true);
  v1::Indicator* meetings =
      indicator("community-meetings", "地域ケア会議の開催回数", v1::TIMES, 12, 24);
  v1::IndicatorYear* year = meetings->add_years();
  year->set_fiscal_year(first);
  year->set_actual(15);
  year->set_achievements("各圏域で地域ケア会議を開催");
  year->set_next_steps("開催の少ない圏域を支援する");
  storage::WriteBatch batch(storage);
  auto created = plans.PrepareCreate("kyosei-demo", plan, clock.Now(), &batch);
  if (!created.ok()) return created.status();
  return CommitAsSystem(audit, created->name(), &batch);
}

}  // namespace

void ApplyTransportSettings(const ServerConfig& config, grpc::ServerBuilder& builder) {
  builder.SetMaxReceiveMessageSize(config.max_message_bytes);
  builder.SetMaxSendMessageSize(config.max_message_bytes);
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIME_MS, config.keepalive_time_ms);
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, config.keepalive_timeout_ms);
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  // Keepalive enforcement: a client that pings more often than this without sending data is sent
  // a GOAWAY at its third such ping (GRPC_ARG_HTTP2_MAX_PING_STRIKES is 2 by default).
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS, 10000);
  // Bounds TLS and the wait for the client's HTTP/2 SETTINGS frame together; gRPC's default of
  // 120 s let connections that never handshake hold a file descriptor each for two minutes.
  builder.AddChannelArgument(GRPC_ARG_SERVER_HANDSHAKE_TIMEOUT_MS, config.handshake_timeout_ms);
  builder.AddChannelArgument(GRPC_ARG_MAX_CONNECTION_IDLE_MS, config.max_connection_idle_ms);
  builder.AddChannelArgument(GRPC_ARG_MAX_CONCURRENT_STREAMS, config.max_concurrent_streams);
}

Result<int> ConnectionLimit(const ServerConfig& config, uint64_t open_file_limit) {
  const uint64_t reserved = static_cast<uint64_t>(config.reserved_fds);
  if (open_file_limit <= reserved) {
    return Status(Reason::kFdLimitTooLow,
                  "the open-file limit (" + std::to_string(open_file_limit) +
                      ") leaves no file descriptor for connections beyond reserved-fds (" +
                      std::to_string(reserved) +
                      "): raise the limit (ulimit -n, LimitNOFILE=) or lower reserved-fds");
  }
  return static_cast<int>(std::min<uint64_t>(static_cast<uint64_t>(config.max_connections),
                                             open_file_limit - reserved));
}

Result<std::string> LoadAuditKey(const ServerConfig& config) {
  Result<storage::KeyEncryptionKey> key =
      config.audit_key_file.empty() ? storage::LoadKeyFromEnvironment("CASECOORD_AUDIT_KEY")
                                    : storage::LoadKeyFile(config.audit_key_file);
  if (!key.ok()) {
    if (key.status().Is(Reason::kKeyNotSet)) {
      return Status(Reason::kNoAuditKey,
                    "no audit key: set --audit-key-file or the CASECOORD_AUDIT_KEY "
                    "environment variable (caseserver keygen --out FILE makes one)");
    }
    return key.status();
  }
  return std::string(reinterpret_cast<const char*>(key->bytes()), storage::kKeyBytes);
}

Result<std::shared_ptr<const storage::Keyring>> LoadKeyring(const ServerConfig& config) {
  Result<storage::KeyEncryptionKey> current = config.kek_file.empty()
                                                  ? storage::LoadKeyFromEnvironment("CASECOORD_KEK")
                                                  : storage::LoadKeyFile(config.kek_file);
  if (!current.ok()) {
    if (current.status().Is(Reason::kKeyNotSet)) {
      return Status(Reason::kNoKey,
                    "no key-encryption key: set --kek-file or the CASECOORD_KEK environment "
                    "variable (caseserver keygen --out FILE makes one)");
    }
    return current.status();
  }
  std::vector<storage::KeyEncryptionKey> previous;
  for (const auto& file : config.previous_kek_files) {
    auto key = storage::LoadKeyFile(file);
    if (!key.ok()) return key.status();
    previous.push_back(std::move(key).value());
  }
  return std::shared_ptr<const storage::Keyring>(
      std::make_shared<storage::Keyring>(std::move(current).value(), std::move(previous)));
}

Result<CounterVerification> VerifyCounters(storage::Storage& storage,
                                           const std::shared_ptr<const storage::Keyring>& keyring) {
  const Clock& clock = SystemClock::Instance();
  // The recount writes nothing that is validated; the stored lists, as the server would have them.
  CASECOORD_ASSIGN_OR_RETURN(const auto vocabularies, vocab::VocabularyStore::Open(storage, clock));
  directory::AgencyStore agencies(storage, vocabularies->terms(), clock);
  cases::CaseKeyring keys(keyring);
  cases::CaseStore cases(storage, agencies, vocabularies->terms(), keys, clock);
  cases::CaseCounting counting(storage);
  meetings::MeetingStore meetings(storage, cases, keys, clock);
  AddRecounters(meetings, counting);
  storage::WriteBatch unused(storage);
  auto rebuild = counting.PrepareRebuildCounters(/*validate_only=*/true, &unused);
  if (!rebuild.ok()) return rebuild.status();
  return CounterVerification{std::move(rebuild->differences), rebuild->counters_recomputed};
}

// Storage, the worker pool, users, the audit log, emergency access and the gatekeeper.
Status CaseServer::OpenStorageAndAuth(const ServerConfig& config,
                                      const std::shared_ptr<const storage::Keyring>& keyring,
                                      std::string audit_key, const Clock& clock,
                                      std::shared_ptr<storage::WalFaultInjector> wal_faults,
                                      std::shared_ptr<storage::SyncJournal> sync_journal) {
  CaseServer* const server = this;  // named as in Start(), whose part this is
  storage::StorageOptions storage_options;
  storage_options.path = config.data_dir;
  storage_options.keyring = keyring;
  storage_options.wal_faults = std::move(wal_faults);
  storage_options.sync_journal = std::move(sync_journal);
  storage_options.on_write_state_change = [health = server->health_](storage::WriteState state,
                                                                     const Status& cause) {
    health->StorageStateChanged(state, cause);
  };
  auto storage = storage::Storage::Open(storage_options);
  if (!storage.ok()) return storage.status();
  server->storage_ = std::move(storage).value();
  server->workers_ =
      std::make_unique<WorkerPool>(config.worker_threads, config.max_queued_requests);

  auto users = auth::UserRegistry::Open(*server->storage_, clock);
  if (!users.ok()) return users.status();
  server->users_ = std::move(users).value();
  // Page tokens are MACed under a key derived from the audit key (separated from its other use by
  // the label), so they stay valid across restarts and no further secret needs managing.
  SetPageTokenKey(DerivedKey(audit_key, "casecoord page-token key v2"));
  auto audit = auth::AuditLog::Open(*server->storage_, std::move(audit_key), clock);
  if (!audit.ok()) return audit.status();
  server->audit_ = std::move(audit).value();
  LogAuditHead(*server->audit_, "start-up");
  auto emergency = auth::EmergencyAccessStore::Open(
      *server->storage_, std::chrono::minutes(config.break_glass_minutes), clock);
  if (!emergency.ok()) return emergency.status();
  server->emergency_ = std::move(emergency).value();
  CASECOORD_RETURN_IF_ERROR(SeedUsers(config, *server->storage_, *server->users_, *server->audit_));
  server->rate_limiter_ = std::make_unique<auth::RateLimiter>(config.rate_limit_per_second,
                                                              config.rate_limit_burst, clock);
  auth::GatekeeperDependencies gate;
  gate.storage = server->storage_.get();
  gate.users = server->users_.get();
  gate.audit = server->audit_.get();
  gate.rate_limiter = server->rate_limiter_.get();
  gate.emergency = server->emergency_.get();
  gate.workers = server->workers_.get();
  auto vouchers = auth::GatewayVouchers::Create();
  if (!vouchers.ok()) return vouchers.status();
  server->gateway_vouchers_ = std::move(vouchers).value();
  gate.gateway = server->gateway_vouchers_.get();
  server->gatekeeper_ = std::make_unique<auth::Gatekeeper>(gate);
  server->sign_in_ = std::make_unique<auth::SignIn>(
      *server->storage_, *server->audit_, *server->users_, clock, SignInOptionsOf(config));
  CASECOORD_RETURN_IF_ERROR(SeedDemoSignIn(config, *server->sign_in_));
  return Status::Ok();
}

void CaseServer::OpenAdmin(const ServerConfig& config,
                           const std::shared_ptr<const storage::Keyring>& keyring) {
  CaseServer* const server = this;  // named as in Start(), whose part this is
  admin::AdminDependencies admin;
  admin.storage = server->storage_.get();
  admin.gatekeeper = server->gatekeeper_.get();
  admin.users = server->users_.get();
  admin.audit = server->audit_.get();
  admin.emergency = server->emergency_.get();
  admin.sign_in = server->sign_in_.get();
  admin.keyring = keyring;
  admin.backup_dir = config.backup_dir;
  admin.restore_dir = config.restore_dir;
  admin.version = kVersion;
  admin.mode = config.mode == Mode::kProduction ? "production" : "development";
  admin.municipality = config.municipality;
  admin.start_time = std::chrono::system_clock::now();
  // Asked at call time, when every store below exists.
  admin.record_exists = [raw = server](const std::string& name) -> Result<bool> {
    auto found = [](const Status& status) -> Result<bool> {
      if (status.ok()) return true;
      // A purged case's records are gone for break-glass purposes too.
      if (status.code() == StatusCode::kNotFound || status.Is(Reason::kCasePurged)) return false;
      return status;
    };
    if (name.starts_with(kCasePrefix)) return found(raw->cases_->GetPublic(name).status());
    if (name.starts_with(kMeetingPrefix)) return found(raw->meetings_->GetPublic(name).status());
    if (name.starts_with(kDispatchPrefix)) return found(raw->dispatches_->Get(name).status());
    if (name.starts_with(kUserPrefix)) {
      auto user = auth::UserRegistry::ParseUserName(name, "resource");
      return user.ok() && raw->users_->Find(*user).has_value();
    }
    return false;
  };
  server->admin_service_ = std::make_unique<admin::AdminService>(std::move(admin));
}

// The directory and the cases (with the demo data of make run).
Status CaseServer::OpenDirectoryAndCases(const ServerConfig& config,
                                         const std::shared_ptr<const storage::Keyring>& keyring,
                                         const Clock& clock) {
  CaseServer* const server = this;  // named as in Start(), whose part this is
  auto vocabularies = vocab::VocabularyStore::Open(*server->storage_, clock);
  if (!vocabularies.ok()) return vocabularies.status();
  server->vocabularies_ = std::move(vocabularies).value();
  CASECOORD_RETURN_IF_ERROR(vocab::SeedVocabularies(config.demo_vocabularies, *server->storage_,
                                                    *server->vocabularies_, *server->audit_));
  server->vocabularies_service_ =
      std::make_unique<vocab::VocabulariesService>(*server->gatekeeper_, *server->vocabularies_);
  server->agencies_ = std::make_unique<directory::AgencyStore>(
      *server->storage_, server->vocabularies_->terms(), clock);
  auto reindexed = server->agencies_->RebuildIndexesIfStale();
  if (!reindexed.ok()) return reindexed.status();
  CASECOORD_RETURN_IF_ERROR(
      SeedDirectory(config, *server->storage_, *server->agencies_, *server->audit_));
  // Search and partner queries are answered from memory on gRPC's threads; load it before serving.
  CASECOORD_RETURN_IF_ERROR(server->agencies_->LoadCatalog());
  server->surveys_ = std::make_unique<directory::CooperationSurveyStore>(*server->storage_,
                                                                         *server->agencies_, clock);
  server->directory_service_ = std::make_unique<directory::DirectoryService>(
      *server->gatekeeper_, *server->agencies_, *server->surveys_);
  server->case_keys_ = std::make_unique<cases::CaseKeyring>(keyring);
  cases::CaseStoreOptions store_options;
  const auto records_since = ParseJstDate(config.records_since);
  if (!records_since) {
    return Status::InvalidArgument("records-since", "must be a date YYYY-MM-DD");
  }
  store_options.records_since = JstDateOf(*records_since);
  server->cases_ = std::make_unique<cases::CaseStore>(*server->storage_, *server->agencies_,
                                                      server->vocabularies_->terms(),
                                                      *server->case_keys_, clock, store_options);
  server->case_referrals_ = std::make_unique<cases::CaseReferrals>(
      *server->cases_, *server->storage_, *server->agencies_, clock);
  server->case_consultations_ = std::make_unique<cases::CaseConsultations>(
      *server->cases_, *server->storage_, *server->agencies_, clock);
  server->case_counting_ = std::make_unique<cases::CaseCounting>(*server->storage_);
  cases::CaseMaintenanceOptions case_options;
  case_options.retention_years = config.case_retention_years;
  server->case_maintenance_ = std::make_unique<cases::CaseMaintenance>(
      *server->cases_, *server->storage_, clock, case_options);
  // A purge that committed just before a crash still has its key in the live files.
  CASECOORD_RETURN_IF_ERROR(server->storage_->EraseDestroyed());
  auto cases_reindexed = server->case_maintenance_->RebuildIndexesIfStale();
  if (!cases_reindexed.ok()) return cases_reindexed.status();
  server->case_imports_ = std::make_unique<cases::CaseImports>(*server->storage_, *server->cases_);
  server->cases_service_ = std::make_unique<cases::CasesService>(
      *server->gatekeeper_,
      cases::CaseStores{*server->cases_, *server->case_referrals_, *server->case_consultations_,
                        *server->case_counting_, *server->case_maintenance_,
                        *server->case_imports_},
      clock);
  CASECOORD_RETURN_IF_ERROR(SeedDemoCases(config, *server->storage_, *server->cases_,
                                          *server->case_referrals_, *server->audit_));
  return Status::Ok();
}

// Advisers and dispatch, meetings and plans, monitoring, statistics.
Status CaseServer::OpenCaseWork(const ServerConfig& config, const Clock& clock) {
  CaseServer* const server = this;  // named as in Start(), whose part this is
  server->advisers_ =
      std::make_unique<advisers::AdviserStore>(*server->storage_, *server->agencies_);
  advisers::DispatchStoreOptions dispatch_options;
  dispatch_options.max_follow_ups = config.dispatch_max_follow_ups;
  dispatch_options.follow_up_months = config.dispatch_follow_up_months;
  server->dispatches_ = std::make_unique<advisers::DispatchStore>(
      *server->storage_, *server->cases_, *server->advisers_, *server->case_keys_, clock,
      dispatch_options);
  server->advisers_service_ = std::make_unique<advisers::AdvisersService>(
      *server->gatekeeper_, *server->advisers_, *server->dispatches_);
  server->meetings_ = std::make_unique<meetings::MeetingStore>(*server->storage_, *server->cases_,
                                                               *server->case_keys_, clock);
  auto meetings_reindexed = server->meetings_->RebuildIndexesIfStale();
  if (!meetings_reindexed.ok()) return meetings_reindexed.status();
  server->plans_ = std::make_unique<meetings::PlanStore>(*server->storage_, *server->cases_,
                                                         *server->meetings_, clock);
  AddRecounters(*server->meetings_, *server->case_counting_);
  server->meetings_service_ = std::make_unique<meetings::MeetingsService>(
      *server->gatekeeper_, *server->meetings_, *server->plans_, *server->cases_);
  server->monitoring_ =
      std::make_unique<monitoring::MonitoringStore>(*server->storage_, *server->cases_, clock);
  monitoring::DueWatcherOptions watch_options;
  watch_options.interval = std::chrono::milliseconds(config.due_watch_interval_ms);
  server->due_watcher_ =
      std::make_unique<monitoring::DueWatcher>(*server->storage_, clock, watch_options);
  server->monitoring_service_ = std::make_unique<monitoring::MonitoringService>(
      *server->gatekeeper_, *server->monitoring_, *server->cases_, *server->due_watcher_, clock,
      config.watch_streams_per_user);

  server->statistics_ = std::make_unique<stats::StatisticsReporter>(
      *server->storage_, clock, config.stats_min_cell_count, &server->vocabularies_->terms());
  server->stat_plans_ = std::make_unique<stats::PlanStore>(*server->storage_);
  CASECOORD_RETURN_IF_ERROR(
      SeedDemoPlan(config, *server->storage_, *server->stat_plans_, *server->audit_, clock));
  server->year_releases_ = std::make_unique<stats::YearReleases>(*server->storage_);
  server->statistics_service_ = std::make_unique<stats::StatisticsService>(
      *server->gatekeeper_, *server->statistics_, *server->stat_plans_, *server->year_releases_,
      [surveys = server->surveys_.get()](int fiscal_year) -> Result<std::optional<double>> {
        auto summary = surveys->Summary(fiscal_year);
        if (!summary.ok()) return summary.status();
        if (summary->answered_agencies() == 0) return std::optional<double>();
        return std::optional<double>(summary->close_cooperation_percent());
      });
  return Status::Ok();
}

// Binds the listener, starts gRPC with every service and the audit head logger.
Status CaseServer::Serve(const ServerConfig& config, int max_connections,
                         const std::shared_ptr<grpc::ServerCredentials>& credentials) {
  CaseServer* const server = this;  // named as in Start(), whose part this is
  ConnectionListenerOptions listener_options;
  listener_options.max_connections = max_connections;
  auto listener = ConnectionListener::Bind(config.listen, listener_options);
  if (!listener.ok()) return listener.status();
  server->listener_ = std::move(listener).value();
  server->port_ = server->listener_->port();

  grpc::EnableDefaultHealthCheckService(true);
  grpc::ServerBuilder builder;
  // Connections come from our listener, not from gRPC's (connection_listener.h says why).
  server->acceptor_ = builder.experimental().AddExternalConnectionAcceptor(
      grpc::ServerBuilder::experimental_type::ExternalConnectionType::FROM_FD, credentials);
  // Every service, and its full name for the HTTP listener's routes.
  const std::pair<grpc::Service*, const char*> services[] = {
      {server->admin_service_.get(), v1::Admin::service_full_name()},
      {server->directory_service_.get(), v1::AgencyDirectory::service_full_name()},
      {server->cases_service_.get(), v1::Cases::service_full_name()},
      {server->advisers_service_.get(), v1::Advisers::service_full_name()},
      {server->meetings_service_.get(), v1::Meetings::service_full_name()},
      {server->monitoring_service_.get(), v1::Monitoring::service_full_name()},
      {server->statistics_service_.get(), v1::Statistics::service_full_name()},
      {server->vocabularies_service_.get(), v1::Vocabularies::service_full_name()},
  };
  std::vector<std::string> service_names;
  for (const auto& [service, name] : services) {
    builder.RegisterService(service);
    service_names.push_back(name);
  }
  ApplyTransportSettings(config, builder);
  server->operations_ = std::make_unique<Operations>(config, server->gateway_vouchers_.get());
  std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> observers;
  observers.push_back(server->operations_->call_observer().InterceptorFactory());
  builder.experimental().SetInterceptorCreators(std::move(observers));
  server->server_ = builder.BuildAndStart();
  if (!server->server_) {
    return Status(Reason::kStartFailed, "the gRPC server did not start");
  }
  server->health_->Attach(server->server_->GetHealthCheckService());
  if (!config.http_listen.empty()) {
    auto front =
        HttpFront::Start(config, *server->server_, *server->gateway_vouchers_, *server->sign_in_,
                         service_names, [health = server->health_] { return health->Ready(); });
    if (!front.ok()) return front.status();
    server->http_ = std::move(front).value();
  }
  server->listener_->Start([acceptor = server->acceptor_.get()](int listener_fd, int fd) {
    grpc::experimental::ExternalConnectionAcceptor::NewConnectionParameters connection;
    connection.listener_fd = listener_fd;
    connection.fd = fd;
    acceptor->HandleNewConnection(&connection);
  });
  server->head_logger_ = std::thread([raw = server] {
    MutexLock lock(raw->head_logger_mutex_);
    const auto interval = std::chrono::minutes(raw->config_.audit_head_log_minutes);
    while (!lock.WaitFor(raw->head_logger_wake_, interval, [raw] {
      raw->head_logger_mutex_.AssertHeld();
      return raw->head_logger_stop_;
    })) {
      LogAuditHead(*raw->audit_, "scheduled");
    }
  });
  return Status::Ok();
}

Result<std::unique_ptr<CaseServer>> CaseServer::Start(
    const ServerConfig& config, const std::shared_ptr<const storage::Keyring>& keyring,
    std::string audit_key, const Clock& clock,
    std::shared_ptr<storage::WalFaultInjector> wal_faults,
    std::shared_ptr<storage::SyncJournal> sync_journal) {
  auto credentials = TlsCredentials(config);
  if (!credentials.ok()) return credentials.status();
  // Before the database is opened: opening replays the write-ahead log and rewrites files.
  CASECOORD_RETURN_IF_ERROR(auth::CheckAuditKeyFile(config.data_dir, audit_key));
  // Before the database is opened, so that a refusal changes nothing.
  struct rlimit open_files {};
  getrlimit(RLIMIT_NOFILE, &open_files);
  auto max_connections = ConnectionLimit(config, open_files.rlim_cur);
  if (!max_connections.ok()) return max_connections.status();
  if (*max_connections < config.max_connections) {
    log::Warning("max-connections lowered to fit the open-file limit",
                 {{"max_connections", std::to_string(*max_connections)},
                  {"open_file_limit", std::to_string(open_files.rlim_cur)},
                  {"reserved_fds", std::to_string(config.reserved_fds)}});
  }

  std::unique_ptr<CaseServer> server(new CaseServer());
  server->config_ = config;
  server->health_ = std::make_shared<HealthReporter>();
  // The backup schedule verifies backups with the audit key that the audit log takes.
  std::string verification_key = audit_key;
  CASECOORD_RETURN_IF_ERROR(server->OpenStorageAndAuth(config, keyring, std::move(audit_key), clock,
                                                       std::move(wal_faults),
                                                       std::move(sync_journal)));
  server->OpenAdmin(config, keyring);
  CASECOORD_RETURN_IF_ERROR(server->OpenDirectoryAndCases(config, keyring, clock));
  CASECOORD_RETURN_IF_ERROR(server->OpenCaseWork(config, clock));
  CASECOORD_RETURN_IF_ERROR(server->Serve(config, *max_connections, *credentials));
  OperationsSources sources;
  sources.storage = server->storage_.get();
  sources.audit = server->audit_.get();
  sources.keyring = keyring;
  sources.audit_key = std::move(verification_key);
  sources.open_connections = [listener = server->listener_.get()] {
    return listener->stats().open;
  };
  sources.sessions = [sign_in = server->sign_in_.get()] { return sign_in->sessions().size(); };
  CASECOORD_RETURN_IF_ERROR(server->operations_->Begin(std::move(sources)));
  log::Info("caseserver serving",
            {{"listen", config.listen},
             {"port", std::to_string(server->port_)},
             {"max_connections", std::to_string(*max_connections)},
             {"mode", config.mode == Mode::kProduction ? "production" : "development"},
             {"data_dir", config.data_dir},
             {"key_id", keyring ? keyring->current().id() : ""}});
  return server;
}

void CaseServer::Shutdown() {
  MutexLock lock(shutdown_mutex_);
  if (shut_down_) return;
  log::Info("shutting down: health NOT_SERVING, draining",
            {{"drain_ms", std::to_string(config_.drain_ms)}});
  health_->Detach();
  std::this_thread::sleep_for(std::chrono::milliseconds(config_.drain_ms));
  // Watch streams never end by themselves: end them (UNAVAILABLE, so clients reconnect elsewhere)
  // rather than have the listener wait out the grace period for them.
  due_watcher_->Stop();
  // Before the server: gRPC 1.51's acceptor neither serves nor closes a connection handed to it
  // after its server has shut down (despite what server_builder.h says), so it would leak.
  listener_->Stop();
  server_->Shutdown(std::chrono::system_clock::now() +
                    std::chrono::milliseconds(config_.shutdown_grace_ms));
  workers_->Shutdown();
  server_->Wait();
  if (http_) http_->Stop();
  // A backup round in progress finishes before the storage closes.
  if (operations_) operations_->Stop();
  if (head_logger_.joinable()) {
    {
      MutexLock lock(head_logger_mutex_);
      head_logger_stop_ = true;
    }
    head_logger_wake_.notify_all();
    head_logger_.join();
  }
  // Every call has finished, and a call finishes only once its audit entry is durable: this is
  // the last entry of this run.
  LogAuditHead(*audit_, "shutdown");
  audit_.reset();    // drains its committer thread
  storage_.reset();  // last: every call that could touch it has finished
  shut_down_ = true;
  log::Info("shutdown complete");
}

void CaseServer::Wait() {
  server_->Wait();
  MutexLock lock(shutdown_mutex_);  // until Shutdown() has closed storage
}

CaseServer::~CaseServer() {
  if (server_) Shutdown();
}

}  // namespace casecoord::server
