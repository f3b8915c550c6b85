"""Input limits shared by the scikit-learn and river fronts."""

import numpy as np

# Largest magnitude accepted in an input or a regression target. Squares of values up
# to ~1e154 stay finite in float64; 1e100 leaves room for the sums of squares of the
# standardisation and the cell's error statistics. Beyond that a value is taken for a
# data error (a sentinel such as 1e300) rather than a measurement.
MAX_ABS = 1e100

# Values that NumPy reads as a float though they are no number: text (even "1.5";
# np.str_ and np.bytes_ are subclasses), a complex number (its real part), NumPy's
# dates and durations (counts of their unit; np.timedelta64 is even a NumPy integer).
NOT_REAL = (str, bytes, complex, np.complexfloating, np.datetime64, np.timedelta64)
