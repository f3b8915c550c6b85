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


def _random_walks(n: int, length: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.RandomState(seed)
    X = rng.randn(n, 1, length).cumsum(axis=2)
    return X, rng.randint(0, 3, size=n)


def _loo(X: np.ndarray, y: np.ndarray, window: float) -> float:
    from aeon.distances import dtw_pairwise_distance

    dist = dtw_pairwise_distance(X, window=window)
    np.fill_diagonal(dist, np.inf)
    return float(np.mean(y[dist.argmin(axis=1)] == y))


def test_the_window_search_stops_where_wider_windows_change_nothing(load_benchmark, monkeypatch):
    """Leave-one-out over every window of 0-100% picks the same window as the search,
    which stops once the distances equal full warping's: a narrow window's cases
    (short random walks) end it well before 100%."""
    sequences = load_benchmark("sequences")
    import aeon.distances
    from aeon.distances import dtw_pairwise_distance

    assert sequences.DTW_WINDOWS == [k / 100 for k in range(101)]
    for seed in range(3):
        X, y = _random_walks(16, 30, seed)
        accs = [_loo(X, y, w) for w in sequences.DTW_WINDOWS]
        every = sequences.DTW_WINDOWS[int(np.argmax(accs))]  # ties: the first, narrowest
        windows = []
        monkeypatch.setattr(
            aeon.distances,
            "dtw_pairwise_distance",
            lambda X, window=None, _seen=windows, **kw: (
                _seen.append(window) or dtw_pairwise_distance(X, window=window, **kw)
            ),
        )
        assert sequences._learned_dtw_window(X, y) == every
        monkeypatch.undo()
        # Full warping's first, to compare with; then each window up to the first
        # whose distances all equal it, and none after (review 309).
        full = dtw_pairwise_distance(X, window=None)
        stop = next(
            k
            for k, w in enumerate(sequences.DTW_WINDOWS)
            if np.array_equal(dtw_pairwise_distance(X, window=w), full)
        )
        assert windows == [None] + sequences.DTW_WINDOWS[: stop + 1]
        assert stop < len(sequences.DTW_WINDOWS) - 1


def test_fit_predict_gives_aeon_the_learned_window(load_benchmark, monkeypatch):
    """``dtw_cv`` fits aeon's 1-NN DTW with the window learned on the training split
    (and says which), where ``dtw`` warps without one."""
    sequences = load_benchmark("sequences")
    import aeon.classification.distance_based as distance_based

    given = []

    class Recording(distance_based.KNeighborsTimeSeriesClassifier):
        def fit(self, X, y):
            given.append(self.distance_params)
            return super().fit(X, y)

    monkeypatch.setattr(distance_based, "KNeighborsTimeSeriesClassifier", Recording)
    X, y = _random_walks(24, 30, 0)
    seqs = [x.T for x in X]  # (time, features), as a Task holds them
    task = sequences.Task("walks", "clf", seqs[:16], seqs[16:], y[:16], y[16:])
    learned = sequences._learned_dtw_window(X[:16], y[:16])
    result = sequences.fit_predict("dtw_cv", task, 0, {})
    assert given == [{"window": learned}] and result["window"] == learned
    sequences.fit_predict("dtw", task, 0, {})
    assert given[1] is None
