#include "features/external_data.hpp"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <map>
#include <numeric>

#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "data/http_client.hpp"

namespace aurum {

void ExternalSeries::normalize() {
    std::vector<std::size_t> order(time.size());
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(),
                     [&](std::size_t a, std::size_t b) { return time[a] < time[b]; });
    std::vector<TimeMs> t;
    std::vector<double> v;
    t.reserve(order.size());
    v.reserve(order.size());
    for (std::size_t i : order) {
        if (!std::isfinite(value[i]))
            throw InputError("external series '" + name + "': value at " + format_time(time[i]) +
                             " is not a finite number");
        if (!t.empty() && t.back() == time[i])
            throw InputError("external series '" + name + "': two values for " +
                             format_time(time[i]));
        t.push_back(time[i]);
        v.push_back(value[i]);
    }
    time = std::move(t);
    value = std::move(v);
}

// ---------------------------------------------------------------------------------------------
// Store

ExternalStore::ExternalStore(Database& db) : db_(db) {
    db_.exec("CREATE TABLE IF NOT EXISTS external_series ("
             "name TEXT PRIMARY KEY, source TEXT NOT NULL, period_ms BIGINT NOT NULL)");
    db_.exec("CREATE TABLE IF NOT EXISTS external_observations ("
             "name TEXT NOT NULL, obs_time BIGINT NOT NULL, value DOUBLE PRECISION NOT NULL, "
             "PRIMARY KEY (name, obs_time))");
}

std::int64_t ExternalStore::upsert(const ExternalSeries& s, const std::string& source) {
    if (s.name.empty()) throw InputError("external series needs a name");
    Transaction tx(db_);
    db_.exec("INSERT INTO external_series (name, source, period_ms) VALUES ($1, $2, $3) "
             "ON CONFLICT (name) DO UPDATE SET source = excluded.source, "
             "period_ms = excluded.period_ms",
             std::vector<SqlValue>{s.name, source, static_cast<std::int64_t>(s.period_ms)});
    std::vector<SqlValue> p(3);
    p[0] = s.name;
    for (std::size_t i = 0; i < s.size(); ++i) {
        p[1] = static_cast<std::int64_t>(s.time[i]);
        p[2] = s.value[i];
        db_.exec("INSERT INTO external_observations (name, obs_time, value) VALUES ($1, $2, $3) "
                 "ON CONFLICT (name, obs_time) DO UPDATE SET value = excluded.value",
                 p);
    }
    tx.commit();
    return static_cast<std::int64_t>(s.size());
}

bool ExternalStore::has(const std::string& name) {
    return db_.query_one("SELECT name FROM external_series WHERE name = $1",
                         std::vector<SqlValue>{name})
        .has_value();
}

ExternalSeries ExternalStore::load(const std::string& name, TimeRange range) {
    const auto info = db_.query_one("SELECT period_ms FROM external_series WHERE name = $1",
                                    std::vector<SqlValue>{name});
    if (!info) {
        std::string known;
        for (const auto& i : list()) known += (known.empty() ? "" : ", ") + i.name;
        throw InputError("unknown external series '" + name + "' (stored: " +
                         (known.empty() ? "none" : known) + ")");
    }
    ExternalSeries s;
    s.name = name;
    s.period_ms = info->as_int(0);
    for (const auto& row : db_.query("SELECT obs_time, value FROM external_observations WHERE "
                                     "name = $1 AND obs_time >= $2 AND obs_time < $3 "
                                     "ORDER BY obs_time",
                                     std::vector<SqlValue>{name, static_cast<std::int64_t>(range.from),
                                                           static_cast<std::int64_t>(range.to)})) {
        s.time.push_back(row.as_int(0));
        s.value.push_back(row.as_double(1));
    }
    return s;
}

