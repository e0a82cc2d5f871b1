#include "models/ensemble.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "core/error.hpp"
#include "core/workspace.hpp"

namespace aurum {

EnsembleModel::EnsembleModel(std::vector<std::pair<std::string, nlohmann::json>> member_params,
                             CalibrationMethod calibration)
    : specs_(std::move(member_params)), calibration_(calibration) {
    if (specs_.empty()) throw InputError("ensemble: no members");
    for (const auto& [k, p] : specs_) {
        if (k == "ensemble") throw InputError("ensemble: a member cannot be an ensemble");
        members_.push_back(make_model(k, p));
    }
}

std::vector<double> weights_from_logloss(const std::vector<double>& ll, double base_rate) {
    const double q = std::clamp(base_rate, 1e-6, 1 - 1e-6);
    const double chance = -(q * std::log(q) + (1 - q) * std::log(1 - q));
    std::vector<double> w(ll.size());
    double total = 0;
    for (std::size_t i = 0; i < ll.size(); ++i) {
        w[i] = std::max(chance - ll[i], 0.0) + 1e-3;
        total += w[i];
    }
    for (auto& v : w) v /= total;
    return w;
}

void EnsembleModel::fit(const Dataset& data, std::span<const std::size_t> fit,
                        std::span<const std::size_t> valid) {
    calibrators_.assign(members_.size(), Calibrator(calibration_));
    std::vector<double> ll;
    std::vector<float> yv;
    for (std::size_t i : valid) yv.push_back(data.y[i]);
    double base = 0;
    for (float v : yv) base += v;
    base = yv.empty() ? 0.5 : base / static_cast<double>(yv.size());
    for (std::size_t m = 0; m < members_.size(); ++m) {
        members_[m]->fit(data, fit, valid);
        if (valid.empty()) {
            ll.push_back(0.0);
            continue;
        }
        const auto raw = members_[m]->predict_proba(data, valid);
        calibrators_[m].fit(raw, yv);
        const auto cal = calibrators_[m].apply(raw);
        ll.push_back(classification_metrics(cal, yv).logloss);
    }
    weights_ = valid.empty() ? std::vector<double>(members_.size(), 1.0 / static_cast<double>(members_.size()))
                             : weights_from_logloss(ll, base);
}

std::vector<EnsembleVote> EnsembleModel::votes(const Dataset& data,
                                               std::span<const std::size_t> rows) const {
    std::vector<std::vector<double>> per;
    for (std::size_t m = 0; m < members_.size(); ++m)
        per.push_back(calibrators_.at(m).apply(members_[m]->predict_proba(data, rows)));
    std::vector<EnsembleVote> out(rows.size());
    const auto kinds = member_kinds();
    for (std::size_t k = 0; k < rows.size(); ++k) {
        auto& v = out[k];
        v.members = kinds;
        v.p = 0;
        for (std::size_t m = 0; m < members_.size(); ++m) {
            v.member_p.push_back(per[m][k]);
            v.p += weights_[m] * per[m][k];
        }
        const bool up = v.p >= 0.5;
        v.agreement = 0;
        for (std::size_t m = 0; m < members_.size(); ++m)
            if ((per[m][k] >= 0.5) == up) v.agreement += weights_[m];
    }
    return out;
}

std::vector<double> EnsembleModel::predict_proba(const Dataset& data,
                                                 std::span<const std::size_t> rows) const {
    if (weights_.size() != members_.size()) throw InputError("ensemble: model is not trained or loaded");
    std::vector<double> out;
    for (const auto& v : votes(data, rows)) out.push_back(v.p);
    return out;
}

void EnsembleModel::set_weights(std::vector<double> w) {
    if (w.size() != members_.size())
        throw InputError(fmt::format("ensemble: {} weights for {} members", w.size(), members_.size()));
    double total = 0;
    for (double v : w) {
        if (!(v >= 0)) throw InputError("ensemble: weights must be >= 0");
        total += v;
    }
    if (total <= 0) throw InputError("ensemble: weights sum to 0");
    for (auto& v : w) v /= total;
    weights_ = std::move(w);
}

std::vector<std::string> EnsembleModel::member_kinds() const {
    std::vector<std::string> k;
    for (const auto& s : specs_) k.push_back(s.first);
    return k;
}

void EnsembleModel::save(const std::filesystem::path& dir) const {
    nlohmann::json j = {{"kind", "ensemble"}, {"weights", weights_}, {"calibration", to_string(calibration_)}};
    j["members"] = nlohmann::json::array();
    for (std::size_t m = 0; m < members_.size(); ++m) {
        const std::string sub = fmt::format("member{}_{}", m, specs_[m].first);
        members_[m]->save(dir / sub);
        j["members"].push_back({{"kind", specs_[m].first},
                                {"dir", sub},
                                {"params", specs_[m].second},
                                {"calibrator", calibrators_[m].to_json()}});
    }
    write_file_atomic(dir / "ensemble.json", j.dump(2));
}

void EnsembleModel::load(const std::filesystem::path& dir) {
    const auto path = dir / "ensemble.json";
    try {
        const auto j = nlohmann::json::parse(read_file(path));
        std::vector<std::pair<std::string, nlohmann::json>> specs;
        std::vector<std::unique_ptr<Model>> members;
        std::vector<Calibrator> cals;
        for (const auto& m : j.at("members")) {
            specs.emplace_back(m.at("kind").get<std::string>(), m.at("params"));
            auto model = make_model(specs.back().first, specs.back().second);
            model->load(dir / m.at("dir").get<std::string>());
            members.push_back(std::move(model));
            cals.push_back(Calibrator::from_json(m.at("calibrator")));
        }
        auto w = j.at("weights").get<std::vector<double>>();
        if (w.size() != members.size() || members.empty())
            throw InputError(fmt::format("{}: {} weights for {} members", path.string(), w.size(),
                                         members.size()));
        specs_ = std::move(specs);
        members_ = std::move(members);
        calibrators_ = std::move(cals);
        weights_ = std::move(w);
        calibration_ = parse_calibration(j.at("calibration").get<std::string>());
    } catch (const nlohmann::json::exception& e) {
        throw InputError(fmt::format("{}: corrupt ensemble metadata: {}", path.string(), e.what()));
    }
}

LearningCurve EnsembleModel::learning_curve() const {
    return members_.empty() ? LearningCurve{} : members_.front()->learning_curve();
}

std::vector<FeatureImportance> EnsembleModel::importance() const {
    // Weighted sum of the members' normalised importances.
    std::vector<FeatureImportance> out;
    for (std::size_t m = 0; m < members_.size(); ++m) {
        for (const auto& f : members_[m]->importance()) {
            auto it = std::find_if(out.begin(), out.end(), [&](const auto& o) { return o.feature == f.feature; });
            const double add = f.score * (m < weights_.size() ? weights_[m] : 0.0);
            if (it == out.end()) out.push_back({f.feature, add});
            else it->score += add;
        }
    }
    std::stable_sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.score > b.score; });
    return out;
}

nlohmann::json EnsembleModel::params() const {
    nlohmann::json j = {{"calibration", to_string(calibration_)}, {"weights", weights_}};
    for (const auto& [k, p] : specs_) j["members"].push_back({{"kind", k}, {"params", p}});
    return j;
}

} // namespace aurum
