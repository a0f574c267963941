#include "services/text/xlsx.h"

#include <expat.h>
#include <zip.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <utility>

#include "services/common/text.h"
#include "services/text/xlsx_cells.h"

namespace casecoord::text {
namespace {

// Decompressed bytes handed to the XML parser at a time.
constexpr size_t kChunkBytes = 64 * 1024;
constexpr std::string_view kDefaultWorkbook = "xl/workbook.xml";

Status Malformed(std::string message) { return Status(Reason::kXlsxMalformed, std::move(message)); }

Status TooLarge(std::string message) { return Status(Reason::kXlsxTooLarge, std::move(message)); }

std::string_view LocalName(std::string_view name) {
  const size_t colon = name.rfind(':');
  return colon == std::string_view::npos ? name : name.substr(colon + 1);
}

// The value of the attribute whose local name is `name` ("id" finds r:id), or nullopt.
std::optional<std::string_view> Attribute(const XML_Char** attributes, std::string_view name) {
  for (size_t i = 0; attributes[i] != nullptr && attributes[i + 1] != nullptr; i += 2) {
    if (LocalName(attributes[i]) == name) return std::string_view(attributes[i + 1]);
  }
  return std::nullopt;
}

std::optional<int> ParseSmallInt(std::string_view text) {
  int value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || value < 0) return std::nullopt;
  return value;
}

// A zip archive held in memory, whose parts are read in chunks within the size limits.
class Archive {
 public:
  static Result<std::unique_ptr<Archive>> Open(std::string_view bytes) {
    zip_error_t error;
    zip_error_init(&error);
    zip_source_t* source = zip_source_buffer_create(bytes.data(), bytes.size(), 0, &error);
    if (source == nullptr) {
      std::string message = zip_error_strerror(&error);
      zip_error_fini(&error);
      return Status(Reason::kNotXlsx, "not an XLSX file: " + message);
    }
    zip_t* zip = zip_open_from_source(source, ZIP_RDONLY, &error);
    if (zip == nullptr) {
      zip_source_free(source);
      std::string message = zip_error_strerror(&error);
      zip_error_fini(&error);
      return Status(Reason::kNotXlsx, "not an XLSX file (not a readable zip archive): " + message);
    }
    zip_error_fini(&error);
    return std::unique_ptr<Archive>(new Archive(zip));
  }

  ~Archive() { zip_discard(zip_); }
  Archive(const Archive&) = delete;
  Archive& operator=(const Archive&) = delete;

  bool Has(const std::string& part) const { return Locate(part) >= 0; }

  // Hands the decompressed part to `sink` chunk by chunk, stopping at the limits whatever the
  // archive declares.
  Status Stream(const std::string& part,
                const std::function<Status(std::string_view chunk)>& sink) {
    const zip_int64_t index = Locate(part);
    if (index < 0) return Malformed("the workbook has no part " + part);
    zip_file_t* file = zip_fopen_index(zip_, static_cast<zip_uint64_t>(index), 0);
    if (file == nullptr) return Malformed(part + ": cannot open: " + zip_strerror(zip_));
    std::unique_ptr<zip_file_t, decltype(&zip_fclose)> closer(file, &zip_fclose);
    std::string buffer(kChunkBytes, '\0');
    uint64_t part_bytes = 0;
    while (true) {
      const zip_int64_t read = zip_fread(file, buffer.data(), buffer.size());
      if (read < 0) return Malformed(part + ": cannot decompress: " + zip_file_strerror(file));
      if (read == 0) return Status::Ok();
      part_bytes += static_cast<uint64_t>(read);
      total_bytes_ += static_cast<uint64_t>(read);
      if (part_bytes > kMaxXlsxPartBytes) {
        return TooLarge(part + " decompresses to more than " +
                        std::to_string(kMaxXlsxPartBytes >> 20) + " MiB");
      }
      if (total_bytes_ > kMaxXlsxTotalBytes) {
        return TooLarge("the workbook decompresses to more than " +
                        std::to_string(kMaxXlsxTotalBytes >> 20) + " MiB");
      }
      CASECOORD_RETURN_IF_ERROR(sink(std::string_view(buffer.data(), static_cast<size_t>(read))));
    }
  }

