// A minimal SpreadsheetML (.xlsx) writer for one sheet of the yearly report or the plan
// progress: inline strings, numeric cells with "#,##0" formats, bold title and header rows,
// bordered tables, column widths and wrapped-row heights as clients/report's libxlsxwriter
// output has them. Written by hand over fflate's zip (about 4 KB gzipped) instead of a general
// workbook library (20 KB and more), to keep the console within its JavaScript budget.
import { strToU8, zipSync } from "fflate";
import type { Cell, Sheet } from "./sheet";

const LONG_TEXT_WIDTH = 40;
const MAX_COLUMN_WIDTH = 60;
const MIN_COLUMN_WIDTH = 8;

/** XML text: the five special characters escaped, characters XML 1.0 forbids dropped. */
function escapeXml(value: string): string {
  return value
    .replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g, "")
    .replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

/** The width of text in "0" characters: East Asian wide characters take about two. */
function displayWidth(value: string): number {
  let widest = 0;
  let width = 0;
  for (const character of value) {
    const code = character.codePointAt(0)!;
    if (code === 10) {
      widest = Math.max(widest, width);
      width = 0;
      continue;
    }
    const halfwidthKana = code >= 0xff61 && code <= 0xff9f;
    width += code >= 0x1100 && !halfwidthKana ? 2.1 : 1.1;
  }
  return Math.max(widest, width);
}

function wrappedLines(value: string, width: number): number {
  const usable = Math.max(1, width - 1);
  return value.split("\n").reduce((sum, part) => sum + Math.max(1, Math.ceil(displayWidth(part) / usable)), 0);
}

function columnWidths(sheet: Sheet): number[] {
  const columns = Math.max(0, ...sheet.rows.map((r) => r.length));
  const widths = new Array<number>(columns).fill(MIN_COLUMN_WIDTH);
  for (const row of sheet.rows) {
    row.forEach((cell, c) => {
      if (cell.role === "longText") {
        widths[c] = LONG_TEXT_WIDTH;
      } else if (cell.role === "header" || cell.role === "label" || cell.role === "value") {
        // Numbers gain thousands separators in the sheet.
        const width = (cell.isNumber ? displayWidth(cell.text) * 1.4 : displayWidth(cell.text)) + 2;
        widths[c] = Math.max(widths[c], Math.min(width, MAX_COLUMN_WIDTH));
      }
    });
  }
  return widths;
}

function columnName(index: number): string {
  let name = "";
  for (let n = index + 1; n > 0; n = Math.floor((n - 1) / 26)) name = String.fromCharCode(65 + ((n - 1) % 26)) + name;
  return name;
}

/** The cell formats (cellXfs) used, built as cells ask for them, as clients/report does. */
class Styles {
  private readonly keys = new Map<string, number>();
  private readonly xfs: string[] = ['<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'];
  private readonly numFmts = new Map<number, number>();

  of(cell: Cell): number {
    if (cell.role === "note") return 0;
    const key = `${cell.role}|${cell.total}|${cell.isNumber}|${cell.decimals}`;
    const known = this.keys.get(key);
    if (known !== undefined) return known;
    const index = this.xfs.length;
    this.xfs.push(this.make(cell));
    this.keys.set(key, index);
    return index;
  }

  private make(cell: Cell): string {
    // Fonts: 0 normal, 1 bold, 2 bold 14pt. Fills: 2 the header's blue. Borders: 1 thin.
    if (cell.role === "title") return '<xf numFmtId="0" fontId="2" fillId="0" borderId="0" xfId="0" applyFont="1"/>';
    if (cell.role === "heading") return '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/>';
    const font = cell.role === "header" || cell.total ? 1 : 0;
    let numFmt = 0;
    if (cell.isNumber) numFmt = cell.decimals > 0 ? this.numFmt(cell.decimals) : 3; // 3 = "#,##0"
    const fill = cell.role === "header" ? 2 : 0;
    let alignment = '<alignment vertical="top" wrapText="1"/>';
    if (cell.role === "header") alignment = '<alignment horizontal="center" vertical="center" wrapText="1"/>';
    if (cell.role === "value") alignment = cell.isNumber ? '<alignment vertical="top"/>' : '<alignment horizontal="right" vertical="top"/>';
    return `<xf numFmtId="${numFmt}" fontId="${font}" fillId="${fill}" borderId="1" xfId="0" applyNumberFormat="1" applyFont="1" applyFill="1" applyBorder="1" applyAlignment="1">${alignment}</xf>`;
  }

  private numFmt(decimals: number): number {
    let id = this.numFmts.get(decimals);
    if (id === undefined) {
      id = 164 + this.numFmts.size;
      this.numFmts.set(decimals, id);
    }
    return id;
  }

