"""Evaluation metrics: verification, identification, clustering and detection (pure numpy)."""
