"""PublishingStopStore: the managed-stop store of a front process, telling the workers when /be or /trail changed.

Bot-managed stops live in the workers' memory (fxbot.management); a front that stores, changes or removes
one publishes `managed_stops`, and each worker reloads its stops (`ManagementService.load`).
"""

from __future__ import annotations

from fxbot.management.rules import ManagedRule, RuleKind
from fxbot.management.store import ManagedStopStore
from fxbot.scaleout.change_feed import MANAGED_STOPS, ChangeFeed
from fxbot.storage.database import Database


class PublishingStopStore(ManagedStopStore):
    """A ManagedStopStore whose rule changes are published on the change feed."""

    def __init__(self, db: Database, feed: ChangeFeed) -> None:
        super().__init__(db)
        self._feed = feed

    async def upsert(self, rule: ManagedRule) -> ManagedRule:
        saved = await super().upsert(rule)
        await self._feed.publish(MANAGED_STOPS, str(saved.id))
        return saved

    async def delete(self, rule_id: int) -> bool:
        deleted = await super().delete(rule_id)
        if deleted:
            await self._feed.publish(MANAGED_STOPS, str(rule_id))
        return deleted

    async def delete_position(self, account_id: str, position_id: str, kind: RuleKind | None = None) -> int:
        count = await super().delete_position(account_id, position_id, kind)
        if count:
            await self._feed.publish(MANAGED_STOPS, position_id)
        return count
