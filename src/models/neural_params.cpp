// NeuralParams from and to models.yaml (no libtorch: the config layer reads them without loading
// the plugin).
#include <fmt/format.h>

#include "core/error.hpp"
#include "models/neural.hpp"

namespace aurum {

nlohmann::json NeuralParams::to_json() const {
    return {{"seq_len", seq_len}, {"hidden", hidden},   {"layers", layers},
            {"epochs", epochs},   {"batch", batch},     {"lr", lr},
            {"weight_decay", weight_decay}, {"patience", patience},
            {"threads", threads}, {"seed", seed}};
}

NeuralParams NeuralParams::from_json(const nlohmann::json& j, const std::string& kind) {
    NeuralParams p;
    for (auto it = j.begin(); it != j.end(); ++it) {
        const std::string& k = it.key();
        const auto& v = it.value();
        auto num = [&](double lo, double hi) {
            if (!v.is_number())
                throw InputError(fmt::format("models.{}.{}: expected a number, got {}", kind, k, v.dump()));
            const double x = v.get<double>();
            if (!(x >= lo && x <= hi))
                throw InputError(
                    fmt::format("models.{}.{}: must be in [{}, {}], got {}", kind, k, lo, hi, x));
            return x;
        };
        if (k == "seq_len") p.seq_len = static_cast<int>(num(1, 512));
        else if (k == "hidden") p.hidden = static_cast<int>(num(1, 1024));
        else if (k == "layers") p.layers = static_cast<int>(num(1, 8));
        else if (k == "epochs") p.epochs = static_cast<int>(num(1, 10000));
        else if (k == "batch") p.batch = static_cast<int>(num(1, 1 << 20));
        else if (k == "lr") p.lr = num(1e-7, 1);
        else if (k == "weight_decay") p.weight_decay = num(0, 1);
        else if (k == "patience") p.patience = static_cast<int>(num(1, 10000));
        else if (k == "threads") p.threads = static_cast<int>(num(1, 256));
        else if (k == "seed") p.seed = static_cast<std::uint64_t>(num(0, 4294967295.0));
        else throw InputError(fmt::format("models.{}: unknown key '{}'", kind, k));
    }
    return p;
}

} // namespace aurum