 private:
  explicit Archive(zip_t* zip) : zip_(zip) {}

  zip_int64_t Locate(const std::string& part) const {
    return zip_name_locate(zip_, part.c_str(), ZIP_FL_NOCASE);
  }

  zip_t* zip_;
  uint64_t total_bytes_ = 0;
};

// Receives the elements of one XML part; a handler that meets a problem calls Fail, which stops
// the parse.
class XmlHandler {
 public:
  virtual ~XmlHandler() = default;
  virtual void Start(std::string_view name, const XML_Char** attributes) = 0;
  virtual void End(std::string_view name) = 0;
  virtual void Text(std::string_view text) {}

  void Fail(Status status) {
    if (status_.ok()) status_ = std::move(status);
  }
  const Status& status() const { return status_; }

 private:
  Status status_;
};

struct ParseContext {
  XML_Parser parser;
  XmlHandler* handler;
};

void StopIfFailed(ParseContext* context) {
  if (!context->handler->status().ok()) XML_StopParser(context->parser, XML_FALSE);
}

void OnStart(void* data, const XML_Char* name, const XML_Char** attributes) {
  auto* context = static_cast<ParseContext*>(data);
  if (!context->handler->status().ok()) return;
  context->handler->Start(LocalName(name), attributes);
  StopIfFailed(context);
}

void OnEnd(void* data, const XML_Char* name) {
  auto* context = static_cast<ParseContext*>(data);
  if (!context->handler->status().ok()) return;
  context->handler->End(LocalName(name));
  StopIfFailed(context);
}

void OnText(void* data, const XML_Char* text, int length) {
  auto* context = static_cast<ParseContext*>(data);
  if (!context->handler->status().ok()) return;
  context->handler->Text(std::string_view(text, static_cast<size_t>(length)));
  StopIfFailed(context);
}

// Entity definitions could expand without bound: a part with any DTD is refused.
void OnDoctype(void* data, const XML_Char*, const XML_Char*, const XML_Char*, int) {
  auto* context = static_cast<ParseContext*>(data);
  context->handler->Fail(Malformed("a document type declaration is not allowed"));
  XML_StopParser(context->parser, XML_FALSE);
}

// Parses `part` of the archive as it decompresses.
Status ParsePart(Archive& archive, const std::string& part, XmlHandler& handler) {
  std::unique_ptr<std::remove_pointer_t<XML_Parser>, decltype(&XML_ParserFree)> parser(
      XML_ParserCreate(nullptr), &XML_ParserFree);
  if (parser == nullptr) return Malformed(part + ": cannot create an XML parser");
  ParseContext context{parser.get(), &handler};
  XML_SetUserData(parser.get(), &context);
  XML_SetElementHandler(parser.get(), &OnStart, &OnEnd);
  XML_SetCharacterDataHandler(parser.get(), &OnText);
  XML_SetStartDoctypeDeclHandler(parser.get(), &OnDoctype);
  auto failure = [&]() -> Status {
    if (!handler.status().ok())
      return handler.status().WithMessage(part + ": " + handler.status().message());
    return Malformed(part + ": not well-formed XML at line " +
                     std::to_string(XML_GetCurrentLineNumber(parser.get())) + ": " +
                     XML_ErrorString(XML_GetErrorCode(parser.get())));
  };
  CASECOORD_RETURN_IF_ERROR(archive.Stream(part, [&](std::string_view chunk) -> Status {
    if (XML_Parse(parser.get(), chunk.data(), static_cast<int>(chunk.size()), XML_FALSE) !=
        XML_STATUS_OK) {
      return failure();
    }
    return Status::Ok();
  }));
  if (XML_Parse(parser.get(), "", 0, XML_TRUE) != XML_STATUS_OK) return failure();
  return handler.status().ok() ? Status::Ok() : failure();
}

// --- Package structure: relationships and the workbook -----------------------------------------

struct Relationship {
  std::string type;
  std::string target;  // resolved to a part name
};

// The directory of a part name, with its slash ("xl/" for "xl/workbook.xml").
std::string DirectoryOf(std::string_view part) {
  const size_t slash = part.rfind('/');
  return slash == std::string_view::npos ? "" : std::string(part.substr(0, slash + 1));
}

// A relationship target relative to `directory` (or absolute, from "/") as a part name.
std::string ResolveTarget(std::string_view directory, std::string_view target) {
  std::string path;
  if (target.starts_with('/')) {
    target.remove_prefix(1);
  } else {
    path = directory;
  }
  while (!target.empty()) {
    const size_t slash = target.find('/');
    const std::string_view segment = target.substr(0, slash);
    target = slash == std::string_view::npos ? "" : target.substr(slash + 1);
    if (segment == "..") {
      if (!path.empty()) path.pop_back();
      path.erase(path.rfind('/') == std::string::npos ? 0 : path.rfind('/') + 1);
    } else if (!segment.empty() && segment != ".") {
      path.append(segment);
      if (slash != std::string_view::npos) path.push_back('/');
    }
  }
  return path;
}

std::string RelationshipsPartOf(std::string_view part) {
  const std::string directory = DirectoryOf(part);
  return directory + "_rels/" + std::string(part.substr(directory.size())) + ".rels";
}

class RelationshipsHandler final : public XmlHandler {
 public:
  explicit RelationshipsHandler(std::string directory) : directory_(std::move(directory)) {}
  void Start(std::string_view name, const XML_Char** attributes) override {
    if (name != "Relationship") return;
    const auto id = Attribute(attributes, "Id");
    const auto target = Attribute(attributes, "Target");
    const auto mode = Attribute(attributes, "TargetMode");
    if (!id || !target || (mode && *mode == "External")) return;
    if (relationships_.size() >= kMaxXlsxSheets * 4) {
      Fail(TooLarge("more than " + std::to_string(kMaxXlsxSheets * 4) + " relationships"));
      return;
    }
    relationships_[std::string(*id)] = {std::string(Attribute(attributes, "Type").value_or("")),
                                        ResolveTarget(directory_, *target)};
  }
  void End(std::string_view) override {}
  std::map<std::string, Relationship>& relationships() { return relationships_; }

