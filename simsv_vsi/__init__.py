"""SIMS-VSI: the dataset's definition (schemas, question types, prompts, metrics, Hub export)."""

__version__ = "0.1.0"
