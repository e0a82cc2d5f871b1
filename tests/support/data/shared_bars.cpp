#include "support/data/shared_bars.hpp"

#include "core/error.hpp"
#include "core/instrument.hpp"
#include "data/import.hpp"
#include "support/test_support.hpp"

namespace aurum::test {

BarSeries load_shared_bars(const std::string& relative, TimeMs tz_offset) {
    BarSeries out;
    const auto path = shared_data(relative);
    if (path.empty())
        return out;
    const NameHint hint = infer_from_filename(path.string());
    if (hint.symbol.empty() || hint.timeframe.empty())
        throw InputError("load_shared_bars: cannot infer symbol and timeframe from '" + relative +
                         "'" + (hint.note.empty() ? "" : ": " + hint.note));
    const Instrument inst = InstrumentRegistry().get(normalize_symbol(hint.symbol));
    ImportOptions opt;
    opt.symbol = inst.symbol;
    opt.timeframe = Timeframe::parse_or_throw(hint.timeframe);
    opt.tz_offset = tz_offset;
    opt.point = inst.point;
    out.symbol = opt.symbol;
    out.timeframe = opt.timeframe;
    parse_file(path.string(), opt, [&](const BarSeries& chunk) {
        out.has_spread_column = chunk.has_spread_column;
        for (std::size_t i = 0; i < chunk.size(); ++i)
            out.push_back(chunk.at(i));
    });
    return out;
}

} // namespace aurum::test
