#include "services/directory/agency_catalog.h"

#include <algorithm>
#include <tuple>
#include <unordered_set>

#include "services/directory/agency_store.h"
#include "services/text/japanese_text.h"

namespace casecoord::directory {

using text::ContainsNormalized;
using text::IndexTermsOfNormalized;
using text::KanaSortKey;
using text::NormalizeForSearch;
using text::QueryTermsOfNormalized;

struct AgencyCatalog::Entry {
  std::string id;
  v1::Agency full;
  v1::Agency basic;
  std::string name_text;        // NormalizeForSearch(display_name)
  std::string kana_text;        // NormalizeForSearch(kana)
  std::string kana_key;         // KanaSortKey(kana)
  std::vector<uint32_t> terms;  // ids of the distinct n-grams of name and reading
  bool partner = false;         // ACTIVE and accepts referrals
};

struct AgencyCatalog::Snapshot {
  uint64_t version = 0;
  std::vector<std::shared_ptr<const Entry>> ordered;  // kana order, then id
  std::unordered_map<std::string, uint32_t> term_ids;
  std::vector<std::vector<uint32_t>> postings;  // by term id: ascending positions in `ordered`
  // By PartnerListKey(tag, district or ""): ascending positions of partners.
  std::unordered_map<std::string, std::vector<uint32_t>> partners;
};

namespace {

std::string PartnerListKey(std::string_view tag, std::string_view district) {
  std::string key(tag);
  key.push_back('\n');  // neither a tag nor a district can contain it
  key.append(district);
  return key;
}

v1::Agency BasicView(const v1::Agency& agency) {
  v1::Agency basic;
  basic.set_name(agency.name());
  basic.set_display_name(agency.display_name());
  basic.set_kana(agency.kana());
  basic.set_kind(agency.kind());
  basic.set_state(agency.state());
  basic.set_accepts_referrals(agency.accepts_referrals());
  basic.set_phone(agency.phone());
  *basic.mutable_districts() = agency.districts();
  return basic;
}

// A template so that it may take the catalog's private Entry.
template <typename CatalogEntry>
const v1::Agency& ViewOf(const CatalogEntry& entry, v1::AgencyView view) {
  return view == v1::AGENCY_VIEW_FULL ? entry.full : entry.basic;
}

}  // namespace

AgencyCatalog::AgencyCatalog() = default;
AgencyCatalog::~AgencyCatalog() = default;

Status AgencyCatalog::LoadIfNeeded(
    const std::function<Result<std::vector<v1::Agency>>()>& load_all) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (loaded_) return Status::Ok();
  auto all = load_all();
  if (!all.ok()) return all.status();
  entries_.clear();
  for (const auto& agency : *all) {
    auto entry = MakeEntry(agency);
    entries_[entry->id] = std::move(entry);
  }
  loaded_ = true;
  version_.fetch_add(1, std::memory_order_release);
  return Status::Ok();
}

std::shared_ptr<const AgencyCatalog::Entry> AgencyCatalog::MakeEntry(const v1::Agency& agency) {
  auto entry = std::make_shared<Entry>();
  entry->id = agency.name().substr(agency.name().find('/') + 1);
  entry->full = agency;
  entry->basic = BasicView(agency);
  entry->name_text = NormalizeForSearch(agency.display_name());
  entry->kana_text = NormalizeForSearch(agency.kana());
  entry->kana_key = KanaSortKey(agency.kana());
  entry->partner = agency.state() == v1::Agency::ACTIVE && agency.accepts_referrals();
  std::unordered_set<uint32_t> seen;
  for (const std::string* text : {&entry->name_text, &entry->kana_text}) {
    for (auto& term : IndexTermsOfNormalized(*text)) {
      auto [it, added] = term_ids_.try_emplace(std::move(term), term_ids_.size());
      if (seen.insert(it->second).second) entry->terms.push_back(it->second);
    }
  }
  return entry;
}

void AgencyCatalog::Put(const v1::Agency& agency) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (!loaded_) return;
  auto entry = MakeEntry(agency);
  entries_[entry->id] = std::move(entry);
  version_.fetch_add(1, std::memory_order_release);
}

