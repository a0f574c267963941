#include "tests/support/xlsx_files.h"

#include <gtest/gtest.h>
#include <zip.h>

#include <fstream>
#include <iterator>

#include "tests/support/temp_dir.h"

namespace casecoord::testing {

std::string WriteXlsx(const std::function<void(lxw_workbook*)>& build, bool inline_strings) {
  TempDir dir;
  const std::string path = dir.Sub("test.xlsx");
  lxw_workbook_options options{};
  options.constant_memory = inline_strings ? LXW_TRUE : LXW_FALSE;
  lxw_workbook* workbook = workbook_new_opt(path.c_str(), &options);
  if (workbook == nullptr) {
    ADD_FAILURE() << "workbook_new failed";
    return "";
  }
  build(workbook);
  const lxw_error error = workbook_close(workbook);
  if (error != LXW_NO_ERROR) {
    ADD_FAILURE() << "workbook_close: " << lxw_strerror(error);
    return "";
  }
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

std::string TextXlsx(
    const std::vector<std::pair<std::string, std::vector<std::vector<std::string>>>>& sheets) {
  return WriteXlsx([&](lxw_workbook* workbook) {
    for (const auto& [name, rows] : sheets) {
      lxw_worksheet* sheet = workbook_add_worksheet(workbook, name.c_str());
      for (size_t r = 0; r < rows.size(); ++r) {
        for (size_t c = 0; c < rows[r].size(); ++c) {
          if (rows[r][c].empty()) continue;
          worksheet_write_string(sheet, static_cast<lxw_row_t>(r), static_cast<lxw_col_t>(c),
                                 rows[r][c].c_str(), nullptr);
        }
      }
    }
  });
}

std::string ZipEntry(const std::string& zip, const std::string& name) {
  zip_error_t error;
  zip_error_init(&error);
  zip_source_t* source = zip_source_buffer_create(zip.data(), zip.size(), 0, &error);
  zip_t* archive = source == nullptr ? nullptr : zip_open_from_source(source, ZIP_RDONLY, &error);
  zip_error_fini(&error);
  if (archive == nullptr) {
    zip_source_free(source);
    ADD_FAILURE() << "not a zip archive";
    return "";
  }
  std::string contents;
  zip_file_t* file = zip_fopen(archive, name.c_str(), 0);
  if (file == nullptr) {
    ADD_FAILURE() << "no entry " << name;
  } else {
    char buffer[4096];
    zip_int64_t read = 0;
    while ((read = zip_fread(file, buffer, sizeof(buffer))) > 0) {
      contents.append(buffer, static_cast<size_t>(read));
    }
    zip_fclose(file);
  }
  zip_discard(archive);
  return contents;
}

std::string ZipArchive(const std::vector<std::pair<std::string, std::string>>& entries) {
  TempDir dir;
  const std::string path = dir.Sub("archive.zip");
  int error = 0;
  zip_t* zip = zip_open(path.c_str(), ZIP_CREATE | ZIP_TRUNCATE, &error);
  if (zip == nullptr) {
    ADD_FAILURE() << "zip_open failed: " << error;
    return "";
  }
  for (const auto& [name, contents] : entries) {
    zip_source_t* source = zip_source_buffer(zip, contents.data(), contents.size(), 0);
    if (source == nullptr || zip_file_add(zip, name.c_str(), source, ZIP_FL_OVERWRITE) < 0) {
      ADD_FAILURE() << "zip_file_add " << name << ": " << zip_strerror(zip);
      zip_source_free(source);
    }
  }
  if (zip_close(zip) != 0) {
    ADD_FAILURE() << "zip_close: " << zip_strerror(zip);
    zip_discard(zip);
    return "";
  }
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

}  // namespace casecoord::testing
