"""The parameter and attribute sections shared by both estimators' docstrings."""

__all__: list[str] = []

PARAMETERS = """
    Parameters
    ----------
    hidden_dim : int, default=64
        Number of hidden units of the DREAM cell (of each cell of the bank with
        ``solver="ridge"``).
    rank : int, default=4
        Rank of the cell's fast weights ``U Vᵀ``.
    time_step : float, default=1.0
        Euler step ``dt`` of every time step (``solver="adam"``; the ridge
        solver's bank gives each cell its own step, see ``solver``). With
        ``ltc_tau_sys=5`` a step moves the hidden state 20% of the way to its
        target (more when surprised). The core's default, 0.1, was measured to
        learn far more slowly here.
    plasticity : bool, default=False
        Hebbian updates of the fast weights ``U`` (``DREAMConfig.plasticity_enabled``).
        Off by default: in the ridge solver's bank the plastic cell scored 1.1
        points lower on the development sets (0.860 against 0.871, three seeds)
        and took longer (``docs/sklearn.md``). Under ``solver="adam"`` it gives the
        plastic memory carried across sequences, which pays on rules a sequence
        teaches itself (``benchmarks/plasticity.py``).
    ltc : bool, default=True
        Liquid time constant: surprise shortens ``tau`` (``ltc_enabled``).
    sleep : bool, default=True
        Sleep consolidation of ``U_target`` (``sleep_enabled``).
    surprise_mode : {"relative", "absolute"}, default="relative"
        How the prediction error is turned into surprise (see ``DREAMConfig``).
    forgetting_rate : float, default=0.005
        Decay ``λ`` of ``U`` towards ``U_target``.
    base_plasticity : float, default=0.5
        Initial Hebbian rate ``η`` (trainable).
    base_threshold : float, default=0.3
        Initial surprise threshold ``τ₀`` (trainable).
    ltc_tau_sys : float, default=5.0
        Initial base time constant ``τ_sys`` (trainable); at least 0.001, where the
        step floors it.
    sleep_rate : float, default=0.005
        Rate ``ζ`` at which ``U_target`` moves towards ``U`` while asleep.
    fast_weight_scale : float, default=0.1
        Scale of the fast-weight term ``U (Vᵀx)`` in the input drive. The fast
        weights matter most on rules a sequence teaches itself (bind rows to
        labels, then recall): there 0.5 with ``target_norm=10`` roughly doubles
        what plasticity adds over the defaults (``benchmarks/plasticity.py``,
        ``docs/sklearn.md``).
    target_norm : float, default=2.0
        Frobenius norm that ``U`` and ``U_target`` are capped at (homeostasis).
    standardize : bool, default=True
        Standardise every feature with the mean and standard deviation over all
        steps of the first ``fit`` / ``partial_fit`` (kept afterwards, also by
        ``partial_fit``). It was measured to help (``docs/sklearn.md``).
    solver : {"ridge", "adam"}, default="ridge"
        How the model learns. ``"ridge"``: nothing is trained by gradient. Each
        sequence runs through four copies of one untrained cell whose steps make
        them remember about 2, 8, 32 and 128 steps (:class:`DREAMFeatures` with
        its defaults and this estimator's cell parameters); each unit's hidden
        state is pooled over the sequence (mean, maximum, last value, share of
        steps above a threshold), and a ridge readout on those features is solved
        exactly, its penalty (``alpha_``) chosen by generalised cross-validation.
        ``partial_fit`` adds each chunk to the readout's statistics, so after
        several calls it equals one fit on all of them (with the first call's
        feature map). It was the better default on the development sets by far
        (``docs/sklearn.md``): 0.87 against 0.24 mean accuracy, at 3.8-7.4x
        MiniRocket's time against 48-122x. ``"adam"``: one cell and the output
        layer trained end to end by Adam
        (the parameters from ``max_iter`` to ``tol``, ``warm_start``'s weights,
        ``compile``, ``readout`` and ``device`` apply to it only; the ridge
        solver runs on the CPU), with a plastic memory carried
        across sequences (``memory_``, ``reset_memory``, ``advance_memory``),
        per-step ``surprise_``, and :func:`dream_sklearn.online.from_sklearn`.
    n_steps : int, default=None
        When set, ``X`` must be a flat 2-D array of shape ``(n_sequences, n_steps *
        n_features)``: each row is one sequence, its steps side by side (columns
        ``0..n_features-1`` are step 0, and so on). The same reading applies in
        ``fit``, ``partial_fit``, ``predict`` and every other method. This is the
        form for tools that only pass 2-D blocks around, such as
        ``dask_ml.wrappers.Incremental`` (see ``docs/scale_out.md``). ``None``
        takes ``X`` in any of the forms above.
    max_iter : int, default=200
        Maximum number of epochs of ``fit`` (``partial_fit`` makes one pass).
        Used by ``solver="adam"`` only, as are the parameters down to ``tol``.
    batch_size : int or "auto", default="auto"
        Sequences per mini-batch; ``"auto"`` is ``min(200, n_sequences)``. The
        plastic memory advances once per mini-batch. A number above the sequences
        a call is given is read as that many, without a warning (``MLPClassifier``
        warns): a ``partial_fit`` chunk is often smaller than a mini-batch.
    learning_rate_init : float, default=0.01
        Learning rate of the Adam optimiser.
    alpha : float, default=1e-4
        Strength of the L2 penalty on the weight matrices (as in ``MLPClassifier``).
        The ridge solver chooses its own penalty, ``alpha_``, by generalised
        cross-validation.
    shuffle : bool, default=True
        Shuffle the sequences every epoch of ``fit`` (``partial_fit`` keeps the
        order of ``X``).
    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the sequences, stop when their score
        has not improved by ``tol`` for ``n_iter_no_change`` epochs and restore the
        best weights and memory. Not supported by ``partial_fit``.
    validation_fraction : float, default=0.1
        Share of sequences held out for early stopping.
    n_iter_no_change : int, default=10
        Epochs without an improvement of ``tol`` that are allowed: the fit stops at
        the next one (``n_iter_no_change + 1`` in a row), as ``MLPClassifier``'s does.
    tol : float, default=1e-4
        Least improvement of the training loss (or of the validation score with
        ``early_stopping``) that counts.
    warm_start : bool, default=False
        Let ``fit`` go on from the previous weights (the memory still starts
        afresh and a new optimiser is made); ``n_iter_`` and ``loss_curve_`` then
        go on too. The classifier refuses labels the previous fit did not have (a
        warm start cannot add classes: refit with ``warm_start=False``).
    device : {"cpu", "cuda", "auto"}, default="cpu"
        Where the network runs; ``"auto"`` picks CUDA when it is available. The
        CPU by default: the cell runs some 260 small operations a time step, and
        on a GPU each is a kernel launch. On an NVIDIA H100 (torch 2.11) an eager
        fit's epoch at 256 sequences x 50 steps x 16 features, batch 32, took
        2.07x as long as on the same machine's CPU with one thread (1,274 against
        616 ms; ``benchmarks/RESULTS.md``, "Round 49"; the default
        ``batch_size="auto"`` was not timed there).
    compile : bool or "auto", default="auto"
        Run the cell's loop over time through ``torch.compile`` (the layer's
        ``compile_step``; same results to floating-point rounding). Compiling
        costs about 36 s of CPU the first time on a machine (a cold cache) and
        about 5 s in any later process (inductor keeps it on disk, per configuration,
        dtype and torch version); then each epoch runs about 3.6x faster on one
        CPU thread (211 -> 58 ms at 256 sequences x 50 steps x 16 features;
        ``benchmarks/speed.py``, sections "training" and "sklearn": its print in
        RESULTS.md's round 42). ``"auto"`` compiles a call when it runs at least 50,000
        step evaluations (one time step of one mini-batch, each as long as its longest
        sequence: ``max_iter`` x the steps of an epoch's mini-batches in ``fit``,
        expected over the shuffle; for ``predict``, the chunks of like lengths it runs;
        for ``advance_memory``, its mini-batches in order), where it repays itself:
        measured, after about 11,200 with a warm cache and 62,600 with a cold one
        (``docs/sklearn.md``, "Speed"; they vary run to run, 11,000-13,000 and
        59,000-69,000; round 23, on a slower machine, about 8,000 and 40,000, compiling
        in 9 s and 46 s; round 42, 13,300 and 93,900, compiling in 5 s and 36 s).
        Shorter
        calls run eagerly and pay nothing. A ``fit`` or ``partial_fit`` also runs
        eagerly where the compiled loop, which pads each mini-batch to its longest
        sequence, would pad a mini-batch (in order, any; shuffled, any of up to 32
        orders drawn) to over twice its sequences' own steps and
        over 250,000 sequence-steps (a graph of some 0.24 to 0.7 GB): the eager
        loop runs unequal lengths packed, and a sequence of over 4,096 steps in
        recomputed spans (the layer's ``checkpoint_steps``).
        ``True`` always compiles, ``False`` never. Read at each ``fit`` and
        ``partial_fit`` (as scikit-learn reads a parameter): ``predict``,
        ``score`` and ``advance_memory`` keep the last fit's setting after a
        ``set_params`` (``module_.dream.compile_step`` holds the last call's
        choice). Unequal lengths, a last mini-batch of one
        sequence, and prediction (no gradient) each compile once more (about 2
        to 4 graphs a configuration; the cell's constants, ``cell_params``'
        ``error_smoothing`` say, are inputs of the graph, so a grid search over
        them compiles nothing more; past 64 graphs in a process a new variant
        runs eagerly, with a warning).
    readout : {"last", "mean", "pool"}, default="last"
        What the output layer reads: the hidden state at each sequence's last
        valid step, its mean over the valid steps, or mean, maximum and last side
        by side (``3 * hidden_dim`` inputs). Only ``"last"`` can be continued
        online by :func:`dream_sklearn.online.from_sklearn` (which reads one step
        at a time). Measured on the development sets in ``docs/sklearn.md``.
    dtype : {"float32", "float64"}, default="float32"
        Floating-point type of the network, its memory and its training
        (``solver="adam"``), or of the feature bank (``solver="ridge"``, whose
        readout's statistics and solve stay in float64). float32 halves the
        memory and gives the same predictions up to rounding
        (``tests/test_sequence_learning.py``; on the development sets of
        ``benchmarks/sequences.py`` the same accuracy, ``docs/sklearn.md``), where
        a rounding can still move a step across one of the feature bank's
        thresholds (a review: predictions 0.015 apart, one step of six);
        ``"float64"`` on request
        (e.g. to compare with the float64 NumPy path of the online estimators to
        1e-9). Predicted probabilities and values are float64 arrays either way.
        In float32 the inputs the cell reads (standardised or not) are clipped to
        +-1e30 (float32 holds up to 3.4e38), so that values far beyond the
        training range stay finite; a fit on raw inputs beyond that
        (``standardize=False``) warns, as its model is not float64's.
    random_state : int, RandomState instance or None, default=None
        Seeds the weights, the shuffling and the validation split (torch's global
        generator is left as it was).
    verbose : bool or int, default=False
        Show a progress bar with the loss of each epoch (``solver="adam"``).
    layout : {"channels_last", "channels_first"} or None, default=None
        Which axis of the input is time (the ``data_format`` names of Keras'
        1-D layers). ``"channels_last"``: a 3-D array is ``(n_sequences, n_steps,
        n_features)`` and each array of a list ``(n_steps, n_features)``, as
        PyTorch's ``batch_first`` layers read them. ``"channels_first"``: aeon's and
        sktime's layout, a 3-D array ``(n_cases, n_channels, n_timepoints)``, each
        array of a list ``(n_channels, n_timepoints_i)`` (unequal lengths allowed),
        a plain 2-D array ``(n_cases, n_timepoints)`` of univariate series, and
        with ``n_steps`` set each flat row the channels side by side, each
        ``n_steps`` long. ``None`` reads ``"channels_last"`` but warns
        (:class:`LayoutWarning`) when a 3-D array, or every array of a list, looks
        channels-first: more features than steps, or one step of 10 or more
        features; set the layout explicitly to silence it. The layout
        applies in ``fit``, ``partial_fit``, ``predict`` and every other method; a
        DataFrame with a ``(sequence id, time)`` index always has one row per step.
"""

