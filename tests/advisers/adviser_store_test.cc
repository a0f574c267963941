#include "services/advisers/adviser_store.h"

#include <gtest/gtest.h>

#include <set>

#include "services/common/fiscal_year.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_vocabulary.h"

namespace casecoord::advisers {
namespace {

std::set<std::string> Fields(const Status& status) {
  std::set<std::string> fields;
  for (const auto& violation : status.field_violations()) fields.insert(violation.field);
  return fields;
}

class AdviserStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    storage::StorageOptions options;
    options.path = dir_.Sub("db");
    options.keyring = std::make_shared<storage::Keyring>(storage::KeyEncryptionKey::Generate());
    storage_ = std::move(storage::Storage::Open(options)).value();
    agencies_ = std::make_unique<directory::AgencyStore>(*storage_, *terms_, clock_);
    store_ = std::make_unique<AdviserStore>(*storage_, *agencies_);
    v1::Agency agency;
    agency.set_display_name("架空市障害者基幹相談支援センター");
    agency.set_kana("カクウシショウガイシャキカン");
    agency.set_kind(v1::DISABILITY_CORE_CONSULTATION_CENTER);
    storage::WriteBatch batch(*storage_);
    ASSERT_TRUE(agencies_->PrepareCreate("kikan", agency, &batch).ok());
    ASSERT_TRUE(storage_->Commit(batch).ok());
  }

  static v1::Adviser Adviser(const std::string& display_name, v1::AdviserKind kind,
                             std::initializer_list<v1::SupportField> fields) {
    v1::Adviser adviser;
    adviser.set_display_name(display_name);
    adviser.set_kind(kind);
    for (auto field : fields) adviser.add_fields(field);
    return adviser;
  }

  // Prepares with a fresh batch; commits if OK. `prepared` gets the batch's size.
  Result<v1::Adviser> Create(const std::string& id, const v1::Adviser& adviser,
                             int* prepared = nullptr) {
    storage::WriteBatch batch(*storage_);
    auto created = store_->PrepareCreate(id, adviser, &batch);
    if (prepared != nullptr) *prepared = batch.count();
    if (created.ok()) {
      EXPECT_TRUE(storage_->Commit(batch).ok());
    }
    return created;
  }

  Result<v1::Adviser> Update(const v1::Adviser& patch, const std::vector<std::string>& paths,
                             int* prepared = nullptr) {
    v1::FieldMask mask;
    for (const auto& path : paths) mask.add_paths(path);
    storage::WriteBatch batch(*storage_);
    auto updated = store_->PrepareUpdate(patch, mask, &batch);
    if (prepared != nullptr) *prepared = batch.count();
    if (updated.ok()) {
      EXPECT_TRUE(storage_->Commit(batch).ok());
    }
    return updated;
  }

  testing::TempDir dir_;
  ManualClock clock_{*JstMidnight(2026, 11, 22)};
  std::unique_ptr<storage::Storage> storage_;
  std::unique_ptr<vocab::TermCatalog> terms_ = testing::TestTermCatalog();
  std::unique_ptr<directory::AgencyStore> agencies_;
  std::unique_ptr<AdviserStore> store_;
};

