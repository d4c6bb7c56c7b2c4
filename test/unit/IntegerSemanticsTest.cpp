//===- IntegerSemanticsTest.cpp - the compress dialect's integer rules ----===//
#include "dialects/compress/IntegerSemantics.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

using namespace lepton::compress;

namespace {

TEST(FixedPointMultiplier, EncodesWithinHalfAStep) {
  std::mt19937_64 rng(1);
  std::uniform_real_distribution<double> exponent(-32, 30);
  for (int i = 0; i < 100000; ++i) {
    double real = std::exp2(exponent(rng));
    std::optional<FixedPointMultiplier> m = encodeMultiplier(real);
    ASSERT_TRUE(m) << real;
    EXPECT_GE(m->multiplier, 1 << 30);
    EXPECT_GE(m->shift, 1);
    EXPECT_LE(m->shift, 62);
    // The nearest multiplier: within half a unit of the 31-bit mantissa.
    double encoded = std::ldexp(double(m->multiplier), -m->shift);
    EXPECT_LE(std::fabs(encoded - real), std::ldexp(real, -31) * 1.0000001) << real;
  }
}

TEST(FixedPointMultiplier, PowersOfTwoAndRoundingUpToTheNextOctave) {
  EXPECT_EQ(encodeMultiplier(1.0)->multiplier, 1 << 30);
  EXPECT_EQ(encodeMultiplier(1.0)->shift, 30);
  EXPECT_EQ(encodeMultiplier(0.5)->shift, 31);
  // Just below 1: the mantissa rounds to 2^31 and moves to the next octave.
  double nearlyOne = 1.0 - std::ldexp(1.0, -40);
  EXPECT_EQ(encodeMultiplier(nearlyOne)->multiplier, 1 << 30);
  EXPECT_EQ(encodeMultiplier(nearlyOne)->shift, 30);
}

TEST(Rescale, HighHalfFormEqualsTheDefinitionForShiftsFrom33) {
  std::mt19937_64 rng(7);
  std::uniform_int_distribution<int32_t> value(INT32_MIN, INT32_MAX);
  std::uniform_int_distribution<int32_t> multiplier(1 << 30, INT32_MAX);
  std::uniform_int_distribution<int32_t> shift(33, 62);
  for (int i = 0; i < 1000000; ++i) {
    FixedPointMultiplier m{multiplier(rng), shift(rng)};
    // Values of every magnitude, and the extremes.
    int32_t v = i % 4 == 0 ? value(rng) : value(rng) >> (i % 31);
    if (i < 4)
      v = i == 0 ? INT32_MIN : i == 1 ? INT32_MAX : i == 2 ? -1 : 0;
    ASSERT_EQ(int64_t(rescaleHigh(v, m)), rescale(v, m))
        << v << " * " << m.multiplier << " >> " << m.shift;
  }
}

TEST(Rescale, PowerOfTwoFormEqualsTheDefinition) {
  std::mt19937_64 rng(11);
  std::uniform_int_distribution<int32_t> value(INT32_MIN, INT32_MAX);
  for (int32_t shift = 33; shift <= 62; ++shift)
    for (int i = 0; i < 100000; ++i) {
      FixedPointMultiplier m{1 << 30, shift};
      int32_t v = i % 4 == 0 ? value(rng) : value(rng) >> (i % 31);
      if (i < 4)
        v = i == 0 ? INT32_MIN : i == 1 ? INT32_MAX : i == 2 ? -1 : 0;
      ASSERT_EQ(int64_t(rescalePowerOfTwo(v, m)), rescale(v, m)) << v << " >> " << shift;
    }
}

TEST(FixedPointMultiplier, RejectsRatiosOutsideTheRange) {
  EXPECT_FALSE(encodeMultiplier(0.0));
  EXPECT_FALSE(encodeMultiplier(-0.5));
  EXPECT_FALSE(encodeMultiplier(std::ldexp(1.0, -33)));
  EXPECT_FALSE(encodeMultiplier(std::ldexp(1.0, 30)));
  EXPECT_FALSE(encodeMultiplier(NAN));
  EXPECT_FALSE(encodeMultiplier(INFINITY));
  EXPECT_TRUE(encodeMultiplier(std::ldexp(1.0, -32)));
}

TEST(Rescale, RoundsHalfUp) {
  FixedPointMultiplier half = *encodeMultiplier(0.5);
  for (int64_t v = -9; v <= 9; ++v)
    EXPECT_EQ(rescale(v, half), int64_t(std::floor(v / 2.0 + 0.5))) << v;
  EXPECT_EQ(rescale(-3, half), -1); // -1.5 -> -1, not -2
  EXPECT_EQ(rescale(3, half), 2);
}

TEST(Rescale, MatchesTheExactProductRoundedHalfUp) {
  std::mt19937_64 rng(2);
  std::uniform_int_distribution<int64_t> value(-(int64_t(1) << 31) + 1, (int64_t(1) << 31) - 1);
  std::uniform_real_distribution<double> exponent(-32, 10);
  for (int i = 0; i < 100000; ++i) {
    FixedPointMultiplier m = *encodeMultiplier(std::exp2(exponent(rng)));
    int64_t v = value(rng);
    // floor((v * M) / 2^n + 1/2) with 128-bit integers.
    __int128 product = __int128(v) * m.multiplier;
    __int128 unit = __int128(1) << m.shift;
    __int128 twice = 2 * product + unit; // 2^(n+1) * (v*M/2^n + 1/2)
    __int128 denominator = 2 * unit;
    __int128 quotient = twice / denominator;
    if (twice % denominator != 0 && twice < 0)
      --quotient;
    EXPECT_EQ(rescale(v, m), int64_t(quotient)) << v << " " << m.multiplier << " " << m.shift;
  }
}

} // namespace
