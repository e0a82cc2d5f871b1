#include "support/postgres_server.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pwd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <mutex>
#include <random>
#include <sstream>
#include <stdexcept>

namespace aurum::test {

namespace fs = std::filesystem;

namespace {

std::string read_file(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

// PostgreSQL refuses to run as root; then every server command runs as this account.
const passwd* server_account() {
    if (::geteuid() != 0)
        return nullptr;
    return ::getpwnam("postgres");
}

std::vector<std::string> as_server_user(std::vector<std::string> argv) {
    if (::geteuid() != 0)
        return argv;
    for (const char* runuser : {"/usr/sbin/runuser", "/sbin/runuser"}) {
        if (fs::exists(runuser)) {
            std::vector<std::string> out{runuser, "-u", "postgres", "--"};
            out.insert(out.end(), argv.begin(), argv.end());
            return out;
        }
    }
    std::string cmd;
    for (const auto& a : argv)
        cmd += "'" + a + "' ";
    return {"/bin/su", "postgres", "-s", "/bin/sh", "-c", cmd};
}

void chown_to_server(const fs::path& p) {
    if (const passwd* pw = server_account()) {
        if (::chown(p.c_str(), pw->pw_uid, pw->pw_gid) != 0)
            throw std::runtime_error("cannot chown " + p.string() + " to postgres");
    }
}

int free_port() {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    socklen_t len = sizeof addr;
    if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
        if (fd >= 0)
            ::close(fd);
        throw std::runtime_error("cannot find a free port on 127.0.0.1");
    }
    const int port = ntohs(addr.sin_port);
    ::close(fd);
    return port;
}

fs::path unique_temp(const std::string& stem) {
    static std::atomic<int> counter{0};
    std::random_device rd;
    return fs::temp_directory_path() /
           (stem + "-" + std::to_string(::getpid()) + "-" + std::to_string(counter++) + "-" +
            std::to_string(rd() % 100000));
}

// initdb takes seconds; ctest runs every test case in its own process, so the initialised cluster
// is made once per machine (atomically renamed into place) and copied for each server.
fs::path cluster_template(const fs::path& bin) {
    const std::string version = bin.parent_path().filename().string();
    const fs::path final_dir = fs::temp_directory_path() / ("aurum-pg-template-v2-" + version +
                                                            "-uid" + std::to_string(::geteuid()));
    if (fs::exists(final_dir / "data" / "PG_VERSION"))
        return final_dir;
    const fs::path tmp = unique_temp("aurum-pg-template-tmp");
    fs::create_directories(tmp);
    chown_to_server(tmp);
    std::string out;
    const int rc =
        run_program(as_server_user({(bin / "initdb").string(), "-D", (tmp / "data").string(), "-U",
                                    "aurum", "--auth=trust", "--no-sync", "-E", "UTF8",
                                    "--locale=C", "--wal-segsize=1"}),
                    &out);
    if (rc != 0) {
        std::error_code ec;
        fs::remove_all(tmp, ec);
        throw std::runtime_error("initdb failed (exit " + std::to_string(rc) + "):\n" + out);
    }
    std::error_code ec;
    fs::rename(tmp, final_dir, ec);
    if (ec)
        fs::remove_all(tmp, ec); // another process won the race: use its copy
    if (!fs::exists(final_dir / "data" / "PG_VERSION"))
        throw std::runtime_error("cannot prepare the PostgreSQL template in " + final_dir.string());
    return final_dir;
}

std::mutex& shared_mutex() {
    static std::mutex m;
    return m;
}

std::string& shared_failure() {
    static std::string why;
    return why;
}

} // namespace

int run_program(const std::vector<std::string>& argv, std::string* output) {
    const fs::path out_path = unique_temp("aurum-cmd-out");
    const pid_t pid = ::fork();
    if (pid < 0)
        throw std::runtime_error("fork failed");
    if (pid == 0) {
        const int out = ::open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        const int in = ::open("/dev/null", O_RDONLY);
        ::dup2(out, 1);
        ::dup2(out, 2);
        ::dup2(in, 0);
        ::chdir("/"); // the server account may not be able to read the caller's cwd
        std::vector<char*> args;
        std::vector<std::string> copy = argv;
        for (auto& a : copy)
            args.push_back(a.data());
        args.push_back(nullptr);
        ::execv(args[0], args.data());
        ::_exit(127);
    }
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (output)
        *output = read_file(out_path);
    std::error_code ec;
    fs::remove(out_path, ec);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

fs::path PostgresServer::bin_dir() {
    if (const char* env = std::getenv("AURUM_PG_BIN"); env && *env)
        return env;
    const fs::path base = "/usr/lib/postgresql";
    std::vector<fs::path> found;
    std::error_code ec;
    if (fs::is_directory(base, ec)) {
        for (const auto& e : fs::directory_iterator(base, ec))
            if (fs::exists(e.path() / "bin" / "initdb") && fs::exists(e.path() / "bin" / "pg_ctl"))
                found.push_back(e.path() / "bin");
    }
    if (found.empty())
        return {};
    std::sort(found.begin(), found.end(), [](const fs::path& a, const fs::path& b) {
        return std::stoi(a.parent_path().filename().string()) <
               std::stoi(b.parent_path().filename().string());
    });
    return found.back();
}

std::string PostgresServer::unavailable_reason() {
    if (!shared_failure().empty())
        return shared_failure();
    return "PostgreSQL server binaries (initdb, pg_ctl) not found under /usr/lib/postgresql/*/bin "
           "(install Debian's postgresql package with scripts/setup, or set AURUM_PG_BIN)";
}

PostgresServer* PostgresServer::shared() {
    std::lock_guard lock(shared_mutex());
    static std::unique_ptr<PostgresServer> server;
    static bool tried = false;
    if (!tried) {
        tried = true;
        if (bin_dir().empty())
            return nullptr;
        if (::geteuid() == 0 && !server_account()) {
            shared_failure() = "running as root and there is no `postgres` account to run the "
                               "PostgreSQL server as (PostgreSQL refuses to run as root)";
            return nullptr;
        }
        server = std::make_unique<PostgresServer>(); // a failure to start throws: the test fails
    }
    return server.get();
}

PostgresServer::PostgresServer() {
    const fs::path bin = bin_dir();
    if (bin.empty())
        throw std::runtime_error(unavailable_reason());
    const fs::path tmpl = cluster_template(bin);
    root_ = unique_temp("aurum-pg");
    fs::create_directories(root_ / "sock");
    chown_to_server(root_);
    chown_to_server(root_ / "sock");
    data_ = root_ / "data";
    std::string out;
    // cp -a keeps the owner and the 0700 mode PostgreSQL insists on.
    if (run_program({"/bin/cp", "-a", (tmpl / "data").string(), data_.string()}, &out) != 0)
        throw std::runtime_error("cannot copy the PostgreSQL template: " + out);
    start();
}

PostgresServer::~PostgresServer() {
    stop();
    std::error_code ec;
    fs::remove_all(root_, ec);
}

void PostgresServer::start() {
    const fs::path bin = bin_dir();
    std::string last_error;
    for (int attempt = 0; attempt < 3 && !running_; ++attempt) {
        port_ = free_port();
        const std::string opts = "-c listen_addresses=127.0.0.1 -p " + std::to_string(port_) +
                                 " -k " + (root_ / "sock").string() +
                                 " -c fsync=off -c synchronous_commit=off"
                                 " -c full_page_writes=off -c max_connections=40"
                                 " -c shared_buffers=32MB";
        std::string out;
        const int rc = run_program(as_server_user({(bin / "pg_ctl").string(), "-D", data_.string(),
                                                   "-l", (root_ / "server.log").string(), "-w",
                                                   "-t", "60", "-o", opts, "start"}),
                                   &out);
        if (rc == 0) {
            running_ = true;
        } else {
            last_error = "pg_ctl start failed (exit " + std::to_string(rc) + "): " + out +
                         "\nserver log:\n" + log_tail();
        }
    }
    if (!running_)
        throw std::runtime_error(last_error);
}

void PostgresServer::stop() noexcept {
    if (!running_)
        return;
    running_ = false;
    try {
        run_program(as_server_user({(bin_dir() / "pg_ctl").string(), "-D", data_.string(), "-m",
                                    "immediate", "-w", "stop"}));
    } catch (...) {
    }
}

std::string PostgresServer::log_tail() const {
    const std::string log = read_file(root_ / "server.log");
    return log.size() > 4000 ? log.substr(log.size() - 4000) : log;
}

std::string PostgresServer::url_for(const std::string& database) const {
    return "postgresql://aurum@127.0.0.1:" + std::to_string(port_) + "/" + database;
}

std::string PostgresServer::fresh_database() {
    // A schema first on the search path isolates a test as well as a database would, and costs
    // milliseconds where CREATE DATABASE costs most of a second.
    const std::string schema = "aurum_t" + std::to_string(++databases_created_);
    std::string out;
    if (run_program({(bin_dir() / "psql").string(), "-h", "127.0.0.1", "-p", std::to_string(port_),
                     "-U", "aurum", "-d", database_, "-q", "-v", "ON_ERROR_STOP=1", "-c",
                     "CREATE SCHEMA " + schema},
                    &out) != 0)
        throw std::runtime_error("CREATE SCHEMA " + schema + " failed: " + out);
    return url_for(database_) + "?options=-csearch_path%3D" + schema;
}

std::string backend_spec(const std::string& backend, const std::filesystem::path& dir) {
    if (backend == "sqlite")
        return (dir / "test.db").string();
    if (backend != "postgres")
        throw std::runtime_error("backend_spec: unknown backend '" + backend + "'");
    PostgresServer* pg = PostgresServer::shared();
    return pg ? pg->fresh_database() : std::string();
}

} // namespace aurum::test
