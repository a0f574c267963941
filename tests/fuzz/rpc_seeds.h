// Valid requests of the rpc_requests fuzz target's seed corpus, in protobuf text format, with the
// user who may make them. Besides these, every method gets an empty request as coordinator and as
// admin. Requests build on each other in name order only loosely: the fuzzer's server keeps its
// data, so an agency or case made by one input is there for the next.
#pragma once

#include <string>
#include <vector>

namespace casecoord::fuzz {

struct RpcSeed {
  std::string method;  // full name, "casecoord.v1.Cases.CreateCase"
  std::string user;    // one of testing::kSampleUsers
  std::string text;    // the request in text format
};

inline const std::vector<RpcSeed>& RpcSeeds() {
  static const std::vector<RpcSeed> seeds = {
      {"casecoord.v1.AgencyDirectory.CreateAgency", "coordinator",
       R"pb(agency_id: "a1"
            agency {
              display_name: "架空地域包括支援センター"
              kana: "カクウチイキホウカツ"
              kind: COMMUNITY_GENERAL_SUPPORT_CENTER
              fields: ELDERLY_CARE
              districts: "kita"
              phone: "03-0000-1234"
              accepts_referrals: true
            })pb"},
      {"casecoord.v1.AgencyDirectory.ListAgencies",
       "agency-staff", R"pb(page_size: 2
                            filter: "kind = \"COMMUNITY_GENERAL_SUPPORT_CENTER\""
                            order_by: "kana")pb"},
      {"casecoord.v1.AgencyDirectory.SearchAgencies", "coordinator", R"pb(query: "ほうかつ 北区"
                                                                          page_size: 5)pb"},
      {"casecoord.v1.AgencyDirectory.GetAgency", "coordinator", R"pb(name: "agencies/a1")pb"},
      {"casecoord.v1.AgencyDirectory.ImportAgencies", "coordinator",
       "options { validate_only: true existing: UPDATE }\n"
       "chunk: \"\\357\\273\\277機関ID,機関名,フリガナ,種別\\r\\nb2,架空障害者相談支援センター,"
       "カクウショウガイシャ,障害者基幹相談支援センター\\r\\n\""},
      {"casecoord.v1.AgencyDirectory.ExportAgencies", "coordinator",
       R"pb(filter: "state = \"ACTIVE\"")pb"},
      {"casecoord.v1.Cases.CreateCase", "coordinator",
       R"pb(request_id: "fuzz-seed-1"
            case {
              members { member_id: "m1" display_name: "架空 一郎" principal: true }
              district: "kita"
              consent: CONSENTED
              referring_agency: "agencies/a1"
              presenting_problem: "架空の相談"
            })pb"},
      {"casecoord.v1.Cases.GetCase", "coordinator", R"pb(name: "cases/1")pb"},
      {"casecoord.v1.Cases.ListCases", "coordinator",
       R"pb(page_size: 1 filter: "state = \"INTAKE\" AND district = \"kita\"")pb"},
      {"casecoord.v1.Cases.TransitionCase", "coordinator",
       R"pb(name: "cases/1"
            to: COORDINATING
            reason: "会議で決定"
            decision_date { year: 2026 month: 4 day: 1 })pb"},
      {"casecoord.v1.Cases.UpdateCase", "coordinator",
       R"pb(case { name: "cases/1" district: "minami" }
            update_mask { paths: "district" })pb"},
      {"casecoord.v1.Cases.AppendConsultation", "coordinator",
       R"pb(parent: "cases/1"
            request_id: "fuzz-seed-2"
            entry {
              kind: CONSULTATION
              date { year: 2026 month: 4 day: 2 }
              method: PHONE
              summary: "電話で相談"
            })pb"},
      {"casecoord.v1.Cases.CreateReferral", "coordinator",
       R"pb(parent: "cases/1"
            request_id: "fuzz-seed-3"
            referral { agency: "agencies/a1" role: PRINCIPAL_SUPPORT note: "依頼" })pb"},
      {"casecoord.v1.Cases.ListConsultations", "agency-staff",
       R"pb(parent: "cases/1" page_size: 3)pb"},
      {"casecoord.v1.Meetings.CreateMeeting", "coordinator",
       R"pb(request_id: "fuzz-seed-4"
            meeting {
              type: SUPPORT_MEETING
              case: "cases/1"
              title: "支援会議"
              scheduled_time { seconds: 1775000000 }
              participants { user: "coordinator" role: FACILITATOR }
              participants { agency: "agencies/a1" role: PRINCIPAL_SUPPORT_ROLE }
            })pb"},
      {"casecoord.v1.Meetings.ListMeetings", "coordinator", R"pb(page_size: 2
                                                                 filter: "case = \"cases/1\"")pb"},
      {"casecoord.v1.Advisers.CreateAdviser", "admin", R"pb(adviser_id: "adv1"
                                                            adviser {
                                                              display_name: "架空 助言者"
                                                              kana: "カクウ"
                                                              kind: COMPLEX_ISSUE_ADVISER
                                                              fields: DISABILITY
                                                              user: "users/adviser"
                                                            })pb"},
      {"casecoord.v1.Advisers.CreateDispatch", "coordinator",
       R"pb(request_id: "fuzz-seed-5"
            dispatch {
              case: "cases/1"
              field: DISABILITY
              request_note: "助言依頼"
              requested_adviser: "advisers/adv1"
            })pb"},
      {"casecoord.v1.Monitoring.SetMonitoringSchedule", "coordinator",
       R"pb(name: "cases/1/monitoring"
            track: LIFE
            schedule {
              interval_days: 30
              start_date { year: 2026 month: 5 day: 1 }
            })pb"},
      {"casecoord.v1.Monitoring.ListDueItems", "coordinator",
       R"pb(due_by { year: 2026 month: 12 day: 31 }
            page_size: 5)pb"},
      {"casecoord.v1.Monitoring.WatchDueItems", "coordinator", R"pb()pb"},
      {"casecoord.v1.Statistics.GetYearlyReport", "planner",
       R"pb(fiscal_year_from: 2025
            fiscal_year_to: 2026
            breakdowns { metric: CASES_COORDINATED dimension: DISTRICT })pb"},
      {"casecoord.v1.Statistics.CreateWelfarePlan", "planner", R"pb(plan_id: "plan1"
                                                                    plan {
                                                                      display_name: "地域福祉計画"
                                                                      first_fiscal_year: 2024
                                                                      last_fiscal_year: 2028
                                                                    })pb"},
      {"casecoord.v1.Admin.CreateUser", "admin",
       R"pb(user_id: "fuzz-user"
            user { display_name: "架空 職員" roles: AGENCY_STAFF agency: "agencies/a1" })pb"},
      {"casecoord.v1.Admin.ListAuditEntries", "auditor", R"pb(resource: "cases/1" page_size: 3)pb"},
      {"casecoord.v1.Admin.VerifyAuditChain", "auditor", R"pb()pb"},
  };
  return seeds;
}

}  // namespace casecoord::fuzz