TEST_F(AdviserStoreTest, CreatedAdvisersAreActiveUnlessSaidAndListByKindFieldAndActive) {
  v1::Adviser head = Adviser("基幹 一郎", v1::COMPLEX_ISSUE_ADVISER, {v1::DISABILITY, v1::HEALTH});
  head.set_agency("agencies/kikan");
  head.set_user("users/ichiro");
  auto created = Create("ichiro", head);
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  EXPECT_EQ(created->name(), "advisers/ichiro");
  EXPECT_TRUE(created->has_active() && created->active());
  EXPECT_EQ(created->etag(), "1");

  v1::Adviser resting = Adviser("休止 花子", v1::FIELD_ADVISER, {v1::DISABILITY});
  resting.set_active(false);
  ASSERT_TRUE(Create("hanako", resting).ok());
  ASSERT_TRUE(Create("jiro", Adviser("地域 次郎", v1::FIELD_ADVISER, {v1::COMMUNITY})).ok());

  auto names = [&](const std::string& filter_text) {
    auto filter = ParseAdviserFilter(filter_text);
    EXPECT_TRUE(filter.ok()) << filter.status().ToString();
    std::vector<std::string> out;
    auto page = store_->List(*filter, "", 100);
    EXPECT_TRUE(page.ok());
    for (const auto& adviser : page->advisers) out.push_back(adviser.name());
    return out;
  };
  EXPECT_EQ(names(""),
            (std::vector<std::string>{"advisers/hanako", "advisers/ichiro", "advisers/jiro"}));
  EXPECT_EQ(names("kind = FIELD_ADVISER"),
            (std::vector<std::string>{"advisers/hanako", "advisers/jiro"}));
  EXPECT_EQ(names("field = DISABILITY AND active = true"),
            (std::vector<std::string>{"advisers/ichiro"}));
  EXPECT_EQ(names("active = false"), (std::vector<std::string>{"advisers/hanako"}));

  // Pages continue strictly after the last id.
  auto first = store_->List(AdviserFilter{}, "", 2);
  ASSERT_TRUE(first.ok());
  ASSERT_EQ(first->advisers.size(), 2u);
  EXPECT_EQ(first->next_after_id, "ichiro");
  auto second = store_->List(AdviserFilter{}, first->next_after_id, 2);
  ASSERT_EQ(second->advisers.size(), 1u);
  EXPECT_EQ(second->advisers[0].name(), "advisers/jiro");
  EXPECT_TRUE(second->next_after_id.empty());

  auto linked = store_->OfUser("users/ichiro");
  ASSERT_TRUE(linked.ok());
  ASSERT_TRUE(linked->has_value());
  EXPECT_EQ((*linked)->name(), "advisers/ichiro");
  EXPECT_FALSE(store_->OfUser("users/nobody")->has_value());
}

