#include "services/vocab/vocabulary_store.h"

#include <gtest/gtest.h>

#include "tests/support/temp_dir.h"

namespace casecoord::vocab {
namespace {

class VocabularyStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    storage::StorageOptions options;
    options.path = dir_.Sub("db");
    options.keyring = std::make_shared<storage::Keyring>(storage::KeyEncryptionKey::Generate());
    options_ = options;
    storage_ = std::move(storage::Storage::Open(options)).value();
    store_ = std::move(VocabularyStore::Open(*storage_, clock_)).value();
  }

  // Runs `prepare` into a batch, commits it and publishes the term, as the service does.
  Result<v1::Term> Write(const std::function<Result<v1::Term>(storage::WriteBatch*)>& prepare) {
    storage::WriteBatch batch(*storage_);
    auto term = prepare(&batch);
    if (!term.ok()) return term;
    CASECOORD_RETURN_IF_ERROR(storage_->Commit(batch));
    store_->Publish(*term);
    return term;
  }

  Result<v1::Term> Create(const std::string& list, const std::string& id, const std::string& label,
                          int order = 0) {
    v1::Term term;
    term.set_label(label);
    term.set_display_order(order);
    return Write([&](storage::WriteBatch* batch) {
      return store_->PrepareCreate("vocabularies/" + list, id, term, batch);
    });
  }

  Result<v1::ImportTermsResponse> Import(const std::string& csv, bool dry_run = false) {
    storage::WriteBatch batch(*storage_);
    std::vector<v1::Term> changed;
    auto response = store_->PrepareImport(csv, dry_run, &batch, &changed);
    if (!response.ok()) return response;
    CASECOORD_RETURN_IF_ERROR(storage_->Commit(batch));
    for (const auto& term : changed) store_->Publish(term);
    return response;
  }

  testing::TempDir dir_;
  storage::StorageOptions options_;
  ManualClock clock_{std::chrono::system_clock::time_point(std::chrono::hours(500000))};
  std::unique_ptr<storage::Storage> storage_;
  std::unique_ptr<VocabularyStore> store_;
};

TEST_F(VocabularyStoreTest, CreatedTermsAreValidAndSurviveAReopen) {
  auto created = Create("districts", "kita", "北区", 10);
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  EXPECT_EQ(created->name(), "vocabularies/districts/terms/kita");
  EXPECT_EQ(created->state(), v1::Term::ACTIVE);
  EXPECT_FALSE(created->etag().empty());
  EXPECT_EQ(store_->terms().StateOf(Vocabulary::kDistricts, "kita"), TermCheck::State::kActive);

  auto reopened = VocabularyStore::Open(*storage_, clock_);
  ASSERT_TRUE(reopened.ok());
  EXPECT_EQ((*reopened)->terms().LabelOf(Vocabulary::kDistricts, "kita"), "北区");
}

TEST_F(VocabularyStoreTest, CreateRefusesATakenIdOrLabelAndBadInput) {
  ASSERT_TRUE(Create("districts", "kita", "北区").ok());
  EXPECT_TRUE(Create("districts", "kita", "北区2").status().Is(Reason::kTermExists));
  auto same_label = Create("districts", "kita-ku", "北区");
  EXPECT_EQ(same_label.status().field_violations().at(0).field, "term.label");
  EXPECT_EQ(Create("districts", "Kita", "x").status().field_violations().at(0).field, "term_id");
  EXPECT_EQ(Create("districts", "nishi", "").status().field_violations().at(0).field, "term.label");
  EXPECT_EQ(Create("colours", "red", "赤").status().field_violations().at(0).field, "parent");
}

TEST_F(VocabularyStoreTest, FieldsTakeOnlySupportFieldValuesButMayBeRelabelled) {
  EXPECT_EQ(Create("fields", "astrology", "占い").status().field_violations().at(0).field,
            "term_id");
  auto seeded = store_->terms().Find(Vocabulary::kFields, "housing");
  ASSERT_TRUE(seeded.has_value());
  v1::Term patch;
  patch.set_name(seeded->name());
  patch.set_label("住まい・住宅");
  v1::FieldMask mask;
  mask.add_paths("label");
  auto updated =
      Write([&](storage::WriteBatch* batch) { return store_->PrepareUpdate(patch, mask, batch); });
  ASSERT_TRUE(updated.ok()) << updated.status().ToString();
  auto reopened = VocabularyStore::Open(*storage_, clock_);
  EXPECT_EQ((*reopened)->terms().LabelOf(Vocabulary::kFields, "housing"), "住まい・住宅");
}