void AgencyCatalog::Remove(const std::string& id) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (!loaded_) return;
  if (entries_.erase(id) > 0) version_.fetch_add(1, std::memory_order_release);
}

std::shared_ptr<const AgencyCatalog::Snapshot> AgencyCatalog::Current() const {
  auto snapshot = snapshot_.load(std::memory_order_acquire);
  if (snapshot != nullptr && snapshot->version == version_.load(std::memory_order_acquire)) {
    return snapshot;
  }
  std::lock_guard<std::mutex> rebuild(rebuild_mutex_);
  auto fresh = std::make_shared<Snapshot>();
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!loaded_) return nullptr;
    snapshot = snapshot_.load(std::memory_order_acquire);
    fresh->version = version_.load(std::memory_order_acquire);
    if (snapshot != nullptr && snapshot->version == fresh->version) return snapshot;
    fresh->ordered.reserve(entries_.size());
    for (const auto& [id, entry] : entries_) fresh->ordered.push_back(entry);
    fresh->term_ids = term_ids_;
  }
  std::sort(fresh->ordered.begin(), fresh->ordered.end(), [](const auto& a, const auto& b) {
    return std::tie(a->kana_key, a->id) < std::tie(b->kana_key, b->id);
  });
  fresh->postings.resize(fresh->term_ids.size());
  for (uint32_t position = 0; position < fresh->ordered.size(); ++position) {
    const Entry& entry = *fresh->ordered[position];
    for (uint32_t term : entry.terms) fresh->postings[term].push_back(position);
    if (!entry.partner) continue;
    for (const auto& tag : entry.full.issue_tags()) {
      fresh->partners[PartnerListKey(tag, "")].push_back(position);
      for (const auto& district : entry.full.districts()) {
        fresh->partners[PartnerListKey(tag, district)].push_back(position);
      }
    }
  }
  // A tag or district listed twice in one record would repeat a position.
  for (auto& [key, list] : fresh->partners) {
    list.erase(std::unique(list.begin(), list.end()), list.end());
  }
  snapshot_.store(fresh, std::memory_order_release);
  return fresh;
}

Result<std::vector<v1::AgencyMatch>> AgencyCatalog::Search(std::string_view query,
                                                           const AgencyFilter* filter,
                                                           v1::AgencyView view, int limit) const {
  const std::string normalized = NormalizeForSearch(query);
  const std::vector<std::string> terms = QueryTermsOfNormalized(normalized);
  if (terms.empty()) return Status::InvalidArgument("query", "must contain a word to search for");
  auto snapshot = Current();
  if (snapshot == nullptr) return Status(Reason::kCatalogNotLoaded, "not loaded");
  // A match has every query term. Walk the shortest posting list and look each candidate up in
  // the others (each cursor only moves forward), then confirm by a substring check, which removes
  // n-gram false positives ("区役所" vs "区役場と市役所"), until `limit` are found.
  std::vector<const std::vector<uint32_t>*> lists;
  for (const auto& term : terms) {
    auto id = snapshot->term_ids.find(term);
    if (id == snapshot->term_ids.end()) return std::vector<v1::AgencyMatch>();
    lists.push_back(&snapshot->postings[id->second]);
  }
  std::sort(lists.begin(), lists.end(),
            [](const auto* a, const auto* b) { return a->size() < b->size(); });
  std::vector<size_t> cursors(lists.size(), 0);
  std::vector<v1::AgencyMatch> out;
  for (uint32_t position : *lists[0]) {
    if (static_cast<int>(out.size()) >= limit) break;
    bool in_all = true;
    for (size_t i = 1; i < lists.size() && in_all; ++i) {
      const auto& list = *lists[i];
      cursors[i] = static_cast<size_t>(
          std::lower_bound(list.begin() + static_cast<std::ptrdiff_t>(cursors[i]), list.end(),
                           position) -
          list.begin());
      in_all = cursors[i] < list.size() && list[cursors[i]] == position;
    }
    if (!in_all) continue;
    const Entry& entry = *snapshot->ordered[position];
    const bool in_name = ContainsNormalized(entry.name_text, normalized);
    const bool in_kana = ContainsNormalized(entry.kana_text, normalized);
    if (!in_name && !in_kana) continue;
    if (filter != nullptr && !filter->Matches(entry.full)) continue;
    v1::AgencyMatch& match = out.emplace_back();
    *match.mutable_agency() = ViewOf(entry, view);
    if (in_name) match.add_matched_fields("display_name");
    if (in_kana) match.add_matched_fields("kana");
  }
  return out;
}