ATTRIBUTES = """
    n_features_in_ : int
        Number of features per step seen during the first fit; with ``n_steps``
        set, the number of columns of the flat ``X`` (``n_steps`` times the
        features per step).
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of the features, when ``X`` was a DataFrame with string column names.
    n_iter_ : int
        Epochs run since the model was built: by the last ``fit`` (plus the earlier
        ones with ``warm_start=True``) and the ``partial_fit`` calls since
        (``solver="ridge"``: one per call).
    features_ : DREAMFeatures
        ``solver="ridge"``: the bank of untrained cells; ``features_.transform(X)``
        gives the features the readout reads. With ``n_steps`` set it takes the
        sequences as ``X.reshape(len(X), n_steps, -1)``, not the flat rows (with
        ``layout="channels_first"``, ``X.reshape(len(X), -1, n_steps)``).
    coef_ : ndarray of shape (n_outputs, n_features_out)
        ``solver="ridge"``: the readout's weights on ``features_.transform(X)``
        (one row per class, or per target of the regressor on its standardised
        scale). They weigh the bank's features, not ``X``'s: scikit-learn's
        selectors that read ``coef_`` as the input features' weights
        (``SelectFromModel``, ``RFE``) do not apply to these estimators (they fail
        with an ``IndexError``); select on ``features_.transform(X)`` instead.
    intercept_ : ndarray of shape (n_outputs,)
        ``solver="ridge"``: the readout's intercepts.
    alpha_ : float
        ``solver="ridge"``: the ridge penalty chosen by generalised
        cross-validation, on the scale of the standardised features' sums of
        squares (as ``RidgeCV``'s; sample weights rescaled to average 1).
    x_mean_, x_scale_ : ndarray of shape (n_features_per_step,)
        The input standardisation: the cell reads ``(x - x_mean_) / x_scale_``
        (one entry per feature of a step: ``n_features_in_``, or
        ``n_features_in_ // n_steps`` with ``n_steps`` set).

    The attributes below belong to ``solver="adam"``.

    loss_curve_ : list of float
        Training loss (data loss plus L2 penalty) of each of those epochs; with
        sample weights, the weighted mean.
    validation_scores_ : list of float
        With ``early_stopping``, the validation score of each epoch of the last
        call, a ``fit``; absent after a ``fit`` without it or a ``partial_fit``.
    best_validation_score_ : float
        With ``early_stopping``, the best of ``validation_scores_`` (absent with them).
    surprise_ : ndarray of shape (n_sequences, max_steps)
        The surprise (in [0, 1]) of every step of every sequence of the last
        ``fit`` (its last epoch; with ``early_stopping``, its best, whose weights,
        memory and optimiser state it keeps), ``partial_fit`` or ``advance_memory`` call, in the
        order of ``X``; ``nan`` on padded steps. In ``dtype`` (float32 by default),
        the network's.
    memory_ : DREAMState
        The plastic memory (batch of 1) every sequence starts from.
    module_ : torch.nn.Module
        The network (in ``dtype``): ``module_.dream`` (a ``dream_sklearn.nn.DREAM``) and
        ``module_.head`` (a ``torch.nn.Linear`` on the readout of the hidden states).
    optimizer_ : torch.optim.Adam
        The optimiser, kept for ``partial_fit``.
"""
