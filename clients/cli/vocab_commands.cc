// casectl vocab: the managed vocabularies (districts, issue-tags, fields) — list them, and for
// admins add, update, retire, reactivate and import terms (vocabularies.proto).
#include <CLI/CLI.hpp>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "casecoord/v1/vocabularies.grpc.pb.h"
#include "clients/cli/command.h"
#include "clients/cli/render.h"
#include "clients/cli/table.h"

namespace casecoord::cli {
namespace {

constexpr char kListHelp[] = "districts, issue-tags or fields";

bool ValidList(const std::string& list) {
  return list == "districts" || list == "issue-tags" || list == "fields";
}

int ListUsage(const std::string& list) {
  return UsageError("不明なリスト / unknown list \"" + list + "\" (valid lists: " + kListHelp +
                    ")");
}

std::string TermName(const std::string& list, const std::string& id) {
  return "vocabularies/" + list + "/terms/" + id;
}

std::string StateText(v1::Term::State state) {
  return state == v1::Term::RETIRED ? "廃止/RETIRED" : "有効/ACTIVE";
}

void PrintTerm(const v1::Term& term) {
  PrintTable({"ID", "表示名/LABEL", "読み/READING", "順序/ORDER", "状態/STATE"},
             {{term.term_id(), term.label(), OrDash(term.reading()),
               std::to_string(term.display_order()), StateText(term.state())}});
}

class VocabListCommand : public Command {
 public:
  void Configure(CLI::App& app) override { app.add_option("list", list_, kListHelp)->required(); }
  int Prepare() override { return ValidList(list_) ? kExitOk : ListUsage(list_); }
  int Run(const Context& context) override {
    auto stub = v1::Vocabularies::NewStub(context.channel);
    v1::ListTermsRequest request;
    request.set_parent("vocabularies/" + list_);
    return CallAndPrint<v1::Vocabularies::Stub, v1::ListTermsRequest, v1::ListTermsResponse>(
        context, stub.get(), &v1::Vocabularies::Stub::ListTerms, request,
        [](const v1::ListTermsResponse& response) {
          if (response.terms().empty()) {
            std::cout << "登録された用語はありません / no terms\n";
            return;
          }
          std::vector<Row> rows;
          for (const auto& term : response.terms()) {
            rows.push_back({term.term_id(), term.label(), OrDash(term.reading()),
                            std::to_string(term.display_order()), StateText(term.state())});
          }
          PrintTable({"ID", "表示名/LABEL", "読み/READING", "順序/ORDER", "状態/STATE"}, rows);
        });
  }

 private:
  std::string list_;
};

class VocabAddCommand : public Command {
 public:
  void Configure(CLI::App& app) override {
    app.add_option("list", list_, kListHelp)->required();
    app.add_option("id", id_, "the code records store: lowercase letters, digits and '-'")
        ->required();
    app.add_option("--label", label_, "Japanese label, e.g. 北区")->required();
    app.add_option("--reading", reading_, "reading in kana, e.g. きたく");
    app.add_option("--order", order_, "display order (0 to 1000000)");
  }
  int Prepare() override {
    if (!ValidList(list_)) return ListUsage(list_);
    request_.set_parent("vocabularies/" + list_);
    request_.set_term_id(id_);
    request_.mutable_term()->set_label(label_);
    request_.mutable_term()->set_reading(reading_);
    request_.mutable_term()->set_display_order(order_);
    return kExitOk;
  }
  int Run(const Context& context) override {
    auto stub = v1::Vocabularies::NewStub(context.channel);
    return CallAndPrint<v1::Vocabularies::Stub, v1::CreateTermRequest, v1::Term>(
        context, stub.get(), &v1::Vocabularies::Stub::CreateTerm, request_,
        [](const v1::Term& term) {
          std::cout << "用語を登録しました / term added: " << term.name() << "\n";
          PrintTerm(term);
        });
  }

 private:
  std::string list_, id_, label_, reading_;
  int order_ = 0;
  v1::CreateTermRequest request_;
};

// Reads the term for its etag, then makes `change` with it.
class VocabChangeCommand : public Command {
 public:
  void Configure(CLI::App& app) override {
    app.add_option("list", list_, kListHelp)->required();
    app.add_option("id", id_, "the term's id")->required();
  }
  int Prepare() override { return ValidList(list_) ? kExitOk : ListUsage(list_); }
  int Run(const Context& context) override {
    auto stub = v1::Vocabularies::NewStub(context.channel);
    v1::ListTermsRequest list;
    list.set_parent("vocabularies/" + list_);
    v1::ListTermsResponse terms;
    auto list_context = NewContext(context.options);
    grpc::Status status = stub->ListTerms(list_context.get(), list, &terms);
    if (!status.ok()) return ReportError(status);
    const std::string name = TermName(list_, id_);
    std::string etag;
    for (const auto& term : terms.terms()) {
      if (term.name() == name) etag = term.etag();
    }
    v1::Term changed;
    auto call = NewContext(context.options);
    status = Change(*stub, call.get(), name, etag, &changed);
    if (!status.ok()) return ReportError(status);
    return PrintResult(context, changed, [&changed] {
      std::cout << "用語を更新しました / term updated: " << changed.name() << "\n";
      PrintTerm(changed);
    });
  }