namespace {

struct PartnerCandidate {
  uint32_t position;         // in kana order
  std::vector<size_t> tags;  // indexes of the tags (and of their lists) it covers, in request order
};

// Merges the partner `lists` of the requested tags (ascending positions each) in kana order, so
// each agency arrives once with every tag it covers and the first `wanted` arrivals covering n
// tags are the best covering n: the result's element n-1. The walk stops as soon as `wanted`
// agencies cover every tag: none after them can rank higher.
std::vector<std::vector<PartnerCandidate>> MergePartnerLists(
    const std::vector<const std::vector<uint32_t>*>& lists, size_t wanted) {
  std::vector<std::vector<PartnerCandidate>> by_count(lists.size());
  std::vector<size_t> cursors(lists.size(), 0);
  while (wanted > 0 && !lists.empty() && by_count.back().size() < wanted) {
    uint32_t next = UINT32_MAX;
    for (size_t i = 0; i < lists.size(); ++i) {
      if (cursors[i] < lists[i]->size()) next = std::min(next, (*lists[i])[cursors[i]]);
    }
    if (next == UINT32_MAX) break;
    PartnerCandidate candidate{next, {}};
    for (size_t i = 0; i < lists.size(); ++i) {
      if (cursors[i] < lists[i]->size() && (*lists[i])[cursors[i]] == next) {
        candidate.tags.push_back(i);
        ++cursors[i];
      }
    }
    auto& level = by_count[candidate.tags.size() - 1];
    if (level.size() < wanted) level.push_back(std::move(candidate));
  }
  return by_count;
}

// The tags `candidate` covers, and the explanation of the match.
void DescribeMatch(const std::vector<std::string>& tags, const PartnerCandidate& candidate,
                   const std::string& district, v1::PartnerMatch& match) {
  std::string tag_list;
  for (size_t tag : candidate.tags) {
    match.add_covered_tags(tags[tag]);
    tag_list += (tag_list.empty() ? "" : ", ") + tags[tag];
  }
  match.set_explanation("課題" + std::to_string(tags.size()) + "件中" +
                        std::to_string(candidate.tags.size()) + "件に対応（" + tag_list + "）" +
                        (district.empty() ? "" : "・" + district + " を担当") +
                        "・他機関からの紹介を受付");
}

}  // namespace

Result<std::vector<v1::PartnerMatch>> AgencyCatalog::FindPartners(
    const std::vector<std::string>& issue_tags, const std::string& district, v1::AgencyView view,
    int limit) const {
  auto snapshot = Current();
  if (snapshot == nullptr) return Status(Reason::kCatalogNotLoaded, "not loaded");
  std::vector<std::string> tags;
  for (const auto& tag : issue_tags) {
    if (std::find(tags.begin(), tags.end(), tag) == tags.end()) tags.push_back(tag);
  }
  static const std::vector<uint32_t> kNone;
  std::vector<const std::vector<uint32_t>*> lists;
  for (const auto& tag : tags) {
    auto list = snapshot->partners.find(PartnerListKey(tag, district));
    lists.push_back(list == snapshot->partners.end() ? &kNone : &list->second);
  }
  const size_t wanted = static_cast<size_t>(std::max(limit, 0));
  const std::vector<std::vector<PartnerCandidate>> by_count = MergePartnerLists(lists, wanted);
  std::vector<v1::PartnerMatch> partners;
  for (auto level = by_count.rbegin(); level != by_count.rend(); ++level) {
    for (const PartnerCandidate& candidate : *level) {
      if (partners.size() == wanted) return partners;
      const Entry& entry = *snapshot->ordered[candidate.position];
      v1::PartnerMatch& match = partners.emplace_back();
      *match.mutable_agency() = ViewOf(entry, view);
      DescribeMatch(tags, candidate, district, match);
    }
  }
  return partners;
}

}  // namespace casecoord::directory
