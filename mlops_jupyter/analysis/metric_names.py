"""Which names are metrics, and which way each one improves: one vocabulary for both.

``%%track`` captures a numeric variable as a metric when its name ends with a metric word
(:func:`looks_like_metric`: ``val_accuracy``, ``test_f1``, ``trainLoss``, ``wer``), and the
comparison ranks runs by the direction the name implies (:func:`metric_direction`:
``loss`` lower is better, ``accuracy`` higher). Both read the word lists below, so a word
that has a direction is captured, and a captured word has a direction.

Two kinds of words:

- :data:`METRIC_WORDS` name a metric by themselves. A variable ending with one is captured,
  and a literal assignment ending with one (``accuracy = 0.9``) is a result, not a param.
- :data:`DIRECTION_WORDS` only tell the direction of a name that is already a metric
  (logged explicitly, named with ``--metrics``, a key of ``cv_results_``): ``mean_fit_time``,
  ``rank_test_score``, ``drift.share``. They are not captured by themselves: ``start_time``,
  ``x_std`` or ``max_rank = 3`` are ordinary variables and settings of a cell.

Pure and cheap: ``re`` only.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from types import MappingProxyType

__all__ = ["METRIC_WORDS", "DIRECTION_WORDS", "looks_like_metric", "metric_direction"]

_MIN, _MAX = "min", "max"

# word -> direction ("max": higher is better, "min": lower is better)
METRIC_WORDS: Mapping[str, str] = MappingProxyType({
    # errors and losses
    **dict.fromkeys((
        "loss", "logloss", "nll", "error", "errors", "err", "rmse", "mse", "mae", "mape", "smape",
        "rmsle", "msle", "mpe", "perplexity", "ppl", "wer", "cer", "fpr", "fnr", "eer", "frr",
        "brier", "deviance", "hinge", "aic", "bic",
    ), _MIN),
    # scores
    **dict.fromkeys((
        "accuracy", "acc", "f1", "fbeta", "auc", "ap", "precision", "recall", "r2", "score", "map",
        "ndcg", "mrr", "iou", "dice", "jaccard", "bleu", "rouge", "meteor", "top1", "top5",
        "kappa", "mcc", "sensitivity", "specificity", "tpr", "tnr", "ppv", "npv", "silhouette",
        "likelihood", "elbo", "psnr", "ssim",
    ), _MAX),
})

# Words that set the direction of a metric's name without making a name a metric.
DIRECTION_WORDS: Mapping[str, str] = MappingProxyType({
    **dict.fromkeys((
        "latency", "time", "seconds", "duration", "rank", "std", "distance", "drift", "cost",
        "regret", "entropy", "far", "miss",
    ), _MIN),
    **dict.fromkeys((
        "roc", "pr", "variance", "gain", "lift", "reward", "return", "sharpe", "coverage", "hit",
        "hits",
    ), _MAX),
})

_LOWER = frozenset(w for words in (METRIC_WORDS, DIRECTION_WORDS) for w, d in words.items()
                   if d == _MIN)
_HIGHER = frozenset(w for words in (METRIC_WORDS, DIRECTION_WORDS) for w, d in words.items()
                    if d == _MAX)
_HIGHER_PREFIXES = ("f1", "top", "acc")  # f1_macro's "f1", top3, acc5

# A metric word ending a snake/camel name: val_accuracy, test_f1, rmse, trainLoss.
_METRIC_RE = re.compile(
    r"(?:^|_)(?:" + "|".join(sorted(map(re.escape, METRIC_WORDS), key=len, reverse=True)) + r")$",
    re.IGNORECASE,
)
_CAMEL = re.compile(r"(?<=[a-z0-9])([A-Z])")
_WORD = re.compile(r"[A-Za-z]+\d*|\d+")


def looks_like_metric(name: str) -> bool:
    """Whether a variable called ``name`` holds a metric: its last word is a metric word.

    >>> looks_like_metric("val_accuracy"), looks_like_metric("trainLoss")
    (True, True)
    >>> looks_like_metric("accurate_count"), looks_like_metric("start_time")
    (False, False)
    """
    return bool(_METRIC_RE.search(_CAMEL.sub(r"_\1", name)))


def metric_direction(name: str) -> tuple[str, bool]:
    """``("min" | "max", known)`` for a metric name; unknown names are assumed higher-better.

    Any word of the name counts (``val_loss``, ``trainLoss``, ``mean_fit_time``,
    ``rank_test_score``, ``drift.share``); a lower-is-better word wins over a score word, and
    sklearn's ``neg_*`` scorers (``neg_mean_squared_error``) are higher-better by design.

    >>> metric_direction("val_loss"), metric_direction("rank_test_score")
    (('min', True), ('min', True))
    >>> metric_direction("widgets")
    ('max', False)
    """
    base = name.split(".", 1)[1] if name.startswith("metrics.") else name
    words = [w.lower() for w in _WORD.findall(_CAMEL.sub(r"_\1", base))]  # trainLoss: train, loss
    if "neg" in words:
        return _MAX, True
    if any(w in _LOWER for w in words):
        return _MIN, True
    if any(w in _HIGHER or w.startswith(_HIGHER_PREFIXES) for w in words):
        return _MAX, True
    return _MAX, False
