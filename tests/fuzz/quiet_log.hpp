// Included by the targets whose code logs (sessions answering errors,
// config warnings): on stderr every such line would slow the fuzzer down
// and bury its report, so only errors are logged. Defines libFuzzer's
// initialisation hook: include it in one file per target.
#pragma once

#include "util/log.hpp"

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    ringpost::log::set_level(ringpost::log::Level::kError);
    return 0;
}
