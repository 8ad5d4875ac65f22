"""Earned autonomy: when the evidence about one action on one failure lets it run alone.

The evidence of a (signature, action) pair is a count of successes and failures: fixes that
worked or not, a person's re-run of the failure that passed or failed again, rejections and 👎.
Its success rate gets a Beta posterior: a uniform Beta(1, 1), plus the record of the same
action on the other signatures of the failure's category as a discounted prior (each of those
observations counts ``category_discount`` of one, ``prior_weight`` of them at most), plus the
pair's own record. The action runs alone while the lower end of the one-sided 95 % credible
interval of that posterior clears the precision its risk requires under the strategy.

Earning and losing are not symmetric. A long record keeps the bound high however its latest
automatic fixes went, so a grant is also taken back when ``revoke_after`` automatic fixes in a
row failed: a change of the failure the long record hides. A grant taken back starts over:
only the evidence after that moment counts, with the category's record as its prior.

Pure arithmetic (no SciPy): the regularized incomplete beta function by its continued fraction.
"""

import math
from dataclasses import dataclass

from app.core.enums import Strategy
from app.domain.remediators.base import Risk

CREDIBILITY = 0.95  # the lower bound is the 5 % quantile of the posterior


@dataclass(frozen=True)
class Record:
    """Successes and failures of one action, on one signature or on a category."""

    successes: float = 0
    failures: float = 0

    @property
    def total(self) -> float:
        return self.successes + self.failures


@dataclass(frozen=True)
class AutonomyPolicy:
    """The precision each risk requires, and how evidence is weighed (settings AUTONOMY_*)."""

    low: float = 0.75  # reruns, cache clear
    medium: float = 0.85  # pod restart, memory bump, sync
    high: float = 0.95  # secret refresh, rollback (the high-risk rule still needs an allowance)
    revoke_after: int = 3  # automatic fixes failing in a row that take a grant back
    prior_weight: float = 5.0  # the category's record counts as this many observations at most
    category_discount: float = 0.5  # one observation of the category counts this much

    def required(self, risk: Risk, strategy: Strategy) -> float | None:
        """The lower bound an action of ``risk`` must reach under ``strategy``; None when the
        strategy never runs such an action alone (slack_first asks a person for all but the
        low-risk ones). The conservative strategy (prod) tolerates half the wrong fixes."""
        if strategy is Strategy.SLACK_FIRST and risk is not Risk.LOW:
            return None
        precision = {Risk.LOW: self.low, Risk.MEDIUM: self.medium, Risk.HIGH: self.high}[risk]
        if strategy is Strategy.CONSERVATIVE:
            return round(1 - (1 - precision) / 2, 4)
        return precision


@dataclass(frozen=True)
class Judgement:
    automatic: bool
    lower_bound: float
    required: float | None
    own: Record
    prior: Record  # the category's record as it enters the posterior (discounted)
    failed_in_a_row: int  # automatic fixes since the grant, the latest ones, all failed
    why: str  # what decided it, in words


def category_prior(category: Record, policy: AutonomyPolicy) -> Record:
    """The category's record, discounted and capped at ``prior_weight`` observations."""
    if category.total == 0:
        return Record()
    weight = min(policy.prior_weight, policy.category_discount * category.total)
    scale = weight / category.total
    return Record(category.successes * scale, category.failures * scale)


def lower_bound(own: Record, prior: Record, credibility: float = CREDIBILITY) -> float:
    """The lower end of the one-sided credible interval of the success rate."""
    alpha = 1 + prior.successes + own.successes
    beta = 1 + prior.failures + own.failures
    return beta_quantile(1 - credibility, alpha, beta)


def judge(
    own: Record,
    category: Record,
    *,
    policy: AutonomyPolicy,
    required: float | None,
    automatic_now: bool,
    failed_in_a_row: int,
) -> Judgement:
    """Whether the action runs alone for this signature from now on."""
    prior = category_prior(category, policy)
    bound = lower_bound(own, prior)

    def verdict(automatic: bool, why: str) -> Judgement:
        return Judgement(automatic, bound, required, own, prior, failed_in_a_row, why)

    if required is None:
        return verdict(False, "the strategy asks a person for this action")
    if automatic_now and failed_in_a_row >= policy.revoke_after:
        return verdict(False, f"{failed_in_a_row} automatic fixes in a row failed")
    if bound >= required:
        return verdict(True, f"lower bound {bound:.2f} ≥ {required:.2f}")
    return verdict(False, f"lower bound {bound:.2f} < {required:.2f}")


# --- the Beta distribution -------------------------------------------------------------------
def beta_quantile(q: float, alpha: float, beta: float) -> float:
    """The ``q`` quantile of Beta(alpha, beta), by bisection on its distribution function."""
    low, high = 0.0, 1.0
    for _ in range(60):  # 2^-60: far below any difference that matters here
        middle = (low + high) / 2
        if regularized_beta(middle, alpha, beta) < q:
            low = middle
        else:
            high = middle
    return (low + high) / 2


def regularized_beta(x: float, a: float, b: float) -> float:
    """I_x(a, b), the distribution function of Beta(a, b) at ``x``."""
    if x <= 0:
        return 0.0
    if x >= 1:
        return 1.0
    log_front = (
        math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log1p(-x)
    )
    # The continued fraction converges fast on this side of the mean; use the symmetry otherwise.
    if x < (a + 1) / (a + b + 2):
        return math.exp(log_front) * _continued_fraction(x, a, b) / a
    return 1 - math.exp(log_front) * _continued_fraction(1 - x, b, a) / b


def _continued_fraction(x: float, a: float, b: float) -> float:
    """The continued fraction of I_x(a, b), by the modified Lentz method."""
    tiny, epsilon = 1e-300, 1e-15
    c, d = 1.0, 1 - (a + b) * x / (a + 1)
    d = 1 / (d if abs(d) > tiny else tiny)
    result = d
    for m in range(1, 300):
        for numerator in (
            m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m)),
            -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1)),
        ):
            d = 1 + numerator * d
            d = 1 / (d if abs(d) > tiny else tiny)
            c = 1 + numerator / c
            c = c if abs(c) > tiny else tiny
            result *= c * d
        if abs(c * d - 1) < epsilon:
            break
    return result
