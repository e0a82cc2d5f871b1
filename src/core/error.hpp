#pragma once
// Typed errors caught at the CLI/API boundary and shown as a clear message with an exit code.
#include <stdexcept>
#include <string>

namespace aurum {

/// Exit codes shared by every command (DESIGN.md): 0 ok, 1 a check failed, 2 bad usage or input,
/// 3 a broken internal invariant (a defect of the program, not of the input).
enum class ExitCode : int { Ok = 0, CheckFailed = 1, BadInput = 2, Invariant = 3 };

/// Bad input from a user: a file, a flag, a config key, a symbol. Maps to exit code 2.
/// The message names the input (file:line, field, value).
class InputError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/// A check that ran and failed (validation, gating). Maps to exit code 1.
class CheckFailed : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/// An environment failure outside the user's input (database unreachable, network). Exit code 2.
class SystemError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/// A broken internal invariant: something the program itself guarantees did not hold. Not the
/// user's fault and not retryable; maps to exit code 3 and is logged at ERROR.
class InvariantError : public std::logic_error {
public:
    explicit InvariantError(const std::string& what)
        : std::logic_error("internal invariant broken: " + what) {}
};

} // namespace aurum
