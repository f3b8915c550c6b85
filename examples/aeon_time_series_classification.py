"""Classify gestures from a real time-series archive set: DREAM against two baselines.

PickupGestureWiimoteZ (UCR archive, bundled in the ``aeon`` wheel) holds the Z-axis
acceleration of a Wii remote during 10 gestures: 50 training and 50 test series of
unequal lengths (29 to 361 points). aeon hands them over as a list of ``(n_channels,
n_timepoints)`` arrays; ``layout="channels_first"`` tells DREAM so, and each series
is read at its own length.

DREAM runs with its defaults: ``solver="ridge"``, an untrained DREAM cell run with
several time constants whose pooled states feed an exact ridge readout (nothing is
trained by gradient, so it fits in about a second). It runs twice: as aeon's
classifier (``dream_sklearn.aeon.DREAMTimeSeriesClassifier``, which aeon's own
benchmarking and cross-validation tools take) and as the scikit-learn
``DREAMClassifier`` told the layout. The baselines, measured in the same run on the
official split:

- the majority class (what a model that learned nothing scores);
- 1-nearest-neighbour with dynamic time warping (1-NN DTW), the archive's classic
  baseline, from aeon.

Needs the ``aeon`` extra:
``pip install "dream-sklearn[aeon]"``. Run:
``python examples/aeon_time_series_classification.py`` (a few seconds on 2 cores).
"""

import time

from aeon.classification.distance_based import KNeighborsTimeSeriesClassifier
from aeon.datasets import load_classification
from sklearn.dummy import DummyClassifier

from dream_sklearn import DREAMClassifier
from dream_sklearn.aeon import DREAMTimeSeriesClassifier

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
    "DREAM (aeon)": DREAMTimeSeriesClassifier(random_state=0),
    "DREAM (scikit-learn)": DREAMClassifier(layout="channels_first", random_state=0),
}

print(f"{'model':<20} {'test accuracy':>13} {'fit + predict':>14}")
for name, model in models.items():
    start = time.perf_counter()
    model.fit(X_train, y_train)
    accuracy = (model.predict(X_test) == y_test).mean()
    elapsed = time.perf_counter() - start
    print(f"{name:<20} {accuracy:>13.3f} {elapsed:>13.1f}s")