std::vector<ExternalSeriesInfo> ExternalStore::list() {
    std::vector<ExternalSeriesInfo> out;
    for (const auto& row : db_.query(
             "SELECT s.name, s.source, s.period_ms, MIN(o.obs_time), MAX(o.obs_time), "
             "COUNT(o.obs_time) FROM external_series s LEFT JOIN external_observations o "
             "ON o.name = s.name GROUP BY s.name, s.source, s.period_ms ORDER BY s.name")) {
        ExternalSeriesInfo i;
        i.name = row.as_string(0);
        i.source = row.as_string(1);
        i.period_ms = row.as_int(2);
        i.first = row.is_null(3) ? 0 : row.as_int(3);
        i.last = row.is_null(4) ? 0 : row.as_int(4);
        i.rows = row.as_int(5);
        out.push_back(std::move(i));
    }
    return out;
}

// ---------------------------------------------------------------------------------------------
// CSV import

namespace {

std::vector<std::string> split_line(const std::string& line, char sep) {
    std::vector<std::string> out;
    std::string cur;
    bool quoted = false;
    for (char c : line) {
        if (c == '"') {
            quoted = !quoted;
        } else if (c == sep && !quoted) {
            out.push_back(cur);
            cur.clear();
        } else {
            cur += c;
        }
    }
    out.push_back(cur);
    for (auto& f : out) {
        const auto a = f.find_first_not_of(" \t"), b = f.find_last_not_of(" \t");
        f = a == std::string::npos ? "" : f.substr(a, b - a + 1);
    }
    return out;
}

std::string lower(std::string s) {
    for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

} // namespace

ExternalSeries import_external_csv(const std::filesystem::path& path, const std::string& name,
                                   const std::string& value_column) {
    std::ifstream in(path);
    if (!in) throw InputError(path.string() + ": cannot open file");
    if (name.empty()) throw InputError("--series: a name for the imported series is required");
    std::string line;
    std::size_t lineno = 0;
    std::string header;
    while (std::getline(in, header)) {
        ++lineno;
        if (!header.empty() && header.back() == '\r') header.pop_back();
        if (!header.empty()) break;
    }
    if (header.empty()) throw InputError(path.string() + ": empty file (expected a header line)");
    const char sep = header.find('\t') != std::string::npos ? '\t'
                     : header.find(';') != std::string::npos && header.find(',') == std::string::npos
                         ? ';'
                         : ',';
    const auto cols = split_line(header, sep);
    if (cols.size() < 2)
        throw InputError(path.string() + ":" + std::to_string(lineno) +
                         ": expected at least two columns (date and value), got '" + header + "'");
    std::size_t tcol = 0, vcol = 1;
    for (std::size_t i = 0; i < cols.size(); ++i) {
        const auto c = lower(cols[i]);
        if (c == "date" || c == "time" || c == "timestamp" || c == "day") {
            tcol = i;
            if (vcol == i) vcol = i == 0 ? 1 : 0;
        }
    }
    if (!value_column.empty()) {
        auto it = std::find(cols.begin(), cols.end(), value_column);
        if (it == cols.end())
            throw InputError(path.string() + ":" + std::to_string(lineno) + ": no column '" +
                             value_column + "' in header '" + header + "'");
        vcol = static_cast<std::size_t>(it - cols.begin());
    } else {
        for (std::size_t i = 0; i < cols.size(); ++i)
            if (lower(cols[i]) == "value") vcol = i;
    }
    ExternalSeries s;
    s.name = name;
    std::map<TimeMs, std::size_t> seen;
    while (std::getline(in, line)) {
        ++lineno;
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (line.find_first_not_of(" \t") == std::string::npos) continue;
        const auto f = split_line(line, sep);
        const std::string where = path.string() + ":" + std::to_string(lineno);
        if (f.size() <= std::max(tcol, vcol))
            throw InputError(where + ": expected " + std::to_string(cols.size()) +
                             " columns, got " + std::to_string(f.size()));
        const auto t = parse_time(f[tcol]);
        if (!t)
            throw InputError(where + ": column '" + cols[tcol] + "': cannot read a date from '" +
                             f[tcol] + "'");
        char* end = nullptr;
        const double v = std::strtod(f[vcol].c_str(), &end);
        if (f[vcol].empty() || end != f[vcol].c_str() + f[vcol].size() || !std::isfinite(v))
            throw InputError(where + ": column '" + cols[vcol] + "': not a finite number: '" +
                             f[vcol] + "'");
        if (auto [it, fresh] = seen.emplace(*t, lineno); !fresh)
            throw InputError(where + ": column '" + cols[tcol] + "': date " + f[tcol] +
                             " already given on line " + std::to_string(it->second));
        s.time.push_back(*t);
        s.value.push_back(v);
    }
    if (s.size() == 0) throw InputError(path.string() + ": no data rows after the header");
    s.normalize();
    return s;
}

// ---------------------------------------------------------------------------------------------
// HTTP clients

namespace {

nlohmann::json get_json(HttpClient& http, const std::string& path, const HttpParams& query,
                        const char* what) {
    const HttpResponse r = http.get(path, query);
    HttpRequest req;
    req.path = path;
    req.query = query;
    if (r.status != 200)
        throw SystemError(std::string(what) + ": HTTP " + std::to_string(r.status) + " from " +
                          http.base_url().to_string() + req.target() + ": " + body_excerpt(r.body));
    try {
        return nlohmann::json::parse(r.body);
    } catch (const std::exception&) {
        throw InputError(std::string(what) + ": response of " + req.target() +
                         " is not JSON: " + body_excerpt(r.body));
    }
}

/// "2024-01-01T00:00:00.000000000Z" (nanosecond precision) -> milliseconds.
std::optional<TimeMs> parse_cm_time(const std::string& s) {
    if (s.size() >= 19) {
        if (auto t = parse_time(s.substr(0, 19) + "Z")) return t;
    }
    return parse_time(s);
}

} // namespace

CoinMetricsClient::CoinMetricsClient(std::string base_url) : base_url_(std::move(base_url)) {}

std::vector<ExternalSeries> CoinMetricsClient::fetch_asset_metrics(
    const std::string& asset, const std::vector<std::string>& metrics, TimeMs start, TimeMs end,
    int page_size) const {
    if (asset.empty()) throw InputError("--asset: empty (e.g. btc)");
    if (metrics.empty()) throw InputError("--metrics: at least one metric is needed");
    HttpClientOptions opt;
    opt.base_url = base_url_;
    auto http = make_http_client(opt);
    std::string joined;
    for (const auto& m : metrics) joined += (joined.empty() ? "" : ",") + m;
    std::map<std::string, ExternalSeries> out;
    for (const auto& m : metrics) {
        out[m].name = "coinmetrics:" + asset + ":" + m;
        out[m].period_ms = kMsPerDay;
    }
    std::string token;
    for (int page = 0; page < 100000; ++page) {
        HttpParams q = {{"assets", asset},
                        {"metrics", joined},
                        {"frequency", "1d"},
                        {"start_time", format_date(start)},
                        {"end_time", format_date(end)},
                        {"page_size", std::to_string(page_size)}};
        if (!token.empty()) q.emplace_back("next_page_token", token);
        const nlohmann::json j = get_json(*http, "/v4/timeseries/asset-metrics", q, "coinmetrics");
        if (!j.is_object() || !j.contains("data") || !j["data"].is_array())
            throw InputError("coinmetrics: response has no \"data\" array: " +
                             body_excerpt(j.dump()));
        for (const auto& row : j["data"]) {
            if (!row.is_object() || !row.contains("time") || !row["time"].is_string())
                throw InputError("coinmetrics: a data row has no \"time\": " +
                                 body_excerpt(row.dump()));
            const auto t = parse_cm_time(row["time"].get<std::string>());
            if (!t)
                throw InputError("coinmetrics: cannot read time '" +
                                 row["time"].get<std::string>() + "'");
            for (const auto& m : metrics) {
                if (!row.contains(m) || row[m].is_null()) continue; // metric not published that day
                double v = 0;
                if (row[m].is_string()) {
                    const std::string text = row[m].get<std::string>();
                    char* e = nullptr;
                    v = std::strtod(text.c_str(), &e);
                    if (text.empty() || e != text.c_str() + text.size())
                        throw InputError("coinmetrics: " + m + " at " +
                                         row["time"].get<std::string>() + " is not a number: '" +
                                         text + "'");
                } else if (row[m].is_number()) {
                    v = row[m].get<double>();
                } else {
                    throw InputError("coinmetrics: " + m + " has an unexpected type");
                }
                out[m].time.push_back(*t);
                out[m].value.push_back(v);
            }
        }
        token.clear();
        if (j.contains("next_page_token") && j["next_page_token"].is_string())
            token = j["next_page_token"].get<std::string>();
        if (token.empty()) break;
    }
    std::vector<ExternalSeries> result;
    for (const auto& m : metrics) {
        out[m].normalize();
        result.push_back(out[m]);
    }
    if (out.count("FlowInExNtv") && out.count("FlowOutExNtv")) {
        const auto& in = out["FlowInExNtv"];
        const auto& fo = out["FlowOutExNtv"];
        ExternalSeries net;
        net.name = "coinmetrics:" + asset + ":NetFlowExNtv";
        std::size_t j = 0;
        for (std::size_t i = 0; i < in.size(); ++i) {
            while (j < fo.size() && fo.time[j] < in.time[i]) ++j;
            if (j < fo.size() && fo.time[j] == in.time[i]) {
                net.time.push_back(in.time[i]);
                net.value.push_back(in.value[i] - fo.value[j]);
            }
        }
        result.push_back(std::move(net));
    }
    return result;
}

FearGreedClient::FearGreedClient(std::string base_url) : base_url_(std::move(base_url)) {}

ExternalSeries FearGreedClient::fetch(int limit) const {
    if (limit < 0) throw InputError("--limit: must be >= 0 (0 = all), got " + std::to_string(limit));
    HttpClientOptions opt;
    opt.base_url = base_url_;
    auto http = make_http_client(opt);
    const nlohmann::json j = get_json(
        *http, "/fng/", {{"limit", std::to_string(limit)}, {"format", "json"}}, "fear-greed");
    if (!j.is_object() || !j.contains("data") || !j["data"].is_array())
        throw InputError("fear-greed: response has no \"data\" array: " + body_excerpt(j.dump()));
    ExternalSeries s;
    s.name = "fng:value";
    s.period_ms = kMsPerDay;
    for (const auto& row : j["data"]) {
        auto field = [&](const char* key) -> std::string {
            if (!row.is_object() || !row.contains(key))
                throw InputError(std::string("fear-greed: a data row has no \"") + key +
                                 "\": " + body_excerpt(row.dump()));
            const auto& v = row[key];
            return v.is_string() ? v.get<std::string>() : v.dump();
        };
        const std::string ts = field("timestamp"), val = field("value");
        char* e = nullptr;
        const long long secs = std::strtoll(ts.c_str(), &e, 10);
        if (ts.empty() || e != ts.c_str() + ts.size())
            throw InputError("fear-greed: timestamp is not a number of seconds: '" + ts + "'");
        const double v = std::strtod(val.c_str(), &e);
        if (val.empty() || e != val.c_str() + val.size() || v < 0 || v > 100)
            throw InputError("fear-greed: value is not a number in [0, 100]: '" + val + "'");
        s.time.push_back(static_cast<TimeMs>(secs) * kMsPerSecond);
        s.value.push_back(v);
    }
    s.normalize();
    return s;
}

} // namespace aurum
