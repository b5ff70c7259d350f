"""The example consumer under moto: a ``Generation Completed`` event in, the video's
duration and size recorded on its S3 object."""

from __future__ import annotations

from pathlib import Path

import boto3

from local.lambdas import invoke

SAMPLE = Path(__file__).resolve().parents[2] / "local" / "assets" / "sample.mp4"


def test_the_consumer_records_duration_and_size_on_the_video(service, aws, load_event):
    event = load_event("consumer_generation_completed")
    video = event["detail"]["video"]
    s3 = boto3.client("s3")
    s3.put_object(Bucket=aws.bucket, Key=video["key"], Body=SAMPLE.read_bytes())
    event["detail"]["video"] = {**video, "bucket": aws.bucket, "size": SAMPLE.stat().st_size}

    answer = invoke("consumer", event)

    assert answer["status"] == "recorded" and answer["duration_seconds"] == 2.0
    tags = s3.get_object_tagging(Bucket=aws.bucket, Key=video["key"])["TagSet"]
    assert {t["Key"]: t["Value"] for t in tags} == {
        "duration-seconds": "2.000",
        "size-bytes": str(SAMPLE.stat().st_size),
    }


def test_a_video_deleted_since_is_reported_missing(service, aws, load_event):
    event = load_event("consumer_generation_completed")
    event["detail"]["video"]["bucket"] = aws.bucket

    assert invoke("consumer", event)["status"] == "missing"
