#include "features/feature_matrix.hpp"

#include <algorithm>
#include <cstring>
#include <fstream>

#include <nlohmann/json.hpp>

#include "core/error.hpp"

namespace aurum {

std::optional<std::size_t> FeatureMatrix::column_index(const std::string& name) const {
    for (std::size_t c = 0; c < names.size(); ++c)
        if (names[c] == name) return c;
    return std::nullopt;
}

std::size_t FeatureMatrix::require_column(const std::string& name) const {
    if (auto c = column_index(name)) return *c;
    std::string list;
    for (const auto& n : names) list += (list.empty() ? "" : ", ") + n;
    throw InputError("no feature '" + name + "' in set '" + feature_set_name + "' (has: " + list +
                     ")");
}

FeatureMatrix FeatureMatrix::slice(TimeRange range) const {
    FeatureMatrix out;
    out.symbol = symbol;
    out.timeframe = timeframe;
    out.feature_set_name = feature_set_name;
    out.feature_set_id = feature_set_id;
    out.names = names;
    const auto a = static_cast<std::size_t>(
        std::lower_bound(time.begin(), time.end(), range.from) - time.begin());
    const auto b = static_cast<std::size_t>(
        std::lower_bound(time.begin(), time.end(), range.to) - time.begin());
    const std::size_t n = b > a ? b - a : 0;
    out.time.assign(time.begin() + static_cast<std::ptrdiff_t>(a),
                    time.begin() + static_cast<std::ptrdiff_t>(a + n));
    out.values.resize(n * cols());
    for (std::size_t c = 0; c < cols(); ++c)
        std::copy_n(values.begin() + static_cast<std::ptrdiff_t>(c * rows() + a), n,
                    out.values.begin() + static_cast<std::ptrdiff_t>(c * n));
    return out;
}

std::string to_string(LabelMethod m) {
    switch (m) {
    case LabelMethod::FixedHorizon:
        return "fixed";
    case LabelMethod::TripleBarrier:
        return "triple-barrier";
    case LabelMethod::Meta:
        return "meta";
    }
    return "fixed";
}

std::optional<LabelMethod> parse_label_method(const std::string& text) {
    if (text == "fixed" || text == "fixed-horizon") return LabelMethod::FixedHorizon;
    if (text == "triple-barrier" || text == "triple_barrier" || text == "tb")
        return LabelMethod::TripleBarrier;
    if (text == "meta") return LabelMethod::Meta;
    return std::nullopt;
}

std::optional<std::size_t> LabelSet::find(TimeMs t) const {
    auto it = std::lower_bound(time.begin(), time.end(), t);
    if (it == time.end() || *it != t) return std::nullopt;
    return static_cast<std::size_t>(it - time.begin());
}

namespace {

constexpr char kMatrixMagic[8] = {'A', 'U', 'R', 'U', 'M', 'F', 'M', '1'};
constexpr char kLabelMagic[8] = {'A', 'U', 'R', 'U', 'M', 'L', 'B', '1'};

/// Writes header + payload blocks to a temp file, then renames: a reader never sees half a file.
class AtomicBinaryWriter {
public:
    explicit AtomicBinaryWriter(const std::filesystem::path& path)
        : path_(path), tmp_(path.string() + ".tmp") {
        std::error_code ec;
        if (path.has_parent_path()) std::filesystem::create_directories(path.parent_path(), ec);
        out_.open(tmp_, std::ios::binary | std::ios::trunc);
        if (!out_) throw SystemError("cannot write " + tmp_.string());
    }
    ~AtomicBinaryWriter() {
        if (!done_) {
            out_.close();
            std::error_code ec;
            std::filesystem::remove(tmp_, ec);
        }
    }
    void bytes(const void* p, std::size_t n) {
        out_.write(static_cast<const char*>(p), static_cast<std::streamsize>(n));
    }
    template <class T> void pod(const T& v) { bytes(&v, sizeof(T)); }
    void finish() {
        out_.flush();
        if (!out_) throw SystemError("write failed: " + tmp_.string());
        out_.close();
        std::error_code ec;
        std::filesystem::rename(tmp_, path_, ec);
        if (ec) throw SystemError("cannot rename " + tmp_.string() + ": " + ec.message());
        done_ = true;
    }

private:
    std::filesystem::path path_, tmp_;
    std::ofstream out_;
    bool done_ = false;
};

void write_container(AtomicBinaryWriter& w, const char (&magic)[8], const nlohmann::json& header) {
    const std::string text = header.dump();
    w.bytes(magic, 8);
    const auto len = static_cast<std::uint64_t>(text.size());
    w.pod(len);
    w.bytes(text.data(), text.size());
}

/// Reads a whole container file and validates magic and header; payload follows at `offset`.
struct ContainerReader {
    std::filesystem::path path;
    std::string data;
    nlohmann::json header;
    std::size_t offset = 0;

