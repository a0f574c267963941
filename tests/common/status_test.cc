#include <gtest/gtest.h>

#include <future>

#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "services/common/grpc_errors.h"
#include "services/common/worker_pool.h"

namespace casecoord {
namespace {

TEST(GrpcErrorsTest, InvalidArgumentCarriesFieldViolationsErrorInfoAndJapanese) {
  Status status = Status::InvalidArgument("page_size", "must not be negative");
  status.AddViolation("filter", "unknown field \"colour\"");
  grpc::Status grpc_status = ToGrpcStatus(status);
  EXPECT_EQ(grpc_status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);

  google::rpc::Status rich;
  ASSERT_TRUE(rich.ParseFromString(grpc_status.error_details()));
  EXPECT_EQ(rich.code(), 3);
  google::rpc::ErrorInfo info;
  google::rpc::BadRequest bad_request;
  google::rpc::LocalizedMessage localized;
  for (const auto& detail : rich.details()) {
    detail.UnpackTo(&info);
    detail.UnpackTo(&bad_request);
    detail.UnpackTo(&localized);
  }
  EXPECT_EQ(info.reason(), "INVALID_FIELD");
  EXPECT_EQ(info.domain(), kErrorDomain);
  ASSERT_EQ(bad_request.field_violations_size(), 2);
  EXPECT_EQ(bad_request.field_violations(0).field(), "page_size");
  EXPECT_EQ(bad_request.field_violations(1).field(), "filter");
  EXPECT_EQ(localized.locale(), "ja-JP");
  EXPECT_NE(localized.message().find("page_size"), std::string::npos);

  Status back = FromGrpcStatus(grpc_status);
  EXPECT_EQ(back.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(back.reason(), "INVALID_FIELD");
  ASSERT_EQ(back.field_violations().size(), 2u);
  EXPECT_EQ(back.field_violations()[1].description, "unknown field \"colour\"");
  EXPECT_NE(DescribeGrpcError(grpc_status).find("field filter"), std::string::npos);
}

TEST(GrpcErrorsTest, OkStaysOkAndBareErrorsDecode) {
  EXPECT_TRUE(ToGrpcStatus(Status::Ok()).ok());
  Status bare = FromGrpcStatus(grpc::Status(grpc::StatusCode::UNAVAILABLE, "down"));
  EXPECT_EQ(bare.code(), StatusCode::kUnavailable);
  EXPECT_EQ(bare.message(), "down");
}

TEST(WorkerPoolTest, RunsEverythingQueuedBeforeShutdownAndRefusesAfter) {
  std::atomic<int> ran{0};
  WorkerPool pool(2, 1000);
  for (int i = 0; i < 500; ++i) ASSERT_TRUE(pool.Submit([&] { ran++; }));
  pool.Shutdown();
  EXPECT_EQ(ran.load(), 500);
  EXPECT_FALSE(pool.Submit([&] { ran++; }));
}

TEST(WorkerPoolTest, RefusesBeyondTheQueueBound) {
  std::promise<void> started;
  std::promise<void> release;
  std::shared_future<void> release_future = release.get_future().share();
  WorkerPool pool(1, 2);
  ASSERT_TRUE(pool.Submit([&] {
    started.set_value();
    release_future.wait();
  }));
  started.get_future().wait();  // the only worker is now busy; the queue is empty
  EXPECT_TRUE(pool.Submit([] {}));
  EXPECT_TRUE(pool.Submit([] {}));
  EXPECT_FALSE(pool.Submit([] {}));
  release.set_value();
}

}  // namespace
}  // namespace casecoord
