#include "backtest/signals.hpp"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>

#include "core/error.hpp"

namespace aurum {

namespace {

std::string trim(std::string s) {
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back())))
        s.pop_back();
    std::size_t i = 0;
    while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i])))
        ++i;
    return s.substr(i);
}

std::vector<std::string> split_csv(const std::string& line) {
    std::vector<std::string> out;
    std::stringstream ss(line);
    std::string cell;
    while (std::getline(ss, cell, ','))
        out.push_back(trim(cell));
    if (!line.empty() && line.back() == ',')
        out.emplace_back();
    return out;
}

void check_table_name(const std::string& table) {
    if (table.empty() || table.size() > 63 || !std::all_of(table.begin(), table.end(), [](char c) {
            return std::islower(static_cast<unsigned char>(c)) ||
                   std::isdigit(static_cast<unsigned char>(c)) || c == '_';
        }))
        throw InputError("signals table '" + table + "': use lower-case letters, digits and _");
}

} // namespace

SignalSeries SignalSeries::from_records(std::vector<Record> records, Kind kind) {
    SignalSeries s;
    s.kind_ = kind;
    std::map<std::string, std::size_t> idx;
    std::stable_sort(records.begin(), records.end(),
                     [](const Record& a, const Record& b) { return a.time < b.time; });
    for (auto& r : records) {
        if (!std::isfinite(r.value))
            throw InputError("signal value for '" + r.symbol + "' at " + format_time(r.time) +
                             " is not a finite number");
        if (kind == Kind::Target && (r.value < -1 || r.value > 1))
            throw InputError("signal target " + std::to_string(r.value) + " for '" + r.symbol +
                             "' at " + format_time(r.time) + " is outside [-1, 1]");
        if (kind == Kind::Probability && (r.value < 0 || r.value > 1))
            throw InputError("signal probability " + std::to_string(r.value) + " for '" + r.symbol +
                             "' at " + format_time(r.time) + " is outside [0, 1]");
        const std::string sym = r.symbol.empty() ? "*" : r.symbol;
        auto [it, fresh] = idx.emplace(sym, s.series_.size());
        if (fresh)
            s.series_.push_back(PerSymbol{sym, {}, {}});
        PerSymbol& p = s.series_[it->second];
        if (!p.time.empty() && p.time.back() == r.time) {
            p.value.back() = r.value; // a later record for the same time replaces the earlier
        } else {
            p.time.push_back(r.time);
            p.value.push_back(r.value);
        }
    }
    return s;
}

SignalSeries SignalSeries::load_csv(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in)
        throw InputError("cannot open signals file " + path.string());
    std::stringstream buf;
    buf << in.rdbuf();
    return parse_csv(buf.str(), path.string());
}

SignalSeries SignalSeries::parse_csv(std::string_view text, const std::string& name) {
    std::istringstream in{std::string(text)};
    std::string line;
    if (!std::getline(in, line))
        throw InputError(name + ":1: empty signals file");
    if (!line.empty() && line.back() == '\r')
        line.pop_back();
    auto header = split_csv(line);
    for (auto& h : header)
        std::transform(h.begin(), h.end(), h.begin(),
                       [](unsigned char c) { return std::tolower(c); });
    int c_time = -1, c_sym = -1, c_val = -1;
    Kind kind = Kind::Target;
    for (int k = 0; k < static_cast<int>(header.size()); ++k) {
        if (header[k] == "time" || header[k] == "timestamp")
            c_time = k;
        else if (header[k] == "symbol")
            c_sym = k;
        else if (header[k] == "target")
            c_val = k, kind = Kind::Target;
        else if (header[k] == "probability")
            c_val = k, kind = Kind::Probability;
    }
    if (c_time < 0 || c_val < 0)
        throw InputError(name +
                         ":1: header must have 'time' and 'target' or 'probability' "
                         "columns (got '" +
                         line + "')");
    std::vector<Record> recs;
    int lineno = 1;
    while (std::getline(in, line)) {
        ++lineno;
        if (!line.empty() && line.back() == '\r')
            line.pop_back();
        if (trim(line).empty())
            continue;
        const auto cells = split_csv(line);
        const std::string where = name + ":" + std::to_string(lineno) + ": ";
        if (static_cast<int>(cells.size()) <= std::max({c_time, c_sym, c_val}))
            throw InputError(where + "expected " + std::to_string(header.size()) +
                             " columns, got " + std::to_string(cells.size()));
        Record r;
        const std::string& ts = cells[c_time];
        if (!ts.empty() && std::all_of(ts.begin(), ts.end(), [](char c) {
                return std::isdigit(static_cast<unsigned char>(c));
            })) {
            errno = 0;
            r.time = std::strtoll(ts.c_str(), nullptr, 10);
            if (errno == ERANGE)
                throw InputError(where + "time '" + ts + "' is out of range");
        } else {
            auto t = parse_time(ts);
            if (!t)
                throw InputError(where + "time '" + ts + "' is not a date/time");
            r.time = *t;
        }
        if (c_sym >= 0)
            r.symbol = cells[c_sym];
        char* end = nullptr;
        r.value = std::strtod(cells[c_val].c_str(), &end);
        if (cells[c_val].empty() || end != cells[c_val].c_str() + cells[c_val].size())
            throw InputError(where + header[c_val] + " '" + cells[c_val] + "' is not a number");
        recs.push_back(std::move(r));
    }
    try {
        return from_records(std::move(recs), kind);
    } catch (const InputError& e) {
        throw InputError(name + ": " + e.what());
    }
}

