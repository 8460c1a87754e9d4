"""Non-compartmental time-integrated activity: trapezoid over the data plus a tail to infinity.

The activity actually present is integrated: ``a_i = g_i exp(-lambda t_i)`` with ``g`` the decay-corrected
value and ``lambda`` the physical decay constant of the nuclide the TIA is wanted for. From t = 0 to the first
sample the curve is either held at the first value (``t0="first"``; conservative for uptake organs) or rises
linearly from zero (``t0="zero"``). Two tails after the last sample t_n:
- terminal slope: log-linear regression on the last ``tail_points`` positive activities, lambda_z =
  max(-slope, lambda_phys) (biological clearance cannot make activity vanish slower than physical decay);
  tail = a_n / lambda_z.
- physical decay only: tail = a_n / lambda_phys, the conservative upper bound (no further biological
  clearance). Both follow standard practice in preclinical dosimetry (e.g. MIRD Pamphlet 16, Siegel et al.,
  J Nucl Med 1999;40:37S-61S, section on "integration of time-activity curves").
"""

from __future__ import annotations

import numpy as np


def nca_tiac(
    t: np.ndarray, g: np.ndarray, lam: float, t0: str = "first", tail_points: int = 3
) -> dict[str, float]:
    """Trapezoid + tails for one curve. Returns tiac_nca, tiac_nca_phys, auc_data, lambda_z (1/h).

    ``t`` sorted ascending (h), ``g`` decay-corrected values (input units), ``lam`` physical decay constant
    (1/h). Units of the integrals: input units x h.
    """
    t = np.asarray(t, float)
    a = np.asarray(g, float) * np.exp(-lam * t)
    if t[0] > 0:
        t = np.concatenate([[0.0], t])
        a = np.concatenate([[a[0] if t0 == "first" else 0.0], a])
    auc = float(np.trapezoid(a, t))
    k = min(tail_points, len(t) - 1)
    tt, aa = t[-k:], a[-k:]
    pos = aa > 0
    lam_z = lam
    if pos.sum() >= 2:
        slope = np.polyfit(tt[pos], np.log(aa[pos]), 1)[0]
        lam_z = max(-float(slope), lam)
    a_last = float(a[-1])
    tail_z = a_last / lam_z if lam_z > 0 else float("inf")
    tail_p = a_last / lam if lam > 0 else float("inf")
    return {
        "tiac_nca": auc + tail_z,
        "tiac_nca_phys": auc + tail_p,
        "auc_data": auc,
        "lambda_z_per_h": lam_z,
    }
