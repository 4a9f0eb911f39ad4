// Fuzz target: the TOML configuration (src/config/config_toml.cpp: toml++ and
// every key's checks). A bad file must give config::ConfigError with one line that
// names the file -- never another exception, a crash or a silent default.
#include <string>

#include "config/config.hpp"
#include "fuzz_input.hpp"
#include "quiet_log.hpp"

using namespace ringpost;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string_view text(reinterpret_cast<const char*>(data), size);
    try {
        config::Config c = config::parse_config(text, "fuzz.toml");
        FUZZ_CHECK(c.source == "fuzz.toml");
        (void)config::describe_config(c);
    } catch (const config::ConfigError& e) {
        std::string_view what = e.what();
        FUZZ_CHECK(what.substr(0, 10) == "fuzz.toml:");
        FUZZ_CHECK(what.find('\n') == std::string_view::npos);
    }
    return 0;
}
