// lepton_ap_int.h - bit-accurate ap_int<W> / ap_uint<W> (1 <= W <= 64) for C
// simulation without the vendor headers. Written for Lepton: it implements the
// subset of the Vitis HLS arbitrary-precision integer API that Lepton's
// generated code uses, with the vendor's results for every expression the
// generated code writes (each result is assigned to a variable of the
// operands' width, so the vendor's wider intermediate types truncate to the
// same bits as this file's wrap-around arithmetic).
#ifndef LEPTON_AP_INT_H
#define LEPTON_AP_INT_H

#include <cstdint>
#include <type_traits>

namespace lepton_ap_detail {

template <int W> constexpr uint64_t mask() { return W == 64 ? ~uint64_t(0) : (uint64_t(1) << W) - 1; }

// The W-bit two's complement value of the low W bits of `bits`.
template <int W> constexpr int64_t signExtend(uint64_t bits) {
  const uint64_t sign = uint64_t(1) << (W - 1);
  return (int64_t)(((bits & mask<W>()) ^ sign) - sign);
}

template <typename T>
using EnableIfInteger = typename std::enable_if<std::is_integral<T>::value, int>::type;

} // namespace lepton_ap_detail

template <int W> class ap_uint;

template <int W> class ap_int {
  static_assert(W >= 1 && W <= 64, "lepton_ap_int.h implements widths 1 to 64");

public:
  constexpr ap_int() : v(0) {}
  template <typename T, lepton_ap_detail::EnableIfInteger<T> = 0>
  constexpr ap_int(T x) : v(lepton_ap_detail::signExtend<W>((uint64_t)x)) {}
  template <int W2>
  constexpr ap_int(ap_int<W2> x) : v(lepton_ap_detail::signExtend<W>((uint64_t)x.to_int64())) {}
  template <int W2>
  constexpr ap_int(ap_uint<W2> x) : v(lepton_ap_detail::signExtend<W>(x.to_uint64())) {}

  constexpr int to_int() const { return (int)v; }
  constexpr int64_t to_int64() const { return v; }
  constexpr uint64_t to_uint64() const { return (uint64_t)v; }

  // Arithmetic on the bits, wrapping at W bits (no signed overflow in C++).
  friend constexpr ap_int operator+(ap_int a, ap_int b) { return ap_int((uint64_t)a.v + (uint64_t)b.v); }
  friend constexpr ap_int operator-(ap_int a, ap_int b) { return ap_int((uint64_t)a.v - (uint64_t)b.v); }
  friend constexpr ap_int operator*(ap_int a, ap_int b) { return ap_int((uint64_t)a.v * (uint64_t)b.v); }
  friend constexpr ap_int operator/(ap_int a, ap_int b) { return ap_int(a.v / b.v); }
  friend constexpr ap_int operator%(ap_int a, ap_int b) { return ap_int(a.v % b.v); }
  friend constexpr ap_int operator&(ap_int a, ap_int b) { return ap_int(a.v & b.v); }
  friend constexpr ap_int operator|(ap_int a, ap_int b) { return ap_int(a.v | b.v); }
  friend constexpr ap_int operator^(ap_int a, ap_int b) { return ap_int(a.v ^ b.v); }
  constexpr ap_int operator-() const { return ap_int(0 - (uint64_t)v); }
  constexpr ap_int operator~() const { return ap_int(~(uint64_t)v); }
  constexpr ap_int operator<<(int n) const { return ap_int((uint64_t)v << n); }
  // Arithmetic shift (floor), as the vendor's >> on a signed type.
  constexpr ap_int operator>>(int n) const { return ap_int(v >> n); }

  friend constexpr bool operator==(ap_int a, ap_int b) { return a.v == b.v; }
  friend constexpr bool operator!=(ap_int a, ap_int b) { return a.v != b.v; }
  friend constexpr bool operator<(ap_int a, ap_int b) { return a.v < b.v; }
  friend constexpr bool operator<=(ap_int a, ap_int b) { return a.v <= b.v; }
  friend constexpr bool operator>(ap_int a, ap_int b) { return a.v > b.v; }
  friend constexpr bool operator>=(ap_int a, ap_int b) { return a.v >= b.v; }

private:
  int64_t v; // always the sign-extended W-bit value
};

template <int W> class ap_uint {
  static_assert(W >= 1 && W <= 64, "lepton_ap_int.h implements widths 1 to 64");

public:
  constexpr ap_uint() : v(0) {}
  template <typename T, lepton_ap_detail::EnableIfInteger<T> = 0>
  constexpr ap_uint(T x) : v((uint64_t)x & lepton_ap_detail::mask<W>()) {}
  template <int W2>
  constexpr ap_uint(ap_int<W2> x) : v(x.to_uint64() & lepton_ap_detail::mask<W>()) {}
  template <int W2>
  constexpr ap_uint(ap_uint<W2> x) : v(x.to_uint64() & lepton_ap_detail::mask<W>()) {}

  constexpr unsigned to_uint() const { return (unsigned)v; }
  constexpr int64_t to_int64() const { return (int64_t)v; }
  constexpr uint64_t to_uint64() const { return v; }

  constexpr ap_uint operator>>(int n) const { return ap_uint(v >> n); }
  friend constexpr ap_uint operator/(ap_uint a, ap_uint b) { return ap_uint(a.v / b.v); }
  friend constexpr ap_uint operator%(ap_uint a, ap_uint b) { return ap_uint(a.v % b.v); }
  friend constexpr bool operator==(ap_uint a, ap_uint b) { return a.v == b.v; }
  friend constexpr bool operator!=(ap_uint a, ap_uint b) { return a.v != b.v; }
  friend constexpr bool operator<(ap_uint a, ap_uint b) { return a.v < b.v; }
  friend constexpr bool operator<=(ap_uint a, ap_uint b) { return a.v <= b.v; }
  friend constexpr bool operator>(ap_uint a, ap_uint b) { return a.v > b.v; }
  friend constexpr bool operator>=(ap_uint a, ap_uint b) { return a.v >= b.v; }

private:
  uint64_t v; // always the zero-extended W-bit value
};

#endif // LEPTON_AP_INT_H
