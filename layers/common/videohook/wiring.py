"""Chooses the adapters and builds each use case once per execution environment.

Handlers read ``get_container().<use case>.<verb>(...)``. Everything is built lazily, on
first use, from the validated settings; tests build a ``Container`` with what they want
instead (an AWS client, an adapter, a fake, a clock) as constructor arguments, and
``install`` it as the one the handlers get. The parts (clients, adapters, secrets) are in
``wiring_parts.py``; this module puts the use cases together from them, each importing its
module when it is first built, so a function loads only the use case it runs.
"""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING

from videohook.settings import get_settings
from videohook.wiring_parts import OVERRIDABLE, Parts

if TYPE_CHECKING:
    from videohook.logic.model_directory import ModelDirectory
    from videohook.logic.notify import Notifier
    from videohook.logic.poll import Poller
    from videohook.logic.probe import VideoProbe
    from videohook.logic.secrets import WebhookSecrets
    from videohook.logic.submit import Submissions
    from videohook.logic.usage import UsageReports
    from videohook.notification_batch import NotificationBatchProcessor

__all__ = ["OVERRIDABLE", "Container", "get_container", "install", "installed", "reset"]


class Container(Parts):
    # --- use cases --------------------------------------------------------------------------

    @cached_property
    def webhook_secrets(self) -> WebhookSecrets:
        from videohook.logic.secrets import WebhookSecrets

        return WebhookSecrets(
            store=self.client_secrets, cache_seconds=self.settings.secrets_max_age_seconds, clock=self.clock
        )

    @cached_property
    def submissions(self) -> Submissions:
        from videohook.logic.submit import Submissions, SubmitSettings

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
        from videohook.logic.model_directory import ModelDirectory

        return ModelDirectory(catalog=self.catalog)

    @cached_property
    def usage_reports(self) -> UsageReports:
        from videohook.logic.usage import UsageReports

        return UsageReports(jobs=self.jobs, clock=self.clock)

    @cached_property
    def poller(self) -> Poller:
        from videohook.logic.poll import Poller, PollSettings

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
        from videohook.logic.notify import Notifier, NotifySettings

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
        from videohook.logic.probe import VideoProbe

        return VideoProbe(objects=self.videos)

    @cached_property
    def notification_batch(self) -> NotificationBatchProcessor:
        from videohook.notification_batch import NotificationBatchProcessor

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
