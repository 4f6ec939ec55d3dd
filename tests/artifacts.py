"""Reading Prefect artifacts back from the test harness's server."""

from __future__ import annotations


def latest_artifact(key: str) -> str:
    """The markdown of the newest artifact with this key."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey

    with get_client(sync_client=True) as client:
        artifacts = client.read_artifacts(artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=[key])))
    return str(max(artifacts, key=lambda a: a.created).data)
