"""ScaleOutSettings: the `scaleout:` config section (partitions, lease timings, worker id, API budget split)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, model_validator


class ScaleOutSettings(BaseModel):
    """Timings of the leases that split the work between processes (only read by roles other than `all`).

    A dead worker's partitions (and a dead scheduler's leadership) are taken over within
    `lease_s + renew_s` seconds; environment overrides: FXBOT_SCALEOUT__LEASE_S, FXBOT_SCALEOUT__RENEW_S, ….
    """

    model_config = ConfigDict(extra="forbid")
    partitions: int = Field(default=32, ge=1, le=4096)  # hash buckets of stored keys (the unit one stream serves)
    lease_s: float = Field(default=30.0, gt=0)  # how long a claim lasts without renewal
    renew_s: float = Field(default=10.0, gt=0)  # how often leases and heartbeats are renewed
    worker_id: str | None = None  # this process's lease owner id (default: host-pid-random)
    api_budget: int = Field(default=60, ge=2)  # FxSocket requests per second and account, for all processes
    worker_api_share: float = Field(default=0.5, gt=0, lt=1)  # the worker holding the account (stream, reconcile)
    front_api_share: float = Field(default=0.3, gt=0, lt=1)  # each front process (chat commands); the rest of
    # the budget goes to the scheduler (digests). The delivery process never calls FxSocket.

    @model_validator(mode="after")
    def _renew_well_within_lease(self) -> ScaleOutSettings:
        if self.renew_s * 2 > self.lease_s:
            raise ValueError(f"renew_s ({self.renew_s}) must be at most half of lease_s ({self.lease_s}), "
                             "so one missed renewal does not lose a lease")
        if self.worker_api_share + self.front_api_share >= 1:
            raise ValueError("worker_api_share + front_api_share must leave a part of the budget for the scheduler")
        return self

    def api_budget_for(self, role: str) -> int:
        """Requests per second and account this role's process may make (all: the whole budget)."""
        share = {"worker": self.worker_api_share, "front": self.front_api_share,
                 "scheduler": 1 - self.worker_api_share - self.front_api_share}.get(role)
        if share is None:
            return self.api_budget
        return max(1, int(self.api_budget * share))