TEST_F(VocabularyStoreTest, UpdateChecksTheEtagAndTheMask) {
  auto created = Create("issue-tags", "debt", "債務");
  ASSERT_TRUE(created.ok());
  v1::Term patch;
  patch.set_name(created->name());
  patch.set_label("多重債務");
  patch.set_etag("stale");
  v1::FieldMask mask;
  mask.add_paths("label");
  storage::WriteBatch batch(*storage_);
  EXPECT_TRUE(store_->PrepareUpdate(patch, mask, &batch).status().Is(Reason::kStaleEtag));
  patch.set_etag(created->etag());
  mask.add_paths("state");
  EXPECT_EQ(store_->PrepareUpdate(patch, mask, &batch).status().field_violations().at(0).field,
            "update_mask");
}

TEST_F(VocabularyStoreTest, RetireAndReactivate) {
  auto created = Create("issue-tags", "old", "旧");
  ASSERT_TRUE(created.ok());
  auto retired = Write([&](storage::WriteBatch* batch) {
    return store_->PrepareSetState(created->name(), created->etag(), v1::Term::RETIRED, batch);
  });
  ASSERT_TRUE(retired.ok());
  EXPECT_EQ(store_->terms().StateOf(Vocabulary::kIssueTags, "old"), TermCheck::State::kRetired);
  EXPECT_EQ(store_->terms().LabelOf(Vocabulary::kIssueTags, "old"), "旧");
  auto active = Write([&](storage::WriteBatch* batch) {
    return store_->PrepareSetState(created->name(), "", v1::Term::ACTIVE, batch);
  });
  ASSERT_TRUE(active.ok());
  EXPECT_EQ(store_->terms().StateOf(Vocabulary::kIssueTags, "old"), TermCheck::State::kActive);
  storage::WriteBatch batch(*storage_);
  EXPECT_TRUE(
      store_->PrepareSetState("vocabularies/issue-tags/terms/none", "", v1::Term::RETIRED, &batch)
          .status()
          .Is(Reason::kTermNotFound));
}

TEST_F(VocabularyStoreTest, ImportCreatesUpdatesAndIsIdempotent) {
  const std::string csv =
      "list,id,label,reading,order\n"
      "districts,kita,北区,きたく,10\n"
      "issue-tags,debt,多重債務,たじゅうさいむ,20\n";
  auto first = Import(csv);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_EQ(first->created(), 2);
  auto again = Import(csv);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->unchanged(), 2);
  EXPECT_EQ(again->created(), 0);
  auto relabel = Import("list,id,label,reading,order\ndistricts,kita,北区役所管内,,10\n");
  ASSERT_TRUE(relabel.ok());
  EXPECT_EQ(relabel->updated(), 1);
  EXPECT_EQ(store_->terms().LabelOf(Vocabulary::kDistricts, "kita"), "北区役所管内");
}

TEST_F(VocabularyStoreTest, ADryRunChangesNothing) {
  auto dry = Import("list,id,label\ndistricts,kita,北区\n", /*dry_run=*/true);
  ASSERT_TRUE(dry.ok());
  EXPECT_EQ(dry->created(), 1);
  EXPECT_EQ(store_->terms().Size(Vocabulary::kDistricts), 0u);
}

TEST_F(VocabularyStoreTest, ABadLineImportsNothingAndNamesLineAndColumn) {
  auto bad = Import(
      "list,id,label,reading,order\n"
      "districts,kita,北区,きたく,10\n"
      "districts,Minami,南区,みなみく,20\n");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().field_violations().at(0).field, "line 3, column 2");
  EXPECT_EQ(store_->terms().Size(Vocabulary::kDistricts), 0u);
  auto order = Import("list,id,label,reading,order\ndistricts,kita,北区,,first\n");
  ASSERT_FALSE(order.ok());
  EXPECT_EQ(order.status().field_violations().at(0).field, "line 2, column 5");
}

}  // namespace
}  // namespace casecoord::vocab
