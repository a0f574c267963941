#!/usr/bin/env python3
# Writes the seed corpus of the xlsx fuzz target (docs/fuzzing.md): small workbooks with
# hand-written SpreadsheetML parts, one for each kind of cell and each refusal of the reader
# (services/text/xlsx.h), and the head of the demo directory as a workbook.
# Usage, from the repository root: python3 tests/fuzz/make_xlsx_seeds.py tests/fuzz/corpus/xlsx
import csv, io, zipfile, os, sys
out = sys.argv[1]
NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"'
RT = 'http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
def rels(items):
    return ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            + ''.join(f'<Relationship Id="{i}" Type="{RT}{t}" Target="{g}"/>' for i, t, g in items) + '</Relationships>')
def workbook(sheets, pr=''):
    return (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<workbook {NS}>{pr}<sheets>'
            + ''.join(f'<sheet name="{n}" sheetId="{k+1}" r:id="rId{k+1}"/>' for k, n in enumerate(sheets)) + '</sheets></workbook>')
def sheet(data, extra=''):
    return f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet {NS}>{extra}<sheetData>{data}</sheetData></worksheet>'
def esc(s):
    return s.replace('&','&amp;').replace('<','&lt;').replace('>','&gt;').replace('"','&quot;')
def col(n):
    s=''
    while n: n,r=divmod(n-1,26); s=chr(65+r)+s
    return s
def package(name, sheets, shared=None, styles=None, pr='', root_rels=True, sheet_names=None):
    names = sheet_names or [f'Sheet{i+1}' for i in range(len(sheets))]
    items = [(f'rId{i+1}', 'worksheet', f'worksheets/sheet{i+1}.xml') for i in range(len(sheets))]
    n = len(sheets)
    if shared is not None: items.append((f'rId{n+1}', 'sharedStrings', 'sharedStrings.xml'))
    if styles is not None: items.append((f'rId{n+2}', 'styles', 'styles.xml'))
    with zipfile.ZipFile(os.path.join(out, name), 'w', zipfile.ZIP_DEFLATED) as z:
        z.writestr('[Content_Types].xml', '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="xml" ContentType="application/xml"/></Types>')
        if root_rels:
            z.writestr('_rels/.rels', rels([('rId1', 'officeDocument', 'xl/workbook.xml')]))
        z.writestr('xl/workbook.xml', workbook(names, pr))
        z.writestr('xl/_rels/workbook.xml.rels', rels(items))
        for i, s in enumerate(sheets):
            z.writestr(f'xl/worksheets/sheet{i+1}.xml', s)
        if shared is not None: z.writestr('xl/sharedStrings.xml', shared)
        if styles is not None: z.writestr('xl/styles.xml', styles)

# 1. The head of the demo directory, as Excel saves it: shared strings, a date cell.
rows = list(csv.reader(io.StringIO(open('deploy/demo/agencies.csv', encoding='utf-8-sig').read())))[:4]
strings, index = [], {}
def si(s):
    if s not in index: index[s] = len(strings); strings.append(s)
    return index[s]
data = ''
for r, row in enumerate(rows, 1):
    data += f'<row r="{r}">'
    for c, v in enumerate(row, 1):
        if not v: continue
        ref = f'{col(c)}{r}'
        if r > 1 and rows[0][c-1] == '最終確認日':
            from datetime import date
            y, m, d = map(int, v.split('-'))
            data += f'<c r="{ref}" s="1"><v>{(date(y,m,d)-date(1899,12,30)).days}</v></c>'
        else:
            data += f'<c r="{ref}" t="s"><v>{si(v)}</v></c>'
    data += '</row>'
shared = (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<sst {NS} count="{len(strings)}" uniqueCount="{len(strings)}">'
          + ''.join(f'<si><t xml:space="preserve">{esc(s)}</t></si>' for s in strings) + '</sst>')
styles = (f'<?xml version="1.0" encoding="UTF-8"?><styleSheet {NS}><numFmts count="1"><numFmt numFmtId="176" formatCode="yyyy/m/d"/></numFmts>'
          '<cellStyleXfs count="1"><xf numFmtId="0"/></cellStyleXfs><cellXfs count="3"><xf numFmtId="0"/><xf numFmtId="176" applyNumberFormat="1"/><xf numFmtId="14"/></cellXfs></styleSheet>')
