#include "services/directory/agency_store.h"

#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <set>
#include <thread>

#include "services/common/fiscal_year.h"
#include "services/storage/key_encoding.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_vocabulary.h"

namespace casecoord::directory {
namespace {

class AgencyStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    storage::StorageOptions options;
    options.path = dir_.Sub("db");
    options.keyring = std::make_shared<storage::Keyring>(storage::KeyEncryptionKey::Generate());
    storage_ = std::move(storage::Storage::Open(options)).value();
    store_ = std::make_unique<AgencyStore>(*storage_, *terms_, clock_);
  }

  static v1::Agency Sample(const std::string& name, const std::string& kana,
                           v1::AgencyKind kind = v1::COMMUNITY_GENERAL_SUPPORT_CENTER) {
    v1::Agency agency;
    agency.set_display_name(name);
    agency.set_kana(kana);
    agency.set_kind(kind);
    agency.add_districts("kita");
    agency.add_issue_tags("dementia");
    agency.set_accepts_referrals(true);
    return agency;
  }

  Result<v1::Agency> Create(const std::string& id, const v1::Agency& agency) {
    storage::WriteBatch batch(*storage_);
    auto created = store_->PrepareCreate(id, agency, &batch);
    if (created.ok()) {
      EXPECT_TRUE(storage_->Commit(batch).ok());
    }
    return created;
  }

  Result<v1::Agency> Update(const v1::Agency& patch, std::vector<std::string> paths) {
    v1::FieldMask mask;
    for (auto& path : paths) mask.add_paths(path);
    storage::WriteBatch batch(*storage_);
    auto updated = store_->PrepareUpdate(patch, mask, &batch);
    if (updated.ok()) {
      EXPECT_TRUE(storage_->Commit(batch).ok());
    }
    return updated;
  }

  static std::vector<std::string> Names(const std::vector<v1::Agency>& agencies) {
    std::vector<std::string> names;
    for (const auto& agency : agencies) names.push_back(agency.name());
    return names;
  }

  std::vector<std::string> ListNames(const std::string& filter, AgencyOrder order, int page_size) {
    auto parsed = ParseAgencyFilter(filter);
    EXPECT_TRUE(parsed.ok()) << parsed.status().ToString();
    std::vector<std::string> names;
    std::string after;
    do {
      auto page = store_->List(*parsed, order, after, page_size);
      EXPECT_TRUE(page.ok()) << page.status().ToString();
      if (!page.ok()) break;
      for (const auto& name : Names(page->agencies)) names.push_back(name);
      after = page->next_after_key;
    } while (!after.empty());
    return names;
  }

  std::set<std::string> SearchNames(const std::string& query) {
    auto matches = store_->Search(query, 100);
    EXPECT_TRUE(matches.ok()) << matches.status().ToString();
    std::set<std::string> names;
    if (matches.ok()) {
      for (const auto& match : *matches) names.insert(match.agency().name());
    }
    return names;
  }

  testing::TempDir dir_;
  ManualClock clock_{std::chrono::system_clock::time_point(std::chrono::hours(480000))};
  std::unique_ptr<storage::Storage> storage_;
  std::unique_ptr<vocab::TermCatalog> terms_ = testing::TestTermCatalog();
  std::unique_ptr<AgencyStore> store_;
};

TEST_F(AgencyStoreTest, CreateGetAndRefuseDuplicatesAndBadInput) {
  auto created = Create("kita-houkatsu",
                        Sample("北区地域包括支援センター", "キタクチイキホウカツシエンセンター"));
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  EXPECT_EQ(created->name(), "agencies/kita-houkatsu");
  EXPECT_EQ(created->state(), v1::Agency::ACTIVE);
  EXPECT_FALSE(created->etag().empty());
  EXPECT_EQ(store_->Get("agencies/kita-houkatsu")->display_name(), "北区地域包括支援センター");
  EXPECT_EQ(Create("kita-houkatsu", Sample("x", "えっくす")).status().code(),
            StatusCode::kAlreadyExists);
  EXPECT_EQ(store_->Get("agencies/nope").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->Get("nope").status().field_violations().at(0).field, "name");

  v1::Agency bad;
  bad.add_issue_tags("Not A Tag");
  auto refused = Create("Bad", bad);
  std::set<std::string> fields;
  for (const auto& v : refused.status().field_violations()) fields.insert(v.field);
  EXPECT_EQ(fields, (std::set<std::string>{"agency.display_name", "agency.kana", "agency.kind",
                                           "agency.issue_tags", "agency_id"}));
}

