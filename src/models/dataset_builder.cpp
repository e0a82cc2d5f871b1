#include "models/dataset_builder.hpp"

#include <algorithm>
#include <numeric>

#include <fmt/format.h>

#include "core/error.hpp"

namespace aurum {

namespace {

struct Pending {
    TimeMs t, t1;
    int sym;
    std::size_t row;   // matrix row
    long label_row;    // -1: none
};

void check_compatible(const FeatureMatrix& a, const FeatureMatrix& b) {
    if (a.feature_set_id != b.feature_set_id)
        throw InputError(fmt::format("feature set mismatch: {} uses {} but {} uses {}", a.symbol,
                                     a.feature_set_id.substr(0, 12), b.symbol,
                                     b.feature_set_id.substr(0, 12)));
    if (a.names != b.names)
        throw InputError(fmt::format("feature columns differ between {} and {}", a.symbol, b.symbol));
    if (a.timeframe != b.timeframe)
        throw InputError(fmt::format("timeframes differ: {} {} vs {} {}", a.symbol,
                                     a.timeframe.name(), b.symbol, b.timeframe.name()));
}

Dataset assemble(const std::vector<const FeatureMatrix*>& ms, const std::vector<const LabelSet*>& ls,
                 std::vector<Pending>& rows) {
    std::sort(rows.begin(), rows.end(), [](const Pending& a, const Pending& b) {
        return a.t != b.t ? a.t < b.t : a.sym < b.sym;
    });
    const FeatureMatrix& first = *ms.front();
    Dataset d;
    d.feature_set_id = first.feature_set_id;
    d.feature_names = first.names;
    d.cols = first.cols();
    for (const auto* m : ms) d.symbols.push_back(m->symbol);
    if (!ls.empty()) d.label_spec = to_string(ls.front()->method) + ":" + ls.front()->params;
    std::vector<float> buf(d.cols);
    d.x.reserve(rows.size() * d.cols);
    for (const auto& p : rows) {
        const FeatureMatrix& m = *ms[static_cast<std::size_t>(p.sym)];
        for (std::size_t c = 0; c < d.cols; ++c) buf[c] = static_cast<float>(m.at(p.row, c));
        float y = 0.0f;
        double ret = 0.0;
        if (p.label_row >= 0) {
            const LabelSet& l = *ls[static_cast<std::size_t>(p.sym)];
            y = l.label[static_cast<std::size_t>(p.label_row)] > 0 ? 1.0f : 0.0f;
            ret = l.ret[static_cast<std::size_t>(p.label_row)];
        }
        d.push_row(buf, y, p.t, p.t1, p.sym, 1.0f, ret);
    }
    d.validate();
    return d;
}

} // namespace

Dataset build_dataset(const std::vector<SymbolData>& symbols) {
    if (symbols.empty()) throw InputError("dataset: no symbols");
    std::vector<const FeatureMatrix*> ms;
    std::vector<const LabelSet*> ls;
    std::vector<Pending> rows;
    for (std::size_t s = 0; s < symbols.size(); ++s) {
        const auto& sd = symbols[s];
        check_compatible(symbols.front().features, sd.features);
        if (sd.labels.timeframe != sd.features.timeframe)
            throw InputError(fmt::format("{}: labels are {} but features are {}", sd.features.symbol,
                                         sd.labels.timeframe.name(), sd.features.timeframe.name()));
        ms.push_back(&sd.features);
        ls.push_back(&sd.labels);
        const TimeMs tf = sd.features.timeframe.ms();
        const AlignedRows a = align(sd.features, sd.labels);
        for (std::size_t k = 0; k < a.matrix_rows.size(); ++k) {
            const std::size_t r = a.matrix_rows[k], l = a.label_rows[k];
            rows.push_back({sd.features.time[r] + tf, sd.labels.t1[l] + tf, static_cast<int>(s), r,
                            static_cast<long>(l)});
        }
    }
    if (rows.empty())
        throw InputError(fmt::format("dataset: no bar of {} has both features and a label",
                                     symbols.front().features.symbol));
    return assemble(ms, ls, rows);
}

Dataset features_only_dataset(const std::vector<FeatureMatrix>& matrices) {
    if (matrices.empty()) throw InputError("dataset: no symbols");
    std::vector<const FeatureMatrix*> ms;
    std::vector<Pending> rows;
    for (std::size_t s = 0; s < matrices.size(); ++s) {
        check_compatible(matrices.front(), matrices[s]);
        ms.push_back(&matrices[s]);
        const TimeMs tf = matrices[s].timeframe.ms();
        for (std::size_t r = 0; r < matrices[s].rows(); ++r)
            rows.push_back({matrices[s].time[r] + tf, matrices[s].time[r] + tf, static_cast<int>(s), r, -1});
    }
    if (rows.empty()) throw InputError("dataset: the feature matrix has no rows");
    return assemble(ms, {}, rows);
}

} // namespace aurum
