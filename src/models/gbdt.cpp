#include "models/gbdt.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <fstream>
#include <limits>

#include <fmt/format.h>
#include <xgboost/c_api.h>

#include "core/error.hpp"
#include "core/workspace.hpp"

namespace aurum {

namespace {

void check(int rc, const char* what) {
    if (rc != 0) throw SystemError(fmt::format("xgboost {}: {}", what, XGBGetLastError()));
}

/// Owns a DMatrix handle.
struct DMatrix {
    DMatrixHandle h = nullptr;
    DMatrix() = default;
    DMatrix(const DMatrix&) = delete;
    DMatrix& operator=(const DMatrix&) = delete;
    ~DMatrix() {
        if (h) XGDMatrixFree(h);
    }
};

enum class PredictType { Value, Contributions };

/// XGBoost's prediction over a DMatrix: probabilities (Value) or per-feature contributions plus
/// the bias (Contributions, cols + 1 per row). The buffer belongs to the booster.
const float* predict_dmatrix(BoosterHandle booster, const DMatrix& m, PredictType type) {
    const char* config =
        type == PredictType::Value
            ? R"({"type":0,"training":false,"iteration_begin":0,"iteration_end":0,"strict_shape":false})"
            : R"({"type":2,"training":false,"iteration_begin":0,"iteration_end":0,"strict_shape":false})";
    const bst_ulong* shape = nullptr;
    bst_ulong dim = 0;
    const float* res = nullptr;
    check(XGBoosterPredictFromDMatrix(booster, m.h, config, &shape, &dim, &res),
          type == PredictType::Value ? "predict" : "predict contributions");
    return res;
}

void make_dmatrix(DMatrix& m, const Dataset& d, std::span<const std::size_t> rows, bool labels,
                  int nthread) {
    std::vector<float> buf(rows.size() * d.cols);
    for (std::size_t k = 0; k < rows.size(); ++k)
        std::memcpy(buf.data() + k * d.cols, d.row(rows[k]), d.cols * sizeof(float));
    check(XGDMatrixCreateFromMat_omp(buf.data(), rows.size(), d.cols,
                                     std::numeric_limits<float>::quiet_NaN(), &m.h, nthread),
          "create DMatrix");
    if (labels) {
        std::vector<float> y(rows.size()), w(rows.size());
        for (std::size_t k = 0; k < rows.size(); ++k) {
            y[k] = d.y[rows[k]];
            w[k] = d.w[rows[k]];
        }
        check(XGDMatrixSetFloatInfo(m.h, "label", y.data(), y.size()), "set labels");
        check(XGDMatrixSetFloatInfo(m.h, "weight", w.data(), w.size()), "set weights");
    }
}

/// "[3]\ttrain-logloss:0.68\tvalid-logloss:0.69" -> value after `name-metric:`.
double parse_eval(const std::string& s, const std::string& name) {
    const auto pos = s.find(name + "-");
    if (pos == std::string::npos) return std::numeric_limits<double>::quiet_NaN();
    const auto colon = s.find(':', pos);
    return std::strtod(s.c_str() + colon + 1, nullptr);
}

bool is_classification(const std::string& objective) { return objective == "binary:logistic"; }

} // namespace

nlohmann::json GbdtParams::to_json() const {
    return {{"objective", objective}, {"max_depth", max_depth},   {"eta", eta},
            {"rounds", rounds},       {"early_stopping", early_stopping},
            {"subsample", subsample}, {"colsample_bytree", colsample_bytree},
            {"min_child_weight", min_child_weight}, {"lambda", lambda},
            {"max_bin", max_bin},     {"nthread", nthread},       {"seed", seed}};
}

GbdtParams GbdtParams::from_json(const nlohmann::json& j) {
    GbdtParams p;
    for (auto it = j.begin(); it != j.end(); ++it) {
        const std::string& k = it.key();
        const auto& v = it.value();
        auto num = [&](double lo, double hi) {
            if (!v.is_number())
                throw InputError(fmt::format("models.gbdt.{}: expected a number, got {}", k, v.dump()));
            const double x = v.get<double>();
            if (!(x >= lo && x <= hi))
                throw InputError(fmt::format("models.gbdt.{}: must be in [{}, {}], got {}", k, lo, hi, x));
            return x;
        };
        if (k == "objective") {
            p.objective = v.get<std::string>();
            if (p.objective != "binary:logistic" && p.objective != "reg:squarederror")
                throw InputError(fmt::format("models.gbdt.objective: expected binary:logistic or "
                                             "reg:squarederror, got '{}'", p.objective));
        } else if (k == "max_depth") p.max_depth = static_cast<int>(num(1, 16));
        else if (k == "eta") p.eta = num(1e-4, 1);
        else if (k == "rounds") p.rounds = static_cast<int>(num(1, 100000));
        else if (k == "early_stopping") p.early_stopping = static_cast<int>(num(0, 100000));
        else if (k == "subsample") p.subsample = num(0.05, 1);
        else if (k == "colsample_bytree") p.colsample_bytree = num(0.05, 1);
        else if (k == "min_child_weight") p.min_child_weight = num(0, 1e6);
        else if (k == "lambda") p.lambda = num(0, 1e6);
        else if (k == "max_bin") p.max_bin = static_cast<int>(num(2, 65536));
        else if (k == "nthread") p.nthread = static_cast<int>(num(1, 256));
        else if (k == "seed") p.seed = static_cast<std::uint64_t>(num(0, 4294967295.0));
        else throw InputError(fmt::format("models.gbdt: unknown key '{}'", k));
    }
    return p;
}

GbdtModel::GbdtModel(GbdtParams params) : params_(std::move(params)) {}

GbdtModel::~GbdtModel() { free_booster(); }

void GbdtModel::free_booster() {
    if (booster_) XGBoosterFree(booster_);
    booster_ = nullptr;
    compiled_ = {};
}

void GbdtModel::create_booster(void* const* dmats, std::size_t n) {
    free_booster();
    check(XGBoosterCreate(dmats, n, &booster_), "create booster");
    set_params();
}

void GbdtModel::set_params() {
    auto set = [&](const char* k, const std::string& v) {
        check(XGBoosterSetParam(booster_, k, v.c_str()), k);
    };
    set("tree_method", "hist");
    set("objective", params_.objective);
    set("eval_metric", is_classification(params_.objective) ? "logloss" : "rmse");
    set("max_depth", std::to_string(params_.max_depth));
    set("eta", fmt::format("{}", params_.eta));
    set("subsample", fmt::format("{}", params_.subsample));
    set("colsample_bytree", fmt::format("{}", params_.colsample_bytree));
    set("min_child_weight", fmt::format("{}", params_.min_child_weight));
    set("lambda", fmt::format("{}", params_.lambda));
    set("max_bin", std::to_string(params_.max_bin));
    set("nthread", std::to_string(params_.nthread));
    set("seed", std::to_string(params_.seed));
    set("verbosity", "0");
    if (is_classification(params_.objective)) set("base_score", "0.5");
}

void GbdtModel::fit(const Dataset& data, std::span<const std::size_t> fit,
                    std::span<const std::size_t> valid) {
    if (fit.empty()) throw InputError("gbdt: no training rows");
    if (is_classification(params_.objective)) data.require_two_classes(fit);
    cols_ = data.cols;
    names_ = data.feature_names;
    curve_ = {};
    curve_.metric = is_classification(params_.objective) ? "logloss" : "rmse";
    DMatrix dtrain, dvalid;
    make_dmatrix(dtrain, data, fit, true, params_.nthread);
    const bool has_valid = !valid.empty();
    if (has_valid) make_dmatrix(dvalid, data, valid, true, params_.nthread);
    DMatrixHandle all[2] = {dtrain.h, dvalid.h};
    create_booster(all, has_valid ? 2 : 1);
    const char* names[2] = {"train", "valid"};
    double best = std::numeric_limits<double>::infinity();
    int best_iter = -1;
    for (int it = 0; it < params_.rounds; ++it) {
        check(XGBoosterUpdateOneIter(booster_, it, dtrain.h), "update");
        const char* out = nullptr;
        check(XGBoosterEvalOneIter(booster_, it, all, names, has_valid ? 2 : 1, &out), "eval");
        const std::string s(out);
        curve_.train.push_back(parse_eval(s, "train"));
        if (!has_valid) {
            best_iter = it;
            continue;
        }
        const double v = parse_eval(s, "valid");
        curve_.valid.push_back(v);
        if (v < best) {
            best = v;
            best_iter = it;
        } else if (params_.early_stopping > 0 && it - best_iter >= params_.early_stopping) {
            break;
        }
    }
    curve_.best_iteration = best_iter;
    // Keep exactly the trees up to the best validation round so the saved model is what predicts.
    BoosterHandle sliced = nullptr;
    check(XGBoosterSlice(booster_, 0, best_iter + 1, 1, &sliced), "slice");
    free_booster();
    booster_ = sliced;
    compile();
}

void GbdtModel::compile() { compiled_ = CompiledTrees::from_ubjson(serialize()); }

void GbdtModel::fit_matrix(const float* x, std::size_t rows, std::size_t cols, const float* y) {
    cols_ = cols;
    names_.clear();
    for (std::size_t j = 0; j < cols; ++j) names_.push_back(fmt::format("f{}", j));
    DMatrix d;
    // The threaded conversion: the single-threaded one took a third of a 1M-row training.
    check(XGDMatrixCreateFromMat_omp(x, rows, cols, std::numeric_limits<float>::quiet_NaN(), &d.h,
                                     params_.nthread),
          "create DMatrix");
    check(XGDMatrixSetFloatInfo(d.h, "label", y, rows), "set labels");
    DMatrixHandle all[1] = {d.h};
    create_booster(all, 1);
    for (int it = 0; it < params_.rounds; ++it)
        check(XGBoosterUpdateOneIter(booster_, it, d.h), "update");
    compile();
}

std::vector<double> GbdtModel::predict_proba(const Dataset& data,
                                             std::span<const std::size_t> rows) const {
    if (!booster_) throw InputError("gbdt: model is not trained or loaded");
    if (data.cols != cols_)
        throw InputError(fmt::format("gbdt: model expects {} features, dataset has {}", cols_, data.cols));
    std::vector<double> out;
    if (rows.empty()) return out;
    DMatrix m;
    make_dmatrix(m, data, rows, false, params_.nthread);
    const float* res = predict_dmatrix(booster_, m, PredictType::Value);
    out.assign(res, res + rows.size());
    return out;
}

double GbdtModel::predict_one(const float* row) const {
    if (compiled_.empty()) throw InputError("gbdt: model is not trained or loaded");
    return compiled_.predict(row);
}

std::vector<std::vector<double>> GbdtModel::contributions(const Dataset& data,
                                                          std::span<const std::size_t> rows) const {
    if (!booster_) throw InputError("gbdt: model is not trained or loaded");
    std::vector<std::vector<double>> out;
    if (rows.empty()) return out;
    DMatrix m;
    make_dmatrix(m, data, rows, false, params_.nthread);
    const float* res = predict_dmatrix(booster_, m, PredictType::Contributions);
    const std::size_t width = cols_ + 1;
    for (std::size_t k = 0; k < rows.size(); ++k)
        out.emplace_back(res + k * width, res + (k + 1) * width);
    return out;
}

void GbdtModel::contributions_one(const float* row, std::span<double> out) const {
    if (compiled_.empty()) throw InputError("gbdt: model is not trained or loaded");
    compiled_.contributions(row, out);
}

std::vector<FeatureImportance> GbdtModel::importance() const {
    std::vector<FeatureImportance> out;
    if (!booster_) return out;
    bst_ulong n = 0, dim = 0;
    const char** names = nullptr;
    const bst_ulong* shape = nullptr;
    const float* scores = nullptr;
    check(XGBoosterFeatureScore(booster_, R"({"importance_type":"total_gain"})", &n, &names, &dim,
                                &shape, &scores),
          "feature score");
    double total = 0;
    for (bst_ulong i = 0; i < n; ++i) total += scores[i];
    std::vector<double> by_col(cols_, 0.0);
    for (bst_ulong i = 0; i < n; ++i) {
        // Names come back as "f<index>" since we do not attach names to the DMatrix.
        const std::size_t j = std::strtoul(names[i] + 1, nullptr, 10);
        if (j < cols_) by_col[j] = total > 0 ? scores[i] / total : 0.0;
    }
    for (std::size_t j = 0; j < cols_; ++j)
        out.push_back({j < names_.size() ? names_[j] : fmt::format("f{}", j), by_col[j]});
    std::stable_sort(out.begin(), out.end(),
                     [](const auto& a, const auto& b) { return a.score > b.score; });
    return out;
}

void GbdtModel::set_threads(int n) {
    if (!booster_) throw InputError("gbdt: model is not trained or loaded");
    check(XGBoosterSetParam(booster_, "nthread", std::to_string(n).c_str()), "nthread");
}

int GbdtModel::boosted_rounds() const {
    int r = 0;
    if (booster_) check(XGBoosterBoostedRounds(booster_, &r), "boosted rounds");
    return r;
}

std::vector<char> GbdtModel::serialize() const {
    if (!booster_) throw InputError("gbdt: model is not trained or loaded");
    bst_ulong len = 0;
    const char* buf = nullptr;
    check(XGBoosterSaveModelToBuffer(booster_, R"({"format":"ubj"})", &len, &buf), "save");
    return std::vector<char>(buf, buf + len);
}

void GbdtModel::save(const std::filesystem::path& dir) const {
    const auto bytes = serialize();
    write_file_atomic(dir / "model.ubj", std::string(bytes.begin(), bytes.end()));
    nlohmann::json meta = {{"kind", "gbdt"},
                           {"params", params_.to_json()},
                           {"cols", cols_},
                           {"feature_names", names_},
                           {"curve", {{"metric", curve_.metric},
                                      {"train", curve_.train},
                                      {"valid", curve_.valid},
                                      {"best_iteration", curve_.best_iteration}}}};
    write_file_atomic(dir / "gbdt.json", meta.dump(2));
}

void GbdtModel::load(const std::filesystem::path& dir) {
    const auto meta_path = dir / "gbdt.json";
    const auto model_path = dir / "model.ubj";
    nlohmann::json meta;
    try {
        meta = nlohmann::json::parse(read_file(meta_path));
        params_ = GbdtParams::from_json(meta.at("params"));
        cols_ = meta.at("cols").get<std::size_t>();
        names_ = meta.at("feature_names").get<std::vector<std::string>>();
        const auto& c = meta.at("curve");
        curve_.metric = c.at("metric").get<std::string>();
        curve_.train = c.at("train").get<std::vector<double>>();
        curve_.valid = c.at("valid").get<std::vector<double>>();
        curve_.best_iteration = c.at("best_iteration").get<int>();
    } catch (const nlohmann::json::exception& e) {
        throw InputError(fmt::format("{}: corrupt model metadata: {}", meta_path.string(), e.what()));
    }
    const std::string bytes = read_file(model_path);
    free_booster();
    check(XGBoosterCreate(nullptr, 0, &booster_), "create booster");
    if (XGBoosterLoadModelFromBuffer(booster_, bytes.data(), bytes.size()) != 0) {
        const std::string err = XGBGetLastError();
        free_booster();
        throw InputError(fmt::format("{}: corrupt model file: {}", model_path.string(),
                                     err.substr(0, 200)));
    }
    check(XGBoosterSetParam(booster_, "nthread", std::to_string(params_.nthread).c_str()), "nthread");
    bst_ulong nf = 0;
    check(XGBoosterGetNumFeature(booster_, &nf), "num features");
    if (nf != cols_) {
        free_booster();
        throw InputError(fmt::format("{}: model has {} features but metadata says {}",
                                     model_path.string(), nf, cols_));
    }
    compile();
}

} // namespace aurum