 private:
  std::string directory_;
  std::map<std::string, Relationship> relationships_;
};

Result<std::map<std::string, Relationship>> ReadRelationships(Archive& archive,
                                                              std::string_view part) {
  const std::string rels = RelationshipsPartOf(part);
  if (!archive.Has(rels)) return std::map<std::string, Relationship>();
  RelationshipsHandler handler(DirectoryOf(part));
  CASECOORD_RETURN_IF_ERROR(ParsePart(archive, rels, handler));
  return std::move(handler.relationships());
}

// The first relationship whose type ends with "/<kind>" ("officeDocument", "styles").
std::optional<std::string> TargetOfType(const std::map<std::string, Relationship>& relationships,
                                        std::string_view kind) {
  for (const auto& [id, relationship] : relationships) {
    const std::string_view type = relationship.type;
    if (type.size() > kind.size() && type.ends_with(kind) &&
        type[type.size() - kind.size() - 1] == '/') {
      return relationship.target;
    }
  }
  return std::nullopt;
}

struct SheetEntry {
  std::string name;
  std::string relationship_id;
};

class WorkbookHandler final : public XmlHandler {
 public:
  void Start(std::string_view name, const XML_Char** attributes) override {
    if (name == "workbookPr") {
      const auto date1904 = Attribute(attributes, "date1904");
      date1904_ = date1904 && (*date1904 == "1" || *date1904 == "true");
    } else if (name == "sheet") {
      if (sheets_.size() >= kMaxXlsxSheets) {
        Fail(TooLarge("more than " + std::to_string(kMaxXlsxSheets) + " sheets"));
        return;
      }
      sheets_.push_back({std::string(Attribute(attributes, "name").value_or("")),
                         std::string(Attribute(attributes, "id").value_or(""))});
    }
  }
  void End(std::string_view) override {}
  std::vector<SheetEntry>& sheets() { return sheets_; }
  bool date1904() const { return date1904_; }

