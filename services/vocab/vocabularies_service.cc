#include "services/vocab/vocabularies_service.h"

namespace casecoord::vocab {

std::string VocabulariesMethod(std::string_view rpc) {
  return "/" + std::string(v1::Vocabularies::service_full_name()) + "/" + std::string(rpc);
}

grpc::ServerUnaryReactor* VocabulariesService::ListTerms(grpc::CallbackServerContext* context,
                                                         const v1::ListTermsRequest* request,
                                                         v1::ListTermsResponse* response) {
  return gatekeeper_.Handle(
      context, VocabulariesMethod("ListTerms"), [this, request, response](auth::Call& call) {
        call.set_resource(request->parent());
        CASECOORD_ASSIGN_OR_RETURN(const Vocabulary list,
                                   ParseListName(request->parent(), "parent"));
        for (auto& term : store_.terms().List(list)) *response->add_terms() = std::move(term);
        return Status::Ok();
      });
}

grpc::ServerUnaryReactor* VocabulariesService::CreateTerm(grpc::CallbackServerContext* context,
                                                          const v1::CreateTermRequest* request,
                                                          v1::Term* response) {
  return gatekeeper_.Handle(
      context, VocabulariesMethod("CreateTerm"), [this, request, response](auth::Call& call) {
        call.set_resource(request->parent() + "/terms/" + request->term_id());
        call.HoldUntilCommitted(store_.LockForWrite());
        CASECOORD_ASSIGN_OR_RETURN(
            *response, store_.PrepareCreate(request->parent(), request->term_id(), request->term(),
                                            &call.changes()));
        call.OnCommitted([this, term = *response] { store_.Publish(term); });
        return Status::Ok();
      });
}

grpc::ServerUnaryReactor* VocabulariesService::UpdateTerm(grpc::CallbackServerContext* context,
                                                          const v1::UpdateTermRequest* request,
                                                          v1::Term* response) {
  return gatekeeper_.Handle(
      context, VocabulariesMethod("UpdateTerm"), [this, request, response](auth::Call& call) {
        call.set_resource(request->term().name());
        call.HoldUntilCommitted(store_.LockForWrite());
        CASECOORD_ASSIGN_OR_RETURN(
            *response,
            store_.PrepareUpdate(request->term(), request->update_mask(), &call.changes()));
        call.OnCommitted([this, term = *response] { store_.Publish(term); });
        return Status::Ok();
      });
}

grpc::ServerUnaryReactor* VocabulariesService::SetState(grpc::CallbackServerContext* context,
                                                        const char* rpc, const std::string& name,
                                                        const std::string& etag,
                                                        v1::Term::State state, v1::Term* response) {
  return gatekeeper_.Handle(
      context, VocabulariesMethod(rpc), [this, &name, &etag, state, response](auth::Call& call) {
        call.set_resource(name);
        call.HoldUntilCommitted(store_.LockForWrite());
        CASECOORD_ASSIGN_OR_RETURN(*response,
                                   store_.PrepareSetState(name, etag, state, &call.changes()));
        call.OnCommitted([this, term = *response] { store_.Publish(term); });
        return Status::Ok();
      });
}

grpc::ServerUnaryReactor* VocabulariesService::RetireTerm(grpc::CallbackServerContext* context,
                                                          const v1::RetireTermRequest* request,
                                                          v1::Term* response) {
  return SetState(context, "RetireTerm", request->name(), request->etag(), v1::Term::RETIRED,
                  response);
}

grpc::ServerUnaryReactor* VocabulariesService::ReactivateTerm(
    grpc::CallbackServerContext* context, const v1::ReactivateTermRequest* request,
    v1::Term* response) {
  return SetState(context, "ReactivateTerm", request->name(), request->etag(), v1::Term::ACTIVE,
                  response);
}

grpc::ServerUnaryReactor* VocabulariesService::ImportTerms(grpc::CallbackServerContext* context,
                                                           const v1::ImportTermsRequest* request,
                                                           v1::ImportTermsResponse* response) {
  return gatekeeper_.Handle(
      context, VocabulariesMethod("ImportTerms"), [this, request, response](auth::Call& call) {
        call.set_resource("vocabularies");
        call.HoldUntilCommitted(store_.LockForWrite());
        std::vector<v1::Term> changed;
        CASECOORD_ASSIGN_OR_RETURN(
            *response,
            store_.PrepareImport(request->csv(), request->dry_run(), &call.changes(), &changed));
        call.OnCommitted([this, changed = std::move(changed)] {
          for (const auto& term : changed) store_.Publish(term);
        });
        return Status::Ok();
      });
}

}  // namespace casecoord::vocab
