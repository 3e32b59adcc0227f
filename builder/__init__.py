"""SIMS-VSI builder: procedural houses, headless rendering, walkthrough capture, QA generation."""