 private:
  std::vector<SheetEntry> sheets_;
  bool date1904_ = false;
};

// --- Shared strings and styles -------------------------------------------------------------------

// Collects the text of <t> elements within `item` elements (<si>, or <is> of a cell), leaving
// out the phonetic guides (<rPh>) and phonetic properties.
class TextCollector {
 public:
  void Start(std::string_view name) {
    if (name == "rPh") ++phonetic_depth_;
    if (name == "t" && phonetic_depth_ == 0) in_text_ = true;
  }
  void End(std::string_view name) {
    if (name == "rPh" && phonetic_depth_ > 0) --phonetic_depth_;
    if (name == "t") in_text_ = false;
  }
  // False when the text grew beyond kMaxXlsxCellBytes.
  bool Text(std::string_view text) {
    if (!in_text_) return true;
    text_.append(text);
    return text_.size() <= kMaxXlsxCellBytes;
  }
  std::string Take() {
    std::string text = DecodeXmlEscapes(text_);
    Reset();
    return text;
  }
  void Reset() {
    text_.clear();
    in_text_ = false;
    phonetic_depth_ = 0;
  }

 private:
  std::string text_;
  bool in_text_ = false;
  int phonetic_depth_ = 0;
};

Status CellTooLong() {
  return TooLarge("a text is longer than " + std::to_string(kMaxXlsxCellBytes) + " bytes");
}

class SharedStringsHandler final : public XmlHandler {
 public:
  void Start(std::string_view name, const XML_Char**) override {
    if (name == "si") {
      in_item_ = true;
      collector_.Reset();
    } else if (in_item_) {
      collector_.Start(name);
    }
  }
  void End(std::string_view name) override {
    if (!in_item_) return;
    if (name != "si") {
      collector_.End(name);
      return;
    }
    in_item_ = false;
    if (strings_.size() >= kMaxXlsxSharedStrings) {
      Fail(TooLarge("more than " + std::to_string(kMaxXlsxSharedStrings) + " shared strings"));
      return;
    }
    strings_.push_back(collector_.Take());
  }
  void Text(std::string_view text) override {
    if (in_item_ && !collector_.Text(text)) Fail(CellTooLong());
  }
  std::vector<std::string>& strings() { return strings_; }

 private:
  TextCollector collector_;
  bool in_item_ = false;
  std::vector<std::string> strings_;
};

// The kind of number format of each cell format (<cellXfs><xf>), by index.
class StylesHandler final : public XmlHandler {
 public:
  void Start(std::string_view name, const XML_Char** attributes) override {
    if (name == "numFmt") {
      const auto id = ParseSmallInt(Attribute(attributes, "numFmtId").value_or(""));
      if (id && custom_.size() < kMaxXlsxCellFormats) {
        custom_[*id] = KindOfFormatCode(Attribute(attributes, "formatCode").value_or(""));
      }
    } else if (name == "cellXfs") {
      in_cell_formats_ = true;
    } else if (name == "xf" && in_cell_formats_) {
      if (kinds_.size() >= kMaxXlsxCellFormats) {
        Fail(TooLarge("more than " + std::to_string(kMaxXlsxCellFormats) + " cell formats"));
        return;
      }
      const int id = ParseSmallInt(Attribute(attributes, "numFmtId").value_or("0")).value_or(0);
      const auto custom = custom_.find(id);
      kinds_.push_back(custom != custom_.end() ? custom->second : KindOfBuiltinFormat(id));
    }
  }
  void End(std::string_view name) override {
    if (name == "cellXfs") in_cell_formats_ = false;
  }
  std::vector<NumberKind>& kinds() { return kinds_; }

