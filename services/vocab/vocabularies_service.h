// gRPC adapter for casecoord.v1.Vocabularies: authorizes through the gatekeeper, calls the
// VocabularyStore, publishes committed terms to its mirror.
#pragma once

#include <string>
#include <string_view>

#include "casecoord/v1/vocabularies.grpc.pb.h"
#include "services/auth/gatekeeper.h"
#include "services/vocab/vocabulary_store.h"

namespace casecoord::vocab {

// Full gRPC method name of a Vocabularies RPC: "/casecoord.v1.Vocabularies/<rpc>".
std::string VocabulariesMethod(std::string_view rpc);

class VocabulariesService final : public v1::Vocabularies::CallbackService {
 public:
  // Both must outlive the service.
  VocabulariesService(auth::Gatekeeper& gatekeeper, VocabularyStore& store)
      : gatekeeper_(gatekeeper), store_(store) {}

  grpc::ServerUnaryReactor* ListTerms(grpc::CallbackServerContext* context,
                                      const v1::ListTermsRequest* request,
                                      v1::ListTermsResponse* response) override;
  grpc::ServerUnaryReactor* CreateTerm(grpc::CallbackServerContext* context,
                                       const v1::CreateTermRequest* request,
                                       v1::Term* response) override;
  grpc::ServerUnaryReactor* UpdateTerm(grpc::CallbackServerContext* context,
                                       const v1::UpdateTermRequest* request,
                                       v1::Term* response) override;
  grpc::ServerUnaryReactor* RetireTerm(grpc::CallbackServerContext* context,
                                       const v1::RetireTermRequest* request,
                                       v1::Term* response) override;
  grpc::ServerUnaryReactor* ReactivateTerm(grpc::CallbackServerContext* context,
                                           const v1::ReactivateTermRequest* request,
                                           v1::Term* response) override;
  grpc::ServerUnaryReactor* ImportTerms(grpc::CallbackServerContext* context,
                                        const v1::ImportTermsRequest* request,
                                        v1::ImportTermsResponse* response) override;

 private:
  grpc::ServerUnaryReactor* SetState(grpc::CallbackServerContext* context, const char* rpc,
                                     const std::string& name, const std::string& etag,
                                     v1::Term::State state, v1::Term* response);

  auth::Gatekeeper& gatekeeper_;
  VocabularyStore& store_;
};

}  // namespace casecoord::vocab
