#include "services/cases/case_model.h"

#include <google/protobuf/util/message_differencer.h>
#include <gtest/gtest.h>

#include <map>
#include <set>

namespace casecoord::cases {
namespace {

v1::Case SampleCase() {
  v1::Case record;
  record.set_name("cases/7");
  auto* principal = record.add_members();
  principal->set_member_id("m1");
  principal->set_display_name("架空 太郎");
  principal->set_kana("カクウ タロウ");
  principal->mutable_birth_date()->set_year(1972);
  principal->mutable_birth_date()->set_month(4);
  principal->mutable_birth_date()->set_day(2);
  principal->set_relationship("本人");
  principal->set_phone("090-8765-4321");
  principal->set_principal(true);
  principal->add_issue_tags("hikikomori");
  auto* mother = record.add_members();
  mother->set_member_id("m2");
  mother->set_display_name("架空 花子");
  mother->set_relationship("母");
  mother->add_issue_tags("dementia");
  auto* involved = record.add_involved_agencies();
  involved->set_agency("agencies/kita-houkatsu-1");
  involved->set_note("母の介護保険申請を支援中");
  record.set_address("架空市北区本町1-2-3");
  record.set_phone("03-5555-0123");
  record.set_referral_note("訪問を2回実施");
  record.set_presenting_problem("50代の長男が外出せず、母の認知症が進行");
  record.set_district("kita");
  record.add_household_issue_tags("8050");
  return record;
}

TEST(CaseModelTest, SplitLeavesNoPersonalDataInThePublicPartAndJoinRestoresIt) {
  const v1::Case original = SampleCase();
  v1::Case record = original;
  const v1::Case personal = SplitPersonal(&record);
  const std::string public_bytes = record.SerializeAsString();
  for (const char* secret : {"架空 太郎", "カクウ タロウ", "架空 花子", "本町", "訪問を2回",
                             "認知症が進行", "介護保険申請", "090-8765-4321", "03-5555-0123"}) {
    EXPECT_EQ(public_bytes.find(secret), std::string::npos) << secret;
  }
  EXPECT_FALSE(record.members(0).has_birth_date());
  // What statistics count stays public.
  EXPECT_EQ(record.members(0).issue_tags(0), "hikikomori");
  EXPECT_EQ(record.district(), "kita");

  ASSERT_TRUE(JoinPersonal(personal, &record).ok());
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(record, original));
}

TEST(CaseModelTest, JoinRefusesPersonalDataOfAnotherShape) {
  v1::Case record = SampleCase();
  v1::Case personal = SplitPersonal(&record);
  v1::Case reordered = record;
  reordered.mutable_members()->SwapElements(0, 1);
  EXPECT_EQ(JoinPersonal(personal, &reordered).code(), StatusCode::kDataLoss);
  v1::Case fewer = record;
  fewer.mutable_members()->RemoveLast();
  EXPECT_EQ(JoinPersonal(personal, &fewer).code(), StatusCode::kDataLoss);
}

v1::TransitionCaseRequest To(v1::CaseState to,
                             v1::CaseOutcome outcome = v1::CASE_OUTCOME_UNSPECIFIED,
                             const char* reason = "") {
  v1::TransitionCaseRequest request;
  request.set_to(to);
  request.set_outcome(outcome);
  request.set_reason(reason);
  return request;
}

TEST(CaseModelTest, TheLifecycleAllowsExactlyTheDocumentedTransitions) {
  const v1::CaseState states[] = {v1::INTAKE, v1::COMPLETED_BY_ADVICE, v1::COORDINATING,
                                  v1::IN_SUPPORT, v1::CLOSED};
  // from -> the targets allowed (with a reason and, for CLOSED, an outcome that fits).
  const std::map<v1::CaseState, std::set<v1::CaseState>> allowed = {
      {v1::INTAKE, {v1::COMPLETED_BY_ADVICE, v1::COORDINATING, v1::CLOSED}},
      {v1::COMPLETED_BY_ADVICE, {v1::COORDINATING}},
      {v1::COORDINATING, {v1::IN_SUPPORT, v1::CLOSED}},
      {v1::IN_SUPPORT, {v1::CLOSED, v1::COORDINATING}},
      {v1::CLOSED, {v1::COORDINATING}},
  };
  for (v1::CaseState from : states) {
    for (v1::CaseState to : states) {
      const auto request =
          To(to, to == v1::CLOSED ? v1::WITHDRAWN : v1::CASE_OUTCOME_UNSPECIFIED, "理由");
      const Status status = CheckTransition(from, request);
      if (allowed.at(from).count(to) > 0) {
        EXPECT_TRUE(status.ok()) << v1::CaseState_Name(from) << " -> " << v1::CaseState_Name(to)
                                 << ": " << status.ToString();
      } else {
        EXPECT_EQ(status.code(), StatusCode::kFailedPrecondition)
            << v1::CaseState_Name(from) << " -> " << v1::CaseState_Name(to);
        EXPECT_NE(status.message().find(v1::CaseState_Name(from)), std::string::npos)
            << "the error names the current state: " << status.message();
      }
    }
  }
}

TEST(CaseModelTest, ClosuresNeedFittingOutcomesAndReopeningNeedsAReason) {
  EXPECT_EQ(CheckTransition(v1::IN_SUPPORT, To(v1::CLOSED)).field_violations().at(0).field,
            "outcome");
  EXPECT_TRUE(CheckTransition(v1::IN_SUPPORT, To(v1::CLOSED, v1::RESOLVED)).ok());
  EXPECT_EQ(CheckTransition(v1::IN_SUPPORT, To(v1::CLOSED, v1::NOT_RESOLVED_REVIEWED))
                .field_violations()
                .at(0)
                .field,
            "reason");
  EXPECT_TRUE(
      CheckTransition(v1::IN_SUPPORT, To(v1::CLOSED, v1::NOT_RESOLVED_REVIEWED, "検証結果")).ok());
  EXPECT_EQ(CheckTransition(v1::INTAKE, To(v1::CLOSED, v1::RESOLVED)).code(),
            StatusCode::kFailedPrecondition);
  EXPECT_EQ(CheckTransition(v1::CLOSED, To(v1::COORDINATING)).field_violations().at(0).field,
            "reason");
  EXPECT_EQ(CheckTransition(v1::COORDINATING, To(v1::IN_SUPPORT, v1::RESOLVED))
                .field_violations()
                .at(0)
                .field,
            "outcome");
}

}  // namespace
}  // namespace casecoord::cases