// Tags and districts must be terms of the vocabularies: an unknown one is refused with the
// nearest ids, a label is stored as its id.
TEST_F(AgencyStoreTest, TagsAndDistrictsComeFromTheVocabularies) {
  v1::Agency typo = Sample("北区地域包括支援センター", "キタクチイキホウカツシエンセンター");
  typo.set_issue_tags(0, "dementa");
  typo.set_districts(0, "kiat");
  auto refused = Create("typo", typo);
  ASSERT_EQ(refused.status().code(), StatusCode::kInvalidArgument);
  std::map<std::string, std::string> described;
  for (const auto& v : refused.status().field_violations()) described[v.field] = v.description;
  EXPECT_NE(described["agency.issue_tags"].find("nearest: dementia"), std::string::npos)
      << described["agency.issue_tags"];
  EXPECT_NE(described["agency.districts"].find("nearest: kita"), std::string::npos)
      << described["agency.districts"];

  v1::Agency labelled = Sample("北区地域包括支援センター", "キタクチイキホウカツシエンセンター");
  labelled.set_issue_tags(0, "認知症");
  labelled.set_districts(0, "北区");
  auto created = Create("labelled", labelled);
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  EXPECT_EQ(created->issue_tags(0), "dementia");
  EXPECT_EQ(created->districts(0), "kita");
}

TEST_F(AgencyStoreTest, UpdatesWithMasksAndEtagsAndReindexes) {
  auto created = Create("a", Sample("南区社会福祉協議会", "ミナミクシャカイフクシキョウギカイ",
                                    v1::SOCIAL_WELFARE_COUNCIL));
  ASSERT_TRUE(created.ok());
  v1::Agency patch;
  patch.set_name("agencies/a");
  patch.set_etag(created->etag());
  patch.set_display_name("南区社協");
  patch.set_phone("06-1234-5678");  // not in the mask: must not change
  clock_.Advance(std::chrono::seconds(1));
  auto updated = Update(patch, {"display_name"});
  ASSERT_TRUE(updated.ok()) << updated.status().ToString();
  EXPECT_EQ(updated->display_name(), "南区社協");
  EXPECT_EQ(updated->phone(), "");
  EXPECT_NE(updated->etag(), created->etag());

  // The old etag is stale now: ABORTED and nothing changes.
  patch.set_display_name("別の名前");
  EXPECT_EQ(Update(patch, {"display_name"}).status().code(), StatusCode::kAborted);
  EXPECT_EQ(store_->Get("agencies/a")->display_name(), "南区社協");

  patch.clear_etag();
  EXPECT_EQ(Update(patch, {"etag"}).status().field_violations().at(0).field, "update_mask");
  EXPECT_EQ(Update(patch, {"colour"}).status().field_violations().at(0).field, "update_mask");
  EXPECT_EQ(Update(patch, {}).status().field_violations().at(0).field, "update_mask");

  // The index follows the name: the old words no longer find it, the reading still does.
  EXPECT_TRUE(SearchNames("福祉協議会").empty());
  EXPECT_EQ(SearchNames("社協"), (std::set<std::string>{"agencies/a"}));
  EXPECT_EQ(SearchNames("きょうぎかい"), (std::set<std::string>{"agencies/a"}));
}

