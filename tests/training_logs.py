"""Training logs made by actually training small models with minibatch SGD in numpy, under known
conditions (for tests/test_doctor.py).  Each function returns rows (dicts) as a training script
would log them; :func:`write_csv` / :func:`write_jsonl` put them in a file.

Minibatches are drawn as torch's DataLoader(shuffle=True, drop_last=False) draws them: a fresh
permutation each epoch, taken in order.  Every model is tiny: a few hundred to two thousand
steps of a few dozen parameters.
"""

from __future__ import annotations

import csv
import json
import math

import numpy as np


def batches(n, batch, rng):
    """Index batches forever, epoch after epoch (shuffle=True, drop_last=False)."""
    while True:
        perm = rng.permutation(n)
        for a in range(0, n, batch):
            yield perm[a:a + batch]


def regression_data(n=512, d=4, noise=0.5, seed=0, scale=1.0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d)) * scale
    w = rng.normal(size=d)
    y = X @ w + noise * rng.normal(size=n)
    return X, y


def linear_regression(lr, steps, *, batch=16, seed=0, noise=0.5, scale=1.0, n=512, d=4, w0=None):
    """Least squares y ≈ X·w by minibatch SGD; ``lr`` a number or a function of the step.
    Logs step, loss (the batch's mean squared error / 2), lr, grad_norm."""
    X, y = regression_data(n, d, noise, seed, scale)
    rng = np.random.default_rng(seed + 1)
    w = np.zeros(d) if w0 is None else np.array(w0, float)
    rows = []
    it = batches(n, batch, rng)
    with np.errstate(all="ignore"):
        for k in range(steps):
            idx = next(it)
            r = X[idx] @ w - y[idx]
            loss = 0.5 * float(np.mean(r * r))
            grad = X[idx].T @ r / len(idx)
            rate = lr(k) if callable(lr) else lr
            rows.append({"step": k, "loss": loss, "lr": rate, "grad_norm": float(np.linalg.norm(grad))})
            w = w - rate * grad
    return rows


def two_layer_linear(lr, steps=1000, *, width=16, init=2.0, seed=0, batch=32):
    """y ≈ vᵀ(U x) (a two-layer linear net) by minibatch SGD from a large init (U ~ N(0, init²/4),
    v ~ N(0, init²/width)): the sharpness at init is high, so a constant lr of 0.1 first throws
    the loss up (the catapult) before it settles; ``lr`` a number or a function of the step.  Logs
    step, loss, lr, grad_norm."""
    X, y = regression_data(512, 4, 0.3, seed)
    rng = np.random.default_rng(seed + 7)
    U = init * rng.normal(size=(width, 4)) / 2
    v = init * rng.normal(size=width) / np.sqrt(width)
    it = batches(512, batch, np.random.default_rng(seed + 1))
    rows = []
    with np.errstate(all="ignore"):
        for k in range(steps):
            idx = next(it)
            Xb, yb = X[idx], y[idx]
            h = Xb @ U.T
            r = h @ v - yb
            gv = h.T @ r / len(idx)
            gU = np.outer(v, r @ Xb / len(idx))
            rate = lr(k) if callable(lr) else lr
            rows.append({"step": k, "loss": 0.5 * float(np.mean(r * r)), "lr": rate,
                         "grad_norm": float(np.sqrt(gv @ gv + np.sum(gU * gU)))})
            v, U = v - rate * gv, U - rate * gU
    return rows


def logistic_overfit(steps=400, lr=0.2, n_train=20, n_val=400, d=10, seed=3, every=10):
    """Logistic regression on a tiny training set (n_train ≪ d): the training loss goes to 0, the
    validation loss falls, then rises.  Full-batch on the train set; val_loss every ``every`` steps."""
    rng = np.random.default_rng(seed)
    w_true = rng.normal(size=d)
    X = rng.normal(size=(n_train + n_val, d))
    p = 1 / (1 + np.exp(-(X @ w_true) / 2))
    y = (rng.random(n_train + n_val) < p).astype(float)
    Xt, yt, Xv, yv = X[:n_train], y[:n_train], X[n_train:], y[n_train:]
    w = np.zeros(d)
    rows = []

    def bce(Xs, ys):
        z = Xs @ w
        return float(np.mean(np.logaddexp(0, z) - ys * z))

    for k in range(steps):
        z = Xt @ w
        grad = Xt.T @ (1 / (1 + np.exp(-z)) - yt) / n_train
        row = {"step": k, "train_loss": bce(Xt, yt), "lr": lr}
        if k % every == 0:
            row["val_loss"] = bce(Xv, yv)
        rows.append(row)
        w -= lr * grad
    return rows


def saturated_mlp(steps=600, lr=0.05, batch=32, seed=5, init=8.0, n=512):
    """A 2-16-1 tanh MLP for XOR-like labels with a huge init (weights × ``init``): the tanh units
    are saturated, their gradients ~0, and the loss stays near its starting level (ln 2 for a
    constant guess)."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 2))
    y = ((X[:, 0] * X[:, 1]) > 0).astype(float)
    W1 = rng.normal(size=(2, 16)) * init
    b1 = np.zeros(16)
    W2 = rng.normal(size=16) * 0.01
    b2 = 0.0
    it = batches(n, batch, np.random.default_rng(seed + 1))
    rows = []
    for k in range(steps):
        idx = next(it)
        h = np.tanh(X[idx] @ W1 + b1)
        z = h @ W2 + b2
        loss = float(np.mean(np.logaddexp(0, z) - y[idx] * z))
        dz = (1 / (1 + np.exp(-z)) - y[idx]) / len(idx)
        gW2, gb2 = h.T @ dz, dz.sum()
        dh = np.outer(dz, W2) * (1 - h * h)
        gW1, gb1 = X[idx].T @ dh, dh.sum(axis=0)
        gn = math.sqrt(float((gW1**2).sum() + (gb1**2).sum() + (gW2**2).sum() + gb2**2))
        rows.append({"step": k, "loss": loss, "lr": lr, "grad_norm": gn})
        W1 -= lr * gW1
        b1 -= lr * gb1
        W2 -= lr * gW2
        b2 -= lr * gb2
    return rows


def write_csv(path, rows, fields=None):
    fields = fields or list(dict.fromkeys(k for r in rows for k in r))
    with open(path, "w", newline="") as fh:
        w = csv.DictWriter(fh, fields)
        w.writeheader()
        for r in rows:
            w.writerow({k: repr(v) if isinstance(v, float) else v for k, v in r.items()})
    return path


def write_jsonl(path, rows):
    with open(path, "w") as fh:
        for r in rows:
            fh.write(json.dumps(r) + "\n")
    return path
