// sdhls: the sparsedse HLS module library (hls.md §4). One header for all modules.
#ifndef SDHLS_SDHLS_HPP
#define SDHLS_SDHLS_HPP

#include "activation.hpp"
#include "common.hpp"
#include "conv.hpp"
#include "eltwise.hpp"
#include "mem.hpp"
#include "pool.hpp"
#include "sliding_window.hpp"
#include "sparse.hpp"
#include "stream_ops.hpp"

#endif  // SDHLS_SDHLS_HPP
