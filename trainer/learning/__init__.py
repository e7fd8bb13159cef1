"""Learning: from a frame of verdicts to a fitted, thresholded, measured model.

features (which columns, how encoded), modeling (candidate families and
imbalance strategies), validation (which rows choose the candidate and the
threshold), thresholds, calibration, evaluation and diagnostics, and model (the
fit recipe and the public ``fit``/``evaluate``). Nothing here touches the models
folder or the feedback store.
"""
