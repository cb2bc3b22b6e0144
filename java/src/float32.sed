# The float64 -> float32 substitution table: sed -f float32.sed Plain64.java > Plain32.java
# (and Vector64.java > Vector32.java). mk/java.mk applies it at build time, into
# java/build/gen; tests/test_java_api.py checks that the generated files are current and
# that no float64 token is left in them. The templates keep every precision-specific name
# in a token below; what is not a token (rounding double weights to float) lives in the
# hand-written Compute64 / Compute32.

# primitive and boxed types, Vector API classes and the bit views of tanhFromExpm1
s/\bdouble\b/float/g
s/\bDouble\b/Float/g
s/\bDoubleVector\b/FloatVector/g
s/\bLong\b/Integer/g
s/\breinterpretAsLongs\b/reinterpretAsInts/g
s/\breinterpretAsDoubles\b/reinterpretAsFloats/g
# floating-point literals: 1.0 -> 1.0f
s/\b\([0-9][0-9]*\.[0-9][0-9]*\)\b/\1f/g
# class names
s/\bPlain64\b/Plain32/g
s/\bVector64\b/Vector32/g
s/\bCompute64\b/Compute32/g
s/\bfloat64\b/float32/g
# the lanewise sigmoid and tanh (Lanes32 is hand-written: other constants, another polynomial degree)
s/\bLanes64\b/Lanes32/g
