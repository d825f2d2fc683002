"""Benchmarks (`python -m faceprint.bench NAME`): figures printed, never asserted in tests."""
