#include "cli/cli_context.hpp"

int main(int argc, char** argv) { return aurum::run_cli(argc, argv); }
