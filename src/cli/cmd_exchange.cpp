// `aurum exchange check`: the live venue asked, read-only, before a first live start.
#include <iostream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli/cli_context.hpp"
#include "cli/commands.hpp"
#include "core/error.hpp"
#include "live/daemon_app.hpp"
#include "live/exchange_check.hpp"

namespace aurum {

void register_exchange(CLI::App& app, CliContext& ctx) {
    auto* ex = app.add_subcommand("exchange", "The live exchange: check keys, permissions, clock, "
                                              "filters and limits before going live");
    ex->require_subcommand(1);
    auto* sub = ex->add_subcommand("check", "Read-only checks of the configured exchange (no "
                                            "order is sent); exit 1 when one fails");
    auto symbols = std::make_shared<std::string>();
    auto url = std::make_shared<std::string>();
    sub->add_option("--symbols", *symbols, "Symbols to check (default config/live.yaml's)");
    sub->add_option("--exchange-url", *url, "Exchange REST base URL (default config/live.yaml)");
    auto stream = std::make_shared<std::string>();
    auto ws_api = std::make_shared<std::string>();
    sub->add_option("--stream-url", *stream, "Market streams URL (default config/live.yaml)");
    sub->add_option("--ws-api-url", *ws_api, "WebSocket API URL (default config/live.yaml)");
    on_run(sub, ctx, [&ctx, symbols, url, stream, ws_api] {
        const Workspace ws = ctx.workspace();
        const LiveFileConfig fc = load_live_config(ws.config_file("live.yaml"));
        LiveVenueOptions venue = configured_venue(fc, {*url, *stream, *ws_api});
        venue.credentials = load_binance_credentials(ws.home());
        const InstrumentRegistry registry = ctx.instruments();
        std::vector<Instrument> instruments;
        for (const auto& s : symbols->empty() ? fc.symbols : split_symbols(*symbols))
            instruments.push_back(registry.get(normalize_symbol(s)));
        const ExchangeCheckReport r = check_exchange(venue, instruments);
        if (ctx.json) {
            nlohmann::json lines = nlohmann::json::array();
            for (const auto& l : r.lines)
                lines.push_back({{"level", to_string(l.level)}, {"what", l.what}, {"text", l.text}});
            std::cout << nlohmann::json{{"base_url", r.base_url}, {"lines", lines},
                                        {"ok", !r.failed()}}
                             .dump(2)
                      << "\n";
        } else {
            std::cout << "Exchange check: " << r.base_url << " (read-only; no order sent)\n";
            for (const auto& l : r.lines)
                std::cout << fmt::format("  {}  {:<12} {}\n", to_string(l.level), l.what, l.text);
            std::cout << (r.failed() ? "Not ready for --mode live: fix the FAIL lines above.\n"
                                     : "Ready for `aurum run --mode live --confirm-live`.\n");
        }
        return r.failed() ? 1 : 0;
    });
}

} // namespace aurum