package('demo-head-agencies.xlsx', [sheet(data, '<dimension ref="A1:R4"/>')], shared, styles, sheet_names=['相談機関一覧'])

# 2. Every kind of cell: phonetic guides, rich text, escapes, numbers, booleans, errors,
#    formulas, inline strings, dates in the 1904 system, a time, cells without references.
shared2 = (f'<sst {NS}><si><t>山田</t><rPh sb="0" eb="2"><t>ヤマダ</t></rPh><phoneticPr fontId="1"/></si>'
           '<si><r><rPr><b/></rPr><t>北区</t></r><r><t xml:space="preserve">包括_x000D_\n二行目</t></r></si></sst>')
styles2 = (f'<styleSheet {NS}><numFmts><numFmt numFmtId="177" formatCode="[$-411]ggge&quot;年&quot;m&quot;月&quot;d&quot;日&quot;"/>'
           '<numFmt numFmtId="178" formatCode="h:mm"/></numFmts><cellXfs><xf numFmtId="0"/><xf numFmtId="177"/><xf numFmtId="178"/><xf numFmtId="22"/></cellXfs></styleSheet>')
data2 = ('<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c><c r="D1" t="inlineStr"><is><t>右</t></is></c></row>'
         '<row r="3"><c r="A3"><v>42</v></c><c r="B3"><v>3.5</v></c><c r="C3"><v>1E+20</v></c><c r="D3" t="b"><v>1</v></c><c r="E3" t="e"><v>#N/A</v></c></row>'
         '<row><c s="1"><v>45383</v></c><c s="2"><v>0.75</v></c><c s="3"><v>45383.5</v></c><c t="str"><f>A1&amp;"様"</f><v>山田様</v></c></row>')
package('every-cell-kind.xlsx', [sheet(data2)], shared2, styles2, pr='<workbookPr date1904="1"/>', root_rels=False)

# 3. Two sheets; the second is the named one.
package('two-sheets.xlsx', [sheet('<row r="1"><c r="A1" t="inlineStr"><is><t>表紙</t></is></c></row>'),
                            sheet('<row r="2"><c r="B2" t="inlineStr"><is><t>機関ID</t></is></c></row>')],
        sheet_names=['表紙', '名簿'])

# 4. Values right of the header, a repeated header name, an empty header cell.
package('beyond-header.xlsx', [sheet('<row r="1"><c r="A1" t="inlineStr"><is><t>機関ID</t></is></c><c r="C1" t="inlineStr"><is><t>機関ID</t></is></c></row>'
                                     '<row r="2"><c r="A2"><v>1</v></c><c r="E2"><v>2</v></c></row><row r="3"><c r="B3"><v>0</v></c></row>')])

# Refusals.
package('bad-reference.xlsx', [sheet('<row r="1"><c r="XFE1"><v>1</v></c></row>')])
package('far-cell.xlsx', [sheet('<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>', '<dimension ref="A1:XFD1048576"/>')])
package('rows-out-of-order.xlsx', [sheet('<row r="2"><c r="A2"><v>1</v></c></row><row r="1"><c r="A1"><v>1</v></c></row>')])
package('unknown-shared-string.xlsx', [sheet('<row r="1"><c r="A1" t="s"><v>7</v></c></row>')], shared='<sst/>')
with zipfile.ZipFile(os.path.join(out, 'entity-expansion.xlsx'), 'w', zipfile.ZIP_DEFLATED) as z:
    z.writestr('xl/workbook.xml', '<?xml version="1.0"?><!DOCTYPE w [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]><workbook>&b;</workbook>')
with zipfile.ZipFile(os.path.join(out, 'no-workbook.zip'), 'w', zipfile.ZIP_DEFLATED) as z:
    z.writestr('word/document.xml', '<document/>')
open(os.path.join(out, 'not-a-zip.csv'), 'wb').write('機関ID,機関名\r\nkita,北区\r\n'.encode())
demo = open(os.path.join(out, 'demo-head-agencies.xlsx'), 'rb').read()
open(os.path.join(out, 'truncated.xlsx'), 'wb').write(demo[:len(demo)//2])
