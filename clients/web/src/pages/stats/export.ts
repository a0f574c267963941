// The downloads of the statistics pages: CSV (UTF-8 with BOM, or CP932 for older Excel) and
// XLSX, laid out as clients/report writes them. Loaded with import() on the first download, so
// neither the sheet code nor the zip library is in the console's main script. The file is made
// in memory and handed to the browser through a Blob URL that is revoked right after: nothing is
// stored.
import type { PlanProgress, YearlyReport } from "../../gen/casecoord/v1/statistics_pb";
import { encodeCp932, UnmappableCharacterError } from "./cp932";
import { planSheet, yearlySheet, type Sheet } from "./sheet";
import { sheetXlsx } from "./xlsx";

export type Format = "csv-cp932" | "csv-utf8" | "xlsx";

export { UnmappableCharacterError };

/** A text cell a spreadsheet would run as a formula gets a leading apostrophe (as the agency
 *  CSV and clients/report do); so does a run of apostrophes before such a character. */
function guardFormula(value: string): string {
  const first = value.search(/[^']/);
  if (first < 0) return value;
  return /[=+\-@\t\r]/.test(value[first]) ? `'${value}` : value;
}

/** RFC 4180: quoted when it holds a comma, quote, CR or LF, or starts or ends with a space, tab
 *  or ideographic space (services/text/csv.h WriteCsv). */
function csvField(value: string): string {
  return /[",\r\n]|^[ \t\u3000]|[ \t\u3000]$/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

function sheetCsv(sheet: Sheet): string {
  const width = Math.max(0, ...sheet.rows.map((r) => r.length));
  let out = "";
  for (const row of sheet.rows) {
    if (row.length === 0) {
      out += "\r\n";
      continue;
    }
    const fields: string[] = new Array<string>(width).fill("");
    row.forEach((cell, i) => {
      fields[i] = cell.isNumber ? cell.text : guardFormula(cell.text);
    });
    // A row of only empty fields is written as "",,… so readers do not skip it.
    if (!fields.some((f) => f.length > 0)) fields[0] = '""';
    else for (let i = 0; i < fields.length; i++) fields[i] = csvField(fields[i]);
    out += fields.join(",") + "\r\n";
  }
  return out;
}

function bytesOf(sheet: Sheet, format: Format): { bytes: Uint8Array; type: string; extension: string } {
  if (format === "xlsx") {
    return { bytes: sheetXlsx(sheet), type: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", extension: "xlsx" };
  }
  const csv = sheetCsv(sheet);
  if (format === "csv-cp932") return { bytes: encodeCp932(csv), type: "text/csv;charset=Shift_JIS", extension: "csv" };
  const utf8 = new TextEncoder().encode(csv);
  const withBom = new Uint8Array(utf8.length + 3);
  withBom.set([0xef, 0xbb, 0xbf]);
  withBom.set(utf8, 3);
  return { bytes: withBom, type: "text/csv;charset=UTF-8", extension: "csv" };
}

function save(bytes: Uint8Array, type: string, fileName: string): void {
  const url = URL.createObjectURL(new Blob([bytes as BlobPart], { type }));
  const link = document.createElement("a");
  link.href = url;
  link.download = fileName;
  link.hidden = true;
  document.body.append(link);
  link.click();
  link.remove();
  // Revoked once the browser has taken the download.
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

/** Downloads the yearly report; `baseName` without extension. Refuses a report without a
 *  passed disclosure audit (the server never answers one), as clients/report does. */
export function downloadYearlyReport(report: YearlyReport, format: Format, baseName: string): void {
  if (!report.disclosure?.auditPassed || report.fiscalYears.length === 0) {
    throw new Error("the report does not carry a passed disclosure audit");
  }
  const { bytes, type, extension } = bytesOf(yearlySheet(report), format);
  save(bytes, type, `${baseName}.${extension}`);
}

export function downloadPlanProgress(progress: PlanProgress, format: Format, baseName: string): void {
  const { bytes, type, extension } = bytesOf(planSheet(progress), format);
  save(bytes, type, `${baseName}.${extension}`);
}
