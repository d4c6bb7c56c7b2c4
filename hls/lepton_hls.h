// lepton_hls.h - the support library of Lepton's generated HLS C++.
//
// Number types: the vendor's ap_int/ap_uint when Vitis HLS builds the design
// (__SYNTHESIS__) or when LEPTON_VENDOR_TYPES is defined (C simulation with
// the vendor headers); Lepton's own bit-accurate lepton_ap_int.h otherwise.
// Helpers: the operations of Lepton's IR that C++ has no operator for, with
// MLIR's semantics (arith/math dialects), written so that Vitis HLS can
// synthesize them.
#ifndef LEPTON_HLS_H
#define LEPTON_HLS_H

#define LEPTON_HLS_LIBRARY_VERSION 4

#if defined(__SYNTHESIS__) || defined(LEPTON_VENDOR_TYPES)
#include <ap_int.h>
#include <hls_math.h>
#include <hls_stream.h>
#define LEPTON_MATH hls
#else
#include "lepton_ap_int.h"
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <deque>
#define LEPTON_MATH std

// Since version 4: the FIFOs between a stream design's processes. C
// simulation runs the processes one after the other, so a FIFO holds what
// its producer wrote until its consumer reads it; a read of an empty FIFO
// (a design that would deadlock) stops the simulation.
namespace hls {
template <typename T> class stream {
public:
  stream() = default;
  explicit stream(const char *name) : name(name) {}
  void write(const T &value) { values.push_back(value); }
  T read() {
    if (values.empty()) {
      std::fprintf(stderr, "lepton_hls: read from the empty FIFO %s\n", name);
      std::abort();
    }
    T value = values.front();
    values.pop_front();
    return value;
  }
  bool empty() const { return values.empty(); }

private:
  const char *name = "";
  std::deque<T> values;
};
} // namespace hls
#endif

namespace lepton_hls {

// arith.maxsi / minsi / maxui / minui.
template <int W> ap_int<W> smax(ap_int<W> a, ap_int<W> b) { return a < b ? b : a; }
template <int W> ap_int<W> smin(ap_int<W> a, ap_int<W> b) { return b < a ? b : a; }
template <int W> ap_int<W> umax(ap_int<W> a, ap_int<W> b) { return ap_uint<W>(a) < ap_uint<W>(b) ? b : a; }
template <int W> ap_int<W> umin(ap_int<W> a, ap_int<W> b) { return ap_uint<W>(b) < ap_uint<W>(a) ? b : a; }
inline int smax(int a, int b) { return a < b ? b : a; }
inline int smin(int a, int b) { return b < a ? b : a; }
// arith.shrui: a logical shift of the bits.
template <int W> ap_int<W> lshr(ap_int<W> a, int n) { return ap_int<W>(ap_uint<W>(a) >> n); }
// arith.cmpi with an unsigned predicate.
template <int W> ap_uint<W> bits(ap_int<W> a) { return ap_uint<W>(a); }
// Since version 3: arith.divui / remui on the bits, arith.floordivsi /
// ceildivsi (rounding toward -inf / +inf).
template <int W> ap_int<W> udiv(ap_int<W> a, ap_int<W> b) { return ap_int<W>(ap_uint<W>(a) / ap_uint<W>(b)); }
template <int W> ap_int<W> urem(ap_int<W> a, ap_int<W> b) { return ap_int<W>(ap_uint<W>(a) % ap_uint<W>(b)); }
template <int W> ap_int<W> floordiv(ap_int<W> a, ap_int<W> b) {
  ap_int<W> q = a / b;
  return (a % b != ap_int<W>(0) && ((a < ap_int<W>(0)) != (b < ap_int<W>(0)))) ? ap_int<W>(q - ap_int<W>(1)) : q;
}
template <int W> ap_int<W> ceildiv(ap_int<W> a, ap_int<W> b) {
  ap_int<W> q = a / b;
  return (a % b != ap_int<W>(0) && ((a < ap_int<W>(0)) == (b < ap_int<W>(0)))) ? ap_int<W>(q + ap_int<W>(1)) : q;
}

// Affine index arithmetic: floor division and a non-negative remainder.
inline int floordiv(int a, int b) { int q = a / b; return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q; }
inline int ceildiv(int a, int b) { return -floordiv(-a, b); }
inline int mod(int a, int b) { int r = a % b; return r < 0 ? r + b : r; }

// arith.maximumf / minimumf: NaN in, NaN out; -0 below +0.
inline float maximumf(float a, float b) {
  if (a != a || b != b) return a + b;
  if (a == b) return LEPTON_MATH::signbit(a) ? b : a;
  return a < b ? b : a;
}
inline float minimumf(float a, float b) {
  if (a != a || b != b) return a + b;
  if (a == b) return LEPTON_MATH::signbit(a) ? a : b;
  return b < a ? b : a;
}

// math.roundeven: to the nearest integer, ties to even.
inline float roundeven(float x) {
  float r = LEPTON_MATH::floor(x);
  float d = x - r;
  if (d > 0.5f || (d == 0.5f && LEPTON_MATH::fmod(r, 2.0f) != 0.0f)) r += 1.0f;
  return r;
}

inline float exp(float x) { return LEPTON_MATH::exp(x); }
inline float log(float x) { return LEPTON_MATH::log(x); }
inline float tanh(float x) { return LEPTON_MATH::tanh(x); }
inline float sqrt(float x) { return LEPTON_MATH::sqrt(x); }
inline float rsqrt(float x) { return 1.0f / LEPTON_MATH::sqrt(x); }
inline float erf(float x) { return LEPTON_MATH::erf(x); }
inline float floor(float x) { return LEPTON_MATH::floor(x); }
inline float ceil(float x) { return LEPTON_MATH::ceil(x); }
inline float fabs(float x) { return LEPTON_MATH::fabs(x); }
inline float pow(float x, float y) { return LEPTON_MATH::pow(x, y); }
inline float sin(float x) { return LEPTON_MATH::sin(x); }
inline float cos(float x) { return LEPTON_MATH::cos(x); }
// Since version 2: the trigonometric and hyperbolic functions ONNX has.
inline float tan(float x) { return LEPTON_MATH::tan(x); }
inline float sinh(float x) { return LEPTON_MATH::sinh(x); }
inline float cosh(float x) { return LEPTON_MATH::cosh(x); }
inline float asin(float x) { return LEPTON_MATH::asin(x); }
inline float acos(float x) { return LEPTON_MATH::acos(x); }
inline float atan(float x) { return LEPTON_MATH::atan(x); }
inline float asinh(float x) { return LEPTON_MATH::asinh(x); }
inline float acosh(float x) { return LEPTON_MATH::acosh(x); }
inline float atanh(float x) { return LEPTON_MATH::atanh(x); }
inline float fmod(float x, float y) { return LEPTON_MATH::fmod(x, y); }
inline float copysign(float x, float y) { return LEPTON_MATH::copysign(x, y); }

} // namespace lepton_hls

#endif // LEPTON_HLS_H
