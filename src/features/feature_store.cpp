#include "features/feature_store.hpp"

#include "core/error.hpp"
#include "features/labels.hpp"

namespace aurum {

namespace {

std::string file_safe(const std::string& s) {
    std::string out;
    for (char c : s) {
        const auto u = static_cast<unsigned char>(c);
        out += (std::isalnum(u) || c == '-' || c == '_' || c == '.') ? c : '-';
    }
    return out;
}

std::string join(const std::vector<std::string>& v) {
    std::string out;
    for (const auto& s : v) out += (out.empty() ? "" : ",") + s;
    return out;
}

std::vector<std::string> split(const std::string& s) {
    std::vector<std::string> out;
    std::size_t a = 0;
    while (a <= s.size() && !s.empty()) {
        const auto b = s.find(',', a);
        out.push_back(s.substr(a, b == std::string::npos ? std::string::npos : b - a));
        if (b == std::string::npos) break;
        a = b + 1;
    }
    return out;
}

StoredMatrixInfo matrix_info(const SqlRow& r) {
    StoredMatrixInfo i;
    i.symbol = r.as_string(0);
    i.timeframe = Timeframe(r.as_int(1));
    i.set_name = r.as_string(2);
    i.feature_set_id = r.as_string(3);
    i.first = r.as_int(4);
    i.last = r.as_int(5);
    i.rows = r.as_int(6);
    i.columns = split(r.as_string(7));
    i.file = r.as_string(8);
    return i;
}

StoredLabelsInfo labels_info(const SqlRow& r) {
    StoredLabelsInfo i;
    i.symbol = r.as_string(0);
    i.timeframe = Timeframe(r.as_int(1));
    i.method = r.as_string(2);
    i.params = r.as_string(3);
    i.first = r.as_int(4);
    i.last = r.as_int(5);
    i.rows = r.as_int(6);
    i.negative = r.as_int(7);
    i.neutral = r.as_int(8);
    i.positive = r.as_int(9);
    i.file = r.as_string(10);
    return i;
}

constexpr const char* kMatrixCols = "symbol, timeframe_ms, set_name, feature_set_id, first_time, "
                                    "last_time, rows, columns, file";
constexpr const char* kLabelCols = "symbol, timeframe_ms, method, params, first_time, last_time, "
                                   "rows, negatives, neutrals, positives, file";

} // namespace

FeatureStore::FeatureStore(Database& db, std::filesystem::path features_dir)
    : db_(db), dir_(std::move(features_dir)) {
    db_.exec("CREATE TABLE IF NOT EXISTS feature_matrices ("
             "symbol TEXT NOT NULL, timeframe_ms BIGINT NOT NULL, set_name TEXT NOT NULL, "
             "feature_set_id TEXT NOT NULL, first_time BIGINT NOT NULL, last_time BIGINT NOT NULL, "
             "rows BIGINT NOT NULL, columns TEXT NOT NULL, file TEXT NOT NULL, "
             "PRIMARY KEY (symbol, timeframe_ms, set_name))");
    db_.exec("CREATE TABLE IF NOT EXISTS label_sets ("
             "symbol TEXT NOT NULL, timeframe_ms BIGINT NOT NULL, method TEXT NOT NULL, "
             "params TEXT NOT NULL, first_time BIGINT NOT NULL, last_time BIGINT NOT NULL, "
             "rows BIGINT NOT NULL, negatives BIGINT NOT NULL, neutrals BIGINT NOT NULL, "
             "positives BIGINT NOT NULL, file TEXT NOT NULL, "
             "PRIMARY KEY (symbol, timeframe_ms, method))");
}

std::string FeatureStore::matrix_file_name(const std::string& symbol, Timeframe tf,
                                           const std::string& set_name) {
    return file_safe(symbol) + "_" + tf.name() + "_" + file_safe(set_name) + ".afm";
}

std::string FeatureStore::labels_file_name(const std::string& symbol, Timeframe tf,
                                           const std::string& method) {
    return file_safe(symbol) + "_" + tf.name() + "_" + file_safe(method) + ".alb";
}

StoredMatrixInfo FeatureStore::save(const FeatureMatrix& m) {
    if (m.rows() == 0) throw InputError("refusing to store an empty feature matrix");
    StoredMatrixInfo i{m.symbol, m.timeframe, m.feature_set_name, m.feature_set_id,
                       m.time.front(), m.time.back(), static_cast<std::int64_t>(m.rows()),
                       m.names, matrix_file_name(m.symbol, m.timeframe, m.feature_set_name)};
    Transaction tx(db_);
    db_.exec(std::string("INSERT INTO feature_matrices (") + kMatrixCols +
                 ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) "
                 "ON CONFLICT (symbol, timeframe_ms, set_name) DO UPDATE SET "
                 "feature_set_id = excluded.feature_set_id, first_time = excluded.first_time, "
                 "last_time = excluded.last_time, rows = excluded.rows, "
                 "columns = excluded.columns, file = excluded.file",
             std::vector<SqlValue>{i.symbol, static_cast<std::int64_t>(i.timeframe.ms()),
                                   i.set_name, i.feature_set_id, static_cast<std::int64_t>(i.first),
                                   static_cast<std::int64_t>(i.last), i.rows, join(i.columns),
                                   i.file});
    save_feature_matrix(dir_ / i.file, m);
    tx.commit();
    return i;
}