SignalSeries SignalSeries::load_table(Database& db, const std::string& table,
                                      const std::string& source) {
    check_table_name(table);
    const SqlValue p[] = {source};
    std::vector<SqlRow> rows;
    try {
        rows = db.query("SELECT symbol, time, value, kind FROM " + table +
                            " WHERE source = $1 ORDER BY time",
                        p);
    } catch (const SystemError& e) {
        throw InputError("cannot read signals table '" + table + "': " + e.what());
    }
    if (rows.empty())
        throw InputError("signals table '" + table + "' has no rows for source '" + source + "'");
    const Kind kind = rows[0].as_string(3) == "probability" ? Kind::Probability : Kind::Target;
    std::vector<Record> recs;
    recs.reserve(rows.size());
    for (const auto& r : rows)
        recs.push_back({r.as_int(1), r.as_string(0), r.as_double(2)});
    return from_records(std::move(recs), kind);
}

void SignalSeries::store_table(Database& db, const std::string& table,
                               const std::string& source) const {
    check_table_name(table);
    db.exec("CREATE TABLE IF NOT EXISTS " + table +
            " (source TEXT NOT NULL, symbol TEXT NOT NULL, time BIGINT NOT NULL, value DOUBLE "
            "PRECISION NOT NULL, kind TEXT NOT NULL, PRIMARY KEY (source, symbol, time))");
    Transaction tx(db);
    const SqlValue del[] = {source};
    db.exec("DELETE FROM " + table + " WHERE source = $1", del);
    const std::string kind = kind_ == Kind::Probability ? "probability" : "target";
    for (const auto& s : series_) {
        for (std::size_t k = 0; k < s.time.size(); ++k) {
            const SqlValue row[] = {source, s.symbol, static_cast<std::int64_t>(s.time[k]),
                                    s.value[k], kind};
            db.exec("INSERT INTO " + table +
                        " (source, symbol, time, value, kind) VALUES ($1, $2, "
                        "$3, $4, $5)",
                    row);
        }
    }
    tx.commit();
}

std::size_t SignalSeries::size() const {
    std::size_t n = 0;
    for (const auto& s : series_)
        n += s.time.size();
    return n;
}

std::vector<std::string> SignalSeries::symbols() const {
    std::vector<std::string> out;
    for (const auto& s : series_)
        out.push_back(s.symbol);
    return out;
}

int SignalSeries::index_of(const std::string& symbol) const {
    int star = -1;
    for (std::size_t k = 0; k < series_.size(); ++k) {
        if (series_[k].symbol == symbol)
            return static_cast<int>(k);
        if (series_[k].symbol == "*")
            star = static_cast<int>(k);
    }
    return star;
}

double SignalSeries::value_at(int index, TimeMs t) const {
    if (index < 0)
        return std::nan("");
    const PerSymbol& s = series_[static_cast<std::size_t>(index)];
    auto it = std::upper_bound(s.time.begin(), s.time.end(), t);
    if (it == s.time.begin())
        return std::nan("");
    return s.value[static_cast<std::size_t>(it - s.time.begin()) - 1];
}

} // namespace aurum
