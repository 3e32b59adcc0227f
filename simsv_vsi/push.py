"""Publish an exported Hub folder (`simsv export`) to a dataset repo on the Hugging Face Hub.

The token comes from the argument or the HF_TOKEN environment variable (huggingface_hub's own
lookup) and is only ever handed to `HfApi`: never printed, logged or written.
"""

from __future__ import annotations

import re
from pathlib import Path


def check_export_folder(folder: Path) -> None:
    """Raise ValueError unless `folder` looks like `simsv export` output (README.md with a YAML
    `configs:` entry, and a data/ folder)."""
    folder = Path(folder)
    readme = folder / "README.md"
    if not folder.is_dir():
        raise ValueError(f"{folder}: not a folder; write one with `simsv export --corpus C --out {folder}`")
    if not readme.is_file():
        raise ValueError(f"{folder}: not a `simsv export` folder (no README.md)")
    text = readme.read_text(encoding="utf-8", errors="replace")
    header = re.match(r"^---\r?\n(.*?)\r?\n---", text, re.S)
    if not header or not re.search(r"^configs:", header.group(1), re.M):
        raise ValueError(f"{folder}: not a `simsv export` folder (README.md has no YAML `configs:`)")
    if not (folder / "data").is_dir():
        raise ValueError(f"{folder}: not a `simsv export` folder (no data/)")


def push_folder(folder, repo_id: str, token: str | None = None, private: bool = False, revision: str = "main",
                endpoint: str | None = None) -> str:
    """Create the dataset repo `repo_id` (if missing) and upload `folder` to `revision` in one
    commit; returns the commit's URL."""
    from huggingface_hub import HfApi

    folder = Path(folder)
    check_export_folder(folder)
    # token=None: HfApi falls back to HF_TOKEN / the stored login itself.
    api = HfApi(endpoint=endpoint, token=token)
    api.create_repo(repo_id, repo_type="dataset", private=private, exist_ok=True)
    if revision != "main":
        api.create_branch(repo_id, repo_type="dataset", branch=revision, exist_ok=True)
    # Large folders: with hf_xet installed (the default path), upload_folder sends files through
    # Xet, which splits them into content-defined chunks, uploads only the chunks the Hub lacks
    # (so a re-run after a failure resumes rather than restarts) and streams from disk. Without
    # Xet (HF_HUB_DISABLE_XET=1) big files go through LFS multipart uploads. Either way the whole
    # folder lands in a single commit; for folders with very many files (>~25k) or many hundred
    # GB, `HfApi.upload_large_folder` (resumable, several commits) is the tool to switch to.
    info = api.upload_folder(folder_path=str(folder), repo_id=repo_id, repo_type="dataset", revision=revision,
                             commit_message=f"simsv push: {folder.name}")
    return str(info.commit_url if hasattr(info, "commit_url") else info)