TEST_F(AgencyStoreTest, JapaneseSearchFoldsScriptsAndFindsShortSubstrings) {
  ASSERT_TRUE(Create("kita-houkatsu",
                     Sample("北区地域包括支援センター", "キタクチイキホウカツシエンセンター"))
                  .ok());
  ASSERT_TRUE(Create("kita-kikan", Sample("北区障害者基幹相談支援センター",
                                          "キタクショウガイシャキカンソウダンシエンセンター",
                                          v1::DISABILITY_CORE_CONSULTATION_CENTER))
                  .ok());
  ASSERT_TRUE(Create("npo-yorisoi", Sample("ＮＰＯ法人よりそいサポート",
                                           "エヌピーオーホウジンヨリソイサポート", v1::NPO))
                  .ok());

  // A hiragana query finds a katakana reading.
  EXPECT_EQ(SearchNames("ちいきほうかつ"), (std::set<std::string>{"agencies/kita-houkatsu"}));
  // Two characters find substrings, and only real ones.
  EXPECT_EQ(SearchNames("包括"), (std::set<std::string>{"agencies/kita-houkatsu"}));
  EXPECT_EQ(SearchNames("北区"),
            (std::set<std::string>{"agencies/kita-houkatsu", "agencies/kita-kikan"}));
  // Half-width katakana and full-width Latin fold.
  EXPECT_EQ(SearchNames("ｻﾎﾟｰﾄ"), (std::set<std::string>{"agencies/npo-yorisoi"}));
  EXPECT_EQ(SearchNames("npo"), (std::set<std::string>{"agencies/npo-yorisoi"}));
  EXPECT_TRUE(SearchNames("児童").empty());

  auto matches = store_->Search("ほうかつ", 10);
  ASSERT_EQ(matches->size(), 1u);
  EXPECT_EQ(std::vector<std::string>(matches->at(0).matched_fields().begin(),
                                     matches->at(0).matched_fields().end()),
            std::vector<std::string>{"kana"});
  EXPECT_EQ(store_->Search("　", 10).status().field_violations().at(0).field, "query");
}

TEST_F(AgencyStoreTest, DeleteRemovesTheRecordAndItsIndexEntries) {
  auto created =
      Create("gone", Sample("西区保健センター", "ニシクホケンセンター", v1::PUBLIC_HEALTH_CENTER));
  ASSERT_TRUE(created.ok());
  storage::WriteBatch stale(*storage_);
  EXPECT_EQ(store_->PrepareDelete("agencies/gone", "wrong-etag", &stale).code(),
            StatusCode::kAborted);
  storage::WriteBatch batch(*storage_);
  ASSERT_TRUE(store_->PrepareDelete("agencies/gone", created->etag(), &batch).ok());
  ASSERT_TRUE(storage_->Commit(batch).ok());
  EXPECT_EQ(store_->Get("agencies/gone").status().code(), StatusCode::kNotFound);
  EXPECT_TRUE(SearchNames("保健").empty());
  auto index = storage_->NewIterator(storage::ColumnFamily::kIndexes);
  index->SeekToFirst();
  EXPECT_FALSE(index->Valid()) << "index entries left behind";
}

TEST_F(AgencyStoreTest, ListsWithFiltersAndPagesAcrossChanges) {
  for (int i = 0; i < 7; ++i) {
    auto agency = Sample("機関" + std::to_string(i), "きかん", i % 2 == 0 ? v1::NPO : v1::HOSPITAL);
    if (i == 3) agency.set_state(v1::Agency::CLOSED);
    ASSERT_TRUE(Create("a" + std::to_string(i), agency).ok());
  }
  auto filter = ParseAgencyFilter("kind = NPO AND state = ACTIVE AND district = \"kita\"");
  ASSERT_TRUE(filter.ok()) << filter.status().ToString();
  auto first = store_->List(*filter, AgencyOrder::kId, "", 2);
  ASSERT_TRUE(first.ok());
  ASSERT_EQ(first->agencies.size(), 2u);
  EXPECT_EQ(first->next_after_key, "a2");
  EXPECT_EQ(first->agencies.back().name(), "agencies/a2");
  // An agency created behind the cursor does not shift the next page.
  ASSERT_TRUE(Create("a1a", Sample("追加", "ついか", v1::NPO)).ok());
  auto second = store_->List(*filter, AgencyOrder::kId, first->next_after_key, 10);
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(Names(second->agencies), (std::vector<std::string>{"agencies/a4", "agencies/a6"}));
  EXPECT_TRUE(second->next_after_key.empty());

  EXPECT_EQ(ParseAgencyFilter("colour = red").status().field_violations().at(0).field, "filter");
  EXPECT_FALSE(ParseAgencyFilter("kind = SPACESHIP").ok());
  EXPECT_FALSE(ParseAgencyFilter("kind NPO").ok());
}

