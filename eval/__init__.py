"""Evaluation: lmms-eval tasks (`eval/tasks`, used with `--include_path`), the model plugin that
loads our checkpoints, the runner (`python -m eval.run`) and the results table (`python -m eval.table`).

The scores themselves are computed by `simsv_vsi.metrics`, which needs no lmms-eval."""
