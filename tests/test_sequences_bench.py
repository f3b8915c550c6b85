"""benchmarks/sequences.py: the learned warping window of its 1-NN DTW baseline."""

import numpy as np


def test_the_dtw_window_is_learned_by_leave_one_out_on_the_training_cases(load_benchmark):
    """One spike (class 0) or two spikes five steps apart (class 1), at positions a step
    apart. Without warping, a spike's nearest case is the other class's at its own
    position; warping a step makes it the same class's at the next one, and full warping
    is no better. The narrowest window that classifies every case is learned."""
    sequences = load_benchmark("sequences")
    X, y = [], []
    for label in (0, 1):
        for start in range(20, 28):
            x = np.zeros((1, 100))
            x[0, start] = 1.0
            if label:
                x[0, start + 5] = 1.0
            X.append(x)
            y.append(label)
    X, y = np.stack(X), np.array(y)
    from aeon.distances import dtw_pairwise_distance

    def loo(window):
        dist = dtw_pairwise_distance(X, window=window)
        np.fill_diagonal(dist, np.inf)
        return np.mean(y[dist.argmin(axis=1)] == y)

    assert loo(0.0) < 1.0 and loo(None) == 1.0
    window = sequences._learned_dtw_window(X, y)
    assert window == 0.01
    assert window in sequences.DTW_WINDOWS
