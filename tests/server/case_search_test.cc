// Finding a household over the real server: search by name, kana, birth date, phone and case
// number; agency staff find only their team's cases; the duplicate warning on intake; the index
// follows updates and purges, is rebuilt at start-up, and holds no search term in clear.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>

#include "casecoord/v1/cases.grpc.pb.h"
#include "casecoord/v1/directory.grpc.pb.h"
#include "services/common/clock.h"
#include "services/common/grpc_errors.h"
#include "services/storage/key_encoding.h"
#include "services/storage/key_spaces.h"
#include "services/storage/storage.h"
#include "tests/support/test_server.h"

namespace casecoord {
namespace {

using storage::ColumnFamily;

v1::Date DateOf(int year, int month, int day) {
  v1::Date date;
  date.set_year(year);
  date.set_month(month);
  date.set_day(day);
  return date;
}

// A household of two: 山田 太郎 (ヤマダ タロウ, born 1950-04-01) and his mother.
v1::CreateCaseRequest Household(const std::string& request_id) {
  v1::CreateCaseRequest request;
  request.set_request_id(request_id);
  v1::Case* household = request.mutable_case_();
  auto* son = household->add_members();
  son->set_member_id("m1");
  son->set_display_name("山田 太郎");
  son->set_kana("ヤマダ タロウ");
  *son->mutable_birth_date() = DateOf(1950, 4, 1);
  son->set_phone("090-1111-2222");
  son->set_principal(true);
  auto* mother = household->add_members();
  mother->set_member_id("m2");
  mother->set_display_name("山田 花");
  mother->set_kana("ヤマダ ハナ");
  *mother->mutable_birth_date() = DateOf(1925, 5, 5);
  household->set_phone("03-1234-5678");
  household->set_district("kita");
  household->set_referring_agency("agencies/a1");
  household->set_presenting_problem("母の介護と長男の就労");
  return request;
}

class CaseSearchTest : public ::testing::Test {
 protected:
  CaseSearchTest() : server_(Options(clock_)) {}

  static testing::TestServerOptions Options(const Clock& clock) {
    testing::TestServerOptions options;
    options.clock = &clock;
    return options;
  }

  void SetUp() override {
    auto directory = v1::AgencyDirectory::NewStub(server_.ChannelFor("coordinator"));
    for (const char* id : {"a1", "a2"}) {
      v1::CreateAgencyRequest create;
      create.set_agency_id(id);
      create.mutable_agency()->set_display_name(std::string("架空相談支援センター") + id);
      create.mutable_agency()->set_kana("カクウソウダンシエン");
      create.mutable_agency()->set_kind(v1::DISABILITY_CONSULTATION_OFFICE);
      v1::Agency created;
      grpc::ClientContext context;
      ASSERT_TRUE(directory->CreateAgency(&context, create, &created).ok());
    }
  }

  std::unique_ptr<v1::Cases::Stub> Stub(const std::string& user) {
    return v1::Cases::NewStub(server_.ChannelFor(user));
  }

  grpc::Status Create(const v1::CreateCaseRequest& request, v1::Case* opened) {
    grpc::ClientContext context;
    return Stub("coordinator")->CreateCase(&context, request, opened);
  }

  v1::Case Open(const v1::CreateCaseRequest& request) {
    v1::Case opened;
    grpc::Status status = Create(request, &opened);
    EXPECT_TRUE(status.ok()) << DescribeGrpcError(status);
    return opened;
  }

  // The names of the cases `user` finds with `request`, or the error's description.
  std::vector<std::string> Found(const v1::SearchCasesRequest& request,
                                 const std::string& user = "coordinator") {
    grpc::ClientContext context;
    v1::SearchCasesResponse response;
    grpc::Status status = Stub(user)->SearchCases(&context, request, &response);
    if (!status.ok()) return {DescribeGrpcError(status)};
    std::vector<std::string> names;
    for (const auto& found : response.cases()) names.push_back(found.name());
    return names;
  }

  static v1::SearchCasesRequest ByName(const std::string& name) {
    v1::SearchCasesRequest request;
    request.set_name(name);
    return request;
  }
  static v1::SearchCasesRequest ByKana(const std::string& kana) {
    v1::SearchCasesRequest request;
    request.set_kana(kana);
    return request;
  }
  static v1::SearchCasesRequest ByPhone(const std::string& phone) {
    v1::SearchCasesRequest request;
    request.set_phone(phone);
    return request;
  }

