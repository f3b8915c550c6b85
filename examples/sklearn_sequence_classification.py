"""Classify handwritten digits read row by row: a sequence task for DREAMClassifier.

Each 8x8 image of scikit-learn's ``load_digits`` becomes a sequence of 8 steps (the
rows, top to bottom) of 8 features (the pixels of a row). DREAMClassifier reads the
rows one at a time: by default through a bank of untrained cells whose states are
pooled over the rows, with a ridge readout; with ``solver="adam"`` through one cell
trained by gradient, predicting from its hidden state after the last row.
LogisticRegression and MLPClassifier see the whole flattened image at once, so they
are strong baselines, not a like-for-like comparison.

Run: ``python examples/sklearn_sequence_classification.py`` (about 30 s on 2 cores).
"""

import time
import warnings

from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from dream_sklearn import DREAMClassifier

warnings.filterwarnings("ignore", category=ConvergenceWarning)

digits = load_digits()
X = digits.images  # (1797, 8, 8): sequences of 8 rows of 8 pixels
y = digits.target
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, random_state=0)

models = {
    "DREAMClassifier (rows as a sequence)": DREAMClassifier(random_state=0),
    "DREAMClassifier, solver='adam'": DREAMClassifier(
        hidden_dim=32, solver="adam", max_iter=40, learning_rate_init=0.03, random_state=0
    ),
    "LogisticRegression (flattened image)": make_pipeline(
        StandardScaler(), LogisticRegression(max_iter=1000)
    ),
    "MLPClassifier (flattened image)": make_pipeline(
        StandardScaler(), MLPClassifier(max_iter=300, random_state=0)
    ),
}

print(f"{'model':<40} {'test accuracy':>13} {'fit time':>9}")
for name, model in models.items():
    flat = not isinstance(model, DREAMClassifier)
    Xtr = X_train.reshape(len(X_train), -1) if flat else X_train
    Xte = X_test.reshape(len(X_test), -1) if flat else X_test
    start = time.perf_counter()
    model.fit(Xtr, y_train)
    elapsed = time.perf_counter() - start
    print(f"{name:<40} {model.score(Xte, y_test):>13.3f} {elapsed:>8.1f}s")
