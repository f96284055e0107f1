"""The functions neural networks use, as numbers: numpy for compiled code, floats for one point.

The rule for each (torch's convention at a kink, recorded in tests/fixtures/torch_backprop.json):

* ``sigmoid(x) = 1/(1 + e^(−x))``, computed as ``1/(1 + e^(−|x|))`` or ``e^(−|x|)/(1 + e^(−|x|))``
  so that no exponential overflows; sigmoid′ = sigmoid·(1 − sigmoid);
* ``relu(x) = max(x, 0)``; relu′(x) = 1 for x > 0, else 0 (relu′(0) = 0, as torch);
* ``leaky_relu(x, a) = x`` for x > 0, else ``a·x``; ∂/∂x = 1 for x > 0, else a (a at 0, as torch);
  ∂/∂a = 0 for x > 0, else x;
* ``softplus(x) = log(1 + e^x)`` exactly (``logaddexp(0, x)``; torch switches to x above x = 20,
  a relative difference below 1e-9); softplus′ = sigmoid;
* ``gelu(x) = x·Φ(x) = x·(1 + erf(x/√2))/2`` (torch's default, exact form), with
  ``Phi(x) = erfc(−x/√2)/2`` (accurate in both tails); gelu′ = Φ(x) + x·φ(x), φ the normal density;
* ``max(a, b)``, ``min(a, b)``: the derivative with respect to each argument is 1 where it wins,
  0 where it loses and ½ at a tie (torch.maximum/torch.minimum split the gradient evenly);
  SymPy writes it ``Heaviside(a − b)`` with Heaviside(0) = ½.

Every function here takes a float or a numpy array and never imports SymPy: compiled code that
the cache stores calls them by name (:data:`NUMPY_FUNCTIONS`, added to gdx.derive's namespace).
"""

from __future__ import annotations

import math

import numpy as np

SQRT1_2 = math.sqrt(0.5)
INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)

_erfc = np.vectorize(math.erfc, otypes=[float])


def sigmoid(x):
    """1/(1 + e^(−x)) without overflow."""
    x = np.asarray(x, dtype=float)
    e = np.exp(-np.abs(x))
    out = np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))
    return out if out.ndim else float(out)


def relu(x):
    """max(x, 0)."""
    out = np.maximum(np.asarray(x, dtype=float), 0.0)
    return out if out.ndim else float(out)


def leaky_relu(x, a):
    """x for x > 0, else a·x."""
    x = np.asarray(x, dtype=float)
    out = np.where(x > 0, x, np.asarray(a, dtype=float) * x)
    return out if out.ndim else float(out)


def leaky_relu_slope(x, a):
    """∂ leaky_relu(x, a)/∂x: 1 for x > 0, else a (torch: a at x = 0)."""
    x = np.asarray(x, dtype=float)
    out = np.where(x > 0, 1.0, np.broadcast_to(np.asarray(a, dtype=float), x.shape) + 0.0 * x)
    return out if out.ndim else float(out)


def leaky_relu_negative(x):
    """∂ leaky_relu(x, a)/∂a: 0 for x > 0, else x."""
    out = np.minimum(np.asarray(x, dtype=float), 0.0)
    return out if out.ndim else float(out)


def softplus(x):
    """log(1 + e^x), exactly, without overflow."""
    out = np.logaddexp(0.0, np.asarray(x, dtype=float))
    return out if out.ndim else float(out)


def Phi(x):
    """The standard normal distribution function Φ(x) = erfc(−x/√2)/2."""
    out = 0.5 * _erfc(-np.asarray(x, dtype=float) * SQRT1_2)
    return out if np.ndim(out) else float(out)


def gelu(x):
    """x·Φ(x) (torch.nn.functional.gelu, approximate='none')."""
    x = np.asarray(x, dtype=float)
    out = x * Phi(x)
    return out if np.ndim(out) else float(out)


def gelu_slope(x):
    """gelu′(x) = Φ(x) + x·φ(x), φ(x) = e^(−x²/2)/√(2π)."""
    x = np.asarray(x, dtype=float)
    out = Phi(x) + x * INV_SQRT_2PI * np.exp(-0.5 * x * x)
    return out if np.ndim(out) else float(out)


def step(x, at_zero: float):
    """The Heaviside step: 0 for x < 0, 1 for x > 0, ``at_zero`` at 0."""
    return np.heaviside(x, at_zero)


#: The names compiled code may call, beside numpy's (gdx.derive adds them to its namespace).
NUMPY_FUNCTIONS = {
    "sigmoid": sigmoid,
    "relu": relu,
    "leaky_relu": leaky_relu,
    "leaky_relu_slope": leaky_relu_slope,
    "leaky_relu_negative": leaky_relu_negative,
    "softplus": softplus,
    "Phi": Phi,
    "gelu": gelu,
}
