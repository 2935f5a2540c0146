"""Offline training of face encoders with triplet loss (see docs/TRAINING.md)."""
