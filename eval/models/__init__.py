"""lmms-eval models we ship, registered through the `lmms_eval.models` entry point in setup.cfg,
so `lmms-eval --model simsv_llava ...` works once this package is installed."""


def manifests():
    from lmms_eval.models.registry_v2 import ModelManifest

    return [
        ModelManifest(model_id="simsv_llava", simple_class_path="eval.models.simsv_llava.SimsvLlava"),
        ModelManifest(model_id="simsv_oracle", simple_class_path="eval.models.oracle.Oracle"),
    ]
