"""Classify gestures from a real time-series archive set: DREAM against two baselines.

PickupGestureWiimoteZ (UCR archive, bundled in the ``aeon`` wheel) holds the Z-axis
acceleration of a Wii remote during 10 gestures: 50 training and 50 test series of
unequal lengths (29 to 361 points). aeon hands them over as a list of ``(n_channels,
n_timepoints)`` arrays, which ``DREAMTimeSeriesClassifier`` (an aeon classifier
wrapping ``DREAMClassifier(layout="channels_first")``) takes as they are, each
series at its own length. The baselines, measured in the same run on the official
split:

- the majority class (what a model that learned nothing scores);
- 1-nearest-neighbour with dynamic time warping (1-NN DTW), the archive's classic
  baseline, from aeon.

DREAM runs with its defaults (``random_state`` aside). Needs the ``aeon`` extra:
``pip install "dream-sklearn[aeon]"``. Run:
``python examples/aeon_time_series_classification.py`` (well under a minute on 2 cores).
"""

import time
import warnings

from aeon.classification.distance_based import KNeighborsTimeSeriesClassifier
from aeon.datasets import load_classification
from sklearn.dummy import DummyClassifier
from sklearn.exceptions import ConvergenceWarning

from dream_sklearn.aeon import DREAMTimeSeriesClassifier

warnings.filterwarnings("ignore", category=ConvergenceWarning)

X_train, y_train = load_classification("PickupGestureWiimoteZ", split="train")
X_test, y_test = load_classification("PickupGestureWiimoteZ", split="test")
lengths = [x.shape[1] for x in X_train + X_test]
print(
    f"PickupGestureWiimoteZ: {len(X_train)} train / {len(X_test)} test series, "
    f"{len(set(y_train))} classes, lengths {min(lengths)}-{max(lengths)}"
)

models = {
    "majority class": DummyClassifier(strategy="most_frequent"),
    "1-NN DTW (aeon)": KNeighborsTimeSeriesClassifier(n_neighbors=1, distance="dtw"),
    "DREAM (defaults)": DREAMTimeSeriesClassifier(random_state=0),
}

print(f"{'model':<20} {'test accuracy':>13} {'fit + predict':>14}")
for name, model in models.items():
    start = time.perf_counter()
    model.fit(X_train, y_train)
    accuracy = (model.predict(X_test) == y_test).mean()
    elapsed = time.perf_counter() - start
    print(f"{name:<20} {accuracy:>13.3f} {elapsed:>13.1f}s")
