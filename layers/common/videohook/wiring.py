"""Chooses the adapters and builds each use case once per execution environment.

Handlers read ``get_container().<use case>.<verb>(...)``. Everything is built lazily, on
first use, from the validated settings; tests build a ``Container`` with what they want
instead (an AWS client, an adapter, a fake, a clock) as constructor arguments, and
``install`` it as the one the handlers get.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from functools import cached_property
from typing import Any

import boto3
import requests
from aws_lambda_powertools.utilities.parameters import SecretsProvider
from botocore.config import Config as BotoConfig

from videohook.adapters.clients import ClientSecretRepository
from videohook.adapters.events import EventBridgeDomainEvents
from videohook.adapters.http import new_session
from videohook.adapters.idempotency import DynamoDBIdempotencyStore
from videohook.adapters.jobs import JobRepository
from videohook.adapters.notifications import SqsNotificationQueue
from videohook.adapters.poll_work import SqsPollWorkQueue
from videohook.adapters.upstream import UpstreamClient
from videohook.adapters.videos import S3VideoStore
from videohook.adapters.webhooks import PinnedWebhookTransport
from videohook.callback_guard import CallbackUrlGuard
from videohook.catalog import Catalog
from videohook.logic.model_directory import ModelDirectory
from videohook.logic.notify import Notifier, NotifySettings
from videohook.logic.pacing import Pacing
from videohook.logic.poll import Poller, PollSettings
from videohook.logic.probe import VideoProbe
from videohook.logic.secrets import WebhookSecrets
from videohook.logic.submit import Submissions, SubmitSettings
from videohook.logic.usage import UsageReports
from videohook.models.clock import utc_now
from videohook.notification_batch import NotificationBatchProcessor
from videohook.ports import (
    CallbackUrlChecker,
    ClientSecretStore,
    DomainEvents,
    JobStore,
    PollWorkQueue,
    WebhookTransport,
)
from videohook.settings import Settings, get_settings

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


class Container:
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

    def overridden(self, **overrides: Any) -> Container:
        """A new container like this one (same settings, session, clock and overrides) with
        some parts replaced; every use case is rebuilt around them."""
        return Container(
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
        return SecretsProvider(boto3_client=self._client("secretsmanager"))

    # --- adapters ---------------------------------------------------------------------------

    @cached_property
    def jobs(self) -> JobStore:
        return JobRepository(
            client=self.dynamodb,
            table_name=self.settings.jobs_table_name,
            pending_partitions=self.settings.pending_partitions,
        )

    @cached_property
    def domain_events(self) -> DomainEvents:
        return EventBridgeDomainEvents(client=self.events, bus_name=self.settings.event_bus_name)

    @cached_property
    def client_secrets(self) -> ClientSecretStore:
        return ClientSecretRepository(client=self.dynamodb, table_name=self.settings.clients_table_name)

    @cached_property
    def idempotency(self) -> DynamoDBIdempotencyStore:
        return DynamoDBIdempotencyStore(client=self.dynamodb, table_name=self.settings.idempotency_table_name)

    @cached_property
    def queue(self) -> SqsNotificationQueue:
        return SqsNotificationQueue(
            client=self.sqs,
            queue_url=self.settings.notify_queue_url,
            dead_letter_queue_url=self.settings.notify_dead_letter_queue_url,
        )

    @cached_property
    def poll_work(self) -> PollWorkQueue | None:
        if not self.settings.poll_work_queue_url:
            return None
        return SqsPollWorkQueue(
            client=self.sqs,
            queue_url=self.settings.poll_work_queue_url,
            jobs_per_message=self.settings.poll_work_message_jobs,
        )

    @cached_property
    def upstream_http(self) -> requests.Session:
        return new_session(pool_size=max(10, self.settings.poll_concurrency))

    @cached_property
    def catalog(self) -> Catalog:
        return Catalog.load()

    @cached_property
    def pacing(self) -> Pacing:
        fallback = self.catalog.default_timing
        return Pacing(
            catalog=self.catalog,
            scale=self.settings.poll_pacing_scale,
            fallback=replace(fallback, max_age_seconds=self.settings.job_max_age_seconds),
            max_interval_seconds=self.settings.poll_max_check_interval_seconds,
        )

    @cached_property
    def upstream(self) -> UpstreamClient:
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
        return S3VideoStore(
            s3_client=self.s3,
            bucket=self.settings.videos_bucket_name,
            http=self.upstream_http,
            download_timeout_seconds=self.settings.video_download_timeout_seconds,
            allow_plain_http=self.settings.local_mode,
        )

    @cached_property
    def guard(self) -> CallbackUrlChecker:
        return CallbackUrlGuard(local_mode=self.settings.local_mode, ports=self.settings.callback_ports)

    @cached_property
    def webhook_transport(self) -> WebhookTransport:
        return PinnedWebhookTransport(timeout_seconds=self.settings.callback_timeout_seconds)

    # --- secrets: fetched through Powertools Parameters, cached for ``secrets_max_age`` ----

    def upstream_api_key(self) -> str:
        return str(
            self.secrets.get(
                self.settings.aimlapi_api_key_secret_id, max_age=self.settings.secrets_max_age_seconds
            )
        )

    # --- use cases --------------------------------------------------------------------------

    @cached_property
    def webhook_secrets(self) -> WebhookSecrets:
        return WebhookSecrets(
            store=self.client_secrets, cache_seconds=self.settings.secrets_max_age_seconds, clock=self.clock
        )

    @cached_property
    def submissions(self) -> Submissions:
        s = self.settings
        return Submissions(
            jobs=self.jobs,
            upstream=self.upstream,
            videos=self.videos,
            queue=self.queue,
            guard=self.guard,
            idempotency=self.idempotency,
            catalog=self.catalog,
            pacing=self.pacing,
            settings=SubmitSettings(
                submit_grace_seconds=s.submit_grace_seconds,
                presigned_url_ttl_seconds=s.presigned_url_ttl_seconds,
            ),
            clock=self.clock,
        )

    @cached_property
    def model_directory(self) -> ModelDirectory:
        return ModelDirectory(catalog=self.catalog)

    @cached_property
    def usage_reports(self) -> UsageReports:
        return UsageReports(jobs=self.jobs, clock=self.clock)

    @cached_property
    def poller(self) -> Poller:
        s = self.settings
        return Poller(
            jobs=self.jobs,
            upstream=self.upstream,
            videos=self.videos,
            queue=self.queue,
            events=self.domain_events,
            pacing=self.pacing,
            settings=PollSettings(
                batch_size=s.poll_batch_size,
                concurrency=s.poll_concurrency,
                lease_seconds=s.poll_lease_seconds,
                deadline_margin_seconds=s.poll_deadline_margin_seconds,
                retention_days=s.job_retention_days,
                loop_seconds=s.poll_loop_seconds,
                idle_wait_seconds=s.poll_idle_wait_seconds,
                fanout_max_jobs=s.poll_fanout_max_jobs,
            ),
            work=self.poll_work,
            clock=self.clock,
        )

    @cached_property
    def notifier(self) -> Notifier:
        return Notifier(
            jobs=self.jobs,
            queue=self.queue,
            videos=self.videos,
            transport=self.webhook_transport,
            signer=self.webhook_secrets.signer_for,
            guard=self.guard,
            settings=NotifySettings(
                retry_delays=self.settings.callback_retry_delays,
                presigned_url_ttl_seconds=self.settings.presigned_url_ttl_seconds,
            ),
            clock=self.clock,
        )

    @cached_property
    def video_probe(self) -> VideoProbe:
        return VideoProbe(objects=self.videos)

    @cached_property
    def notification_batch(self) -> NotificationBatchProcessor:
        return NotificationBatchProcessor(release=self.queue.release)


_installed: Container | None = None


def get_container() -> Container:
    """This execution environment's container, built at the first call (cold start)."""
    global _installed  # noqa: PLW0603 - one container per execution environment
    if _installed is None:
        _installed = Container(get_settings())
    return _installed


def installed() -> Container | None:
    """The container the handlers get now, if one was built or installed."""
    return _installed


def install(container: Container) -> Container:
    """Make ``container`` the one the handlers get (tests, the local stack)."""
    global _installed  # noqa: PLW0603
    _installed = container
    return container


def reset() -> None:
    """Forget settings and clients (tests change the environment between cases)."""
    global _installed  # noqa: PLW0603
    _installed = None
    get_settings.cache_clear()