 private:
  std::map<int, NumberKind> custom_;  // numFmts come before cellXfs
  bool in_cell_formats_ = false;
  std::vector<NumberKind> kinds_;
};

// --- The worksheet -------------------------------------------------------------------------------

struct Workbook {
  std::vector<std::string> shared_strings;
  std::vector<NumberKind> format_kinds;
  bool date1904 = false;
};

class SheetHandler final : public XmlHandler {
 public:
  SheetHandler(const Workbook& workbook, XlsxSheet* sheet) : workbook_(workbook), sheet_(sheet) {}

  void Start(std::string_view name, const XML_Char** attributes) override {
    if (name == "row") {
      StartRow(attributes);
    } else if (name == "c") {
      StartCell(attributes);
    } else if (in_cell_) {
      if (name == "v") in_value_ = true;
      if (name == "is") in_inline_ = true;
      if (in_inline_) inline_text_.Start(name);
    }
  }

  void End(std::string_view name) override {
    if (name == "row") {
      if (!row_.cells.empty()) sheet_->rows.push_back(std::move(row_));
      row_ = XlsxRow();
      in_row_ = false;
    } else if (name == "c") {
      EndCell();
    } else if (in_cell_) {
      if (name == "v") in_value_ = false;
      if (in_inline_) inline_text_.End(name);
      if (name == "is") in_inline_ = false;
    }
  }

  void Text(std::string_view text) override {
    if (in_value_) {
      value_.append(text);
      if (value_.size() > kMaxXlsxCellBytes) Fail(CellTooLong());
    } else if (in_inline_ && !inline_text_.Text(text)) {
      Fail(CellTooLong());
    }
  }

 private:
  void StartRow(const XML_Char** attributes) {
    int number = last_row_ + 1;
    if (const auto r = Attribute(attributes, "r")) {
      const auto parsed = ParseSmallInt(*r);
      if (!parsed || *parsed < 1 || *parsed > kXlsxLastRow) {
        Fail(Malformed("row number \"" + ShortQuote(*r) + "\" is not valid"));
        return;
      }
      number = *parsed;
    }
    if (number <= last_row_ || number > kXlsxLastRow) {
      Fail(Malformed("row " + std::to_string(number) + " comes after row " +
                     std::to_string(last_row_)));
      return;
    }
    row_ = XlsxRow{number, {}};
    last_row_ = number;
    last_column_ = 0;
    in_row_ = true;
  }

  void StartCell(const XML_Char** attributes) {
    if (!in_row_) {
      Fail(Malformed("a cell outside a row"));
      return;
    }
    int column = last_column_ + 1;
    if (const auto r = Attribute(attributes, "r")) {
      int row = 0;
      if (!ParseCellReference(*r, &row, &column)) {
        Fail(Malformed("cell reference \"" + ShortQuote(*r) + "\" is not valid"));
        return;
      }
      if (row != row_.row) {
        Fail(Malformed("cell " + std::string(*r) + " is in row " + std::to_string(row_.row)));
        return;
      }
    }
    if (column <= last_column_ || column > kXlsxLastColumn) {
      Fail(Malformed("cell " + CellReference(row_.row, std::min(column, kXlsxLastColumn)) +
                     " comes after column " + std::to_string(last_column_)));
      return;
    }
    last_column_ = column;
    in_cell_ = true;
    type_ = std::string(Attribute(attributes, "t").value_or("n"));
    style_ = ParseSmallInt(Attribute(attributes, "s").value_or("0")).value_or(0);
    value_.clear();
    inline_text_.Reset();
  }

  void EndCell() {
    in_cell_ = in_value_ = in_inline_ = false;
    Result<std::string> shown = Shown();
    if (!shown.ok()) {
      Fail(shown.status().WithMessage("cell " + CellReference(row_.row, last_column_) + ": " +
                                      shown.status().message()));
      return;
    }
    if (shown->empty()) return;
    if (row_.row > kMaxXlsxRows) {
      Fail(TooLarge("cell " + CellReference(row_.row, last_column_) + " is beyond row " +
                    std::to_string(kMaxXlsxRows)));
      return;
    }
    if (last_column_ > kMaxXlsxColumns) {
      Fail(TooLarge("cell " + CellReference(row_.row, last_column_) + " is beyond column " +
                    ColumnLetters(kMaxXlsxColumns)));
      return;
    }
    const size_t width = static_cast<size_t>(last_column_);
    cells_ += width - row_.cells.size();
    if (cells_ > kMaxXlsxCells) {
      Fail(TooLarge("the sheet has more than " + std::to_string(kMaxXlsxCells) + " cells"));
      return;
    }
    row_.cells.resize(width);
    row_.cells[width - 1] = std::move(shown).value();
  }

