#pragma once
// PostgreSQL backend of Database (libpqxx).
#include <memory>
#include <string>

#include "data/database.hpp"

namespace aurum {

/// True for "postgresql://..." and "postgres://..." specs.
bool is_postgres_spec(const std::string& spec);

/// Connects to a postgresql:// URL. Throws InputError for a malformed URL, SystemError when the
/// server cannot be reached (the message names host and port, never the password).
std::unique_ptr<Database> open_postgres_database(const std::string& url);

} // namespace aurum
