// A generated city's agency directory for the benchmarks (fixed seed, so every run loads the same
// data): Japanese names from 30 wards and neighbourhoods x agency kinds, with katakana readings;
// every AgencyKind; 2-6 of 24 issue tags, one typical of the kind and the rest drawn with a
// Zipf-like skew (weight 1/rank), so that common tags cover thousands of agencies; 1-3 districts;
// 90% ACTIVE, 90% accepting referrals; addresses, phones, hours and services, so that records have
// a realistic size. Shared by directory_bench and cost_bench.
#pragma once

#include <cstdint>
#include <cstdio>
#include <random>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "casecoord/v1/directory.pb.h"
#include "tests/support/test_vocabulary.h"

namespace casecoord::bench {

struct Named {
  const char* name;
  const char* reading;  // katakana
};

// The city's 10 wards and 20 neighbourhoods; agencies serve 1-3 of them.
struct District {
  const char* id;
  const char* name;
  const char* reading;
};
constexpr District kDistricts[] = {
    {"kita", "北区", "キタク"},
    {"minami", "南区", "ミナミク"},
    {"higashi", "東区", "ヒガシク"},
    {"nishi", "西区", "ニシク"},
    {"chuo", "中央区", "チュウオウク"},
    {"minato", "港区", "ミナトク"},
    {"aoba", "青葉区", "アオバク"},
    {"midori", "緑区", "ミドリク"},
    {"izumi", "泉区", "イズミク"},
    {"wakaba", "若葉区", "ワカバク"},
    {"sakuradai", "桜台", "サクラダイ"},
    {"honmachi", "本町", "ホンマチ"},
    {"shinmachi", "新町", "シンマチ"},
    {"yamate", "山手", "ヤマテ"},
    {"hikarigaoka", "光が丘", "ヒカリガオカ"},
    {"takashimadaira", "高島平", "タカシマダイラ"},
    {"kamata", "蒲田", "カマタ"},
    {"omori", "大森", "オオモリ"},
    {"tsurumi", "鶴見", "ツルミ"},
    {"asahigaoka", "旭ヶ丘", "アサヒガオカ"},
    {"hanamigawa", "花見川", "ハナミガワ"},
    {"kawaguchi", "川口", "カワグチ"},
    {"nagata", "長田", "ナガタ"},
    {"fujimi", "富士見", "フジミ"},
    {"matsubara", "松原", "マツバラ"},
    {"sakae", "栄町", "サカエマチ"},
    {"tamagawa", "玉川", "タマガワ"},
    {"oyama", "大山", "オオヤマ"},
    {"kitano", "北野", "キタノ"},
    {"minamidai", "南台", "ミナミダイ"},
};
constexpr int kDistrictCount = sizeof(kDistricts) / sizeof(kDistricts[0]);

constexpr Named kCity = {"架空市", "カクウシ"};
constexpr Named kOrdinals[] = {{"第一", "ダイイチ"},
                               {"第二", "ダイニ"},
                               {"第三", "ダイサン"},
                               {"第四", "ダイヨン"},
                               {"第五", "ダイゴ"}};
// Names of consultation offices and hospital corporations, as cities have them.
constexpr Named kSoftWords[] = {
    {"ひまわり", "ヒマワリ"}, {"さくら", "サクラ"},     {"あおぞら", "アオゾラ"},
    {"つばさ", "ツバサ"},     {"のぞみ", "ノゾミ"},     {"ひだまり", "ヒダマリ"},
    {"たんぽぽ", "タンポポ"}, {"すずらん", "スズラン"}, {"こすもす", "コスモス"},
    {"わかば", "ワカバ"},     {"かえで", "カエデ"},     {"ふれあい", "フレアイ"},
    {"ぬくもり", "ヌクモリ"}, {"やすらぎ", "ヤスラギ"}, {"きずな", "キズナ"},
    {"みらい", "ミライ"}};
constexpr Named kNpoWords[] = {{"ささえあいネット", "ササエアイネット"},
                               {"よりそいの会", "ヨリソイノカイ"},
                               {"フードバンク", "フードバンク"},
                               {"ひきこもり家族会", "ヒキコモリカゾクカイ"},
                               {"居住支援ネットワーク", "キョジュウシエンネットワーク"},
                               {"子ども食堂ネット", "コドモショクドウネット"},
                               {"多文化共生センター", "タブンカキョウセイセンター"},
                               {"若者サポートステーション", "ワカモノサポートステーション"},
                               {"生活サポート", "セイカツサポート"},
                               {"おむすびの会", "オムスビノカイ"},
                               {"ケアラーズカフェ", "ケアラーズカフェ"},
                               {"住まいと暮らしの相談室", "スマイトクラシノソウダンシツ"}};

// The issue tags, most common first; the draw is Zipf-like (weight 1 / rank).
constexpr const char* kTags[] = {"dementia",
                                 "isolation",
                                 "8050",
                                 "hikikomori",
                                 "debt",
                                 "mental-disability",
                                 "unemployment",
                                 "housing-loss",
                                 "intellectual-disability",
                                 "double-care",
                                 "young-carer",
                                 "child-abuse",
                                 "domestic-violence",
                                 "suicide-risk",
                                 "no-relatives",
                                 "guardianship",
                                 "hoarding",
                                 "foreign-resident",
                                 "elder-abuse",
                                 "developmental-disability",
                                 "single-parent",
                                 "substance-dependence",
                                 "gambling",
                                 "reentry"};
constexpr int kTagCount = sizeof(kTags) / sizeof(kTags[0]);

// How often each kind appears in the generated city (per mille, roughly).
struct KindShare {
  v1::AgencyKind kind;
  int weight;
  const char* id_prefix;
  std::vector<const char*> typical_tags;  // one of them is always among its tags
  std::vector<v1::SupportField> fields;
};

inline const std::vector<KindShare>& KindShares() {
  static const std::vector<KindShare> shares = {
      {v1::COMMUNITY_GENERAL_SUPPORT_CENTER,
       120,
       "houkatsu",
       {"dementia", "elder-abuse", "8050"},
       {v1::ELDERLY_CARE, v1::COMMUNITY}},
      {v1::DISABILITY_CORE_CONSULTATION_CENTER,
       30,
       "kikan",
       {"intellectual-disability", "mental-disability", "developmental-disability"},
       {v1::DISABILITY}},
      {v1::DISABILITY_CONSULTATION_OFFICE,
       170,
       "soudan",
       {"intellectual-disability", "mental-disability", "developmental-disability"},
       {v1::DISABILITY}},
      {v1::WELFARE_OFFICE,
       30,
       "fukushi",
       {"debt", "housing-loss", "single-parent"},
       {v1::PUBLIC_ASSISTANCE, v1::POVERTY}},
      {v1::SELF_RELIANCE_SUPPORT_CENTER,
       50,
       "jiritsu",
       {"debt", "housing-loss", "unemployment"},
       {v1::POVERTY, v1::EMPLOYMENT}},
      {v1::PUBLIC_HEALTH_CENTER,
       40,
       "hoken",
       {"mental-disability", "suicide-risk", "substance-dependence"},
       {v1::HEALTH}},
      {v1::CHILDREN_CONSULTATION_CENTER,
       50,
       "kodomo",
       {"child-abuse", "young-carer", "single-parent"},
       {v1::CHILDREN}},
      {v1::GUARDIANSHIP_CENTER,
       30,
       "kouken",
       {"guardianship", "no-relatives"},
       {v1::RIGHTS_ADVOCACY}},
      {v1::PROBATION_OFFICE, 10, "hogo", {"reentry"}, {v1::JUSTICE}},
      {v1::PUBLIC_EMPLOYMENT_SECURITY_OFFICE, 20, "hw", {"unemployment"}, {v1::EMPLOYMENT}},
      {v1::HOSPITAL,
       150,
       "byouin",
       {"mental-disability", "dementia", "substance-dependence"},
       {v1::HEALTH}},
      {v1::NPO, 180, "npo", {"hikikomori", "isolation", "foreign-resident"}, {v1::COMMUNITY}},
      {v1::SOCIAL_WELFARE_COUNCIL,
       40,
       "shakyo",
       {"isolation", "guardianship", "debt"},
       {v1::COMMUNITY, v1::RIGHTS_ADVOCACY}},
      {v1::OTHER_AGENCY, 80, "other", {"debt", "housing-loss", "gambling"}, {v1::COMMUNITY}},
  };
  return shares;
}

class Generator {
 public:
  explicit Generator(uint64_t seed) : rng_(seed) {
    std::vector<double> kind_weights;
    for (const auto& share : KindShares()) kind_weights.push_back(share.weight);
    kind_ = std::discrete_distribution<int>(kind_weights.begin(), kind_weights.end());
    std::vector<double> tag_weights;
    for (int rank = 1; rank <= kTagCount; ++rank) tag_weights.push_back(1.0 / rank);
    tag_ = std::discrete_distribution<int>(tag_weights.begin(), tag_weights.end());
  }

