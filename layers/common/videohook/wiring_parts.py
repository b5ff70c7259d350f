"""The parts a ``Container`` is built from: AWS clients, adapters and secrets, each created
once per execution environment, lazily, on first use; any of them may be handed in instead
(a test's fake, the local stack's client).

Each part imports its adapter when it is first built, not when this module is imported: a
function pays at cold start only for the adapters its use case uses (the poller never loads
Powertools Idempotency, the notifier never loads the provider client).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from functools import cached_property
from typing import TYPE_CHECKING, Any, Self

import boto3
from botocore.config import Config as BotoConfig

from videohook.models.clock import utc_now
from videohook.settings import Settings

if TYPE_CHECKING:
    import requests
    from aws_lambda_powertools.utilities.parameters import SecretsProvider

    from videohook.adapters.idempotency import DynamoDBIdempotencyStore
    from videohook.adapters.notifications import SqsNotificationQueue
    from videohook.adapters.upstream import UpstreamClient
    from videohook.adapters.videos import S3VideoStore
    from videohook.catalog import Catalog
    from videohook.logic.pacing import Pacing
    from videohook.ports import (
        CallbackUrlChecker,
        ClientSecretStore,
        DomainEvents,
        JobStore,
        PollWorkQueue,
        WebhookTransport,
    )

# What a test (or the local stack) may hand a Container instead of letting it build.
OVERRIDABLE = frozenset(
    {
        "dynamodb",
        "s3",
        "sqs",
        "events",
        "domain_events",
        "jobs",
        "client_secrets",
        "idempotency",
        "queue",
        "poll_work",
        "upstream",
        "videos",
        "guard",
        "webhook_transport",
    }
)


class Parts:
    def __init__(
        self,
        settings: Settings,
        *,
        aws_session: boto3.Session | None = None,
        clock: Callable[[], datetime] = utc_now,
        **overrides: Any,
    ) -> None:
        unknown = sorted(overrides.keys() - OVERRIDABLE)
        if unknown:
            raise TypeError(f"Container cannot take {', '.join(unknown)}; it takes {sorted(OVERRIDABLE)}")
        self.settings = settings
        self.clock = clock
        self._aws = aws_session or boto3.Session()
        self._overrides = overrides
        # A cached_property reads the instance's dict first: an override is its value.
        self.__dict__.update(overrides)

    def overridden(self, **overrides: Any) -> Self:
        """A new container like this one (same settings, session, clock and overrides) with
        some parts replaced; every use case is rebuilt around them."""
        return type(self)(
            self.settings, aws_session=self._aws, clock=self.clock, **{**self._overrides, **overrides}
        )

    def _client(self, service: str) -> Any:
        # Enough connections for every thread that shares the client (the default is 10).
        config = BotoConfig(
            connect_timeout=5,
            read_timeout=10,
            retries={"max_attempts": 5, "mode": "standard"},
            max_pool_connections=max(10, self.settings.poll_concurrency),
        )
        return self._aws.client(service, config=config)

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
    def events(self) -> Any:
        return self._client("events")

    @cached_property
    def secrets(self) -> SecretsProvider:
        from aws_lambda_powertools.utilities.parameters import SecretsProvider

        return SecretsProvider(boto3_client=self._client("secretsmanager"))

    # --- adapters ---------------------------------------------------------------------------

    @cached_property
    def jobs(self) -> JobStore:
        from videohook.adapters.jobs import JobRepository

        return JobRepository(
            client=self.dynamodb,
            table_name=self.settings.jobs_table_name,
            pending_partitions=self.settings.pending_partitions,
        )

    @cached_property
    def domain_events(self) -> DomainEvents:
        from videohook.adapters.events import EventBridgeDomainEvents

        return EventBridgeDomainEvents(client=self.events, bus_name=self.settings.event_bus_name)

    @cached_property
    def client_secrets(self) -> ClientSecretStore:
        from videohook.adapters.clients import ClientSecretRepository

        return ClientSecretRepository(client=self.dynamodb, table_name=self.settings.clients_table_name)

    @cached_property
    def idempotency(self) -> DynamoDBIdempotencyStore:
        from videohook.adapters.idempotency import DynamoDBIdempotencyStore

        return DynamoDBIdempotencyStore(client=self.dynamodb, table_name=self.settings.idempotency_table_name)

    @cached_property
    def queue(self) -> SqsNotificationQueue:
        from videohook.adapters.notifications import SqsNotificationQueue

        return SqsNotificationQueue(
            client=self.sqs,
            queue_url=self.settings.notify_queue_url,
            dead_letter_queue_url=self.settings.notify_dead_letter_queue_url,
        )

    @cached_property
    def poll_work(self) -> PollWorkQueue | None:
        if not self.settings.poll_work_queue_url:
            return None
        from videohook.adapters.poll_work import SqsPollWorkQueue

        return SqsPollWorkQueue(
            client=self.sqs,
            queue_url=self.settings.poll_work_queue_url,
            jobs_per_message=self.settings.poll_work_message_jobs,
        )

    @cached_property
    def upstream_http(self) -> requests.Session:
        from videohook.adapters.http import new_session

        return new_session(pool_size=max(10, self.settings.poll_concurrency))

    @cached_property
    def catalog(self) -> Catalog:
        from videohook.catalog import Catalog

        return Catalog.load()

    @cached_property
    def pacing(self) -> Pacing:
        from videohook.logic.pacing import Pacing

        fallback = self.catalog.default_timing
        return Pacing(
            catalog=self.catalog,
            scale=self.settings.poll_pacing_scale,
            fallback=replace(fallback, max_age_seconds=self.settings.job_max_age_seconds),
            max_interval_seconds=self.settings.poll_max_check_interval_seconds,
        )

    @cached_property
    def upstream(self) -> UpstreamClient:
        from videohook.adapters.upstream import UpstreamClient

        return UpstreamClient(
            catalog=self.catalog,
            base_url=str(self.settings.aimlapi_base_url),
            api_key=self.upstream_api_key,
            session=self.upstream_http,
            timeout_seconds=self.settings.upstream_timeout_seconds,
            max_attempts=self.settings.upstream_max_attempts,
            backoff_base_seconds=self.settings.upstream_backoff_base_seconds,
            budget_seconds=self.settings.upstream_budget_seconds,
        )

    @cached_property
    def videos(self) -> S3VideoStore:
        from videohook.adapters.videos import S3VideoStore

        return S3VideoStore(
            s3_client=self.s3,
            bucket=self.settings.videos_bucket_name,
            http=self.upstream_http,
            download_timeout_seconds=self.settings.video_download_timeout_seconds,
            allow_plain_http=self.settings.local_mode,
        )

    @cached_property
    def guard(self) -> CallbackUrlChecker:
        from videohook.callback_guard import CallbackUrlGuard

        return CallbackUrlGuard(local_mode=self.settings.local_mode, ports=self.settings.callback_ports)

    @cached_property
    def webhook_transport(self) -> WebhookTransport:
        from videohook.adapters.webhooks import PinnedWebhookTransport

        return PinnedWebhookTransport(timeout_seconds=self.settings.callback_timeout_seconds)

    # --- secrets: fetched through Powertools Parameters, cached for ``secrets_max_age`` ----

    def upstream_api_key(self) -> str:
        return str(
            self.secrets.get(
                self.settings.aimlapi_api_key_secret_id, max_age=self.settings.secrets_max_age_seconds
            )
        )
