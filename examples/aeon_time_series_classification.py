"""Classify gestures from a real time-series archive set: DREAM against two baselines.

PickupGestureWiimoteZ (UCR archive, bundled in the ``aeon`` wheel) holds the Z-axis
acceleration of a Wii remote during 10 gestures: 50 training and 50 test series of
unequal lengths (29 to 361 points). aeon hands them over as a list of ``(n_channels,
n_timepoints)`` arrays; ``layout="channels_first"`` tells DREAM so, and each series
is read at its own length.

DREAM runs in its fast mode: ``DREAMFeatures``, an untrained DREAM cell run with
several time constants whose pooled states feed a ridge classifier (nothing is
trained by gradient, so it fits in about a second). The baselines, measured in the
same run on the official split:

- the majority class (what a model that learned nothing scores);
- 1-nearest-neighbour with dynamic time warping (1-NN DTW), the archive's classic
  baseline, from aeon.

To use DREAM inside aeon's own tools, ``dream_sklearn.aeon.DREAMTimeSeriesClassifier``
is an aeon classifier; it trains the cell by gradient descent, which today is slow
and weak on this set (``docs/sklearn.md``). Needs the ``aeon`` extra:
``pip install "dream-sklearn[aeon]"``. Run:
``python examples/aeon_time_series_classification.py`` (a few seconds on 2 cores).
"""

import time

from aeon.classification.distance_based import KNeighborsTimeSeriesClassifier
from aeon.datasets import load_classification
from sklearn.dummy import DummyClassifier
from sklearn.linear_model import RidgeClassifierCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from dream_sklearn import DREAMFeatures

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
    "DREAM fast mode": make_pipeline(
        DREAMFeatures(layout="channels_first", random_state=0),
        StandardScaler(),
        RidgeClassifierCV(),
    ),
}

print(f"{'model':<20} {'test accuracy':>13} {'fit + predict':>14}")
for name, model in models.items():
    start = time.perf_counter()
    model.fit(X_train, y_train)
    accuracy = (model.predict(X_test) == y_test).mean()
    elapsed = time.perf_counter() - start
    print(f"{name:<20} {accuracy:>13.3f} {elapsed:>13.1f}s")
