"""Message channels: webhooks, SMS and the Telegram bot; e-mail next (docs/channels.md).

Each channel is one module of this package implementing `interface.Channel` (send a delivery →
an outcome; receive a message → a reply) and a `make(settings)` that builds it, or gives None
when it is not configured. Listing the module in `MODULES` is all it takes for every server
process's dispatcher, and `nezlam webhook deliver`, to send its deliveries.
"""

from __future__ import annotations

from types import ModuleType
from typing import TYPE_CHECKING

from nezlam.channels import sms, telegram, webhooks

if TYPE_CHECKING:
    from nezlam.channels.interface import Channel
    from nezlam.config import Settings

MODULES: tuple[ModuleType, ...] = (webhooks, sms, telegram)


def built_in(settings: Settings | None = None) -> list[Channel]:
    """The channels that are configured, in the order of MODULES."""
    made = (module.make(settings) for module in MODULES)
    return [channel for channel in made if channel is not None]
