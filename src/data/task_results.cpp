#include "data/task_results.hpp"

namespace aurum {

TaskResults::TaskResults(Database& db) : db_(db) {
    db_.exec("CREATE TABLE IF NOT EXISTS research_results ("
             "job TEXT NOT NULL, task_key TEXT NOT NULL, kind TEXT NOT NULL, "
             "result TEXT NOT NULL, finished_at BIGINT NOT NULL, "
             "PRIMARY KEY (job, task_key))");
}

bool TaskResults::put(const std::string& job, const std::string& key, const std::string& kind,
                      const std::string& result_json, std::int64_t finished_at_ms) {
    // ON CONFLICT DO NOTHING: a duplicate run of the same task (a retry after a lost worker
    // that had already written) leaves the first row as it was. RETURNING tells whether we wrote.
    const SqlValue params[] = {job, key, kind, result_json, finished_at_ms};
    const auto rows = db_.query("INSERT INTO research_results (job, task_key, kind, result, "
                                "finished_at) VALUES ($1, $2, $3, $4, $5) "
                                "ON CONFLICT (job, task_key) DO NOTHING RETURNING task_key",
                                params);
    return !rows.empty();
}

std::vector<std::string> TaskResults::done_keys(const std::string& job) {
    const SqlValue params[] = {job};
    std::vector<std::string> out;
    for (const auto& r : db_.query("SELECT task_key FROM research_results WHERE job = $1", params))
        out.push_back(r.as_string(0));
    return out;
}

std::vector<TaskResult> TaskResults::results(const std::string& job) {
    const SqlValue params[] = {job};
    std::vector<TaskResult> out;
    for (const auto& r : db_.query("SELECT task_key, result FROM research_results WHERE job = $1 "
                                   "ORDER BY task_key",
                                   params))
        out.push_back({r.as_string(0), r.as_string(1)});
    return out;
}

} // namespace aurum
