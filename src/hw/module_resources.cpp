// Module resource model: the linear coefficients of §6.3 with the analytical overrides of §6.2–§6.4.
#include <numeric>

#include "sparsedse/hw/modules.hpp"
#include "sparsedse/hw/primitives.hpp"

namespace sparsedse::hw {

namespace {

template <std::size_t N>
std::int64_t dot(const double (&beta)[N], const double (&u)[N]) {
  double s = 0.0;
  for (std::size_t i = 0; i < N; ++i) s += beta[i] * u[i];
  return trunc_int(s);
}

// A FIFO goes to BRAM when the fifo rule charges any, else to LUTRAM (§6.4).
struct Fifo {
  std::int64_t bram = 0, lutram = 0;
};
Fifo fifo(std::int64_t depth, std::int64_t width, std::int64_t copies) {
  const std::int64_t b = bram18(depth, width, RamKind::fifo);
  if (b > 0) return {b * copies, 0};
  return {0, lutram(depth, width) * copies};
}

double dsp_packing(int dw, int ww) {
  if (ww <= 4 && dw <= 4) return 0.25;
  if (ww <= 8 && dw <= 8) return 0.5;
  return 1.0;
}

}  // namespace

WindowBuffers window_buffers(const Module& m) {
  const std::int64_t sd = std::int64_t{m.streams} * m.data_width;
  const std::int64_t ch = m.channels;
  const std::int64_t kr = m.kernel_rows, kc = m.kernel_cols;
  const Fifo line = fifo(ch * (m.cols + m.pad_left + m.pad_right), (kr - 1) * sd, 1);
  const Fifo window = fifo(ch, (kc - 1) * sd, kr);
  const Fifo frame = fifo(2, sd, kr * kc);
  return {line.bram, window.bram, frame.bram, line.lutram, window.lutram, frame.lutram};
}

Resources resources(const Module& m, const Coefficients& b) {
  Resources r;
  const double st = m.streams, dw = m.data_width, ww = m.weight_width, acc = m.acc_width;
  const double kr = m.kernel_rows, kc = m.kernel_cols, kk = kr * kc;
  switch (m.kind) {
    case ModuleKind::pad:
    case ModuleKind::relu:
      r.lut = b.relu_lut;
      r.ff = b.relu_ff;
      break;
    case ModuleKind::sliding_window: {
      const double sd = st * dw;
      const std::int64_t logic = dot(b.sw_logic, {sd, kr - 1, kr * (kc - 1), sd * (kr - 1), sd * kr * (kc - 1)});
      r.ff = dot(b.sw_ff, {double(int2bits(m.rows)), double(int2bits(m.cols)), double(int2bits(m.channels)), sd,
                           sd * kk, kk, sd * (kr - 1), sd * kr * (kc - 1), kk, 1});
      const WindowBuffers buf = window_buffers(m);
      r.lut = logic + buf.line_lutram + buf.window_lutram + buf.frame_lutram;
      r.bram = buf.line_bram + buf.window_bram + buf.frame_bram;
      break;
    }
    case ModuleKind::squeeze: {
      const std::int64_t cin = m.coarse_in, cout = m.coarse_out;
      const std::int64_t buf = std::lcm(cin, cout);
      const double sd = st * dw;
      const double bi = double(buf / cin), bo = double(buf / cout);
      const std::int64_t logic = dot(b.squeeze_logic, {bi, sd * cout * bo, bi, bo, double(cin), double(cout), sd * cout, 1});
      const Fifo f = fifo(buf / cin + 1, std::int64_t{m.streams} * m.data_width, buf);
      const std::int64_t lutram_lut = dot(b.squeeze_lutram, {double(f.lutram)});
      r.lut = logic + lutram_lut;
      r.bram = f.bram;
      r.ff = dot(b.squeeze_ff, {double(int2bits(buf / cin)), double(buf), sd * cout, double(cout),
                                double(cout * int2bits(buf / cout)), 1});
      break;
    }
    case ModuleKind::fork: {
      const double pk = kk, co = m.coarse_out;
      r.lut = dot(b.fork_logic, {st * pk, st * dw * pk, st * pk * co, st * dw * pk * co, 1});
      r.ff = dot(b.fork_ff, {st * pk, st * dw * pk * co, 1});
      break;
    }
    case ModuleKind::vector_dot: {
      const double fine = m.fine, f = m.filters;
      const double ibf = int2bits(m.fine) + 1;
      const std::int64_t logic = dot(b.vd_logic, {fine, dw, ww, st * dw * fine, st * ww * fine, st * acc * fine, f,
                                                  double(int2bits(m.filters)), 1});
      const std::int64_t lutram_lut =
          dot(b.vd_lutram, {double(lutram(int2bits(m.fine) + 1, std::int64_t{m.streams} * m.acc_width)), 1});
      const std::int64_t lutsr = dot(b.vd_lutsr, {ibf});
      r.lut = logic + lutram_lut + lutsr;
      r.ff = dot(b.vd_ff, {acc, f, fine, double(int2bits(m.filters)), ibf, st * acc * fine, st * acc, 1});
      r.dsp = ceil_int(static_cast<double>(std::int64_t{m.streams} * m.fine * dsp(m.data_width, m.weight_width)) *
                       dsp_packing(m.data_width, m.weight_width));
      break;
    }
    case ModuleKind::sparse_vector_dot: {
      // Features are per instance (§6.6: no data packing); `streams` instances.
      const double fine = m.fine, f = m.filters;
      const double ibf = int2bits(m.fine) + 1;
      const std::int64_t logic = dot(b.svd_logic, {fine, dw, ww, dw * fine, ww * fine, acc * fine, f,
                                                   double(int2bits(m.filters)), 1});
      const std::int64_t lutram_lut = dot(b.svd_lutram, {double(lutram(int2bits(m.fine) + 3, m.acc_width)), 1});
      const std::int64_t lutsr = dot(b.svd_lutsr, {ibf});
      Resources one;
      one.lut = logic + lutram_lut + lutsr;
      one.ff = dot(b.svd_ff, {acc, double(int2bits(m.filters)), ibf, acc * fine, 1});
      one.dsp = std::int64_t{m.fine} * dsp(m.data_width, m.weight_width);
      r = one * m.streams;
      break;
    }
    case ModuleKind::accum: {
      const double f = m.filters, ch = m.channels, sd = st * dw;
      r.lut = dot(b.accum_logic, {f, ch, sd, st, double(int2bits(m.channels)), double(int2bits(m.filters)), 1}) +
              dot(b.accum_lutram, {double(lutram(2, std::int64_t{m.streams} * m.data_width)), sd * f, sd, st * f});
      r.ff = dot(b.accum_ff, {dw, sd, double(int2bits(m.channels)), double(int2bits(m.filters)), ch, f, 1});
      break;
    }
    case ModuleKind::glue: {
      const double cin = m.coarse_in, sd = st * dw;
      const double ib = int2bits(m.coarse_in);
      r.lut = dot(b.glue_logic, {sd * cin, sd * ib, cin, 1}) +
              dot(b.glue_lutram, {double(lutram(int2bits(m.coarse_in) + 1, std::int64_t{m.streams} * m.data_width)), 1}) +
              dot(b.glue_lutsr, {ib, 1});
      r.ff = dot(b.glue_ff, {cin, sd, ib, sd * double(std::int64_t{1} << int2bits(m.coarse_in)), sd * cin, 1});
      break;
    }
    case ModuleKind::bias: {
      const double sd = st * dw;
      r.lut = dot(b.bias_logic, {sd}) + dot(b.bias_lutram, {sd * m.filters});
      r.ff = dot(b.bias_ff, {sd, double(int2bits(m.filters)), 1});
      break;
    }
    case ModuleKind::pool: {
      const double sd = st * dw, ib = int2bits(m.kernel_rows * m.kernel_cols);
      r.lut = dot(b.pool_logic, {kk, sd * kk, sd * ib, kr, kc, 1}) +
              dot(b.pool_lutram, {double(lutram(int2bits(m.kernel_rows * m.kernel_cols) + 1,
                                                std::int64_t{m.streams} * m.data_width)), 1});
      r.ff = dot(b.pool_ff, {sd, sd * kk, ib, 1});
      break;
    }
    case ModuleKind::global_pool: {
      const double ibc = int2bits(m.channels), ibp = int2bits(std::int64_t{m.rows} * m.cols);
      r.lut = dot(b.gpool_logic, {acc, dw, ibc, ibp, 1}) + dot(b.gpool_lutram, {double(lutram(4, m.data_width))});
      r.ff = dot(b.gpool_ff, {dw, ibc, ibp, acc * m.channels, 1});
      r.dsp = dsp(m.data_width, m.acc_width);
      break;
    }
    case ModuleKind::eltwise:
    case ModuleKind::concat:  // no coefficient set upstream: charged like an eltwise (ours)
      r.lut = b.eltwise_lut;
      r.ff = b.eltwise_ff;
      r.dsp = m.kind == ModuleKind::eltwise && m.multiply ? 1 : 0;
      if (m.broadcast) r.bram = bram18(m.channels, m.data_width, RamKind::fifo);
      break;
  }
  return r;
}

}  // namespace sparsedse::hw
