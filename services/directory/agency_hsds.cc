// AgenciesToHsdsJson: the directory in the Human Services Data Specification's JSON form.
#include <google/protobuf/descriptor.h>

#include <nlohmann/json.hpp>

#include "services/common/enum_labels.h"
#include "services/directory/agency_cells.h"
#include "services/directory/agency_csv.h"

namespace casecoord::directory {
namespace {

// The JSON text of one agency in HSDS form.
nlohmann::ordered_json HsdsOrganization(const v1::Agency& agency) {
  using nlohmann::ordered_json;
  const std::string id = AgencyIdOf(agency);
  ordered_json organization;
  organization["id"] = id;
  organization["name"] = agency.display_name();
  organization["alternate_name"] = agency.kana();
  organization["description"] = LabelJa(*v1::AgencyKind_descriptor(), agency.kind());
  if (!agency.email().empty()) organization["email"] = agency.email();

  ordered_json phones = ordered_json::array();
  if (!agency.phone().empty()) phones.push_back({{"number", agency.phone()}, {"type", "voice"}});
  if (!agency.fax().empty()) phones.push_back({{"number", agency.fax()}, {"type", "fax"}});
  organization["phones"] = std::move(phones);

  ordered_json areas = ordered_json::array();
  for (const std::string& district : agency.districts()) areas.push_back({{"name", district}});
  const char* status = "active";
  if (agency.state() == v1::Agency::INACTIVE) status = "inactive";
  if (agency.state() == v1::Agency::CLOSED) status = "defunct";
  ordered_json services = ordered_json::array();
  for (int i = 0; i < agency.services_size(); ++i) {
    const v1::AgencyService& service = agency.services(i);
    ordered_json entry;
    entry["id"] = id + "/services/" + std::to_string(i + 1);
    entry["name"] = service.name();
    entry["status"] = status;
    if (!service.eligibility().empty()) entry["eligibility_description"] = service.eligibility();
    if (service.min_age() > 0) entry["minimum_age"] = service.min_age();
    if (service.max_age() > 0) entry["maximum_age"] = service.max_age();
    entry["service_areas"] = areas;
    services.push_back(std::move(entry));
  }
  organization["services"] = std::move(services);

  ordered_json locations = ordered_json::array();
  if (!agency.address().empty()) {
    locations.push_back({{"location_type", "physical"},
                         {"addresses", ordered_json::array({{{"address_1", agency.address()},
                                                             {"country", "JP"}}})}});
  }
  organization["locations"] = std::move(locations);

  ordered_json extension;
  const google::protobuf::EnumValueDescriptor* kind =
      v1::AgencyKind_descriptor()->FindValueByNumber(agency.kind());
  extension["kind"] = kind != nullptr ? kind->name() : std::to_string(agency.kind());
  const google::protobuf::EnumValueDescriptor* operator_type =
      v1::OperatorType_descriptor()->FindValueByNumber(agency.operator_type());
  extension["operator_type"] =
      operator_type != nullptr ? operator_type->name() : std::to_string(agency.operator_type());
  ordered_json fields = ordered_json::array();
  for (int field : agency.fields()) {
    const google::protobuf::EnumValueDescriptor* value =
        v1::SupportField_descriptor()->FindValueByNumber(field);
    fields.push_back(value != nullptr ? value->name() : std::to_string(field));
  }
  extension["fields"] = std::move(fields);
  extension["issue_tags"] = ordered_json::array();
  for (const std::string& tag : agency.issue_tags()) extension["issue_tags"].push_back(tag);
  extension["districts"] = ordered_json::array();
  for (const std::string& district : agency.districts()) {
    extension["districts"].push_back(district);
  }
  extension["accepts_referrals"] = agency.accepts_referrals();
  extension["referral_contact"] = agency.referral_contact();
  extension["hours"] = agency.hours();
  extension["state"] = v1::Agency::State_Name(agency.state());
  if (agency.has_last_verified_time()) {
    extension["last_verified"] = FormatDateCell(agency.last_verified_time());
  } else {
    extension["last_verified"] = nullptr;
  }
  organization["x_casecoord"] = std::move(extension);
  return organization;
}

}  // namespace

std::string AgenciesToHsdsJson(const std::vector<v1::Agency>& agencies) {
  nlohmann::ordered_json organizations = nlohmann::ordered_json::array();
  for (const v1::Agency& agency : agencies) organizations.push_back(HsdsOrganization(agency));
  nlohmann::ordered_json document;
  document["organizations"] = std::move(organizations);
  // Protobuf strings are UTF-8 already; replace rather than throw should one not be.
  return document.dump(2, ' ', /*ensure_ascii=*/false, nlohmann::json::error_handler_t::replace) +
         "\n";
}

}  // namespace casecoord::directory