  ManualClock clock_{std::chrono::system_clock::now()};
  testing::TestServer server_;
};

using Names = std::vector<std::string>;

TEST_F(CaseSearchTest, FindsAMemberByKanaInEitherScriptByNameAndByBirthDate) {
  const v1::Case opened = Open(Household("h-1"));
  v1::CreateCaseRequest other = Household("h-2");
  other.mutable_case_()->mutable_members(0)->set_display_name("佐藤 一");
  other.mutable_case_()->mutable_members(0)->set_kana("サトウ ハジメ");
  other.mutable_case_()->mutable_members(0)->clear_phone();
  *other.mutable_case_()->mutable_members(0)->mutable_birth_date() = DateOf(1960, 1, 1);
  other.mutable_case_()->mutable_members(1)->set_display_name("佐藤 光");
  other.mutable_case_()->mutable_members(1)->set_kana("サトウ ヒカリ");
  other.mutable_case_()->set_phone("06-0000-0000");
  const v1::Case sato = Open(other);
  ASSERT_FALSE(sato.name().empty());

  // Stored in katakana, found in hiragana: the family name alone, the whole reading with or
  // without its space, and in half-width katakana.
  EXPECT_EQ(Found(ByKana("やまだ")), Names{opened.name()});
  EXPECT_EQ(Found(ByKana("やまだたろう")), Names{opened.name()});
  EXPECT_EQ(Found(ByKana("やまだ　たろう")), Names{opened.name()});
  EXPECT_EQ(Found(ByKana("ﾀﾛｳ")), Names{opened.name()});
  EXPECT_EQ(Found(ByKana("やま")), Names{});  // whole terms only, never a prefix
  // By name, whole or a part.
  EXPECT_EQ(Found(ByName("山田")), Names{opened.name()});
  EXPECT_EQ(Found(ByName("山田太郎")), Names{opened.name()});
  EXPECT_EQ(Found(ByName("佐藤")), Names{sato.name()});
  // By birth date: both households have a member born 1925-05-05.
  v1::SearchCasesRequest born;
  *born.mutable_birth_date() = DateOf(1925, 5, 5);
  EXPECT_EQ(Found(born), (Names{sato.name(), opened.name()}));  // newest first
  *born.mutable_birth_date() = DateOf(1950, 4, 1);
  EXPECT_EQ(Found(born), Names{opened.name()});
  // Criteria are ANDed on one member: 山田 太郎 was not born on 1925-05-05.
  v1::SearchCasesRequest both = ByName("太郎");
  *both.mutable_birth_date() = DateOf(1925, 5, 5);
  EXPECT_EQ(Found(both), Names{});
  *both.mutable_birth_date() = DateOf(1950, 4, 1);
  EXPECT_EQ(Found(both), Names{opened.name()});

  // The answer is the case as GetCase gives it, personal fields opened.
  grpc::ClientContext context;
  v1::SearchCasesResponse response;
  ASSERT_TRUE(Stub("coordinator")->SearchCases(&context, ByKana("やまだ"), &response).ok());
  ASSERT_EQ(response.cases_size(), 1);
  EXPECT_EQ(response.cases(0).members(0).display_name(), "山田 太郎");
  EXPECT_EQ(response.cases(0).phone(), "03-1234-5678");
  EXPECT_EQ(response.cases(0).members(0).phone(), "090-1111-2222");
}

TEST_F(CaseSearchTest, FindsByPhoneWrittenAnyWayAndByCaseNumber) {
  const v1::Case opened = Open(Household("h-1"));
  for (const char* phone :
       {"03-1234-5678", "0312345678", "０３－１２３４－５６７８", "03 1234 5678", "+81 3-1234-5678",
        "+81 (0)3 1234 5678", "(03)1234-5678"}) {
    EXPECT_EQ(Found(ByPhone(phone)), Names{opened.name()}) << phone;
  }
  EXPECT_EQ(Found(ByPhone("０９０（１１１１）２２２２")), Names{opened.name()});  // a member's
  EXPECT_EQ(Found(ByPhone("03-1234-5679")), Names{});

  v1::SearchCasesRequest by_number;
  by_number.set_case_number(opened.case_number());
  EXPECT_EQ(Found(by_number), Names{opened.name()});
  // The era letter in lower case and the number without its zeros name the same case.
  std::string loose = opened.case_number();
  loose[0] = static_cast<char>(loose[0] - 'A' + 'a');
  loose.erase(loose.find('-') + 1, 3);  // "R8-0001" → "r8-1"
  by_number.set_case_number(loose);
  EXPECT_EQ(Found(by_number), Names{opened.name()}) << loose;
  by_number.set_case_number("R1-0999");
  EXPECT_EQ(Found(by_number), Names{});
  by_number.set_case_number("X1-0001");
  EXPECT_NE(Found(by_number).at(0).find("INVALID_ARGUMENT"), std::string::npos);
  EXPECT_NE(Found(v1::SearchCasesRequest()).at(0).find("INVALID_ARGUMENT"), std::string::npos);
  EXPECT_NE(Found(ByName("・・")).at(0).find("INVALID_ARGUMENT"), std::string::npos);
}

TEST_F(CaseSearchTest, AgencyStaffFindOnlyTheirTeamsCasesAndOthersAreRefused) {
  const v1::Case opened = Open(Household("h-1"));
  // Not on the team: the same empty answer as for a name nobody has.
  EXPECT_EQ(Found(ByKana("やまだ"), "agency-staff"), Names{});
  EXPECT_EQ(Found(ByKana("すずき"), "agency-staff"), Names{});
  EXPECT_NE(Found(ByKana("やまだ"), "planner").at(0).find("PERMISSION_DENIED"), std::string::npos);

  v1::CreateReferralRequest refer;
  refer.set_parent(opened.name());
  refer.mutable_referral()->set_agency("agencies/a1");
  refer.mutable_referral()->set_role(v1::PRINCIPAL_SUPPORT);
  refer.mutable_referral()->set_note("就労支援");
  v1::Referral referral;
  {
    grpc::ClientContext context;
    ASSERT_TRUE(Stub("coordinator")->CreateReferral(&context, refer, &referral).ok());
  }
  v1::AnswerReferralRequest answer;
  answer.set_name(referral.name());
  {
    grpc::ClientContext context;
    ASSERT_TRUE(Stub("agency-staff")->AcceptReferral(&context, answer, &referral).ok());
  }
  EXPECT_EQ(Found(ByKana("やまだ"), "agency-staff"), Names{opened.name()});
  EXPECT_EQ(Found(ByKana("やまだ"), "other-staff"), Names{});  // agencies/a2: not on the team
  // The search is audited as a read of what it returned.
  bool audited = false;
  for (const auto& line : server_.AuditTrailOf(opened.name())) {
    audited |= line.find("SearchCases") != std::string::npos;
  }
  EXPECT_TRUE(audited);
}

TEST_F(CaseSearchTest, ADuplicateIntakeIsWarnedAndCreatedOnlyWhenAcknowledged) {
  const v1::Case first = Open(Household("h-1"));
  // Same name (written in full-width spaces) and birth date, another phone.
  v1::CreateCaseRequest again = Household("h-2");
  again.mutable_case_()->mutable_members(0)->set_display_name("山田　太郎");
  again.mutable_case_()->mutable_members(0)->clear_phone();
  again.mutable_case_()->set_phone("");
  v1::Case created;
  Status warned = FromGrpcStatus(Create(again, &created));
  EXPECT_TRUE(warned.Is(Reason::kPossibleDuplicate)) << warned.ToString();
  EXPECT_EQ(warned.code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(warned.message().find(first.case_number()), std::string::npos) << warned.message();
  const auto& metadata = warned.metadata();
  ASSERT_EQ(metadata.size(), 2u);
  EXPECT_EQ(metadata[0], std::make_pair(std::string("case_names"), first.name()));
  EXPECT_EQ(metadata[1], std::make_pair(std::string("case_numbers"), first.case_number()));

  // Only the phone in common (a member's phone as the new household's): warned too.
  v1::CreateCaseRequest phone_only = Household("h-3");
  for (auto& member : *phone_only.mutable_case_()->mutable_members()) {
    member.set_display_name("別人 様");
    member.clear_phone();
  }
  phone_only.mutable_case_()->set_phone("090 1111 2222");
  EXPECT_TRUE(FromGrpcStatus(Create(phone_only, &created)).Is(Reason::kPossibleDuplicate));
  // Same name but no birth date in common and no phone: no warning.
  v1::CreateCaseRequest namesake = Household("h-4");
  for (auto& member : *namesake.mutable_case_()->mutable_members()) {
    *member.mutable_birth_date() = DateOf(1990, 1, 1);
    member.clear_phone();
  }
  namesake.mutable_case_()->set_phone("");
  ASSERT_TRUE(Create(namesake, &created).ok());

  // Acknowledged, it is created; its retry answers the case, without a warning.
  again.set_allow_duplicate(true);
  v1::Case duplicate;
  ASSERT_TRUE(Create(again, &duplicate).ok());
  EXPECT_NE(duplicate.name(), first.name());
  again.set_allow_duplicate(false);
  v1::Case retried;
  grpc::Status retry = Create(again, &retried);
  ASSERT_TRUE(retry.ok()) << DescribeGrpcError(retry);
  EXPECT_EQ(retried.name(), duplicate.name());
}

TEST_F(CaseSearchTest, AnUpdateReindexesTheHousehold) {
  const v1::Case opened = Open(Household("h-1"));
  v1::UpdateCaseRequest update;
  *update.mutable_case_() = opened;
  update.mutable_case_()->mutable_members(0)->set_display_name("山田 次郎");
  update.mutable_case_()->mutable_members(0)->set_kana("ヤマダ ジロウ");
  update.mutable_case_()->set_phone("03-9999-0000");
  update.mutable_update_mask()->add_paths("members");
  update.mutable_update_mask()->add_paths("phone");
  v1::Case updated;
  {
    grpc::ClientContext context;
    grpc::Status status = Stub("coordinator")->UpdateCase(&context, update, &updated);
    ASSERT_TRUE(status.ok()) << DescribeGrpcError(status);
  }
  EXPECT_EQ(updated.phone(), "03-9999-0000");
  EXPECT_EQ(Found(ByKana("たろう")), Names{});
  EXPECT_EQ(Found(ByPhone("03-1234-5678")), Names{});
  EXPECT_EQ(Found(ByKana("じろう")), Names{opened.name()});
  EXPECT_EQ(Found(ByPhone("0399990000")), Names{opened.name()});
  EXPECT_EQ(Found(ByKana("やまだ")), Names{opened.name()});  // kept, with the mother's
}

// The search index entries of case `id` in the database at `dir` (opened with `keyring`).
int SearchEntriesOf(const std::string& dir, std::shared_ptr<const storage::Keyring> keyring,
                    uint64_t id) {
  storage::StorageOptions options;
  options.path = dir;
  options.keyring = std::move(keyring);
  auto storage = storage::Storage::Open(options);
  EXPECT_TRUE(storage.ok()) << storage.status().ToString();
  if (!storage.ok()) return -1;
  const std::string prefix = storage::key_spaces::kCaseSearch.Prefix();
  int entries = 0;
  auto it = (*storage)->NewIterator(ColumnFamily::kIndexes);
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
    storage::KeyReader reader(it->key().ToStringView().substr(prefix.size()));
    std::string hash;
    uint64_t entry_id = 0;
    EXPECT_TRUE(reader.ReadString(&hash) && reader.ReadUint64(&entry_id) && reader.done());
    entries += entry_id == id ? 1 : 0;
  }
  return entries;
}

TEST_F(CaseSearchTest, APurgeTakesTheCaseOutOfTheIndex) {
  const v1::Case opened = Open(Household("h-1"));
  v1::TransitionCaseRequest close;
  close.set_name(opened.name());
  close.set_to(v1::CLOSED);
  close.set_outcome(v1::WITHDRAWN);
  v1::Case closed;
  {
    grpc::ClientContext context;
    ASSERT_TRUE(Stub("coordinator")->TransitionCase(&context, close, &closed).ok());
  }
  clock_.Advance(std::chrono::hours(24 * (365 * 5 + 2)));
  v1::PurgeCaseRequest purge;
  purge.set_name(opened.name());
  purge.set_confirmation("PURGE " + opened.case_number());
  v1::Case purged;
  {
    grpc::ClientContext context;
    grpc::Status status = Stub("admin")->PurgeCase(&context, purge, &purged);
    ASSERT_TRUE(status.ok()) << DescribeGrpcError(status);
  }
  EXPECT_EQ(Found(ByKana("やまだ")), Names{});
  EXPECT_EQ(Found(ByPhone("03-1234-5678")), Names{});
  // The number is not personal data: it still names the case.
  v1::SearchCasesRequest by_number;
  by_number.set_case_number(opened.case_number());
  EXPECT_EQ(Found(by_number), Names{opened.name()});
  server_.Stop();
  EXPECT_EQ(SearchEntriesOf(server_.config().data_dir, server_.keyring(), 1), 0);
  server_.Restart();
}

TEST_F(CaseSearchTest, StartUpRebuildsAMissingIndex) {
  const v1::Case opened = Open(Household("h-1"));
  server_.Stop();
  {
    storage::StorageOptions options;
    options.path = server_.config().data_dir;
    options.keyring = server_.keyring();
    auto storage = std::move(storage::Storage::Open(options)).value();
    storage::WriteBatch batch(*storage);
    for (const auto* space :
         {&storage::key_spaces::kCaseSearch, &storage::key_spaces::kCaseByNumber}) {
      const std::string prefix = space->Prefix();
      batch.DeleteRange(ColumnFamily::kIndexes, prefix, storage::PrefixSuccessor(prefix));
    }
    batch.Delete(ColumnFamily::kMeta, storage::key_spaces::kCaseSearchVersion.Prefix());
    ASSERT_TRUE(storage->Commit(batch).ok());
  }
  EXPECT_EQ(SearchEntriesOf(server_.config().data_dir, server_.keyring(), 1), 0);
  server_.Restart();
  EXPECT_EQ(Found(ByKana("やまだ")), Names{opened.name()});
  v1::SearchCasesRequest by_number;
  by_number.set_case_number(opened.case_number());
  EXPECT_EQ(Found(by_number), Names{opened.name()});
}

// Where `needle` occurs in the database at `dir`: the files whose raw bytes hold it, and the
// keys and values (read through the keys) of every column family that do.
std::vector<std::string> PlacesHolding(const std::string& dir,
                                       std::shared_ptr<const storage::Keyring> keyring,
                                       const std::string& needle) {
  std::vector<std::string> places;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir)) {
    if (!entry.is_regular_file()) continue;
    std::ifstream in(entry.path(), std::ios::binary);
    const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (bytes.find(needle) != std::string::npos) places.push_back(entry.path().string());
  }
  storage::StorageOptions options;
  options.path = dir;
  options.keyring = std::move(keyring);
  auto storage = std::move(storage::Storage::Open(options)).value();
  for (size_t family = 0; family < static_cast<size_t>(ColumnFamily::kCount); ++family) {
    if (static_cast<ColumnFamily>(family) == ColumnFamily::kDefault) continue;
    auto it = storage->NewIterator(static_cast<ColumnFamily>(family));
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      if (it->key().ToStringView().find(needle) != std::string_view::npos ||
          it->value().ToStringView().find(needle) != std::string_view::npos) {
        places.push_back(std::string(storage::ColumnFamilyName(static_cast<ColumnFamily>(family))) +
                         " key of " + std::to_string(it->key().size()) + " bytes");
      }
    }
  }
  return places;
}