TEST_F(AgencyStoreTest, PartnersAreRankedByTagsCoveredAndExplained) {
  auto make = [](const std::string& name, const std::string& kana, std::vector<std::string> tags,
                 std::string district, bool referrals = true,
                 v1::Agency::State state = v1::Agency::ACTIVE) {
    v1::Agency agency = Sample(name, kana);
    agency.clear_issue_tags();
    for (auto& tag : tags) agency.add_issue_tags(tag);
    agency.clear_districts();
    agency.add_districts(district);
    agency.set_accepts_referrals(referrals);
    agency.set_state(state);
    return agency;
  };
  ASSERT_TRUE(
      Create("houkatsu", make("地域包括", "チイキホウカツ", {"dementia", "8050"}, "kita")).ok());
  ASSERT_TRUE(Create("kikan",
                     make("基幹相談", "キカンソウダン", {"hikikomori", "8050", "dementia"}, "kita"))
                  .ok());
  ASSERT_TRUE(Create("yorisoi", make("よりそい", "ヨリソイ", {"debt"}, "kita")).ok());
  ASSERT_TRUE(Create("minami", make("南の包括", "ミナミノホウカツ", {"dementia"}, "minami")).ok());
  ASSERT_TRUE(
      Create("closed", make("閉所", "ヘイショ", {"dementia"}, "kita", true, v1::Agency::CLOSED))
          .ok());
  ASSERT_TRUE(
      Create("no-ref", make("紹介不可", "ショウカイフカ", {"dementia"}, "kita", false)).ok());

  auto partners = store_->FindPartners({"8050", "dementia", "hikikomori"}, "kita", 10);
  ASSERT_TRUE(partners.ok()) << partners.status().ToString();
  std::vector<std::string> names;
  for (const auto& p : *partners) names.push_back(p.agency().name());
  EXPECT_EQ(names, (std::vector<std::string>{"agencies/kikan", "agencies/houkatsu"}));
  EXPECT_EQ(std::vector<std::string>(partners->at(0).covered_tags().begin(),
                                     partners->at(0).covered_tags().end()),
            (std::vector<std::string>{"8050", "dementia", "hikikomori"}));
  EXPECT_EQ(partners->at(1).explanation(),
            "課題3件中2件に対応（8050, dementia）・kita を担当・他機関からの紹介を受付");

  // Coverage outranks reading order even when the page is short: アオバ comes first in kana order
  // but covers one tag, 基幹 covers both.
  ASSERT_TRUE(Create("aoba", make("あおば", "アオバ", {"hikikomori"}, "kita")).ok());
  auto top = store_->FindPartners({"hikikomori", "8050", "hikikomori"}, "kita", 1);
  ASSERT_TRUE(top.ok());
  ASSERT_EQ(top->size(), 1u);
  EXPECT_EQ(top->at(0).agency().name(), "agencies/kikan");
  auto top3 = store_->FindPartners({"hikikomori", "8050"}, "kita", 3);
  names.clear();
  for (const auto& p : *top3) names.push_back(p.agency().name());
  EXPECT_EQ(names,
            (std::vector<std::string>{"agencies/kikan", "agencies/aoba", "agencies/houkatsu"}));
  EXPECT_EQ(top3->at(0).explanation(),
            "課題2件中2件に対応（hikikomori, 8050）・kita を担当・他機関からの紹介を受付");

  // Without a district every active, referring agency that covers a tag is proposed.
  auto anywhere = store_->FindPartners({"dementia"}, "", 10);
  EXPECT_EQ(anywhere->size(), 3u);
  EXPECT_EQ(store_->FindPartners({"dementia"}, "", 2)->size(), 2u);

  // The tag index follows updates.
  v1::Agency patch;
  patch.set_name("agencies/yorisoi");
  patch.add_issue_tags("dementia");
  v1::FieldMask mask;
  mask.add_paths("issue_tags");
  storage::WriteBatch batch(*storage_);
  ASSERT_TRUE(store_->PrepareUpdate(patch, mask, &batch).ok());
  ASSERT_TRUE(storage_->Commit(batch).ok());
  EXPECT_EQ(store_->FindPartners({"debt"}, "", 10)->size(), 0u);
  EXPECT_EQ(store_->FindPartners({"dementia"}, "kita", 10)->size(), 3u);

  auto bad = store_->FindPartners({"Not A Tag"}, "Kita Ku", 10);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().field_violations().size(), 2u);
  EXPECT_EQ(store_->FindPartners({}, "", 10).status().field_violations().at(0).field, "issue_tags");
}

}  // namespace
}  // namespace casecoord::directory

