"""Time-activity models as sums of exponentials of the *biological* (decay-corrected) kinetics.

Every model is ``g(t) = sum_j c_j exp(-b_j t)`` in decay-corrected units, with amplitudes ``c = Mc @ x``
and biological rate constants ``b = Mr @ x`` linear in the parameter vector ``x``, and all parameters bounded
below by zero. The activity actually present is ``g(t) exp(-lambda_phys t)``, so every effective decay
constant is ``lambda_eff_j = lambda_phys + b_j >= lambda_phys`` *by construction* (no parameter value can
violate it).
The integral to infinity including physical decay is ``sum_j c_j / (b_j + lambda_phys)`` (closed form).

Models (x in order):
- ``mono``: A exp(-b t)                                   x = [A, b]
- ``bi``: A1 exp(-b1 t) + A2 exp(-(b1+d2) t)              x = [A1, b1, A2, d2]
- ``tri``: three terms with rates b1 <= b1+d2 <= b1+d2+d3 x = [A1, b1, A2, d2, A3, d3]
- ``uptake2``: A (1 - exp(-ku t)) (no biological washout)  x = [A, ku]
- ``uptake3``: A (exp(-b t) - exp(-(b+ku) t))              x = [A, b, ku]
Ordering the rates through non-negative increments removes the label-switching symmetry of multi-exponentials.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Model:
    """A sum-of-exponentials model; ``mc``/``mr`` map parameters to amplitudes / biological rates (1/h)."""

    name: str
    params: tuple[str, ...]
    mc: np.ndarray  # (terms, params)
    mr: np.ndarray  # (terms, params)
    amp_idx: tuple[int, ...]  # parameters that are amplitudes (linear)
    rate_idx: tuple[int, ...]  # parameters that are rates or rate increments (nonlinear)
    min_lower: tuple[float, ...]  # lower bound per parameter

    @property
    def n_params(self) -> int:
        return len(self.params)

    @property
    def n_terms(self) -> int:
        return self.mc.shape[0]

    def coefs(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Amplitudes c_j (input units) and biological rates b_j (1/h) for parameters x."""
        return self.mc @ x, self.mr @ x

    def evaluate(self, x: np.ndarray, t: np.ndarray, lam: float = 0.0) -> np.ndarray:
        """g(t) exp(-lam t): ``lam=0`` gives the decay-corrected curve, ``lam=lambda_phys`` the activity."""
        c, b = self.coefs(x)
        return np.exp(-np.outer(np.asarray(t, float), b + lam)) @ c

    def jacobian(self, x: np.ndarray, t: np.ndarray) -> np.ndarray:
        """d g(t_i) / d x_k (decay-corrected), shape (len(t), n_params)."""
        c, b = self.coefs(x)
        e = np.exp(-np.outer(t, b))  # (n, terms)
        return e @ self.mc - (t[:, None] * e * c[None, :]) @ self.mr

    def integral(self, x: np.ndarray, lam: float, t_from: float = 0.0) -> float:
        """Integral of g(t) exp(-lam t) from ``t_from`` to infinity (input units x h)."""
        c, b = self.coefs(x)
        r = b + lam
        live = c != 0
        if np.any(r[live] <= 0):
            return float("inf")
        return float(np.sum(c[live] * np.exp(-r[live] * t_from) / r[live]))

    def integral_grad(self, x: np.ndarray, lam: float) -> np.ndarray:
        """Gradient of the 0-to-infinity integral with respect to x (for delta-method errors)."""
        c, b = self.coefs(x)
        r = b + lam
        return (1.0 / r) @ self.mc - (c / r**2) @ self.mr


def _model(name, params, terms_c, terms_r, amp, rate, lower) -> Model:
    p = len(params)
    mc = np.zeros((len(terms_c), p))
    mr = np.zeros((len(terms_r), p))
    for j, row in enumerate(terms_c):
        for k, v in row.items():
            mc[j, params.index(k)] = v
    for j, row in enumerate(terms_r):
        for k, v in row.items():
            mr[j, params.index(k)] = v
    return Model(name, tuple(params), mc, mr, tuple(params.index(a) for a in amp),
                 tuple(params.index(r) for r in rate), tuple(lower))


#: Candidate models, simplest first (ties in AICc resolve to the earlier, simpler model).
MODELS: dict[str, Model] = {
    m.name: m
    for m in (
        _model("mono", ["A", "b"], [{"A": 1}], [{"b": 1}], ["A"], ["b"], [0, 0]),
        _model("uptake2", ["A", "ku"], [{"A": 1}, {"A": -1}], [{}, {"ku": 1}], ["A"], ["ku"], [0, 1e-9]),
        _model("uptake3", ["A", "b", "ku"], [{"A": 1}, {"A": -1}], [{"b": 1}, {"b": 1, "ku": 1}],
               ["A"], ["b", "ku"], [0, 0, 1e-9]),
        _model("bi", ["A1", "b1", "A2", "d2"], [{"A1": 1}, {"A2": 1}], [{"b1": 1}, {"b1": 1, "d2": 1}],
               ["A1", "A2"], ["b1", "d2"], [0, 0, 0, 0]),
        _model("tri", ["A1", "b1", "A2", "d2", "A3", "d3"], [{"A1": 1}, {"A2": 1}, {"A3": 1}],
               [{"b1": 1}, {"b1": 1, "d2": 1}, {"b1": 1, "d2": 1, "d3": 1}],
               ["A1", "A2", "A3"], ["b1", "d2", "d3"], [0, 0, 0, 0, 0, 0]),
    )
}
DEFAULT_MODELS = tuple(MODELS)
