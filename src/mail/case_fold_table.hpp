// The generated simple case folding table (case_fold_table.cpp, written by
// tools/gen_case_fold.py); used by case_fold.cpp only.
#pragma once

#include <cstddef>
#include <cstdint>

namespace ringpost::mail::detail {

struct FoldRun {
    uint32_t first;
    uint32_t last;
    int32_t delta;
    uint32_t step;   // 1: every code point in [first, last]; 2: every other one
};

extern const FoldRun kFoldRuns[];   // ascending, not overlapping
extern const size_t kFoldRunCount;

}  // namespace ringpost::mail::detail
