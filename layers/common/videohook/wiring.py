"""Builds each adapter once per execution environment from the validated settings.

Handlers ask ``get_container()`` for what they need; tests build a ``Container`` with their
own clients (or call ``reset()`` after changing the environment).
"""

from __future__ import annotations

from functools import cache, cached_property
from typing import Any

import boto3
import requests
from aws_lambda_powertools.utilities.parameters import SecretsProvider
from botocore.config import Config as BotoConfig

from videohook.adapters.idempotency import IdempotentSubmissions
from videohook.adapters.jobs import JobRepository
from videohook.adapters.notifications import NotificationQueue
from videohook.adapters.upstream import UpstreamClient
from videohook.adapters.videos import VideoStore
from videohook.adapters.webhooks import WebhookSender
from videohook.callback_guard import CallbackUrlGuard
from videohook.logic.notify import Notifier, NotifySettings
from videohook.logic.poll import Poller, PollSettings
from videohook.logic.submit import SubmitPacing
from videohook.settings import Settings, get_settings
from videohook.signing import WebhookSigner, parse_signing_secrets

AWS_CLIENT_CONFIG = BotoConfig(
    connect_timeout=5, read_timeout=10, retries={"max_attempts": 5, "mode": "standard"}
)


class Container:
    def __init__(self, settings: Settings, *, aws_session: boto3.Session | None = None) -> None:
        self.settings = settings
        self._aws = aws_session or boto3.Session()

    def _client(self, service: str) -> Any:
        return self._aws.client(service, config=AWS_CLIENT_CONFIG)

    # --- AWS clients: one each, shared by every adapter and thread -------------------------

    @cached_property
    def dynamodb(self) -> Any:
        return self._client("dynamodb")

    @cached_property
    def s3(self) -> Any:
        return self._client("s3")

    @cached_property
    def sqs(self) -> Any:
        return self._client("sqs")

    @cached_property
    def secrets(self) -> SecretsProvider:
        return SecretsProvider(boto3_client=self._client("secretsmanager"))

    # --- adapters ---------------------------------------------------------------------------

    @cached_property
    def jobs(self) -> JobRepository:
        return JobRepository(client=self.dynamodb, table_name=self.settings.jobs_table_name)

    @cached_property
    def idempotency(self) -> IdempotentSubmissions:
        return IdempotentSubmissions(client=self.dynamodb, table_name=self.settings.idempotency_table_name)

    @cached_property
    def submit_pacing(self) -> SubmitPacing:
        return SubmitPacing(
            first_check_delay_seconds=self.settings.poll_min_interval_seconds,
            submit_grace_seconds=self.settings.submit_grace_seconds,
        )

    @cached_property
    def queue(self) -> NotificationQueue:
        return NotificationQueue(
            client=self.sqs,
            queue_url=self.settings.notify_queue_url,
            dead_letter_queue_url=self.settings.notify_dead_letter_queue_url,
        )

    @cached_property
    def upstream_http(self) -> requests.Session:
        session = requests.Session()
        session.headers["User-Agent"] = "videohook/1.0"
        adapter = requests.adapters.HTTPAdapter(pool_maxsize=max(10, self.settings.poll_concurrency))
        session.mount("https://", adapter)
        session.mount("http://", adapter)
        return session

    @cached_property
    def upstream(self) -> UpstreamClient:
        return UpstreamClient(
            base_url=self.settings.upstream_base_url,
            api_key=self.upstream_api_key,
            session=self.upstream_http,
            timeout_seconds=self.settings.upstream_timeout_seconds,
            max_attempts=self.settings.upstream_max_attempts,
            backoff_base_seconds=self.settings.upstream_backoff_base_seconds,
            budget_seconds=self.settings.upstream_budget_seconds,
        )

    @cached_property
    def videos(self) -> VideoStore:
        return VideoStore(
            s3_client=self.s3,
            bucket=self.settings.videos_bucket_name,
            http=self.upstream_http,
            download_timeout_seconds=self.settings.video_download_timeout_seconds,
        )

    @cached_property
    def guard(self) -> CallbackUrlGuard:
        return CallbackUrlGuard(local_mode=self.settings.local_mode)

    @cached_property
    def webhooks(self) -> WebhookSender:
        return WebhookSender(timeout_seconds=self.settings.callback_timeout_seconds)

    # --- secrets: fetched through Powertools Parameters, cached for ``secrets_max_age`` ----

    def upstream_api_key(self) -> str:
        return str(
            self.secrets.get(
                self.settings.aimlapi_api_key_secret_id, max_age=self.settings.secrets_max_age_seconds
            )
        )

    def webhook_signer(self) -> WebhookSigner:
        value = self.secrets.get(
            self.settings.webhook_secret_id, max_age=self.settings.secrets_max_age_seconds
        )
        return WebhookSigner(tuple(parse_signing_secrets(str(value))))

    # --- use cases --------------------------------------------------------------------------

    @cached_property
    def poller(self) -> Poller:
        s = self.settings
        return Poller(
            jobs=self.jobs,
            upstream=self.upstream,
            videos=self.videos,
            queue=self.queue,
            settings=PollSettings(
                batch_size=s.poll_batch_size,
                concurrency=s.poll_concurrency,
                lease_seconds=s.poll_lease_seconds,
                max_age_seconds=s.job_max_age_seconds,
                min_interval_seconds=s.poll_min_interval_seconds,
                max_interval_seconds=s.poll_max_interval_seconds,
                deadline_margin_seconds=s.poll_deadline_margin_seconds,
                retention_days=s.job_retention_days,
            ),
        )

    @cached_property
    def notifier(self) -> Notifier:
        return Notifier(
            jobs=self.jobs,
            queue=self.queue,
            videos=self.videos,
            sender=self.webhooks,
            signer=self.webhook_signer,
            guard=self.guard,
            settings=NotifySettings(
                retry_delays=self.settings.callback_retry_delays,
                presigned_url_ttl_seconds=self.settings.presigned_url_ttl_seconds,
            ),
        )


@cache
def get_container() -> Container:
    return Container(get_settings())


def reset() -> None:
    """Forget settings and clients (tests change the environment between cases)."""
    get_container.cache_clear()
    get_settings.cache_clear()
