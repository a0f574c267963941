// What casectl's Admin commands share (admin_commands.cc, sign_in_commands.cc).
#pragma once

#include <functional>

#include "casecoord/v1/admin.grpc.pb.h"
#include "clients/cli/command.h"
#include "clients/cli/render.h"

namespace casecoord::cli {

// One Admin call, its answer printed by `print` (or as JSON with --json).
template <typename Request, typename Response>
int CallAdmin(const Context& context,
              grpc::Status (v1::Admin::Stub::*call)(grpc::ClientContext*, const Request&,
                                                    Response*),
              const Request& request, const std::function<void(const Response&)>& print) {
  auto stub = v1::Admin::NewStub(context.channel);
  return CallAndPrint(context, stub.get(), call, request, print);
}

}  // namespace casecoord::cli
