"""Procedural houses: the house spec, floor plans, and furnishing."""