  xml(): string {
    const formats = [...this.numFmts].map(([decimals, id]) =>
      `<numFmt numFmtId="${id}" formatCode="#,##0.${"0".repeat(decimals)}"/>`).join("");
    const font = (bold: boolean, size: number) =>
      `<font>${bold ? "<b/>" : ""}<sz val="${size}"/><name val="游ゴシック"/><family val="3"/><charset val="128"/></font>`;
    return '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
      + '<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
      + (this.numFmts.size ? `<numFmts count="${this.numFmts.size}">${formats}</numFmts>` : "")
      + `<fonts count="3">${font(false, 11)}${font(true, 11)}${font(true, 14)}</fonts>`
      + '<fills count="3"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill>'
      + '<fill><patternFill patternType="solid"><fgColor rgb="FFD9E1F2"/><bgColor indexed="64"/></patternFill></fill></fills>'
      + '<borders count="2"><border><left/><right/><top/><bottom/><diagonal/></border>'
      + '<border><left style="thin"><color auto="1"/></left><right style="thin"><color auto="1"/></right>'
      + '<top style="thin"><color auto="1"/></top><bottom style="thin"><color auto="1"/></bottom><diagonal/></border></borders>'
      + '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
      + `<cellXfs count="${this.xfs.length}">${this.xfs.join("")}</cellXfs>`
      + '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
      + "</styleSheet>";
  }
}

function sheetXml(sheet: Sheet, styles: Styles): string {
  const widths = columnWidths(sheet);
  const out: string[] = [];
  sheet.rows.forEach((row, r) => {
    if (row.length === 0) return;
    let lines = 1;
    const cells = row.map((cell, c) => {
      const ref = `${columnName(c)}${r + 1}`;
      const style = styles.of(cell);
      const s = style ? ` s="${style}"` : "";
      if (cell.role === "longText" || cell.role === "label") lines = Math.max(lines, wrappedLines(cell.text, widths[c]));
      if (cell.isNumber) return `<c r="${ref}"${s}><v>${cell.number}</v></c>`;
      // Blank but formatted, so that the table's borders stay whole.
      if (!cell.text) return style ? `<c r="${ref}"${s}/>` : "";
      return `<c r="${ref}"${s} t="inlineStr"><is><t xml:space="preserve">${escapeXml(cell.text)}</t></is></c>`;
    }).join("");
    // Excel does not grow a row for wrapped text written by another program: estimate.
    const height = lines > 1 ? ` ht="${Math.min(409, 15 * lines)}" customHeight="1"` : "";
    out.push(`<row r="${r + 1}"${height}>${cells}</row>`);
  });
  let pane = "";
  if (sheet.freezeRow > 0 || sheet.freezeColumn > 0) {
    const topLeft = `${columnName(sheet.freezeColumn)}${sheet.freezeRow + 1}`;
    pane = `<pane${sheet.freezeColumn ? ` xSplit="${sheet.freezeColumn}"` : ""}${sheet.freezeRow ? ` ySplit="${sheet.freezeRow}"` : ""} topLeftCell="${topLeft}" activePane="bottomRight" state="frozen"/>`;
  }
  const cols = widths.map((w, c) => `<col min="${c + 1}" max="${c + 1}" width="${w.toFixed(2)}" customWidth="1"/>`).join("");
  return '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    + '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    + `<sheetViews><sheetView workbookViewId="0">${pane}</sheetView></sheetViews>`
    + '<sheetFormatPr defaultRowHeight="15"/>'
    + (cols ? `<cols>${cols}</cols>` : "")
    + `<sheetData>${out.join("")}</sheetData>`
    + '<pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" footer="0.3"/>'
    + '<pageSetup paperSize="9" orientation="landscape"/>'
    + "</worksheet>";
}

/** The bytes of an .xlsx workbook with the one sheet. */
export function sheetXlsx(sheet: Sheet): Uint8Array {
  const styles = new Styles();
  const worksheet = sheetXml(sheet, styles); // first: it decides which styles exist
  const created = new Date().toISOString().replace(/\.\d+Z$/, "Z");
  const files: Record<string, string> = {
    "[Content_Types].xml": '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
      + '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
      + '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
      + '<Default Extension="xml" ContentType="application/xml"/>'
      + '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
      + '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
      + '<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
      + '<Override PartName="/docProps/core.xml" ContentType="application/vnd.openxmlformats-package.core-properties+xml"/>'
      + "</Types>",
    "_rels/.rels": '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
      + '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
      + '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>'
      + '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties" Target="docProps/core.xml"/>'
      + "</Relationships>",
    "docProps/core.xml": '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
      + '<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
      + `<dc:title>${escapeXml(sheet.title)}</dc:title>`
      + `<dcterms:created xsi:type="dcterms:W3CDTF">${created}</dcterms:created>`
      + "</cp:coreProperties>",
    "xl/workbook.xml": '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
      + '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
      + `<sheets><sheet name="${escapeXml(sheet.name)}" sheetId="1" r:id="rId1"/></sheets></workbook>`,
    "xl/_rels/workbook.xml.rels": '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
      + '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
      + '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>'
      + '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/>'
      + "</Relationships>",
    "xl/styles.xml": styles.xml(),
    "xl/worksheets/sheet1.xml": worksheet,
  };
  const entries: Record<string, Uint8Array> = {};
  for (const [path, content] of Object.entries(files)) entries[path] = strToU8(content);
  return zipSync(entries, { level: 6 });
}