  // The agency with id "<kind prefix>-<index>" (index from 0, so ids are unique).
  std::pair<std::string, v1::Agency> Next(int index) {
    const KindShare& share = KindShares()[kind_(rng_)];
    v1::Agency agency;
    agency.set_kind(share.kind);
    const District& home = kDistricts[Uniform(kDistrictCount)];
    const District& place = kDistricts[Uniform(kDistrictCount)];
    Named soft = kSoftWords[Uniform(std::size(kSoftWords))];
    Named ordinal = kOrdinals[Uniform(std::size(kOrdinals))];
    // Wards often carry the city's name: 架空市北区...
    const bool with_city = Uniform(2) == 0;
    const std::string area = std::string(with_city ? kCity.name : "") + home.name;
    const std::string area_reading = std::string(with_city ? kCity.reading : "") + home.reading;
    std::string name;
    std::string reading;
    auto set = [&](std::string n, std::string r) {
      name = std::move(n);
      reading = std::move(r);
    };
    switch (share.kind) {
      case v1::COMMUNITY_GENERAL_SUPPORT_CENTER:
        if (Uniform(3) == 0) {
          set(std::string(home.name) + soft.name + "地域包括支援センター",
              std::string(home.reading) + soft.reading + "チイキホウカツシエンセンター");
        } else {
          set(area + ordinal.name + "地域包括支援センター",
              area_reading + ordinal.reading + "チイキホウカツシエンセンター");
        }
        break;
      case v1::DISABILITY_CORE_CONSULTATION_CENTER:
        set(area + "障害者基幹相談支援センター",
            area_reading + "ショウガイシャキカンソウダンシエンセンター");
        break;
      case v1::DISABILITY_CONSULTATION_OFFICE:
        if (Uniform(2) == 0) {
          set(std::string(soft.name) + "相談支援事業所",
              std::string(soft.reading) + "ソウダンシエンジギョウショ");
        } else {
          set(std::string("相談支援事業所") + soft.name + " " + place.name,
              std::string("ソウダンシエンジギョウショ") + soft.reading + " " + place.reading);
        }
        break;
      case v1::WELFARE_OFFICE:
        set(area + "福祉事務所", area_reading + "フクシジムショ");
        break;
      case v1::SELF_RELIANCE_SUPPORT_CENTER:
        if (Uniform(2) == 0) {
          set(area + "自立相談支援機関", area_reading + "ジリツソウダンシエンキカン");
        } else {
          set(std::string(place.name) + "寄り添いサポートセンター",
              std::string(place.reading) + "ヨリソイサポートセンター");
        }
        break;
      case v1::PUBLIC_HEALTH_CENTER:
        set(area + "保健センター", area_reading + "ホケンセンター");
        break;
      case v1::CHILDREN_CONSULTATION_CENTER:
        set(std::string(home.name) + "地域こども相談センター",
            std::string(home.reading) + "チイキコドモソウダンセンター");
        break;
      case v1::GUARDIANSHIP_CENTER:
        set(area + "成年後見支援センター", area_reading + "セイネンコウケンシエンセンター");
        break;
      case v1::PROBATION_OFFICE:
        set(std::string(place.name) + "保護観察所",
            std::string(place.reading) + "ホゴカンサツジョ");
        break;
      case v1::PUBLIC_EMPLOYMENT_SECURITY_OFFICE:
        set(std::string("ハローワーク") + place.name, std::string("ハローワーク") + place.reading);
        break;
      case v1::HOSPITAL:
        switch (Uniform(3)) {
          case 0:
            set(std::string(place.name) + "病院 医療福祉相談室",
                std::string(place.reading) + "ビョウイン イリョウフクシソウダンシツ");
            break;
          case 1:
            set(std::string(place.name) + "メンタルクリニック",
                std::string(place.reading) + "メンタルクリニック");
            break;
          default:
            set(std::string("医療法人") + soft.name + "会 " + place.name + "記念病院",
                std::string("イリョウホウジン") + soft.reading + "カイ " + place.reading +
                    "キネンビョウイン");
        }
        break;
      case v1::NPO: {
        const Named& word = kNpoWords[Uniform(std::size(kNpoWords))];
        const bool full_width = Uniform(4) == 0;  // ＮＰＯ法人, as some cities write it
        set(std::string(full_width ? "ＮＰＯ法人" : "NPO法人") + word.name + " " + place.name,
            std::string("エヌピーオーホウジン") + word.reading + " " + place.reading);
        break;
      }
      case v1::SOCIAL_WELFARE_COUNCIL:
        set(area + "社会福祉協議会", area_reading + "シャカイフクシキョウギカイ");
        break;
      default:
        if (Uniform(2) == 0) {
          set(std::string(place.name) + "消費生活センター",
              std::string(place.reading) + "ショウヒセイカツセンター");
        } else {
          set(std::string(place.name) + "居住支援法人 " + soft.name,
              std::string(place.reading) + "キョジュウシエンホウジン " + soft.reading);
        }
    }
    agency.set_display_name(name);
    agency.set_kana(reading);
    agency.set_operator_type(static_cast<v1::OperatorType>(1 + Uniform(3)));
    for (auto field : share.fields) agency.add_fields(field);

    // 2-6 tags: one typical of the kind, the rest drawn by Zipf-like weight, all distinct.
    std::set<std::string> tags = {share.typical_tags[Uniform(share.typical_tags.size())]};
    const size_t tag_count = 2 + Uniform(5);
    while (tags.size() < tag_count) tags.insert(kTags[tag_(rng_)]);
    for (const auto& tag : tags) agency.add_issue_tags(tag);

    // 1-3 districts, the home one first.
    std::set<int> districts = {static_cast<int>(&home - kDistricts)};
    const size_t district_count = 1 + Uniform(3);
    while (districts.size() < district_count) districts.insert(Uniform(kDistrictCount));
    agency.add_districts(home.id);
    for (int d : districts) {
      if (kDistricts[d].id != std::string_view(home.id)) agency.add_districts(kDistricts[d].id);
    }

    agency.set_address(std::string(kCity.name) + home.name + std::to_string(1 + Uniform(5)) +
                       "丁目" + std::to_string(1 + Uniform(30)) + "番" +
                       std::to_string(1 + Uniform(20)) + "号");
    agency.set_phone("0" + std::to_string(10 + Uniform(90)) + "-" +
                     std::to_string(100 + Uniform(900)) + "-" +
                     std::to_string(1000 + Uniform(9000)));
    if (Uniform(2) == 0) agency.set_fax(agency.phone().substr(0, agency.phone().size() - 1) + "9");
    if (Uniform(3) != 0) agency.set_email("soudan" + std::to_string(index) + "@example.jp");
    agency.set_hours(Uniform(4) == 0 ? "平日 9:00〜17:30、土曜 9:00〜12:00" : "平日 9:00〜17:30");
    agency.set_referral_contact("相談員（代表）" + agency.phone());
    agency.set_accepts_referrals(Uniform(10) != 0);
    const int state = Uniform(100);
    agency.set_state(state < 90 ? v1::Agency::ACTIVE
                                : (state < 97 ? v1::Agency::INACTIVE : v1::Agency::CLOSED));
    const int services = Uniform(3);
    for (int s = 0; s < services; ++s) {
      auto* service = agency.add_services();
      service->set_name(s == 0 ? "個別相談" : "訪問支援");
      service->set_eligibility(std::string(home.name) + "にお住まいの方");
      if (share.kind == v1::COMMUNITY_GENERAL_SUPPORT_CENTER) service->set_min_age(65);
    }
    agency.mutable_last_verified_time()->set_seconds(1'700'000'000 + Uniform(40'000'000));
    char id[64];
    std::snprintf(id, sizeof(id), "%s-%05d", share.id_prefix, index);
    return {id, std::move(agency)};
  }

 private:
  int Uniform(size_t n) { return static_cast<int>(rng_() % n); }

  std::mt19937_64 rng_;
  std::discrete_distribution<int> kind_;
  std::discrete_distribution<int> tag_;
};

// Seed lines for the vocabularies (TestServerOptions::extra_vocabulary_csv): every district and
// tag above that the tests' fixture lacks.
inline std::string GeneratedVocabularyCsv() {
  std::vector<std::string> districts, tags;
  for (const auto& district : kDistricts) districts.push_back(district.id);
  for (const char* tag : kTags) tags.push_back(tag);
  return testing::VocabularyCsvLines("districts", districts) +
         testing::VocabularyCsvLines("issue-tags", tags);
}

}  // namespace casecoord::bench