namespace casecoord::directory {
namespace {

google::protobuf::Timestamp JstDay(const char* date) {
  google::protobuf::Timestamp time;
  time.set_seconds(std::chrono::duration_cast<std::chrono::seconds>(
                       ParseJstDate(date).value().time_since_epoch())
                       .count());
  return time;
}

TEST_F(AgencyStoreTest, FiltersOnSupportFieldAndLastVerifiedDate) {
  auto old = Sample("古い機関", "ふるい");
  old.add_fields(v1::DISABILITY);
  *old.mutable_last_verified_time() = JstDay("2024-03-31");
  auto fresh = Sample("新しい機関", "あたらしい");
  fresh.add_fields(v1::DISABILITY);
  fresh.add_fields(v1::EMPLOYMENT);
  *fresh.mutable_last_verified_time() = JstDay("2025-04-01");
  auto never = Sample("未確認の機関", "みかくにん");
  never.add_fields(v1::EMPLOYMENT);
  ASSERT_TRUE(Create("old", old).ok());
  ASSERT_TRUE(Create("fresh", fresh).ok());
  ASSERT_TRUE(Create("never", never).ok());

  EXPECT_EQ(ListNames("field = DISABILITY", AgencyOrder::kId, 10),
            (std::vector<std::string>{"agencies/fresh", "agencies/old"}));
  // Midnight JST of 2025-04-01 is not before itself; never-verified entries are due.
  EXPECT_EQ(ListNames("last_verified_time < \"2025-04-01\"", AgencyOrder::kId, 10),
            (std::vector<std::string>{"agencies/never", "agencies/old"}));
  EXPECT_EQ(ListNames("last_verified_time < \"2025-03-31T15:00:01Z\"", AgencyOrder::kId, 10),
            (std::vector<std::string>{"agencies/fresh", "agencies/never", "agencies/old"}));
  EXPECT_EQ(
      ListNames("field = EMPLOYMENT AND last_verified_time < \"2025-04-01\"", AgencyOrder::kId, 10),
      (std::vector<std::string>{"agencies/never"}));

  for (const char* bad : {"field = COOKING", "last_verified_time = \"2025-04-01\"",
                          "last_verified_time < \"2025-02-30\"", "kind < NPO",
                          "last_verified_time <= \"2025-04-01\""}) {
    auto parsed = ParseAgencyFilter(bad);
    ASSERT_FALSE(parsed.ok()) << bad;
    EXPECT_EQ(parsed.status().field_violations().at(0).field, "filter") << bad;
  }
  EXPECT_NE(ParseAgencyFilter("field = DISABILITY")->Fingerprint(),
            ParseAgencyFilter("field = EMPLOYMENT")->Fingerprint());
}

TEST_F(AgencyStoreTest, OrdersByKanaReadingAcrossScriptsAndPages) {
  // Readings in either script and width sort as one syllabary (あいうえお順); ties go by id.
  const std::vector<std::pair<std::string, std::string>> agencies = {
      {"z-sakura", "サクラ"},  {"y-aoba", "あおば"},   {"x-kaede", "ｶｴﾃﾞ"},
      {"w-ichou", "イチョウ"}, {"v-sakura", "さくら"}, {"u-nanohana", "ナノハナ"}};
  for (const auto& [id, kana] : agencies) ASSERT_TRUE(Create(id, Sample("機関" + id, kana)).ok());
  const std::vector<std::string> expected = {"agencies/y-aoba",   "agencies/w-ichou",
                                             "agencies/x-kaede",  "agencies/v-sakura",
                                             "agencies/z-sakura", "agencies/u-nanohana"};
  EXPECT_EQ(ListNames("", AgencyOrder::kKana, 100), expected);
  EXPECT_EQ(ListNames("", AgencyOrder::kKana, 1), expected);
  EXPECT_EQ(ListNames("", AgencyOrder::kKana, 4), expected);

  // A page boundary survives a change of reading of an agency already listed.
  auto first = store_->List(AgencyFilter{}, AgencyOrder::kKana, "", 2);
  ASSERT_TRUE(first.ok());
  auto moved = *store_->Get("agencies/y-aoba");
  moved.set_kana("ワカバ");
  ASSERT_TRUE(Update(moved, {"kana"}).ok());
  auto rest = store_->List(AgencyFilter{}, AgencyOrder::kKana, first->next_after_key, 100);
  ASSERT_TRUE(rest.ok());
  EXPECT_EQ(Names(rest->agencies),
            (std::vector<std::string>{"agencies/x-kaede", "agencies/v-sakura", "agencies/z-sakura",
                                      "agencies/u-nanohana", "agencies/y-aoba"}));

  EXPECT_EQ(ParseAgencyOrder("kana").value(), AgencyOrder::kKana);
  EXPECT_EQ(ParseAgencyOrder("").value(), AgencyOrder::kId);
  EXPECT_EQ(ParseAgencyOrder("colour desc").status().field_violations().at(0).field, "order_by");
}

TEST_F(AgencyStoreTest, RebuildsStaleIndexesOnceAtStartUp) {
  ASSERT_TRUE(Create("kita", Sample("北区保健センター", "キタクホケンセンター")).ok());
  // A database of index layout 3, whose n-gram keys search no longer uses: a rebuild deletes them
  // and restores the kana order; the second call is a no-op.
  std::string retired_term;
  storage::AppendString(&retired_term, "agency-term");
  storage::AppendString(&retired_term, "保健");
  storage::AppendString(&retired_term, "kita");
  {
    storage::WriteBatch batch(*storage_);
    batch.Put(storage::ColumnFamily::kMeta, "agency-index-version", "3");
    auto index = storage_->NewIterator(storage::ColumnFamily::kIndexes);
    for (index->SeekToFirst(); index->Valid(); index->Next()) {
      batch.Delete(storage::ColumnFamily::kIndexes, index->key().ToStringView());
    }
    batch.Put(storage::ColumnFamily::kIndexes, retired_term, "");
    ASSERT_TRUE(storage_->Commit(batch).ok());
  }
  EXPECT_TRUE(ListNames("", AgencyOrder::kKana, 10).empty());
  // Search reads the records, not the stored index.
  EXPECT_EQ(SearchNames("ほけん"), (std::set<std::string>{"agencies/kita"}));
  EXPECT_EQ(store_->RebuildIndexesIfStale().value(), 1);
  EXPECT_EQ(ListNames("", AgencyOrder::kKana, 10), (std::vector<std::string>{"agencies/kita"}));
  EXPECT_FALSE(storage_->Get(storage::ColumnFamily::kIndexes, retired_term)->has_value());
  EXPECT_EQ(store_->RebuildIndexesIfStale().value(), 0);
}

TEST_F(AgencyStoreTest, SearchAndPartnersSeeACommitOnlyOnceItIsCommitted) {
  ASSERT_TRUE(SearchNames("保健").empty());  // loads the catalog before the changes below
  auto health = Sample("西区保健センター", "ニシクホケンセンター", v1::PUBLIC_HEALTH_CENTER);
  storage::WriteBatch pending(*storage_);
  ASSERT_TRUE(store_->PrepareCreate("nishi", health, &pending).ok());
  // Prepared but not committed (a refused or failed call): nothing shows.
  EXPECT_TRUE(SearchNames("保健").empty());
  EXPECT_TRUE(store_->FindPartners({"dementia"}, "kita", 10)->empty());
  // Appended to another batch (as the audit committer does) and committed with it: it shows.
  storage::WriteBatch group(*storage_);
  group.Append(pending);
  ASSERT_TRUE(storage_->Commit(group).ok());
  EXPECT_EQ(SearchNames("保健"), (std::set<std::string>{"agencies/nishi"}));
  ASSERT_EQ(store_->FindPartners({"dementia"}, "kita", 10)->size(), 1u);

  // No longer taking referrals: still found by name, no longer a partner.
  v1::Agency patch;
  patch.set_name("agencies/nishi");
  patch.set_accepts_referrals(false);
  ASSERT_TRUE(Update(patch, {"accepts_referrals"}).ok());
  EXPECT_EQ(SearchNames("保健"), (std::set<std::string>{"agencies/nishi"}));
  EXPECT_TRUE(store_->FindPartners({"dementia"}, "kita", 10)->empty());

  storage::WriteBatch removal(*storage_);
  ASSERT_TRUE(store_->PrepareDelete("agencies/nishi", "", &removal).ok());
  ASSERT_TRUE(storage_->Commit(removal).ok());
  EXPECT_TRUE(SearchNames("保健").empty());

  // A second store over the same records (a restarted server) loads what was committed.
  ASSERT_TRUE(Create("higashi", Sample("東区保健センター", "ヒガシクホケンセンター")).ok());
  AgencyStore restarted(*storage_, *terms_, clock_);
  auto found = restarted.Search("ほけん", 10);
  ASSERT_TRUE(found.ok());
  ASSERT_EQ(found->size(), 1u);
  EXPECT_EQ(found->at(0).agency().name(), "agencies/higashi");
}

TEST_F(AgencyStoreTest, SearchesWhileAgenciesAreWrittenSeeEachCommittedOneAfterItsCommit) {
  ASSERT_TRUE(SearchNames("保健").empty());
  std::atomic<bool> writing{true};
  std::atomic<int> committed{0};
  std::atomic<int> misses{0};
  std::vector<std::thread> readers;
  for (int r = 0; r < 3; ++r) {
    readers.emplace_back([&] {
      while (writing) {
        // Whatever had committed before this search started must be in its answer.
        const int before = committed.load();
        auto found = store_->Search("ほけん", 200);
        if (!found.ok() || static_cast<int>(found->size()) < before) ++misses;
        auto partners = store_->FindPartners({"dementia"}, "kita", 200);
        if (!partners.ok() || static_cast<int>(partners->size()) < before) ++misses;
      }
    });
  }
  for (int n = 0; n < 60; ++n) {
    ASSERT_TRUE(Create("hoken-" + std::to_string(n),
                       Sample("保健センター" + std::to_string(n), "ホケンセンター"))
                    .ok());
    ++committed;
  }
  writing = false;
  for (auto& reader : readers) reader.join();
  EXPECT_EQ(misses.load(), 0);
  EXPECT_EQ(SearchNames("ほけん").size(), 60u);
}

TEST_F(AgencyStoreTest, SearchIsInKanaOrderNarrowedByAFilterInTheRequestedView) {
  auto make = [](const std::string& name, const std::string& kana, v1::AgencyKind kind) {
    auto agency = Sample(name, kana, kind);
    agency.set_address("架空市北区1-2-3");
    agency.set_phone("06-0000-0000");
    return agency;
  };
  // Ids in the reverse of kana order: the result follows the reading (あ, か, さ), not the id.
  ASSERT_TRUE(Create("c-aoba", make("あおば相談支援事業所", "アオバソウダンシエンジギョウショ",
                                    v1::DISABILITY_CONSULTATION_OFFICE))
                  .ok());
  ASSERT_TRUE(Create("b-kaede", make("かえで相談室", "カエデソウダンシツ", v1::NPO)).ok());
  ASSERT_TRUE(Create("a-sakura", make("さくら相談支援センター", "サクラソウダンシエンセンター",
                                      v1::DISABILITY_CONSULTATION_OFFICE))
                  .ok());
  auto all = store_->Search("相談", 10, nullptr, v1::AGENCY_VIEW_BASIC);
  ASSERT_TRUE(all.ok());
  std::vector<std::string> names;
  for (const auto& match : *all) names.push_back(match.agency().name());
  EXPECT_EQ(names,
            (std::vector<std::string>{"agencies/c-aoba", "agencies/b-kaede", "agencies/a-sakura"}));
  // BASIC carries what a result list shows, not the rest of the record.
  EXPECT_EQ(all->at(0).agency().phone(), "06-0000-0000");
  EXPECT_EQ(all->at(0).agency().districts(0), "kita");
  EXPECT_EQ(all->at(0).agency().address(), "");
  EXPECT_TRUE(all->at(0).agency().issue_tags().empty());
  EXPECT_EQ(store_->Search("相談", 1, nullptr, v1::AGENCY_VIEW_FULL)->at(0).agency().address(),
            "架空市北区1-2-3");

  auto offices = ParseAgencyFilter("kind = DISABILITY_CONSULTATION_OFFICE");
  ASSERT_TRUE(offices.ok());
  auto filtered = store_->Search("相談", 10, &*offices);
  ASSERT_EQ(filtered->size(), 2u);
  EXPECT_EQ(filtered->at(1).agency().name(), "agencies/a-sakura");
  // The page is filled with filtered matches, not cut before filtering.
  auto npos = ParseAgencyFilter("kind = NPO");
  ASSERT_TRUE(npos.ok());
  auto first_npo = store_->Search("相談", 1, &*npos);
  ASSERT_EQ(first_npo->size(), 1u);
  EXPECT_EQ(first_npo->at(0).agency().name(), "agencies/b-kaede");
}

}  // namespace
}  // namespace casecoord::directory
