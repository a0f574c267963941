// The duty of confidentiality of a 支援会議 (Social Welfare Act art. 106-6): shown before a
// participant may read a meeting's record, and printed on every meeting record.
import { tr } from "../../i18n";

export function confidentialityNoticeText(): string[] {
  return [
    tr(
      "この会議は、社会福祉法第106条の6に基づく支援会議（またはこれに準じる会議）です。",
      "This meeting is a support meeting under Article 106-6 of the Social Welfare Act (or a meeting treated as one).",
    ),
    tr(
      "会議の事務に従事する者又は従事していた者は、正当な理由がなく、会議の事務に関して知り得た秘密を漏らしてはなりません（社会福祉法第106条の6第5項）。この義務は会議の終了後も、所属を離れた後も続きます。",
      "Anyone who takes or took part in the meeting's work must not, without a legitimate reason, disclose secrets learned through it (art. 106-6 para. 5). The duty continues after the meeting and after leaving one's post.",
    ),
    tr(
      "会議の資料と記録は支援の目的以外に使用せず、複製・持ち出し・会議の構成員以外への開示をしないでください。",
      "Use the materials and the record for the support only; do not copy, take away or show them to anyone outside the meeting.",
    ),
  ];
}

export function ConfidentialityNotice({ headingLevel = 2 }: { headingLevel?: 2 | 3 }) {
  const Heading = headingLevel === 2 ? "h2" : "h3";
  return (
    <section class="notice confidentiality" aria-labelledby="confidentiality-heading">
      <Heading id="confidentiality-heading">
        {tr("守秘義務について（社会福祉法第106条の6）", "Duty of confidentiality (Social Welfare Act art. 106-6)")}
      </Heading>
      {confidentialityNoticeText().map((line) => (
        <p key={line}>{line}</p>
      ))}
    </section>
  );
}
