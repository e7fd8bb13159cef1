"""Probability calibration fitted on out-of-fold scores, for the cross-validated path.

On the one-slice path, scikit-learn's ``CalibratedClassifierCV`` over a frozen
model calibrates on the validation slice (`trainer.learning.fit_recipe`). On the
cross-validated path the only scores the final model did not train on are the
out-of-fold scores of `trainer.learning.validation`, and ``CalibratedClassifierCV``
cannot take those (its folds must partition the rows, which forward-chaining
time folds do not). :class:`OutOfFoldCalibrated` fits the same two mappings,
Platt's sigmoid or isotonic regression, on those scores and applies them to
the final model's.
"""

from __future__ import annotations

import numpy as np

__all__ = ["OutOfFoldCalibrated", "METHODS"]

METHODS = ("sigmoid", "isotonic")


class OutOfFoldCalibrated:
    """A fitted estimator whose probabilities are mapped by a calibrator fitted on out-of-fold scores."""

    classes_ = np.array([0, 1])

    def __init__(self, estimator, method: str, scores, y):
        if method not in METHODS:
            raise ValueError(f"calibration {method!r} is not known; choose one of {', '.join(METHODS)}")
        self.estimator = estimator
        self.method = method
        scores = np.asarray(scores, dtype=float)
        y = np.asarray(y).astype(int)
        # Imported here: the config reads METHODS from this module without loading scikit-learn.
        from sklearn.isotonic import IsotonicRegression
        from sklearn.linear_model import LogisticRegression

        if method == "isotonic":
            self.calibrator = IsotonicRegression(out_of_bounds="clip", y_min=0.0, y_max=1.0).fit(scores, y)
        else:
            self.calibrator = LogisticRegression(C=1e6).fit(scores.reshape(-1, 1), y)

    def calibrate(self, scores) -> np.ndarray:
        """Calibrated probabilities for raw scores of the estimator."""
        scores = np.asarray(scores, dtype=float)
        if self.method == "isotonic":
            return np.asarray(self.calibrator.predict(scores), dtype=float)
        return self.calibrator.predict_proba(scores.reshape(-1, 1))[:, 1]

    def predict_proba(self, X) -> np.ndarray:
        positive = self.calibrate(self.estimator.predict_proba(X)[:, 1])
        return np.column_stack([1.0 - positive, positive])
