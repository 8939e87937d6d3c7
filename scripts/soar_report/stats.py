"""Numbers the report computes itself: unbiased pass@k, a bootstrap interval over problems, and
mean ± sd formatting over seeds."""
import math
import random
import statistics


def pass_at_k(n, c, k):
    """Unbiased pass@k (Chen et al.): 1 - C(n-c, k) / C(n, k)."""
    if n - c < k:
        return 1.0
    return 1.0 - math.prod((n - c - i) / (n - i) for i in range(k))


def bootstrap_interval(values, resamples=1000, level=0.95, seed=0):
    """Percentile bootstrap interval of the mean of `values` (resampling problems), seeded."""
    if not values:
        return None, None
    rng = random.Random(seed)
    means = sorted(statistics.fmean(rng.choices(values, k=len(values))) for _ in range(resamples))
    tail = (1 - level) / 2
    return means[int(tail * (resamples - 1))], means[int(round((1 - tail) * (resamples - 1)))]


def mean_sd(values):
    values = [v for v in values if v is not None]
    if not values:
        return None, None
    return statistics.mean(values), (statistics.stdev(values) if len(values) > 1 else None)


def fmt(values, digits=3):
    """'mean ± sd' of the known values ('–' when none; no ± for one value)."""
    m, sd = mean_sd(values)
    if m is None:
        return "–"
    return f"{m:.{digits}f}" + (f" ± {sd:.{digits}f}" if sd is not None else "")


def num(value, digits=4):
    """One number as the report's tables show it; '–' for a missing one."""
    if value is None:
        return "–"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return str(value)
    return f"{value:.{digits}f}"