  // The cell's value as Excel shows it.
  Result<std::string> Shown() {
    if (type_ == "inlineStr") return inline_text_.Take();
    if (type_ == "s") {
      const auto index = ParseSmallInt(TrimSpaces(value_));
      if (!index || static_cast<size_t>(*index) >= workbook_.shared_strings.size()) {
        return Malformed("shared string \"" + ShortQuote(value_) + "\" does not exist");
      }
      return workbook_.shared_strings[static_cast<size_t>(*index)];
    }
    if (type_ == "b") {
      if (value_.empty()) return std::string();
      if (value_ == "1" || value_ == "true") return std::string("TRUE");
      if (value_ == "0" || value_ == "false") return std::string("FALSE");
      return Malformed("boolean \"" + ShortQuote(value_) + "\" is not 0 or 1");
    }
    if (type_ == "str" || type_ == "e" || type_ == "d") return DecodeXmlEscapes(value_);
    if (type_ != "n") return Malformed("cell type \"" + ShortQuote(type_) + "\" is unknown");
    const std::string_view number_text = TrimSpaces(value_);
    if (number_text.empty()) return std::string();
    double number = 0;
    const auto [end, error] =
        std::from_chars(number_text.data(), number_text.data() + number_text.size(), number);
    if (error != std::errc() || end != number_text.data() + number_text.size() ||
        !std::isfinite(number)) {
      return Malformed("\"" + ShortQuote(value_) + "\" is not a number");
    }
    const NumberKind kind = static_cast<size_t>(style_) < workbook_.format_kinds.size()
                                ? workbook_.format_kinds[static_cast<size_t>(style_)]
                                : NumberKind::kNumber;
    if (auto date = FormatSerialDate(number, kind, workbook_.date1904)) return *std::move(date);
    return FormatGeneralNumber(number);
  }

  const Workbook& workbook_;
  XlsxSheet* sheet_;
  XlsxRow row_;
  int last_row_ = 0;
  int last_column_ = 0;
  size_t cells_ = 0;
  bool in_row_ = false;
  bool in_cell_ = false;
  bool in_value_ = false;
  bool in_inline_ = false;
  std::string type_;
  int style_ = 0;
  std::string value_;
  TextCollector inline_text_;
};

// --- Putting it together
// ---------------------------------------------------------------------------

struct OpenedWorkbook {
  std::unique_ptr<Archive> archive;
  std::string part;  // the workbook part's name
  std::vector<SheetEntry> sheets;
  std::map<std::string, Relationship> relationships;  // of the workbook part
  bool date1904 = false;
};

Result<OpenedWorkbook> OpenWorkbook(std::string_view bytes) {
  if (bytes.size() > kMaxXlsxBytes) {
    return TooLarge("the file is larger than " + std::to_string(kMaxXlsxBytes >> 20) + " MiB");
  }
  if (!LooksLikeZip(bytes)) return Status(Reason::kNotXlsx, "not an XLSX file (not a zip archive)");
  OpenedWorkbook workbook;
  CASECOORD_ASSIGN_OR_RETURN(workbook.archive, Archive::Open(bytes));
  CASECOORD_ASSIGN_OR_RETURN(auto package, ReadRelationships(*workbook.archive, ""));
  workbook.part = TargetOfType(package, "officeDocument").value_or(std::string(kDefaultWorkbook));
  if (!workbook.archive->Has(workbook.part)) {
    return Status(Reason::kNotXlsx,
                  "not an XLSX file: the zip archive has no workbook (" + workbook.part + ")");
  }
  WorkbookHandler handler;
  CASECOORD_RETURN_IF_ERROR(ParsePart(*workbook.archive, workbook.part, handler));
  workbook.sheets = std::move(handler.sheets());
  workbook.date1904 = handler.date1904();
  if (workbook.sheets.empty()) return Malformed(workbook.part + ": the workbook has no sheet");
  CASECOORD_ASSIGN_OR_RETURN(workbook.relationships,
                             ReadRelationships(*workbook.archive, workbook.part));
  return workbook;
}

}  // namespace

