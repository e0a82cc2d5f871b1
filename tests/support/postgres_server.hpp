#pragma once
// A real PostgreSQL server for tests: its own cluster in a temp dir, listening on 127.0.0.1 on a
// free port (and a unix socket in the temp dir), stopped and removed when the test binary exits.
// initdb runs once per machine into a cached template (temp dir); each server starts from a copy.
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "support/test_support.hpp"

namespace aurum::test {

/// One PostgreSQL server (initdb + pg_ctl). When the process runs as root the server runs as the
/// unprivileged `postgres` user, because PostgreSQL refuses to run as root.
class PostgresServer {
  public:
    /// Starts a server. Throws std::runtime_error (with the server log) when it cannot.
    PostgresServer();
    ~PostgresServer();
    PostgresServer(const PostgresServer&) = delete;
    PostgresServer& operator=(const PostgresServer&) = delete;

    /// The server shared by every test of this binary, started on first use; nullptr when the
    /// PostgreSQL binaries are not installed (see unavailable_reason()).
    static PostgresServer* shared();
    /// Why shared() returned nullptr.
    static std::string unavailable_reason();
    /// Directory of initdb/pg_ctl/postgres, or empty when not installed.
    static std::filesystem::path bin_dir();

    int port() const { return port_; }
    /// URL of the server's default database ("postgres", empty at start).
    std::string url() const { return url_for(database_); }
    /// postgresql://aurum@127.0.0.1:<port>/<name>
    std::string url_for(const std::string& database) const;
    /// URL of a new, empty namespace for one test: a fresh schema put first on the search path
    /// of every connection made with this URL (unqualified tables land there).
    std::string fresh_database();

  private:
    void start();
    void stop() noexcept;
    std::string log_tail() const;

    std::filesystem::path root_; ///< temp dir holding data/, sockets and the log
    std::filesystem::path data_;
    int port_ = 0;
    std::string database_ = "postgres";
    int databases_created_ = 0;
    bool running_ = false;
};

/// The database of one test parametrized by backend: "sqlite" is a file in `dir`, "postgres" a
/// fresh schema on the shared server. Empty when PostgreSQL is not installed (skip the test with
/// PostgresServer::unavailable_reason()).
std::string backend_spec(const std::string& backend, const std::filesystem::path& dir);

/// A test parametrized by backend (INSTANTIATE with "sqlite" and "postgres"): spec_ is a fresh
/// database of that kind. A derived SetUp calls this one first and returns when IsSkipped().
class BackendTest : public ::testing::TestWithParam<std::string> {
  protected:
    void SetUp() override {
        spec_ = backend_spec(GetParam(), tmp_.path());
        if (spec_.empty())
            GTEST_SKIP() << PostgresServer::unavailable_reason();
    }

    TempDir tmp_;
    std::string spec_;
};

/// Runs a program (no shell), waits, and returns its exit code; its output goes to `output`.
int run_program(const std::vector<std::string>& argv, std::string* output = nullptr);

} // namespace aurum::test

/// Declares `PostgresServer* var`, skipping the test with a clear message when PostgreSQL is not
/// installed. A server that is installed but fails to start fails the test instead.
#define AURUM_REQUIRE_POSTGRES(var)                                                                \
    ::aurum::test::PostgresServer* var = ::aurum::test::PostgresServer::shared();                  \
    if (!var)                                                                                      \
    GTEST_SKIP() << ::aurum::test::PostgresServer::unavailable_reason()