FeatureMatrix FeatureStore::load(const std::string& symbol, Timeframe tf,
                                 const std::string& set_name) {
    const auto row = db_.query_one(
        std::string("SELECT ") + kMatrixCols +
            " FROM feature_matrices WHERE symbol = $1 AND timeframe_ms = $2 AND set_name = $3",
        std::vector<SqlValue>{symbol, static_cast<std::int64_t>(tf.ms()), set_name});
    if (!row)
        throw InputError("no feature matrix for " + symbol + " " + tf.name() + " set '" +
                         set_name + "' (run: aurum features build --symbol " + symbol +
                         " --timeframe " + tf.name() + " --set " + set_name + ")");
    const StoredMatrixInfo i = matrix_info(*row);
    FeatureMatrix m = load_feature_matrix(dir_ / i.file);
    if (m.feature_set_id != i.feature_set_id || static_cast<std::int64_t>(m.rows()) != i.rows)
        throw InputError((dir_ / i.file).string() +
                         ": does not match its metadata row (rebuild the features)");
    return m;
}

std::vector<StoredMatrixInfo> FeatureStore::list() {
    std::vector<StoredMatrixInfo> out;
    for (const auto& r : db_.query(std::string("SELECT ") + kMatrixCols +
                                   " FROM feature_matrices ORDER BY symbol, timeframe_ms, set_name"))
        out.push_back(matrix_info(r));
    return out;
}

StoredLabelsInfo FeatureStore::save_labels(const LabelSet& l) {
    if (l.size() == 0) throw InputError("refusing to store an empty label set");
    const LabelCounts c = count_labels(l);
    StoredLabelsInfo i{l.symbol, l.timeframe, to_string(l.method), l.params, l.time.front(),
                       l.time.back(), static_cast<std::int64_t>(l.size()), c.negative, c.neutral,
                       c.positive, labels_file_name(l.symbol, l.timeframe, to_string(l.method))};
    Transaction tx(db_);
    db_.exec(std::string("INSERT INTO label_sets (") + kLabelCols +
                 ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) "
                 "ON CONFLICT (symbol, timeframe_ms, method) DO UPDATE SET "
                 "params = excluded.params, first_time = excluded.first_time, "
                 "last_time = excluded.last_time, rows = excluded.rows, "
                 "negatives = excluded.negatives, neutrals = excluded.neutrals, "
                 "positives = excluded.positives, file = excluded.file",
             std::vector<SqlValue>{i.symbol, static_cast<std::int64_t>(i.timeframe.ms()), i.method,
                                   i.params, static_cast<std::int64_t>(i.first),
                                   static_cast<std::int64_t>(i.last), i.rows, i.negative,
                                   i.neutral, i.positive, i.file});
    save_label_set(dir_ / i.file, l);
    tx.commit();
    return i;
}

LabelSet FeatureStore::load_labels(const std::string& symbol, Timeframe tf,
                                   const std::string& method) {
    const auto row = db_.query_one(
        std::string("SELECT ") + kLabelCols +
            " FROM label_sets WHERE symbol = $1 AND timeframe_ms = $2 AND method = $3",
        std::vector<SqlValue>{symbol, static_cast<std::int64_t>(tf.ms()), method});
    if (!row)
        throw InputError("no " + method + " labels for " + symbol + " " + tf.name() +
                         " (run: aurum labels build --symbol " + symbol + " --timeframe " +
                         tf.name() + " --method " + method + ")");
    return load_label_set(dir_ / labels_info(*row).file);
}

std::vector<StoredLabelsInfo> FeatureStore::list_labels() {
    std::vector<StoredLabelsInfo> out;
    for (const auto& r : db_.query(std::string("SELECT ") + kLabelCols +
                                   " FROM label_sets ORDER BY symbol, timeframe_ms, method"))
        out.push_back(labels_info(r));
    return out;
}

} // namespace aurum
