#include "execution/binance_auth.hpp"

#include <sys/stat.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/error.hpp"

namespace aurum {

BinanceCredentials load_binance_credentials(const std::filesystem::path& home) {
    const char* env_key = std::getenv("AURUM_BINANCE_API_KEY");
    const char* env_secret = std::getenv("AURUM_BINANCE_API_SECRET");
    const bool has_key = env_key && *env_key, has_secret = env_secret && *env_secret;
    if (has_key && has_secret)
        return {env_key, env_secret, "environment"};
    if (has_key != has_secret)
        throw InputError(
            fmt::format("Binance credentials: {} is set but {} is not (set both, or "
                        "neither and use secrets/binance.json)",
                        has_key ? "AURUM_BINANCE_API_KEY" : "AURUM_BINANCE_API_SECRET",
                        has_key ? "AURUM_BINANCE_API_SECRET" : "AURUM_BINANCE_API_KEY"));
    const std::filesystem::path file = home / "secrets" / "binance.json";
    struct stat st {};
    if (::stat(file.c_str(), &st) != 0)
        throw InputError(fmt::format(
            "Binance credentials: none found. Set AURUM_BINANCE_API_KEY and "
            "AURUM_BINANCE_API_SECRET, or write {} as {{\"api_key\": \"...\", \"api_secret\": "
            "\"...\"}} with mode 0600 (see docs/live-trading.md)",
            file.string()));
    if ((st.st_mode & 077) != 0)
        throw InputError(fmt::format(
            "Binance credentials: {} has mode {:04o}; it must be readable by its owner only. Run "
            "`chmod 600 {}` (refusing to use a secret others can read)",
            file.string(), st.st_mode & 07777, file.string()));
    std::ifstream in(file);
    std::stringstream ss;
    ss << in.rdbuf();
    nlohmann::json j;
    try {
        j = nlohmann::json::parse(ss.str());
    } catch (const std::exception& e) {
        throw InputError(
            fmt::format("Binance credentials: {}: not valid JSON ({})", file.string(), e.what()));
    }
    const auto field = [&](const char* name) {
        if (!j.is_object() || !j.contains(name) || !j[name].is_string() ||
            j[name].get<std::string>().empty())
            throw InputError(fmt::format(
                "Binance credentials: {}: field '{}' is missing or not a non-empty string",
                file.string(), name));
        return j[name].get<std::string>();
    };
    return {field("api_key"), field("api_secret"), file.string()};
}

} // namespace aurum
