"""Where a video may be downloaded from: https only (plain http only in local mode), and a
redirect is followed only to a URL that passes the same check."""

from __future__ import annotations

import io
from typing import Any

import pytest
import requests

from videohook.adapters.videos import MAX_REDIRECTS, S3VideoStore
from videohook.errors import VideoCopyFailed, VideoUnavailable


class ScriptedSession:
    """Answers GETs from a script and records each URL asked for."""

    def __init__(self, *answers: requests.Response) -> None:
        self.answers = list(answers)
        self.urls: list[str] = []

    def get(self, url: str, **kwargs: Any) -> requests.Response:
        assert kwargs["allow_redirects"] is False  # redirects are the adapter's to check
        self.urls.append(url)
        return self.answers.pop(0)


def redirect(location: str) -> requests.Response:
    answer = requests.Response()
    answer.raw = io.BytesIO(b"")
    answer.status_code = 302
    answer.headers["Location"] = location
    return answer


def gone() -> requests.Response:
    answer = requests.Response()
    answer.raw = io.BytesIO(b"")
    answer.status_code = 410
    return answer


def store(session: ScriptedSession, *, local_mode: bool = False) -> S3VideoStore:
    return S3VideoStore(
        s3_client=None,
        bucket="videos",
        http=session,  # type: ignore[arg-type]
        download_timeout_seconds=5,
        allow_plain_http=local_mode,
    )


def test_a_plain_http_video_url_is_refused_without_a_request():
    session = ScriptedSession()

    with pytest.raises(VideoCopyFailed, match="https"):
        store(session).copy_from_url("http://cdn.example.com/v.mp4", "videos/gen_1.mp4", {})

    assert session.urls == []


def test_a_redirect_to_plain_http_is_refused():
    session = ScriptedSession(redirect("http://cdn.example.com/v.mp4"))

    with pytest.raises(VideoCopyFailed, match="https"):
        store(session).copy_from_url("https://provider.example.com/v.mp4", "videos/gen_1.mp4", {})

    assert session.urls == ["https://provider.example.com/v.mp4"]


def test_a_redirect_to_https_is_followed_and_checked_again():
    session = ScriptedSession(redirect("/moved/v.mp4"), gone())

    with pytest.raises(VideoUnavailable, match="410"):
        store(session).copy_from_url("https://provider.example.com/v.mp4", "videos/gen_1.mp4", {})

    assert session.urls == ["https://provider.example.com/v.mp4", "https://provider.example.com/moved/v.mp4"]


def test_endless_redirects_end():
    session = ScriptedSession(*(redirect(f"https://cdn.example.com/{n}") for n in range(MAX_REDIRECTS + 1)))

    with pytest.raises(VideoCopyFailed, match="redirected"):
        store(session).copy_from_url("https://provider.example.com/v.mp4", "videos/gen_1.mp4", {})


def test_local_mode_takes_the_simulators_plain_http_url():
    session = ScriptedSession(gone())

    with pytest.raises(VideoUnavailable, match="410"):
        store(session, local_mode=True).copy_from_url("http://127.0.0.1:8089/v.mp4", "videos/gen_1.mp4", {})

    assert session.urls == ["http://127.0.0.1:8089/v.mp4"]
