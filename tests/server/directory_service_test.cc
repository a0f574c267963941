// The agency directory over the real server: coordinators maintain it, everyone searches it.
#include <gtest/gtest.h>

#include "casecoord/v1/directory.grpc.pb.h"
#include "services/common/grpc_errors.h"
#include "tests/support/test_server.h"

namespace casecoord {
namespace {

TEST(DirectoryServiceTest, CoordinatorMaintainsAndAnyUserSearchesInJapanese) {
  testing::TestServer server;
  auto coordinator = v1::AgencyDirectory::NewStub(server.ChannelFor("coordinator"));
  v1::CreateAgencyRequest create;
  create.set_agency_id("kita-houkatsu");
  create.mutable_agency()->set_display_name("北区地域包括支援センター");
  create.mutable_agency()->set_kana("キタクチイキホウカツシエンセンター");
  create.mutable_agency()->set_kind(v1::COMMUNITY_GENERAL_SUPPORT_CENTER);
  create.mutable_agency()->add_districts("kita");
  v1::Agency created;
  {
    grpc::ClientContext context;
    grpc::Status status = coordinator->CreateAgency(&context, create, &created);
    ASSERT_TRUE(status.ok()) << DescribeGrpcError(status);
  }

  auto planner = v1::AgencyDirectory::NewStub(server.ChannelFor("planner"));
  v1::SearchAgenciesRequest search;
  search.set_query("ちいきほうかつ");
  v1::SearchAgenciesResponse found;
  {
    grpc::ClientContext context;
    ASSERT_TRUE(planner->SearchAgencies(&context, search, &found).ok());
  }
  ASSERT_EQ(found.matches_size(), 1);
  EXPECT_EQ(found.matches(0).agency().name(), "agencies/kita-houkatsu");

  // A stale etag over the wire is ABORTED.
  v1::UpdateAgencyRequest update;
  *update.mutable_agency() = created;
  update.mutable_agency()->set_phone("06-0000-0000");
  update.mutable_update_mask()->add_paths("phone");
  v1::Agency updated;
  {
    grpc::ClientContext context;
    ASSERT_TRUE(coordinator->UpdateAgency(&context, update, &updated).ok());
  }
  {
    grpc::ClientContext context;
    EXPECT_EQ(coordinator->UpdateAgency(&context, update, &updated).error_code(),
              grpc::StatusCode::ABORTED);
  }
  // A bad filter names the field.
  v1::ListAgenciesRequest list;
  list.set_filter("colour = red");
  v1::ListAgenciesResponse listed;
  grpc::ClientContext context;
  Status refused = FromGrpcStatus(planner->ListAgencies(&context, list, &listed));
  EXPECT_EQ(refused.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(refused.field_violations().at(0).field, "filter");
}

}  // namespace
}  // namespace casecoord