 protected:
  virtual grpc::Status Change(v1::Vocabularies::Stub& stub, grpc::ClientContext* call,
                              const std::string& name, const std::string& etag,
                              v1::Term* changed) = 0;

 private:
  std::string list_, id_;
};

class VocabUpdateCommand : public VocabChangeCommand {
 public:
  void Configure(CLI::App& app) override {
    VocabChangeCommand::Configure(app);
    label_option_ = app.add_option("--label", label_, "new Japanese label");
    reading_option_ = app.add_option("--reading", reading_, "new reading in kana");
    order_option_ = app.add_option("--order", order_, "new display order");
  }
  int Prepare() override {
    if (int code = VocabChangeCommand::Prepare(); code != kExitOk) return code;
    if (label_option_->count() > 0) request_.mutable_update_mask()->add_paths("label");
    if (reading_option_->count() > 0) request_.mutable_update_mask()->add_paths("reading");
    if (order_option_->count() > 0) request_.mutable_update_mask()->add_paths("display_order");
    if (request_.update_mask().paths().empty()) {
      return UsageError(
          "変更する項目がありません / nothing to update: give --label, --reading or --order");
    }
    request_.mutable_term()->set_label(label_);
    request_.mutable_term()->set_reading(reading_);
    request_.mutable_term()->set_display_order(order_);
    return kExitOk;
  }

 protected:
  grpc::Status Change(v1::Vocabularies::Stub& stub, grpc::ClientContext* call,
                      const std::string& name, const std::string& etag,
                      v1::Term* changed) override {
    request_.mutable_term()->set_name(name);
    request_.mutable_term()->set_etag(etag);
    return stub.UpdateTerm(call, request_, changed);
  }

 private:
  CLI::Option* label_option_ = nullptr;
  CLI::Option* reading_option_ = nullptr;
  CLI::Option* order_option_ = nullptr;
  std::string label_, reading_;
  int order_ = 0;
  v1::UpdateTermRequest request_;
};

class VocabRetireCommand : public VocabChangeCommand {
 protected:
  grpc::Status Change(v1::Vocabularies::Stub& stub, grpc::ClientContext* call,
                      const std::string& name, const std::string& etag,
                      v1::Term* changed) override {
    v1::RetireTermRequest request;
    request.set_name(name);
    request.set_etag(etag);
    return stub.RetireTerm(call, request, changed);
  }
};

class VocabReactivateCommand : public VocabChangeCommand {
 protected:
  grpc::Status Change(v1::Vocabularies::Stub& stub, grpc::ClientContext* call,
                      const std::string& name, const std::string& etag,
                      v1::Term* changed) override {
    v1::ReactivateTermRequest request;
    request.set_name(name);
    request.set_etag(etag);
    return stub.ReactivateTerm(call, request, changed);
  }
};

class VocabImportCommand : public Command {
 public:
  void Configure(CLI::App& app) override {
    app.add_option("file", file_, "CSV with the header list,id,label,reading,order")->required();
    app.add_flag("--dry-run", dry_run_, "check the file and report, changing nothing");
  }
  int Prepare() override {
    std::ifstream in(file_, std::ios::binary);
    std::stringstream bytes;
    bytes << in.rdbuf();
    if (!in) return UsageError("ファイルを読めません / cannot read " + file_);
    request_.set_csv(bytes.str());
    request_.set_dry_run(dry_run_);
    return kExitOk;
  }
  int Run(const Context& context) override {
    auto stub = v1::Vocabularies::NewStub(context.channel);
    return CallAndPrint<v1::Vocabularies::Stub, v1::ImportTermsRequest, v1::ImportTermsResponse>(
        context, stub.get(), &v1::Vocabularies::Stub::ImportTerms, request_,
        [this](const v1::ImportTermsResponse& response) {
          std::cout << (dry_run_ ? "確認のみ（変更なし） / dry run, nothing changed\n"
                                 : "取り込みました / imported\n")
                    << "新規/created " << response.created() << ", 更新/updated "
                    << response.updated() << ", 変更なし/unchanged " << response.unchanged()
                    << "\n";
        });
  }

 private:
  std::string file_;
  bool dry_run_ = false;
  v1::ImportTermsRequest request_;
};

const CommandSpec kVocabCommands[] = {
    {"vocab", "コード表 / vocabularies: districts, issue-tags, fields"},
    {"vocab list", "every term of a list, with its label and state", Make<VocabListCommand>},
    {"vocab add", "add a term (admins)", Make<VocabAddCommand>},
    {"vocab update", "change a term's label, reading or order (admins)", Make<VocabUpdateCommand>},
    {"vocab retire", "retire a term: records holding it keep it, new ones cannot use it (admins)",
     Make<VocabRetireCommand>},
    {"vocab reactivate", "make a retired term usable again (admins)", Make<VocabReactivateCommand>},
    {"vocab import", "add or update terms from a CSV file, all or nothing (admins)",
     Make<VocabImportCommand>},
};

}  // namespace

std::span<const CommandSpec> VocabCommandTable() { return kVocabCommands; }

}  // namespace casecoord::cli
