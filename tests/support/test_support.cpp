#include "support/test_support.hpp"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <fstream>
#include <random>
#include <sstream>

namespace aurum::test {

namespace fs = std::filesystem;

TempDir::TempDir() {
    static std::atomic<int> counter{0};
    std::random_device rd;
    const std::string name = "aurum-test-" + std::to_string(::getpid()) + "-" +
                             std::to_string(counter++) + "-" + std::to_string(rd() % 100000);
    path_ = fs::temp_directory_path() / name;
    fs::create_directories(path_);
}

TempDir::~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
}

fs::path shared_data(const std::string& relative) {
    const fs::path p = fs::path(AURUM_SHARED_DATA) / relative;
    return fs::exists(p) ? p : fs::path{};
}

fs::path test_data(const std::string& relative) { return fs::path(AURUM_TEST_DATA) / relative; }

fs::path source_file(const std::string& relative) { return fs::path(AURUM_SOURCE_DIR) / relative; }

void write_text(const fs::path& path, const std::string& text) {
    if (path.has_parent_path()) fs::create_directories(path.parent_path());
    std::ofstream out(path, std::ios::binary);
    out << text;
}

namespace {
std::string slurp(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}
} // namespace

CliResult run_aurum(const std::vector<std::string>& args) {
    std::vector<std::string> argv{AURUM_CLI};
    argv.insert(argv.end(), args.begin(), args.end());
    return run_command(argv);
}

CliResult run_command(const std::vector<std::string>& argv_in) {
    TempDir tmp;
    const fs::path out_path = tmp / "stdout", err_path = tmp / "stderr";
    const pid_t pid = ::fork();
    if (pid == 0) {
        const int out = ::open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        const int err = ::open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        const int in = ::open("/dev/null", O_RDONLY);
        ::dup2(out, 1);
        ::dup2(err, 2);
        ::dup2(in, 0);
        std::vector<char*> argv;
        std::vector<std::string> copy = argv_in;
        for (auto& a : copy) argv.push_back(a.data());
        argv.push_back(nullptr);
        ::execvp(argv[0], argv.data());
        ::_exit(127);
    }
    int status = 0;
    ::waitpid(pid, &status, 0);
    CliResult r;
    r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    r.out = slurp(out_path);
    r.err = slurp(err_path);
    return r;
}

void copy_tree(const std::filesystem::path& from, const std::filesystem::path& to) {
    namespace fs = std::filesystem;
    for (const auto& e : fs::recursive_directory_iterator(from)) {
        const fs::path dst = to / fs::relative(e.path(), from);
        if (e.is_directory()) {
            fs::create_directories(dst);
        } else if (e.is_regular_file()) {
            std::ifstream in(e.path(), std::ios::binary);
            std::ofstream out(dst, std::ios::binary | std::ios::trunc);
            if (fs::file_size(e.path()) > 0) out << in.rdbuf(); // (an empty one sets failbit)
            ASSERT_TRUE(out.good()) << "copying " << e.path();
        }
    }
}

} // namespace aurum::test
