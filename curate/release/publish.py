"""Publishing a release folder to the Hugging Face Hub: upload, then tag the commit it made."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from curate.errors import StoreError, UsageError


def publish(api: Any, folder: Path, version: str, repo: str) -> str:
    """Upload `folder` to the dataset repo and tag the upload's commit `vX.Y.Z`; an existing tag
    is refused before anything is uploaded. Returns the commit id. The token comes from the
    environment (HF_TOKEN) through huggingface_hub itself."""
    from huggingface_hub.errors import HfHubHTTPError

    tag = f"v{version}"
    if not (folder / "README.md").is_file():
        raise UsageError(f"{folder} is not a release folder; `curate releases` lists them")
    try:
        return _upload_and_tag(api, folder, tag, repo)
    except (HfHubHTTPError, OSError) as error:
        raise StoreError(
            f"the Hub refused or could not be reached ({error}); check HF_TOKEN and the network"
        ) from None


def _upload_and_tag(api: Any, folder: Path, tag: str, repo: str) -> str:
    api.create_repo(repo, repo_type="dataset", exist_ok=True)
    refs = api.list_repo_refs(repo, repo_type="dataset")
    if any(existing.name == tag for existing in refs.tags):
        raise UsageError(f"{repo} already has tag {tag}; a published release never changes")
    commit = api.upload_folder(
        repo_id=repo,
        folder_path=str(folder),
        repo_type="dataset",
        commit_message=f"Release {tag}",
    )
    api.create_tag(repo, tag=tag, revision=commit.oid, repo_type="dataset", tag_message=tag)
    return str(commit.oid)
