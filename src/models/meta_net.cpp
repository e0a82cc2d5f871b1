#include "models/meta_net.hpp"

#include "core/error.hpp"
#include "models/torch_plugin.hpp"

namespace aurum {

std::unique_ptr<MetaNet> make_meta_net(const MetaNetShape& shape) {
    using MakeFn = MetaNet* (*)(const MetaNetShape*);
    auto make = reinterpret_cast<MakeFn>(
        torch_plugin_symbol("libaurum_torch.so", "aurum_torch_make_meta_net"));
    std::unique_ptr<MetaNet> net(make(&shape));
    if (!net) throw InputError("the libtorch plugin could not build the meta-learning network");
    return net;
}

} // namespace aurum
