"""Seasonal forecasting of a monthly series: the mathematics, no database.

:func:`forecast_series` picks the method from the length of the history:

* **Holt-Winters additive** (triple exponential smoothing, season of 12 months) when there
  are at least two full seasons (24 months).  Level ``L``, trend ``T`` and seasonal terms
  ``S`` are updated for each observed month ``y_t``::

      L_t = α (y_t − S_{t−m}) + (1 − α)(L_{t−1} + T_{t−1})
      T_t = β (L_t − L_{t−1}) + (1 − β) T_{t−1}
      S_t = γ (y_t − L_t) + (1 − γ) S_{t−m}

  and the forecast ``h`` months ahead is ``L_n + h·T_n + S_{n+h−m}``.  The start values
  come from the first two seasons (trend = the difference of their means ÷ 12; seasonal
  terms = the average deviation of each calendar position from that straight line), so a
  series that is exactly trend + season is forecast exactly whatever α, β, γ are.  α, β
  and γ are chosen on a small grid (:data:`ALPHAS` × :data:`BETAS` × :data:`GAMMAS`)
  minimising the sum of squared one-step errors over the history (ties: the first found).
* **Seasonal moving average** with one to two seasons (12–23 months): a future month is
  the average of the same calendar month in the history.
* **Simple average** with less than a season: every future month is the average month.
* **None** without any history: zeros.

Forecasts are never negative.  The arithmetic is done in floats — a forecast is an
estimate, not an amount of money — and the results are returned as :class:`Decimal`
rounded to hundredths.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from itertools import product

SEASON = 12
#: Months of history from which Holt-Winters is used (two full seasons).
HOLT_WINTERS_MIN = 2 * SEASON

HOLT_WINTERS = "holt_winters"
SEASONAL_MOVING_AVERAGE = "seasonal_moving_average"
SIMPLE_AVERAGE = "simple_average"
NO_HISTORY = "none"
METHODS = (HOLT_WINTERS, SEASONAL_MOVING_AVERAGE, SIMPLE_AVERAGE, NO_HISTORY)

ALPHAS = (0.1, 0.3, 0.5, 0.7, 0.9)
BETAS = (0.01, 0.1, 0.3)
GAMMAS = (0.05, 0.2, 0.5)

CENT = Decimal("0.01")


@dataclass(frozen=True)
class SmoothingParameters:
    alpha: float
    beta: float
    gamma: float
    #: Σ of squared one-step errors over the history with these parameters.
    sse: float


@dataclass(frozen=True)
class Forecast:
    """The forecast of the ``horizon`` months after the history, and how it was made."""

    method: str
    values: list[Decimal] = field(default_factory=list)
    #: Holt-Winters only.
    parameters: SmoothingParameters | None = None


def forecast_series(history: Sequence[float], horizon: int, *,
                    first_position: int = 0) -> Forecast:
    """Forecast ``horizon`` months after ``history`` (oldest first, one value a month).

    ``first_position`` is the calendar position (0 = January … 11 = December) of the first
    month of the history; the seasonal moving average needs it to match calendar months.

    >>> forecast_series([], 3).values
    [Decimal('0.00'), Decimal('0.00'), Decimal('0.00')]
    >>> forecast_series([4, 6], 2).method
    'simple_average'
    """
    values = [float(v) for v in history]
    if horizon <= 0:
        return Forecast(_method_for(len(values)))
    if not values:
        return Forecast(NO_HISTORY, [Decimal("0.00")] * horizon)
    if len(values) >= HOLT_WINTERS_MIN:
        parameters = fit_holt_winters(values)
        raw = holt_winters(values, horizon, parameters.alpha, parameters.beta,
                           parameters.gamma)
        return Forecast(HOLT_WINTERS, _decimals(raw), parameters)
    if len(values) >= SEASON:
        return Forecast(SEASONAL_MOVING_AVERAGE,
                        _decimals(seasonal_average(values, horizon, first_position)))
    average = sum(values) / len(values)
    return Forecast(SIMPLE_AVERAGE, _decimals([average] * horizon))


def _method_for(length: int) -> str:
    if length >= HOLT_WINTERS_MIN:
        return HOLT_WINTERS
    if length >= SEASON:
        return SEASONAL_MOVING_AVERAGE
    return SIMPLE_AVERAGE if length else NO_HISTORY


def _decimals(values: Sequence[float]) -> list[Decimal]:
    return [Decimal(repr(max(v, 0.0))).quantize(CENT, ROUND_HALF_UP) for v in values]


# -- Holt-Winters --------------------------------------------------------------------------

def initial_state(values: Sequence[float], m: int = SEASON,
                  ) -> tuple[float, float, list[float]]:
    """(level before the first month, trend, seasonal terms of positions 0…m−1) from the
    first two seasons."""
    first = sum(values[:m]) / m
    second = sum(values[m:2 * m]) / m
    trend = (second - first) / m
    # The straight line through the season means: value at t is intercept + trend·t.
    intercept = first - trend * (m - 1) / 2
    seasonal = [((values[i] - intercept - trend * i)
                 + (values[m + i] - intercept - trend * (m + i))) / 2 for i in range(m)]
    mean = sum(seasonal) / m
    return intercept - trend, trend, [s - mean for s in seasonal]


def _smooth(values: Sequence[float], alpha: float, beta: float, gamma: float, m: int,
            start: tuple[float, float, list[float]] | None = None,
            ) -> tuple[float, float, list[float], float]:
    level, trend, seasonal = start or initial_state(values, m)
    seasonal = list(seasonal)
    sse = 0.0
    for t, y in enumerate(values):
        position = t % m
        error = y - (level + trend + seasonal[position])
        sse += error * error
        previous = level
        level = alpha * (y - seasonal[position]) + (1 - alpha) * (level + trend)
        trend = beta * (level - previous) + (1 - beta) * trend
        seasonal[position] = gamma * (y - level) + (1 - gamma) * seasonal[position]
    return level, trend, seasonal, sse


def holt_winters(values: Sequence[float], horizon: int, alpha: float, beta: float,
                 gamma: float, m: int = SEASON) -> list[float]:
    """The additive Holt-Winters forecast of ``horizon`` periods after ``values``
    (at least two seasons)."""
    if len(values) < 2 * m:
        raise ValueError(f"Holt-Winters needs at least {2 * m} values, got {len(values)}")
    level, trend, seasonal, _sse = _smooth(values, alpha, beta, gamma, m)
    n = len(values)
    return [level + h * trend + seasonal[(n + h - 1) % m] for h in range(1, horizon + 1)]


def fit_holt_winters(values: Sequence[float], m: int = SEASON) -> SmoothingParameters:
    """The grid's α, β, γ with the smallest sum of squared one-step errors."""
    best: SmoothingParameters | None = None
    start = initial_state(values, m)
    for alpha, beta, gamma in product(ALPHAS, BETAS, GAMMAS):
        sse = _smooth(values, alpha, beta, gamma, m, start)[3]
        # A relative margin keeps exact ties (a noiseless series) on the first candidate.
        if best is None or sse < best.sse - 1e-9 * max(1.0, best.sse):
            best = SmoothingParameters(alpha, beta, gamma, sse)
    assert best is not None
    return best


# -- fallbacks -----------------------------------------------------------------------------

def seasonal_average(values: Sequence[float], horizon: int, first_position: int = 0,
                     m: int = SEASON) -> list[float]:
    """Each future month is the average of the same calendar month in ``values``
    (at least one season)."""
    sums = [0.0] * m
    counts = [0] * m
    for t, y in enumerate(values):
        position = (first_position + t) % m
        sums[position] += y
        counts[position] += 1
    start = first_position + len(values)
    return [sums[(start + h) % m] / counts[(start + h) % m] for h in range(horizon)]
