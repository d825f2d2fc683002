"""Identity embedders: aligned face -> L2-normalised float32 vector."""
