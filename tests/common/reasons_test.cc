#include "services/common/reasons.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "services/common/grpc_errors.h"
#include "services/common/status.h"

namespace casecoord {
namespace {

bool IsUpperSnakeCase(std::string_view name) {
  if (name.empty() || name.front() == '_' || name.back() == '_') return false;
  for (char c : name) {
    if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_')) return false;
  }
  return true;
}

// Japanese text here means: at least one character outside ASCII, no ASCII-only message.
bool HasJapanese(std::string_view text) {
  for (unsigned char c : text) {
    if (c >= 0x80) return true;
  }
  return false;
}

TEST(ReasonCatalogueTest, EveryReasonHasOneNameACodeAndAJapaneseMessage) {
  std::set<std::string_view> names;
  ASSERT_GT(AllReasons().size(), 100u);
  for (const ReasonSpec& spec : AllReasons()) {
    SCOPED_TRACE(std::string(spec.name));
    EXPECT_TRUE(IsUpperSnakeCase(spec.name));
    EXPECT_TRUE(names.insert(spec.name).second) << "declared twice";
    EXPECT_NE(spec.code, StatusCode::kOk);
    EXPECT_STRNE(StatusCodeName(spec.code), "UNKNOWN");
    EXPECT_TRUE(HasJapanese(spec.japanese));
    EXPECT_EQ(&SpecOf(spec.reason), &spec);
    EXPECT_EQ(ReasonNamed(spec.name), spec.reason);
  }
}

TEST(ReasonCatalogueTest, StaleEtagsHaveOneName) {
  EXPECT_EQ(SpecOf(Reason::kStaleEtag).code, StatusCode::kAborted);
  EXPECT_EQ(ReasonNamed("ETAG_MISMATCH"), Reason::kUnknown);
}

TEST(ReasonCatalogueTest, AStatusTakesItsCodeFromTheCatalogueAndIsTestedByReason) {
  Status purged(Reason::kCasePurged, "cases/7 was purged");
  EXPECT_EQ(purged.code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(purged.reason(), "CASE_PURGED");
  EXPECT_TRUE(purged.Is(Reason::kCasePurged));
  EXPECT_FALSE(purged.Is(Reason::kNotFound));
  EXPECT_FALSE(Status::Ok().Is(Reason::kUnknown));
}

TEST(ReasonCatalogueTest, TheJapaneseMessageOfTheReasonTravelsAndTheReasonComesBack) {
  grpc::Status sent = ToGrpcStatus(Status(Reason::kReferralAnswered, "referrals/3 was answered"));
  google::rpc::Status rich;
  ASSERT_TRUE(rich.ParseFromString(sent.error_details()));
  google::rpc::LocalizedMessage localized;
  for (const auto& detail : rich.details()) detail.UnpackTo(&localized);
  EXPECT_EQ(localized.message(), SpecOf(Reason::kReferralAnswered).japanese);

  Status back = FromGrpcStatus(sent);
  EXPECT_TRUE(back.Is(Reason::kReferralAnswered));
  EXPECT_EQ(back.code(), StatusCode::kFailedPrecondition);
}

TEST(ReasonCatalogueTest, AReasonThisBuildDoesNotKnowIsKeptVerbatim) {
  Status newer = Status::FromWire(StatusCode::kFailedPrecondition, "SOMETHING_NEWER", "later");
  EXPECT_EQ(newer.reason(), "SOMETHING_NEWER");
  EXPECT_TRUE(newer.Is(Reason::kUnknown));
  EXPECT_FALSE(newer.Is(Reason::kCasePurged));
  EXPECT_TRUE(Status::FromWire(StatusCode::kOk, "", "").ok());
}

Result<int> Half(int n) {
  if (n % 2 != 0) return Status::InvalidArgument("n", "must be even");
  return n / 2;
}

Result<int> Quarter(int n) {
  CASECOORD_ASSIGN_OR_RETURN(int half, Half(n));
  CASECOORD_ASSIGN_OR_RETURN(half, Half(half));
  return half;
}

Status CheckQuarter(int n) {
  CASECOORD_RETURN_IF_ERROR(Quarter(n));
  CASECOORD_RETURN_IF_ERROR(Status::Ok());
  return Status::Ok();
}

TEST(StatusMacrosTest, AssignOrReturnAndReturnIfErrorPassTheFirstFailureOn) {
  ASSERT_TRUE(Quarter(12).ok());
  EXPECT_EQ(*Quarter(12), 3);
  EXPECT_EQ(Quarter(6).status().field_violations().at(0).field, "n");
  EXPECT_TRUE(Quarter(7).status().Is(Reason::kInvalidField));
  EXPECT_TRUE(CheckQuarter(8).ok());
  EXPECT_TRUE(CheckQuarter(10).Is(Reason::kInvalidField));
}

}  // namespace
}  // namespace casecoord
