// Tests for Database::ExportJson / ImportJson (db/database_json.cc): vctrs's
// layout out, both layouts in (api-decisions D19). The exchange with the real
// vctrs is tested from Python (tests/python/test_vctrs_json.py).
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "herondb/common/error.h"
#include "herondb/db/database.h"
#include "herondb/meta/json.h"

namespace herondb {
namespace {

std::string TempPath(const std::string& name) {
  auto path = std::filesystem::path(::testing::TempDir()) /
              ("herondb_db_json_" + name + "_" + std::to_string(::getpid()));
  std::filesystem::remove_all(path);
  return path.string();
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void WriteFile(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

std::unique_ptr<Database> Open(const std::string& path) {
  DatabaseOptions o;
  o.dim = 2;
  o.metric = Metric::kEuclidean;
  o.threads = 1;
  return std::make_unique<Database>(path, o);
}

TEST(DatabaseJson, ExportWritesVctrsLayout) {
  const std::string path = TempPath("export");
  auto db = Open(path);
  const float v[2] = {0.1f, -2.5f};
  db->Add(PutEntry{"a", v, true, std::make_shared<const Value>(ParseJson(R"({"k":1})"))});
  db->ExportJson(path + ".json", false);
  // Compact form and key order; the floats parse back to the stored float32.
  const std::string text = ReadFile(path + ".json");
  const std::string head =
      R"({"version":1,"dim":2,"metric":"euclidean","count":1,"vectors":[{"id":"a","vector":[)";
  const std::string tail = R"(],"metadata":{"k":1}}]})"
                           "\n";
  ASSERT_EQ(text.substr(0, head.size()), head);
  ASSERT_EQ(text.substr(text.size() - tail.size()), tail);
  std::string numbers = "[";
  numbers.append(text, head.size(), text.size() - head.size() - tail.size());
  numbers.push_back(']');
  Value vec = ParseJson(numbers);
  ASSERT_EQ(vec.as_array().size(), 2u);
  EXPECT_EQ(static_cast<float>(vec.as_array()[0].as_number()), 0.1f);
  EXPECT_EQ(static_cast<float>(vec.as_array()[1].as_number()), -2.5f);
  std::filesystem::remove(path + ".json");
  db.reset();
  std::filesystem::remove_all(path);
}

TEST(DatabaseJson, ImportReadsBothLayoutsAndRejectsOthersWholly) {
  const std::string path = TempPath("import");
  auto db = Open(path);
  const std::string file = path + ".json";
  WriteFile(file, R"({"dim":2,"records":[{"id":"r","vector":[1,2]}]})");
  db->ImportJson(file);
  WriteFile(file,
            R"({"version":1,"dim":2,"metric":"cosine","vectors":[{"id":"v","vector":[3,4]}]})");
  db->ImportJson(file);
  EXPECT_EQ(db->size(), 2u);
  for (const char* bad : {R"({"version":2,"dim":2,"vectors":[{"id":"x","vector":[1,2]}]})",
                          R"({"dim":2,"vectors":[{"id":"x","vector":[1,2]}],"records":[]})",
                          R"({"dim":2,"vectors":[{"id":"x","vector":[1,2]}],"vectors":[]})",
                          R"({"dim":3,"vectors":[{"id":"x","vector":[1,2]}]})", R"({"dim":2})"}) {
    WriteFile(file, bad);
    try {
      db->ImportJson(file);
      ADD_FAILURE() << bad;
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::kInvalidArgument) << bad;
    }
    EXPECT_EQ(db->size(), 2u) << bad;
  }
  std::filesystem::remove(file);
  db.reset();
  std::filesystem::remove_all(path);
}

}  // namespace
}  // namespace herondb