    ContainerReader(const std::filesystem::path& p, const char (&magic)[8], const char* what)
        : path(p) {
        std::ifstream in(p, std::ios::binary);
        if (!in) throw InputError(p.string() + ": cannot open " + what + " file");
        in.seekg(0, std::ios::end);
        const auto size = static_cast<std::size_t>(in.tellg());
        in.seekg(0);
        data.resize(size);
        in.read(data.data(), static_cast<std::streamsize>(size));
        if (size < 16 || std::memcmp(data.data(), magic, 8) != 0)
            throw InputError(p.string() + ": not a " + std::string(what) + " file (bad magic)");
        std::uint64_t len = 0;
        std::memcpy(&len, data.data() + 8, 8);
        if (len > size - 16) throw InputError(p.string() + ": truncated header");
        try {
            header = nlohmann::json::parse(data.substr(16, len));
        } catch (const std::exception& e) {
            throw InputError(p.string() + ": corrupt header: " + e.what());
        }
        offset = 16 + len;
    }
    template <class T> void read_array(std::vector<T>& out, std::size_t n, const char* field) {
        const std::size_t bytes = n * sizeof(T);
        if (offset + bytes > data.size())
            throw InputError(path.string() + ": truncated at field '" + field + "'");
        out.resize(n);
        if (bytes) std::memcpy(out.data(), data.data() + offset, bytes);
        offset += bytes;
    }
    void expect_end() const {
        if (offset != data.size())
            throw InputError(path.string() + ": " + std::to_string(data.size() - offset) +
                             " unexpected trailing bytes");
    }
};

template <class T> T header_field(const ContainerReader& r, const char* key) {
    try {
        return r.header.at(key).get<T>();
    } catch (const std::exception&) {
        throw InputError(r.path.string() + ": header field '" + key + "' missing or invalid");
    }
}

} // namespace

void save_feature_matrix(const std::filesystem::path& path, const FeatureMatrix& m) {
    if (m.values.size() != m.rows() * m.cols())
        throw SystemError("feature matrix has " + std::to_string(m.values.size()) +
                          " values for " + std::to_string(m.rows()) + "x" +
                          std::to_string(m.cols()));
    nlohmann::json h = {{"symbol", m.symbol},
                        {"timeframe", m.timeframe.name()},
                        {"timeframe_ms", m.timeframe.ms()},
                        {"feature_set_name", m.feature_set_name},
                        {"feature_set_id", m.feature_set_id},
                        {"rows", m.rows()},
                        {"names", m.names}};
    AtomicBinaryWriter w(path);
    write_container(w, kMatrixMagic, h);
    w.bytes(m.time.data(), m.time.size() * sizeof(TimeMs));
    w.bytes(m.values.data(), m.values.size() * sizeof(double));
    w.finish();
}

FeatureMatrix load_feature_matrix(const std::filesystem::path& path) {
    ContainerReader r(path, kMatrixMagic, "feature matrix");
    FeatureMatrix m;
    m.symbol = header_field<std::string>(r, "symbol");
    m.timeframe = Timeframe(header_field<std::int64_t>(r, "timeframe_ms"));
    m.feature_set_name = header_field<std::string>(r, "feature_set_name");
    m.feature_set_id = header_field<std::string>(r, "feature_set_id");
    m.names = header_field<std::vector<std::string>>(r, "names");
    const auto rows = header_field<std::size_t>(r, "rows");
    r.read_array(m.time, rows, "time");
    r.read_array(m.values, rows * m.names.size(), "values");
    r.expect_end();
    return m;
}

void save_label_set(const std::filesystem::path& path, const LabelSet& l) {
    const std::size_t n = l.size();
    if (l.t1.size() != n || l.label.size() != n || l.ret.size() != n || l.barrier.size() != n ||
        l.side.size() != n)
        throw SystemError("label set columns have different lengths");
    nlohmann::json h = {{"symbol", l.symbol},
                        {"timeframe", l.timeframe.name()},
                        {"timeframe_ms", l.timeframe.ms()},
                        {"method", to_string(l.method)},
                        {"params", l.params},
                        {"rows", n}};
    AtomicBinaryWriter w(path);
    write_container(w, kLabelMagic, h);
    w.bytes(l.time.data(), n * sizeof(TimeMs));
    w.bytes(l.t1.data(), n * sizeof(TimeMs));
    w.bytes(l.ret.data(), n * sizeof(double));
    w.bytes(l.label.data(), n);
    w.bytes(l.barrier.data(), n);
    w.bytes(l.side.data(), n);
    w.finish();
}

LabelSet load_label_set(const std::filesystem::path& path) {
    ContainerReader r(path, kLabelMagic, "label set");
    LabelSet l;
    l.symbol = header_field<std::string>(r, "symbol");
    l.timeframe = Timeframe(header_field<std::int64_t>(r, "timeframe_ms"));
    const auto method = header_field<std::string>(r, "method");
    auto m = parse_label_method(method);
    if (!m) throw InputError(path.string() + ": unknown label method '" + method + "'");
    l.method = *m;
    l.params = header_field<std::string>(r, "params");
    const auto n = header_field<std::size_t>(r, "rows");
    r.read_array(l.time, n, "time");
    r.read_array(l.t1, n, "t1");
    r.read_array(l.ret, n, "ret");
    r.read_array(l.label, n, "label");
    r.read_array(l.barrier, n, "barrier");
    r.read_array(l.side, n, "side");
    r.expect_end();
    return l;
}

AlignedRows align(const FeatureMatrix& m, const LabelSet& labels) {
    AlignedRows out;
    std::size_t j = 0;
    for (std::size_t i = 0; i < m.rows(); ++i) {
        while (j < labels.size() && labels.time[j] < m.time[i]) ++j;
        if (j < labels.size() && labels.time[j] == m.time[i]) {
            out.matrix_rows.push_back(i);
            out.label_rows.push_back(j);
        }
    }
    return out;
}

void require_feature_set(const FeatureMatrix& m, const std::string& expected_id) {
    if (m.feature_set_id != expected_id)
        throw InputError("feature set mismatch: the model was trained on feature set " +
                         expected_id + " but the matrix for " + m.symbol + " " +
                         m.timeframe.name() + " was built with set '" + m.feature_set_name +
                         "' (" + m.feature_set_id + "); rebuild the features or retrain");
}

} // namespace aurum
