"""Walkthrough capture: camera model, trajectory planning, per-frame annotation, encoding."""