TEST_F(CaseSearchTest, NoSearchTermIsInTheDatabaseInClear) {
  v1::CreateCaseRequest request = Household("h-1");
  auto* member = request.mutable_case_()->mutable_members(0);
  member->set_display_name("蔵守 綴");
  member->set_kana("クラモリ ツヅリ");
  member->set_phone("080-7531-8642");
  request.mutable_case_()->set_phone("0120-987-654");
  const v1::Case opened = Open(request);
  ASSERT_FALSE(opened.name().empty());
  v1::SearchCasesRequest search = ByKana("くらもり");
  *search.mutable_birth_date() = DateOf(1950, 4, 1);
  EXPECT_EQ(Found(search), Names{opened.name()});
  EXPECT_EQ(Found(ByPhone("0120987654")), Names{opened.name()});
  server_.Stop();
  for (const char* term : {"蔵守", "綴", "蔵守綴", "クラモリ", "ツヅリ", "くらもり", "つづり",
                           "くらもりつづり", "0120-987-654", "0120987654", "080-7531-8642",
                           "08075318642", "1950-04-01", "やまだ", "山田"}) {
    EXPECT_EQ(PlacesHolding(server_.config().data_dir, server_.keyring(), term),
              std::vector<std::string>{})
        << term;
  }
  server_.Restart();
}

}  // namespace
}  // namespace casecoord
