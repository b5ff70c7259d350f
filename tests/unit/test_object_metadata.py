"""What of a job's description S3 can keep as a video's user metadata (2 KB, header-safe)."""

from __future__ import annotations

from videohook.adapters.videos import MAX_USER_METADATA_BYTES, fit_user_metadata

SERVICE = {"job-id": "gen_1", "upstream-id": "up-1", "model": "gen3a_turbo"}


def size(metadata: dict[str, str]) -> int:
    return sum(len(k.encode()) + len(v.encode()) for k, v in metadata.items())


def test_the_clients_keys_are_kept_beside_the_services():
    kept = fit_user_metadata({"meta-order_id": "ord_1", "meta-Region": "EU", **SERVICE})

    assert kept == {**SERVICE, "meta-order_id": "ord_1", "meta-region": "EU"}


def test_values_s3_cannot_carry_as_headers_are_dropped():
    kept = fit_user_metadata({"meta-city": "Zürich", "meta-note": "line\nbreak", "meta-a b": "x", **SERVICE})

    assert kept == SERVICE


def test_past_two_kilobytes_later_keys_are_dropped_and_the_services_never():
    client = {f"meta-k{i}": "v" * 300 for i in range(10)}

    kept = fit_user_metadata({**client, **SERVICE})

    assert SERVICE.items() <= kept.items()
    assert size(kept) <= MAX_USER_METADATA_BYTES
    assert [k for k in kept if k.startswith("meta-")] == [f"meta-k{i}" for i in range(6)]