TEST_F(AdviserStoreTest, BadInputNamesEveryFieldAndPreparesNothing) {
  v1::Adviser bad;
  bad.set_kana(std::string(201, 'a'));
  bad.set_agency("kikan");
  bad.set_user("alice");
  bad.add_fields(v1::DISABILITY);
  bad.add_fields(v1::DISABILITY);
  int prepared = -1;
  auto refused = Create("Bad Id", bad, &prepared);
  EXPECT_EQ(refused.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(
      Fields(refused.status()),
      (std::set<std::string>{"adviser_id", "adviser.display_name", "adviser.kana", "adviser.kind",
                             "adviser.fields", "adviser.agency", "adviser.user"}));
  EXPECT_EQ(prepared, 0);

  v1::Adviser no_fields = Adviser("名前", v1::FIELD_ADVISER, {});
  EXPECT_EQ(Fields(Create("a", no_fields).status()), (std::set<std::string>{"adviser.fields"}));
  v1::Adviser unknown_agency = Adviser("名前", v1::FIELD_ADVISER, {v1::HOUSING});
  unknown_agency.set_agency("agencies/nowhere");
  EXPECT_EQ(Fields(Create("a", unknown_agency, &prepared).status()),
            (std::set<std::string>{"adviser.agency"}));
  EXPECT_EQ(prepared, 0);
  EXPECT_TRUE(store_->List(AdviserFilter{}, "", 10)->advisers.empty());

  ASSERT_TRUE(Create("a", Adviser("名前", v1::FIELD_ADVISER, {v1::HOUSING})).ok());
  EXPECT_EQ(Create("a", Adviser("別名", v1::FIELD_ADVISER, {v1::HOUSING})).status().code(),
            StatusCode::kAlreadyExists);

  for (const char* filter : {"kind = NOPE", "field = 3", "active = yes", "name = x", "kind < x"}) {
    auto parsed = ParseAdviserFilter(filter);
    EXPECT_EQ(parsed.status().code(), StatusCode::kInvalidArgument) << filter;
    EXPECT_EQ(Fields(parsed.status()), (std::set<std::string>{"filter"})) << filter;
  }
}

TEST_F(AdviserStoreTest, OneAdviserPerUserAndUpdatesMoveTheLink) {
  v1::Adviser first = Adviser("一", v1::FIELD_ADVISER, {v1::HOUSING});
  first.set_user("users/shared");
  ASSERT_TRUE(Create("first", first).ok());
  v1::Adviser second = Adviser("二", v1::FIELD_ADVISER, {v1::HOUSING});
  second.set_user("users/shared");
  int prepared = -1;
  auto taken = Create("second", second, &prepared);
  EXPECT_EQ(Fields(taken.status()), (std::set<std::string>{"adviser.user"}));
  EXPECT_NE(taken.status().message().find("advisers/first"), std::string::npos);
  EXPECT_EQ(prepared, 0);

  // The first adviser's user changes: the old user is free, the new one linked.
  v1::Adviser patch;
  patch.set_name("advisers/first");
  patch.set_user("users/other");
  patch.set_display_name("ignored: not in the mask");
  auto moved = Update(patch, {"user"});
  ASSERT_TRUE(moved.ok()) << moved.status().ToString();
  EXPECT_EQ(moved->display_name(), "一");
  EXPECT_FALSE(store_->OfUser("users/shared")->has_value());
  EXPECT_EQ((*store_->OfUser("users/other"))->name(), "advisers/first");
  ASSERT_TRUE(Create("second", second).ok());
  // Re-saving an adviser with its own user is not a conflict.
  v1::Adviser same;
  same.set_name("advisers/second");
  same.set_user("users/shared");
  EXPECT_TRUE(Update(same, {"user"}).ok());
}

TEST_F(AdviserStoreTest, UpdatesTakeAMaskAndRefuseAStaleEtag) {
  auto created = Create("ichiro", Adviser("基幹 一郎", v1::COMPLEX_ISSUE_ADVISER, {v1::HEALTH}));
  ASSERT_TRUE(created.ok());
  v1::Adviser patch = *created;
  patch.set_active(false);
  patch.clear_fields();
  patch.add_fields(v1::EMPLOYMENT);
  patch.add_fields(v1::POVERTY);
  auto updated = Update(patch, {"active", "fields"});
  ASSERT_TRUE(updated.ok()) << updated.status().ToString();
  EXPECT_FALSE(updated->active());
  EXPECT_EQ(updated->fields_size(), 2);
  EXPECT_EQ(updated->etag(), "2");
  EXPECT_EQ(store_->Get("advisers/ichiro")->etag(), "2");

  // The etag read before that update is stale now: ABORTED, nothing prepared.
  int prepared = -1;
  patch.set_active(true);
  EXPECT_EQ(Update(patch, {"active"}, &prepared).status().code(), StatusCode::kAborted);
  EXPECT_EQ(prepared, 0);
  EXPECT_FALSE(store_->Get("advisers/ichiro")->active());

  // "active" in the mask without a value is false, as any proto3 field.
  v1::Adviser reactivate;
  reactivate.set_name("advisers/ichiro");
  reactivate.set_active(true);
  ASSERT_TRUE(Update(reactivate, {"active"}).ok());
  v1::Adviser unset;
  unset.set_name("advisers/ichiro");
  EXPECT_FALSE(Update(unset, {"active"})->active());

  EXPECT_EQ(Fields(Update(reactivate, {}).status()), (std::set<std::string>{"update_mask"}));
  EXPECT_EQ(Fields(Update(reactivate, {"etag"}).status()), (std::set<std::string>{"update_mask"}));
  EXPECT_EQ(Fields(Update(reactivate, {"name"}).status()), (std::set<std::string>{"update_mask"}));
  v1::Adviser emptied;
  emptied.set_name("advisers/ichiro");
  EXPECT_EQ(Fields(Update(emptied, {"fields"}).status()),
            (std::set<std::string>{"adviser.fields"}));
  emptied.set_name("advisers/nobody");
  EXPECT_EQ(Update(emptied, {"kana"}).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->Get("advisers/Bad").status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace casecoord::advisers
