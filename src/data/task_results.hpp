#pragma once
// Results of distributed research tasks (sweeps, universe walk-forwards) in the shared store:
// one row per (job, task key), written once. A task re-run after a worker loss writes nothing
// new, and a resumed job skips the keys already stored.
#include <string>
#include <vector>

#include "data/database.hpp"

namespace aurum {

/// One stored task result: its key and its result as JSON text.
struct TaskResult {
    std::string key;
    std::string result;
};

/// The `research_results` table of a store (SQLite or PostgreSQL).
class TaskResults {
  public:
    /// Creates the table when missing.
    explicit TaskResults(Database& db);
    /// Stores a task's result unless the key is already stored (the first write wins); true when
    /// this call wrote the row.
    bool put(const std::string& job, const std::string& key, const std::string& kind,
             const std::string& result_json, std::int64_t finished_at_ms);
    /// The keys of a job already stored.
    std::vector<std::string> done_keys(const std::string& job);
    /// Every stored result of a job, by key.
    std::vector<TaskResult> results(const std::string& job);

  private:
    Database& db_;
};

} // namespace aurum
