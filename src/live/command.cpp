#include "live/command.hpp"

#include <cctype>
#include <cmath>
#include <utility>

#include <fmt/format.h>

#include "core/enum_table.hpp"
#include "core/error.hpp"

namespace aurum {

using nlohmann::json;

namespace {

// The one table of command kinds: wire name <-> enum.
constexpr EnumTable<CommandKind, 15> kKinds{{{
    {CommandKind::Pause, "pause"},
    {CommandKind::Resume, "resume"},
    {CommandKind::Trade, "trade"},
    {CommandKind::EmergencyStop, "emergency_stop"},
    {CommandKind::KillswitchReset, "killswitch_reset"},
    {CommandKind::AcknowledgeStop, "acknowledge_stop"},
    {CommandKind::RiskSet, "risk_set"},
    {CommandKind::RiskReload, "risk_reload"},
    {CommandKind::SignalApprove, "signal_approve"},
    {CommandKind::SignalReject, "signal_reject"},
    {CommandKind::ModelReload, "model_reload"},
    {CommandKind::ModelUnload, "model_unload"},
    {CommandKind::Settle, "settle"},
    {CommandKind::TicketFill, "ticket_fill"},
    {CommandKind::TicketCancel, "ticket_cancel"},
}}};

constexpr EnumTable<TradeSide, 3> kSides{
    {{{TradeSide::Long, "long"}, {TradeSide::Short, "short"}, {TradeSide::Close, "close"}}}};

/// Reads the fields of one command, naming the command, field and value in every error.
class Fields {
public:
    Fields(std::string name, const json& j) : name_(std::move(name)), j_(j) {
        if (!j_.is_object())
            throw InputError(fmt::format("{}: expected a JSON object of fields, got {}", name_,
                                         j_.dump()));
    }
    bool has(const char* k) const { return j_.contains(k) && !j_.at(k).is_null(); }
    [[noreturn]] void fail(const char* k, const std::string& what) const {
        throw InputError(fmt::format("{}: field '{}' {}", name_, k, what));
    }
    [[noreturn]] void missing(const char* k) const { fail(k, "is missing"); }
    const json& at(const char* k) const {
        if (!has(k)) missing(k);
        return j_.at(k);
    }
    std::string str(const char* k, bool required) const {
        if (!has(k)) {
            if (required) missing(k);
            return {};
        }
        const json& v = j_.at(k);
        if (!v.is_string()) fail(k, "must be text, got " + v.dump());
        return v.get<std::string>();
    }
    std::int64_t integer(const char* k, bool required, std::int64_t def = 0) const {
        if (!has(k)) {
            if (required) missing(k);
            return def;
        }
        const json& v = j_.at(k);
        if (!v.is_number_integer()) fail(k, "must be an integer, got " + v.dump());
        return v.get<std::int64_t>();
    }
    double number(const char* k, bool required, double def = 0) const {
        if (!has(k)) {
            if (required) missing(k);
            return def;
        }
        const json& v = j_.at(k);
        if (!v.is_number()) fail(k, "must be a number, got " + v.dump());
        const double d = v.get<double>();
        if (!std::isfinite(d)) fail(k, "must be finite, got " + v.dump());
        return d;
    }
    bool boolean(const char* k, bool def) const {
        if (!has(k)) return def;
        const json& v = j_.at(k);
        if (!v.is_boolean()) fail(k, "must be true or false, got " + v.dump());
        return v.get<bool>();
    }
    /// Refuses fields this kind does not have (a typo would otherwise be ignored).
    void only(std::initializer_list<const char*> keys) const {
        for (const auto& [k, v] : j_.items()) {
            bool ok = k == "at" || k == "reason" || k == "source";
            for (const char* a : keys) ok = ok || k == a;
            if (!ok) {
                std::string list = "at, reason, source";
                for (const char* a : keys) list += std::string(", ") + a;
                throw InputError(fmt::format("{}: unknown field '{}' (value {}); known: {}",
                                             name_, k, v.dump(), list));
            }
        }
    }

private:
    std::string name_;
    const json& j_;
};

std::string lower(std::string_view s) {
    std::string out(s);
    for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

} // namespace

std::string to_string(CommandKind k) { return kKinds.name(k); }

CommandKind parse_command_kind(std::string_view text) {
    if (auto k = kKinds.find(text)) return *k;
    throw InputError(fmt::format("unknown command '{}' (known: {})", text, kKinds.names()));
}

std::string to_string(TradeSide s) { return kSides.name(s); }

TradeSide parse_trade_side(std::string_view text) {
    if (auto s = kSides.find(lower(text))) return *s;
    throw InputError(fmt::format("trade: --side must be long, short or close, got '{}'", text));
}

Command model_command(CommandKind kind, std::string name, int version, std::string reason) {
    Command c;
    c.kind = kind;
    c.model = std::move(name);
    c.version = version;
    c.reason = std::move(reason);
    return c;
}

Command parse_command(std::string_view kind, const json& fields) {
    return parse_command(parse_command_kind(kind), fields);
}

Command parse_command(CommandKind kind, const json& j) {
    const std::string name = to_string(kind);
    const Fields f(name, j);
    Command c;
    c.kind = kind;
    c.reason = f.str("reason", kind == CommandKind::EmergencyStop);
    if (f.has("at")) c.at = f.integer("at", true);
    c.source = f.str("source", false);
    switch (kind) {
    case CommandKind::Pause:
        f.only({"duration_ms", "close"});
        c.duration = f.integer("duration_ms", true);
        if (c.duration <= 0)
            f.fail("duration_ms", fmt::format("must be positive (e.g. 24h), got {}", c.duration));
        c.close = f.boolean("close", true);
        break;
    case CommandKind::Trade: {
        f.only({"symbol", "side", "amount"});
        c.symbol = f.str("symbol", true);
        if (c.symbol.empty()) f.fail("symbol", "must not be empty");
        const std::string side = f.str("side", true);
        try {
            c.side = parse_trade_side(side);
        } catch (const InputError&) {
            f.fail("side", "must be long, short or close, got '" + side + "'");
        }
        c.amount = f.number("amount", c.side != TradeSide::Close, 0.0);
        if (c.side != TradeSide::Close ? !(c.amount > 0) : c.amount < 0)
            f.fail("amount", fmt::format("must be positive, got {}", c.amount));
        break;
    }
    case CommandKind::EmergencyStop:
        f.only({});
        if (c.reason.find_first_not_of(" \t") == std::string::npos)
            f.fail("reason", "is required (it goes into the audit log), got '" + c.reason + "'");
        break;
    case CommandKind::KillswitchReset:
        f.only({"confirm"});
        c.confirm = f.str("confirm", true);
        break;
    case CommandKind::RiskSet: {
        f.only({"changes", "confirm"});
        const json& ch = f.at("changes");
        if (!ch.is_object() || ch.empty())
            f.fail("changes", "must be an object of limit: value (e.g. {\"max_position\": "
                              "\"0.15\"}), got " + ch.dump());
        for (const auto& [k, v] : ch.items()) {
            if (v.is_string())
                c.changes[k] = v.get<std::string>();
            else if (v.is_number())
                c.changes[k] = fmt::format("{}", v.get<double>());
            else
                throw InputError(fmt::format("risk_set: field 'changes.{}' must be a number or "
                                             "text, got {}",
                                             k, v.dump()));
        }
        c.confirm_loosen = f.boolean("confirm", false);
        break;
    }
    case CommandKind::RiskReload:
        f.only({"yaml"});
        c.yaml = f.str("yaml", true);
        break;
    case CommandKind::SignalApprove:
    case CommandKind::SignalReject:
        f.only({"id"});
        c.id = f.integer("id", true);
        if (c.id <= 0) f.fail("id", fmt::format("must be a signal id (> 0), got {}", c.id));
        break;
    case CommandKind::TicketFill:
        f.only({"id", "price", "lots", "broker_ticket"});
        c.id = f.integer("id", true);
        if (c.id <= 0) f.fail("id", fmt::format("must be a ticket id (> 0), got {}", c.id));
        c.price = f.number("price", true);
        if (!(c.price > 0)) f.fail("price", fmt::format("must be positive, got {}", c.price));
        c.lots = f.number("lots", true);
        if (!(c.lots > 0)) f.fail("lots", fmt::format("must be positive, got {}", c.lots));
        c.broker_ticket = f.str("broker_ticket", false);
        break;
    case CommandKind::TicketCancel:
        f.only({"id"});
        c.id = f.integer("id", true);
        if (c.id <= 0) f.fail("id", fmt::format("must be a ticket id (> 0), got {}", c.id));
        if (c.reason.find_first_not_of(" \t") == std::string::npos)
            f.fail("reason", "is required (why the ticket was not placed), got '" + c.reason + "'");
        break;
    case CommandKind::ModelReload:
        f.only({"name", "version"});
        c.model = f.str("name", false);
        c.version = static_cast<int>(f.integer("version", false, 0));
        if (c.version < 0) f.fail("version", fmt::format("must be >= 0, got {}", c.version));
        break;
    case CommandKind::ModelUnload:
        f.only({"name"});
        c.model = f.str("name", true);
        if (c.model.empty()) f.fail("name", "must name a model, got ''");
        break;
    case CommandKind::Resume:
    case CommandKind::AcknowledgeStop:
    case CommandKind::Settle:
        f.only({});
        break;
    }
    return c;
}

json Command::to_json() const {
    json j = json::object();
    if (!reason.empty() || kind == CommandKind::EmergencyStop) j["reason"] = reason;
    if (at) j["at"] = *at;
    if (!source.empty()) j["source"] = source;
    switch (kind) {
    case CommandKind::Pause:
        j["duration_ms"] = duration;
        j["close"] = close;
        break;
    case CommandKind::Trade:
        j["symbol"] = symbol;
        j["side"] = to_string(side);
        j["amount"] = amount;
        break;
    case CommandKind::KillswitchReset: j["confirm"] = confirm; break;
    case CommandKind::RiskSet:
        j["changes"] = changes;
        if (confirm_loosen) j["confirm"] = true;
        break;
    case CommandKind::RiskReload: j["yaml"] = yaml; break;
    case CommandKind::SignalApprove:
    case CommandKind::SignalReject:
    case CommandKind::TicketCancel: j["id"] = id; break;
    case CommandKind::TicketFill:
        j["id"] = id;
        j["price"] = price;
        j["lots"] = lots;
        if (!broker_ticket.empty()) j["broker_ticket"] = broker_ticket;
        break;
    case CommandKind::ModelReload:
        j["name"] = model;
        j["version"] = version;
        break;
    case CommandKind::ModelUnload: j["name"] = model; break;
    default: break;
    }
    return j;
}

namespace {

/// Which way a limit loosens: +1 a larger value allows more, -1 a smaller one does, 0 neither.
int loosen_direction(const std::string& key) {
    if (key == "cooldown" || key == "min_equity") return -1;
    if (key == "correlation_window") return 0;
    return +1;
}

double numeric(const std::string& key, const RiskLimits& l) {
    if (key == "cooldown") return static_cast<double>(l.cooldown);
    for (const auto& [k, v] : risk_limit_fields(l))
        if (k == key) return std::stod(v);
    return 0;
}

} // namespace

RiskLimits apply_risk_changes(const RiskLimits& limits, const Command& c,
                              std::string* changes_text, bool check_policy) {
    RiskLimits l = limits;
    std::string text;
    std::vector<std::string> keys;
    for (const auto& [k, v] : c.changes) {
        const std::string prev = set_risk_limit(l, k, v);
        text += fmt::format("{}{}: {} -> {}", text.empty() ? "" : ", ", k, prev, v);
        std::string key = k;
        for (char& ch : key)
            if (ch == '-') ch = '_';
        keys.push_back(key);
    }
    if (changes_text) *changes_text = text;
    if (!check_policy) return l;
    // A limit that contradicts another is a typo, not a policy: refuse, naming both.
    const auto before = risk_limit_conflicts(limits);
    for (const auto& conflict : risk_limit_conflicts(l)) {
        bool old = false;
        for (const auto& b : before) old = old || b == conflict;
        if (!old) throw InputError("risk set: " + conflict + "; nothing was changed");
    }
    if (!c.confirm_loosen) {
        const double factor = limits.max_loosen_factor;
        for (const auto& key : keys) {
            const int dir = loosen_direction(key);
            const double a = numeric(key, limits), b = numeric(key, l);
            if (dir == 0 || a == b) continue;
            const double ratio = dir > 0 ? (a > 0 ? b / a : INFINITY) : (b > 0 ? a / b : INFINITY);
            if (ratio > factor + 1e-12)
                throw InputError(fmt::format(
                    "risk set: {} {} -> {} loosens the limit {:.3g}x, more than "
                    "risk.max_loosen_factor {}x; check the value and add --confirm if it is "
                    "meant; nothing was changed",
                    key, risk_limit_value(limits, key), risk_limit_value(l, key), ratio, factor));
        }
    }
    return l;
}

void check_account_command(const Command& c, const RiskManager& rm, TimeMs now) {
    const TradingState& st = rm.state();
    switch (c.kind) {
    case CommandKind::Pause:
        if (st.mode == TradingMode::Halted || st.mode == TradingMode::Reducing)
            throw InputError("pause: trading is " + st.describe() + "; nothing to pause");
        break;
    case CommandKind::Resume:
        if (st.mode != TradingMode::Paused)
            throw InputError("resume: trading is " + st.describe() + ", not paused" +
                             (st.mode == TradingMode::Halted
                                  ? "; only `aurum killswitch reset --confirm \"<reason>\"` "
                                    "leaves HALTED"
                                  : ""));
        break;
    case CommandKind::Trade:
        if (c.side != TradeSide::Close && !st.allows_entries() && st.mode != TradingMode::Paused)
            throw InputError("trade: trading is " + st.describe() +
                             "; new positions are refused (only --side close is allowed)");
        break;
    case CommandKind::KillswitchReset: {
        RiskManager probe = rm;
        probe.reset_kill_switch(now, c.confirm); // throws when not allowed
        break;
    }
    case CommandKind::AcknowledgeStop: {
        RiskManager probe = rm;
        probe.acknowledge_stop(now, c.reason);
        break;
    }
    case CommandKind::RiskSet: apply_risk_changes(rm.limits(), c); break;
    case CommandKind::RiskReload: parse_risk_limits(c.yaml, "config/risk.yaml"); break;
    default: break;
    }
}

std::optional<std::string> apply_account_command(const Command& c, RiskManager& rm, TimeMs at) {
    switch (c.kind) {
    case CommandKind::Pause:
        rm.pause(at, c.duration, c.reason, c.close);
        return "Trading paused until " + format_time(at + c.duration);
    case CommandKind::Resume:
        rm.resume(at, c.reason);
        return std::string("Trading resumed (ACTIVE)");
    case CommandKind::EmergencyStop:
        rm.emergency_stop(at, c.reason);
        return std::string("EMERGENCY STOP");
    case CommandKind::KillswitchReset:
        rm.reset_kill_switch(at, c.confirm);
        return std::string("Kill switch reset; trading ACTIVE");
    case CommandKind::AcknowledgeStop:
        rm.acknowledge_stop(at, c.reason);
        return std::string("Emergency stop acknowledged; trading ACTIVE");
    case CommandKind::RiskSet: {
        std::string text;
        // Checked before it was journaled; a replay re-applies exactly what was accepted.
        rm.set_limits(apply_risk_changes(rm.limits(), c, &text, false));
        return text;
    }
    case CommandKind::RiskReload:
        rm.set_limits(parse_risk_limits(c.yaml, "config/risk.yaml"));
        return std::string("reloaded from config/risk.yaml");
    default: return std::nullopt;
    }
}

} // namespace aurum
