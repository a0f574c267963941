// Windows-31J (CP932) encoding without a code table in the bundle: the browser's own Shift_JIS
// decoder (the WHATWG Encoding Standard's, which is Microsoft's table: JIS X 0208 with the NEC
// and IBM extensions and Microsoft's Unicode mappings) is run once over every double-byte code
// and inverted. Where a character has two codes the first wins, as Windows does (NEC row 13
// before IBM extensions), and the NEC-selected IBM extensions (leads 0xED–0xEE) are skipped, as
// the Encoding Standard's encoder does. Loaded only when a CP932 file is downloaded.

let table: Map<number, number> | undefined;

function buildTable(): Map<number, number> {
  const decoder = new TextDecoder("shift_jis");
  const map = new Map<number, number>();
  const pair = new Uint8Array(2);
  for (let lead = 0x81; lead <= 0xfc; lead++) {
    if (lead > 0x9f && lead < 0xe0) continue;
    if (lead === 0xed || lead === 0xee) continue;
    for (let trail = 0x40; trail <= 0xfc; trail++) {
      if (trail === 0x7f) continue;
      pair[0] = lead;
      pair[1] = trail;
      const text = decoder.decode(pair);
      if (text.length !== 1 || text === "\uFFFD") continue;
      const code = text.charCodeAt(0);
      if (!map.has(code)) map.set(code, (lead << 8) | trail);
    }
  }
  return map;
}

// JIS X 0208 characters that Macs and JIS-based tools write with other code points than
// Microsoft's table (services/text/csv.cc MicrosoftFromJis): "9:00〜17:00" typed on a Mac.
const MICROSOFT_FROM_JIS: Record<number, number> = {
  0x301c: 0xff5e, 0x2016: 0x2225, 0x2212: 0xff0d, 0x2014: 0x2015, 0x00a2: 0xffe0, 0x00a3: 0xffe1,
  0x00ac: 0xffe2,
};

export class UnmappableCharacterError extends Error {
  constructor(readonly character: string) {
    super(`CP932 cannot represent ${character}`);
  }
}

/** The text in Windows-31J; throws UnmappableCharacterError (nothing is replaced by "?"). */
export function encodeCp932(text: string): Uint8Array {
  table ??= buildTable();
  const out = new Uint8Array(text.length * 2);
  let n = 0;
  for (const character of text) {
    let code = character.codePointAt(0)!;
    code = MICROSOFT_FROM_JIS[code] ?? code;
    if (code < 0x80) {
      out[n++] = code;
    } else if (code >= 0xff61 && code <= 0xff9f) {
      out[n++] = code - 0xff61 + 0xa1; // half-width katakana
    } else {
      const bytes = table.get(code);
      if (bytes === undefined) throw new UnmappableCharacterError(character);
      out[n++] = bytes >> 8;
      out[n++] = bytes & 0xff;
    }
  }
  return out.slice(0, n);
}
