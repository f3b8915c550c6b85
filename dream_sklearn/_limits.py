"""Input limits shared by the scikit-learn and river fronts."""

# Largest magnitude accepted in an input or a regression target. Squares of values up
# to ~1e154 stay finite in float64; 1e100 leaves room for the sums of squares of the
# standardisation and the cell's error statistics. Beyond that a value is taken for a
# data error (a sentinel such as 1e300) rather than a measurement.
MAX_ABS = 1e100
