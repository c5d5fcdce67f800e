// Power-loss simulation of the Database (issue 11): a workload of every
// mutating call with sync = true, plus save() and compact(), runs on a
// FaultInjectionEnv that cuts the power after a random number of mutating
// file operations; the files are then reduced to what a power loss leaves
// (un-fsynced data dropped or torn, un-synced directory entries undone) and
// the database is reopened. Every call acknowledged before the cut must be
// there, exactly; the call in flight may or may not have landed, whole.
#include <gtest/gtest.h>

#include <cstdio>
#include <functional>
#include <map>
#include <optional>
#include <random>

#include "herondb/db/database.h"
#include "herondb/storage/fault_injection_env.h"
#include "storage_test_util.h"

namespace herondb {
namespace {

using testing::TempDir;
using testing::WriteAll;

constexpr uint32_t kDim = 4;

// id -> (vector, metadata tag; -1: none)
using Model = std::map<std::string, std::pair<std::vector<float>, int64_t>>;

ValuePtr Meta(int64_t n) {
  if (n < 0) return nullptr;
  Object o;
  o.emplace_back("n", Value(n));
  return std::make_shared<const Value>(Value(std::move(o)));
}

std::vector<float> Vec(uint64_t seed) {
  std::vector<float> v(kDim);
  for (uint32_t i = 0; i < kDim; ++i) v[i] = static_cast<float>((seed * 13 + i * 7) % 97) + 1.0f;
  return v;
}

Model StateOf(const Database& db) {
  Model m;
  for (const std::string& id : db.Ids()) {
    std::vector<float> v;
    ValuePtr meta;
    db.Get(id, &v, &meta);
    int64_t n = -1;
    if (meta) n = meta->as_object().front().second.as_int();
    m[id] = {v, n};
  }
  return m;
}

// One call of the workload: applies itself to the database and, when it
// returns, to the model.
struct Op {
  std::string name;
  std::function<void(Database&)> run;
  std::function<void(Model&)> apply;
};

Op MakeOp(std::mt19937_64& rng, const Model& model, int step, const std::string& json_file) {
  auto pick = [&]() -> std::optional<std::string> {
    if (model.empty()) return std::nullopt;
    auto it = model.begin();
    std::advance(it, static_cast<long>(rng() % model.size()));
    return it->first;
  };
  const std::string fresh = "k" + std::to_string(step);
  const uint64_t seed = rng();
  switch (rng() % 9) {
    case 0:
    case 1:
      return {"add",
              [=](Database& db) {
                std::vector<float> v = Vec(seed);
                db.Add(PutEntry{fresh, v.data(), true, Meta(step)});
              },
              [=](Model& m) { m[fresh] = {Vec(seed), step}; }};
    case 2:
      return {"add_many",
              [=](Database& db) {
                std::vector<std::vector<float>> vs{Vec(seed), Vec(seed + 1), Vec(seed + 2)};
                std::vector<PutEntry> es;
                for (int i = 0; i < 3; ++i)
                  es.push_back(PutEntry{fresh + "-" + std::to_string(i), vs[i].data(), true,
                                        i == 1 ? nullptr : Meta(i)});
                db.AddMany(std::move(es));
              },
              [=](Model& m) {
                for (int i = 0; i < 3; ++i)
                  m[fresh + "-" + std::to_string(i)] = {Vec(seed + i), i == 1 ? -1 : i};
              }};
    case 3: {
      std::string id = pick().value_or(fresh);
      return {"upsert",
              [=](Database& db) {
                std::vector<float> v = Vec(seed);
                std::vector<PutEntry> es{PutEntry{id, v.data(), true, Meta(7)}};
                db.UpsertMany(std::move(es));
              },
              [=](Model& m) { m[id] = {Vec(seed), 7}; }};
    }
    case 4: {
      auto id = pick();
      if (!id) return MakeOp(rng, model, step, json_file);
      return {"update", [=](Database& db) { db.Update(PutEntry{*id, nullptr, true, Meta(99)}); },
              [=](Model& m) { m[*id].second = 99; }};
    }
    case 5: {
      auto id = pick();
      if (!id) return MakeOp(rng, model, step, json_file);
      return {"delete", [=](Database& db) { db.Delete(*id); }, [=](Model& m) { m.erase(*id); }};
    }
    case 6:
      return {"import_json", [=](Database& db) { db.ImportJson(json_file); },
              [=](Model& m) {
                m["j1"] = {{1, 2, 3, 4}, -1};
                m["j2"] = {{4, 3, 2, 1}, 5};
              }};
    case 7:
      return {"save", [](Database& db) { db.Save(); }, [](Model&) {}};
    default:
      return {"compact", [](Database& db) { db.Compact(); }, [](Model&) {}};
  }
}

TEST(DbPowerLossTest, NoAcknowledgedSyncWriteIsLostInAThousandPowerCuts) {
  TempDir work(TempDir::kPreferMemory);  // no disk I/O: the Env simulates durability
  const std::string json_file = work.File("import.json");
  WriteAll(json_file, R"({"dim": 4, "metric": "euclidean", "records": [)"
                      R"({"id": "j1", "vector": [1, 2, 3, 4], "metadata": null},)"
                      R"({"id": "j2", "vector": [4, 3, 2, 1], "metadata": {"n": 5}}]})");
  constexpr int kCuts = 1000;  // trials run until this many cut the power
  constexpr int kOps = 24;
  constexpr uint64_t kWorkloadMutations = 100;
  std::mt19937_64 rng(20261203);
  int cuts = 0, lost = 0, in_flight_landed = 0, cut_in_open = 0, finished = 0;
  uint64_t finished_mutations = 0;
  std::map<std::string, int> cut_in;
  for (int trial = 0; cuts < kCuts && trial < 2 * kCuts; ++trial) {
    const std::string dir = work.File("db" + std::to_string(trial));
    FaultInjectionEnv env;
    env.SimulatePowerLoss(true);
    // A workload does about kWorkloadMutations mutating file operations:
    // cut anywhere in it (a few trials finish before their cut).
    env.CutPowerAfter(rng() % kWorkloadMutations);
    Model acked;
    std::optional<Model> if_landed;  // the model had the call in flight landed
    bool created = false;
    try {
      DatabaseOptions o;
      o.dim = kDim;
      o.metric = Metric::kEuclidean;
      o.sync = true;
      o.threads = 1;
      o.env = &env;
      Database db(dir, o);
      created = true;
      for (int step = 0; step < kOps; ++step) {
        Op op = MakeOp(rng, acked, step, json_file);
        Model next = acked;
        op.apply(next);
        if_landed = next;
        try {
          op.run(db);
        } catch (const Error& e) {
          if (!env.power_cut()) {
            ADD_FAILURE() << op.name << " failed without a power cut: " << e.what();
          } else {
            ++cut_in[op.name];
          }
          break;
        }
        acked = std::move(next);
        if_landed.reset();
      }
    } catch (const Error& e) {
      if (!env.power_cut()) ADD_FAILURE() << "open failed without a power cut: " << e.what();
    }
    if (!env.power_cut()) {  // the workload finished before the cut
      finished_mutations += env.mutation_count();
      ++finished;
      continue;
    }
    ++cuts;
    if (!created) ++cut_in_open;
    env.DropUnsyncedData(&rng);
    DatabaseOptions o;
    o.threads = 1;
    if (!created) o.dim = kDim;  // the creation never returned: anything goes
    try {
      Database db(dir, o);
      Model got = StateOf(db);
      EXPECT_EQ(db.Verify(), "");
      if (got != acked) {
        if (if_landed && got == *if_landed) {
          ++in_flight_landed;
        } else {
          ++lost;
          ADD_FAILURE() << "trial " << trial << ": state after the power cut differs from the "
                        << acked.size() << " acknowledged records (got " << got.size() << ")";
        }
      }
      // The reopened database keeps working.
      std::vector<float> v = Vec(1);
      db.Add(PutEntry{"after-cut", v.data(), true, nullptr});
      db.Save();
    } catch (const Error& e) {
      ++lost;
      ADD_FAILURE() << "trial " << trial << ": reopening after the power cut failed: " << e.what();
    }
  }
  std::printf(
      "power cuts simulated: %d (during open: %d); acknowledged writes lost: %d; "
      "call in flight landed: %d\n",
      cuts, cut_in_open, lost, in_flight_landed);
  for (const auto& [name, n] : cut_in) std::printf("  cut during %s: %d\n", name.c_str(), n);
  if (finished > 0)
    std::printf("  %d workloads finished before their cut (%.0f mutating operations each)\n",
                finished, static_cast<double>(finished_mutations) / finished);
  EXPECT_GE(cuts, kCuts);
  EXPECT_EQ(lost, 0);
}

}  // namespace
}  // namespace herondb