bool LooksLikeZip(std::string_view bytes) { return bytes.starts_with(std::string_view("PK\3\4")); }

std::string ColumnLetters(int column) {
  std::string letters;
  for (int c = column; c > 0; c = (c - 1) / 26) {
    letters.insert(letters.begin(), static_cast<char>('A' + (c - 1) % 26));
  }
  return letters;
}

std::string CellReference(int row, int column) {
  return ColumnLetters(column) + std::to_string(row);
}

bool ParseCellReference(std::string_view reference, int* row, int* column) {
  size_t i = 0;
  int c = 0;
  while (i < reference.size() && i < 3 && reference[i] >= 'A' && reference[i] <= 'Z') {
    c = c * 26 + (reference[i] - 'A' + 1);
    ++i;
  }
  if (i == 0 || c > kXlsxLastColumn) return false;
  const std::string_view digits = reference.substr(i);
  if (digits.empty() || digits.size() > 7 || digits[0] == '0') return false;
  const auto r = ParseSmallInt(digits);
  if (!r || *r < 1 || *r > kXlsxLastRow) return false;
  *row = *r;
  *column = c;
  return true;
}

Result<std::vector<std::string>> ListXlsxSheets(std::string_view bytes) {
  CASECOORD_ASSIGN_OR_RETURN(OpenedWorkbook workbook, OpenWorkbook(bytes));
  std::vector<std::string> names;
  for (const SheetEntry& sheet : workbook.sheets) names.push_back(sheet.name);
  return names;
}

Result<XlsxSheet> ReadXlsxSheet(std::string_view bytes, std::string_view sheet_name) {
  CASECOORD_ASSIGN_OR_RETURN(OpenedWorkbook opened, OpenWorkbook(bytes));
  const SheetEntry* entry = sheet_name.empty() ? &opened.sheets.front() : nullptr;
  for (const SheetEntry& sheet : opened.sheets) {
    if (entry == nullptr && sheet.name == sheet_name) entry = &sheet;
  }
  if (entry == nullptr) {
    std::string names;
    for (const SheetEntry& sheet : opened.sheets) names += (names.empty() ? "" : ", ") + sheet.name;
    return Status(Reason::kSheetNotFound,
                  "sheet " + std::string(sheet_name) + " not found; the sheets are: " + names);
  }
  const auto relationship = opened.relationships.find(entry->relationship_id);
  if (relationship == opened.relationships.end()) {
    return Malformed("sheet " + entry->name + " has no part (relationship \"" +
                     ShortQuote(entry->relationship_id) + "\")");
  }
  Archive& archive = *opened.archive;
  Workbook workbook;
  workbook.date1904 = opened.date1904;
  if (auto styles = TargetOfType(opened.relationships, "styles"); styles && archive.Has(*styles)) {
    StylesHandler handler;
    CASECOORD_RETURN_IF_ERROR(ParsePart(archive, *styles, handler));
    workbook.format_kinds = std::move(handler.kinds());
  }
  if (auto strings = TargetOfType(opened.relationships, "sharedStrings");
      strings && archive.Has(*strings)) {
    SharedStringsHandler handler;
    CASECOORD_RETURN_IF_ERROR(ParsePart(archive, *strings, handler));
    workbook.shared_strings = std::move(handler.strings());
  }
  XlsxSheet sheet;
  sheet.name = entry->name;
  SheetHandler handler(workbook, &sheet);
  CASECOORD_RETURN_IF_ERROR(ParsePart(archive, relationship->second.target, handler));
  return sheet;
}

}  // namespace casecoord::text
