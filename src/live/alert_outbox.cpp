#include "live/alert_outbox.hpp"

#include <array>
#include <map>

#include "core/enum_table.hpp"

namespace aurum {

namespace {

constexpr EnumTable<AlertSeverity, 3> kSeverities{{{
    {AlertSeverity::Info, "info"},
    {AlertSeverity::Warning, "warning"},
    {AlertSeverity::Critical, "critical"},
}}};

const char* kSchema = R"SQL(
CREATE TABLE IF NOT EXISTS live_alerts (
  id BIGINT PRIMARY KEY, time BIGINT NOT NULL, kind TEXT NOT NULL, severity TEXT NOT NULL,
  title TEXT NOT NULL, text TEXT NOT NULL, data TEXT NOT NULL, dedup_key TEXT NOT NULL,
  acked_at BIGINT NOT NULL, acked_by TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS live_alerts_key ON live_alerts (dedup_key, time);
CREATE TABLE IF NOT EXISTS live_alert_deliveries (
  alert_id BIGINT NOT NULL, channel TEXT NOT NULL, status TEXT NOT NULL, attempts BIGINT NOT NULL,
  next_at BIGINT NOT NULL, sent_at BIGINT NOT NULL, repeats BIGINT NOT NULL,
  last_error TEXT NOT NULL, PRIMARY KEY (alert_id, channel));
CREATE INDEX IF NOT EXISTS live_alert_deliveries_status ON live_alert_deliveries (channel, status, alert_id);
CREATE TABLE IF NOT EXISTS live_alert_channels (
  channel TEXT PRIMARY KEY, state TEXT NOT NULL, last_error TEXT NOT NULL,
  updated_at BIGINT NOT NULL);
CREATE TABLE IF NOT EXISTS live_alert_cursor (name TEXT PRIMARY KEY, value BIGINT NOT NULL);
)SQL";

using V = SqlValue;
V I(std::int64_t v) { return V{v}; }
V S(const std::string& v) { return V{v}; }

const char* kAlertCols =
    "id, time, kind, severity, title, text, data, dedup_key, acked_at, acked_by";

AlertRecord row_alert(const SqlRow& r) {
    AlertRecord a;
    a.id = r.as_int(0);
    a.time = r.as_int(1);
    a.kind = r.as_string(2);
    a.severity = parse_alert_severity(r.as_string(3));
    a.title = r.as_string(4);
    a.text = r.as_string(5);
    a.data = nlohmann::json::parse(r.as_string(6));
    a.dedup_key = r.as_string(7);
    a.acked_at = r.as_int(8);
    a.acked_by = r.as_string(9);
    return a;
}

const char* kDeliveryCols =
    "alert_id, channel, status, attempts, next_at, sent_at, repeats, last_error";

DeliveryRecord row_delivery(const SqlRow& r) {
    DeliveryRecord d;
    d.alert_id = r.as_int(0);
    d.channel = r.as_string(1);
    d.status = r.as_string(2);
    d.attempts = static_cast<int>(r.as_int(3));
    d.next_at = r.as_int(4);
    d.sent_at = r.as_int(5);
    d.repeats = static_cast<int>(r.as_int(6));
    d.last_error = r.as_string(7);
    return d;
}

} // namespace

std::string to_string(AlertSeverity s) { return kSeverities.name(s); }
AlertSeverity parse_alert_severity(std::string_view text) {
    return kSeverities.parse(text, "alert severity");
}

void AlertBuffer::enqueue(AlertEvent event) {
    std::lock_guard<std::mutex> lock(m_);
    items_.push_back(std::move(event));
}

std::vector<AlertEvent> AlertBuffer::take() {
    std::vector<AlertEvent> out;
    std::lock_guard<std::mutex> lock(m_);
    out.swap(items_);
    return out;
}

void AlertBuffer::clear() {
    std::lock_guard<std::mutex> lock(m_);
    items_.clear();
}

std::size_t AlertBuffer::size() const {
    std::lock_guard<std::mutex> lock(m_);
    return items_.size();
}

AlertStore::AlertStore(Database& db) : db_(db) { db_.exec(kSchema); }

std::int64_t AlertStore::insert(const AlertEvent& e) {
    auto r = db_.query_one("SELECT COALESCE(MAX(id), 0) FROM live_alerts");
    const std::int64_t id = (r ? r->as_int(0) : 0) + 1;
    const std::array<V, 10> p = {I(id),           I(e.time),    S(e.kind),
                                 S(to_string(e.severity)), S(e.title), S(e.text),
                                 S(e.data.dump()), S(e.dedup_key), I(0), S("")};
    db_.exec("INSERT INTO live_alerts (id, time, kind, severity, title, text, data, dedup_key, "
             "acked_at, acked_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
             p);
    return id;
}

std::optional<AlertRecord> AlertStore::alert(std::int64_t id) {
    const std::array<V, 1> p = {I(id)};
    auto r = db_.query_one(std::string("SELECT ") + kAlertCols + " FROM live_alerts WHERE id = $1",
                           p);
    if (!r) return std::nullopt;
    return row_alert(*r);
}

std::vector<AlertRecord> AlertStore::alerts_after(std::int64_t after, int limit) {
    const std::array<V, 2> p = {I(after), I(limit)};
    std::vector<AlertRecord> out;
    for (const auto& r : db_.query(std::string("SELECT ") + kAlertCols +
                                       " FROM live_alerts WHERE id > $1 ORDER BY id LIMIT $2",
                                   p))
        out.push_back(row_alert(r));
    return out;
}

std::vector<AlertRecord> AlertStore::recent(int limit) {
    const std::array<V, 1> p = {I(limit)};
    std::vector<AlertRecord> out;
    for (const auto& r : db_.query(std::string("SELECT ") + kAlertCols +
                                       " FROM live_alerts ORDER BY id DESC LIMIT $1",
                                   p))
        out.push_back(row_alert(r));
    return out;
}

std::optional<std::int64_t> AlertStore::previous_with_key(const std::string& key, TimeMs since,
                                                          std::int64_t before_id) {
    const std::array<V, 3> p = {S(key), I(since), I(before_id)};
    auto r = db_.query_one("SELECT MAX(a.id) FROM live_alerts a JOIN live_alert_deliveries d ON "
                           "d.alert_id = a.id WHERE a.dedup_key = $1 AND a.time >= $2 AND a.id < "
                           "$3 AND d.status <> 'suppressed'",
                           p);
    if (!r || r->is_null(0)) return std::nullopt;
    return r->as_int(0);
}

bool AlertStore::acknowledge(std::int64_t id, TimeMs at, const std::string& by) {
    const auto a = alert(id);
    if (!a) return false;
    if (a->acked_at != 0) return true;
    const std::array<V, 3> p = {I(at), S(by), I(id)};
    db_.exec("UPDATE live_alerts SET acked_at = $1, acked_by = $2 WHERE id = $3 AND acked_at = 0",
             p);
    return true;
}

std::int64_t AlertStore::routed_until() {
    auto r = db_.query_one("SELECT value FROM live_alert_cursor WHERE name = 'routed'");
    return r ? r->as_int(0) : 0;
}

void AlertStore::set_routed_until(std::int64_t id) {
    const std::array<V, 1> p = {I(id)};
    db_.exec("INSERT INTO live_alert_cursor (name, value) VALUES ('routed', $1) ON CONFLICT "
             "(name) DO UPDATE SET value = excluded.value",
             p);
}

void AlertStore::add_delivery(const DeliveryRecord& d) {
    const std::array<V, 8> p = {I(d.alert_id), S(d.channel),    S(d.status), I(d.attempts),
                                I(d.next_at),  I(d.sent_at),    I(d.repeats), S(d.last_error)};
    db_.exec("INSERT INTO live_alert_deliveries (alert_id, channel, status, attempts, next_at, "
             "sent_at, repeats, last_error) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT "
             "(alert_id, channel) DO NOTHING",
             p);
}

void AlertStore::update_delivery(const DeliveryRecord& d) {
    const std::array<V, 8> p = {S(d.status),    I(d.attempts), I(d.next_at),   I(d.sent_at),
                                I(d.repeats),   S(d.last_error), I(d.alert_id), S(d.channel)};
    db_.exec("UPDATE live_alert_deliveries SET status = $1, attempts = $2, next_at = $3, "
             "sent_at = $4, repeats = $5, last_error = $6 WHERE alert_id = $7 AND channel = $8",
             p);
}

std::optional<DeliveryRecord> AlertStore::delivery(std::int64_t alert_id,
                                                   const std::string& channel) {
    const std::array<V, 2> p = {I(alert_id), S(channel)};
    auto r = db_.query_one(std::string("SELECT ") + kDeliveryCols +
                               " FROM live_alert_deliveries WHERE alert_id = $1 AND channel = $2",
                           p);
    if (!r) return std::nullopt;
    return row_delivery(*r);
}

std::vector<DeliveryRecord> AlertStore::deliveries(const std::string& channel,
                                                   const std::string& status, int limit) {
    const std::array<V, 3> p = {S(channel), S(status), I(limit)};
    std::vector<DeliveryRecord> out;
    for (const auto& r :
         db_.query(std::string("SELECT ") + kDeliveryCols +
                       " FROM live_alert_deliveries WHERE channel = $1 AND status = $2 ORDER BY "
                       "alert_id LIMIT $3",
                   p))
        out.push_back(row_delivery(r));
    return out;
}

void AlertStore::set_channel_state(const ChannelState& s) {
    const std::array<V, 4> p = {S(s.channel), S(s.state), S(s.last_error), I(s.updated_at)};
    db_.exec("INSERT INTO live_alert_channels (channel, state, last_error, updated_at) VALUES "
             "($1, $2, $3, $4) ON CONFLICT (channel) DO UPDATE SET state = excluded.state, "
             "last_error = excluded.last_error, updated_at = excluded.updated_at",
             p);
}

std::vector<ChannelState> AlertStore::channel_states() {
    std::vector<ChannelState> out;
    for (const auto& r : db_.query("SELECT channel, state, last_error, updated_at FROM "
                                   "live_alert_channels ORDER BY channel"))
        out.push_back({r.as_string(0), r.as_string(1), r.as_string(2), r.as_int(3)});
    return out;
}

nlohmann::json AlertStore::delivery_status() {
    std::map<std::string, nlohmann::json> by;
    auto entry = [&](const std::string& ch) -> nlohmann::json& {
        auto it = by.find(ch);
        if (it == by.end())
            it = by.emplace(ch, nlohmann::json{{"channel", ch}, {"state", "ok"},
                                               {"queued", 0}, {"sent", 0}, {"failed", 0},
                                               {"suppressed", 0}, {"last_error", ""}})
                     .first;
        return it->second;
    };
    for (const auto& r : db_.query("SELECT channel, status, COUNT(*) FROM "
                                   "live_alert_deliveries GROUP BY channel, status")) {
        nlohmann::json& e = entry(r.as_string(0));
        const std::string st = r.as_string(1);
        const std::int64_t n = r.as_int(2);
        if (st == "queued" || st == "digest" || st == "held")
            e["queued"] = e["queued"].get<std::int64_t>() + n;
        else if (st == "sent" || st == "repeating") e["sent"] = e["sent"].get<std::int64_t>() + n;
        else if (st == "dead") e["failed"] = n;
        else if (st == "suppressed") e["suppressed"] = n;
    }
    for (const auto& s : channel_states()) {
        nlohmann::json& e = entry(s.channel);
        e["state"] = s.state;
        e["last_error"] = s.last_error;
    }
    nlohmann::json arr = nlohmann::json::array();
    for (auto& [k, v] : by) arr.push_back(v);
    auto last = db_.query_one("SELECT COALESCE(MAX(id), 0) FROM live_alerts");
    return {{"channels", arr}, {"alerts", last ? last->as_int(0) : 0},
            {"routed_until", routed_until()}};
}

} // namespace aurum
