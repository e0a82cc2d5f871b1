// The alert outbox behaves the same on SQLite and PostgreSQL: alerts written in the caller's
// transaction (gone when it rolls back), per-channel deliveries idempotent, acknowledgements,
// the router's cursor and the status `aurum health` shows.
#include <gtest/gtest.h>

#include "data/database.hpp"
#include "live/alert_outbox.hpp"
#include "live/session_alerts.hpp"
#include "support/postgres_server.hpp"

namespace aurum {
namespace {

class AlertStoreContract : public test::BackendTest {
  protected:
    void SetUp() override {
        BackendTest::SetUp();
        if (IsSkipped()) return;
        db_ = open_database(spec_);
        st_ = std::make_unique<AlertStore>(*db_);
    }
    std::unique_ptr<Database> db_;
    std::unique_ptr<AlertStore> st_;
};

INSTANTIATE_TEST_SUITE_P(Backends, AlertStoreContract, ::testing::Values("sqlite", "postgres"),
                         [](const auto& info) { return info.param; });

AlertEvent event(TimeMs t, const std::string& title, AlertSeverity s = AlertSeverity::Warning) {
    AlertEvent e = make_alert(t, "test", s, title, "text with \"quotes\" and <html>", "k:" + title);
    e.data = {{"signal_id", 7}, {"nested", {{"x", 1.5}}}};
    return e;
}

TEST_P(AlertStoreContract, alerts_are_written_only_when_the_event_transaction_commits) {
    {
        Transaction tx(*db_);
        st_->insert(event(1000, "rolled back"));
    } // destroyed uncommitted: rolled back with the event
    EXPECT_TRUE(st_->alerts_after(0, 10).empty());
    {
        Transaction tx(*db_);
        EXPECT_EQ(st_->insert(event(1000, "a")), 1);
        EXPECT_EQ(st_->insert(event(2000, "b", AlertSeverity::Critical)), 2);
        tx.commit();
    }
    auto other = open_database(spec_); // what the delivery worker sees on its own connection
    AlertStore w(*other);
    const auto got = w.alerts_after(0, 10);
    ASSERT_EQ(got.size(), 2u);
    EXPECT_EQ(got[0].title, "a");
    EXPECT_EQ(got[1].severity, AlertSeverity::Critical);
    EXPECT_EQ(got[0].text, "text with \"quotes\" and <html>");
    EXPECT_EQ(got[0].data["nested"]["x"], 1.5);
    EXPECT_EQ(w.alerts_after(1, 10).size(), 1u);
}

TEST_P(AlertStoreContract, deliveries_are_per_channel_and_idempotent) {
    const auto id = st_->insert(event(1000, "a"));
    DeliveryRecord d{id, "telegram:1", "queued", 0, 1000, 0, 0, ""};
    st_->add_delivery(d);
    st_->add_delivery(d); // routed twice after a crash: still one row
    st_->add_delivery({id, "slack", "queued", 0, 1000, 0, 0, ""});
    EXPECT_EQ(st_->deliveries("telegram:1", "queued", 10).size(), 1u);
    d.status = "sent";
    d.sent_at = 1500;
    st_->update_delivery(d);
    EXPECT_TRUE(st_->deliveries("telegram:1", "queued", 10).empty());
    EXPECT_EQ(st_->delivery(id, "telegram:1")->sent_at, 1500);
    EXPECT_EQ(st_->deliveries("slack", "queued", 10).size(), 1u);
    st_->set_channel_state({"slack", "dead", "Slack webhook HTTP 404: no_service", 2000});
    const auto s = st_->delivery_status();
    ASSERT_EQ(s["channels"].size(), 2u);
    EXPECT_EQ(s["channels"][0]["channel"], "slack");
    EXPECT_EQ(s["channels"][0]["state"], "dead");
    EXPECT_EQ(s["channels"][0]["queued"], 1);
    EXPECT_EQ(s["channels"][1]["sent"], 1);
}

TEST_P(AlertStoreContract, acknowledgement_keeps_the_first_and_cursor_persists) {
    const auto id = st_->insert(event(1000, "a", AlertSeverity::Critical));
    EXPECT_FALSE(st_->acknowledge(99, 5, "nobody"));
    EXPECT_TRUE(st_->acknowledge(id, 2000, "cli"));
    EXPECT_TRUE(st_->acknowledge(id, 3000, "telegram"));
    EXPECT_EQ(st_->alert(id)->acked_at, 2000);
    EXPECT_EQ(st_->alert(id)->acked_by, "cli");
    EXPECT_EQ(st_->routed_until(), 0);
    st_->set_routed_until(id);
    EXPECT_EQ(AlertStore(*open_database(spec_)).routed_until(), id);
}

TEST_P(AlertStoreContract, dedup_looks_back_only_at_alerts_that_went_out) {
    const auto a = st_->insert(event(1000, "x"));
    const auto b = st_->insert(event(2000, "x"));
    EXPECT_FALSE(st_->previous_with_key("k:x", 0, a).has_value());
    EXPECT_FALSE(st_->previous_with_key("k:x", 0, b).has_value()); // a not routed yet
    st_->add_delivery({a, "slack", "sent", 0, 0, 1000, 0, ""});
    EXPECT_EQ(st_->previous_with_key("k:x", 0, b), a);
    EXPECT_FALSE(st_->previous_with_key("k:x", 1500, b).has_value()); // outside the window
    st_->add_delivery({b, "slack", "suppressed", 0, 0, 0, 0, ""});
    const auto c = st_->insert(event(3000, "x"));
    EXPECT_EQ(st_->previous_with_key("k:x", 0, c), a); // b itself was a duplicate
}

} // namespace
} // namespace aurum
