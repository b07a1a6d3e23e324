"""Identities of one incident: its `dedup_key`, `incident_id` and per-notification ids.

An incident's key is the check key plus a suffix naming this incident::

    <contract id>:<check type>:<element or *>#<n>-<opened at, UTC, basic ISO 8601>
    urn:contract:orders:freshness:orders.updated_at#3-20260131T093000Z

Channels thread on `dedup_key` (PagerDuty alert, Slack thread, e-mail References), so it
must stay the same for one incident's whole life and differ for the next incident of
the same check: otherwise a new incident would land in the resolved one's Slack thread
or e-mail conversation. The sequence number ``n`` keeps keys apart while the state is
kept; the opening time keeps them apart even if the stored state is lost and ``n``
starts again at 1. Everything derives from the inputs, so the tracker stays pure.
"""

from __future__ import annotations

import hashlib
import uuid
from datetime import datetime

from floe_monitoring.sdk.event import MAX_DEDUP_KEY_LENGTH

__all__ = ["evaluation_dedup_key", "incident_dedup_key", "notification_id", "stable_id"]

# Fixed so ids derived today are the same ids tomorrow; never change it.
_NAMESPACE = uuid.UUID("6f1c2a52-3d4e-5b7a-9c1d-0e8f4b2a7c60")


def _stamp(at: datetime) -> str:
    # Basic ISO 8601 keeps the key short and sortable; sub-seconds only when present.
    fraction = f".{at.microsecond:06d}" if at.microsecond else ""
    return f"{at:%Y%m%dT%H%M%S}{fraction}Z"


def _bounded(check_key: str, suffix: str) -> str:
    key = f"{check_key}#{suffix}"
    if len(key) <= MAX_DEDUP_KEY_LENGTH:
        return key
    # Hash only the check part: the suffix stays readable and incidents stay distinct.
    digest = hashlib.sha256(check_key.encode("utf-8", "surrogatepass")).hexdigest()
    return f"sha256:{digest}#{suffix}"


def incident_dedup_key(check_key: str, sequence: int, opened_at: datetime) -> str:
    """The dedup key of the ``sequence``-th incident of a check, opened at ``opened_at``.

    At most 255 characters (PagerDuty's limit): a longer check key is replaced by its
    SHA-256 digest.
    """
    return _bounded(check_key, f"{sequence}-{_stamp(opened_at)}")


def evaluation_dedup_key(check_key: str, errors_since: datetime) -> str:
    """The dedup key of a "cannot evaluate" episode that began at ``errors_since``."""
    return _bounded(check_key, f"cannot-evaluate-{_stamp(errors_since)}")


def stable_id(dedup_key: str) -> uuid.UUID:
    """A UUID that names the incident (or episode) with ``dedup_key``; same key, same id."""
    return uuid.uuid5(_NAMESPACE, dedup_key)


def notification_id(incident_id: uuid.UUID, kind: str, at: datetime, occurrences: int) -> uuid.UUID:
    """A fresh event id for one notification, derived so a replay yields the same id.

    Two notifications of one incident differ in kind, time or occurrence count, so their
    ids differ; replaying the same input gives the same id, which receivers already drop
    as a duplicate.
    """
    return uuid.uuid5(incident_id, f"{kind}#{occurrences}@{at.isoformat()}")
