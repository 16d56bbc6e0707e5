"""The per-chat confirmation policy for orders: always, never, or above a volume (defaults by chat kind)."""

from __future__ import annotations

from fxbot.storage import ChatSettings

DEFAULT_PRIVATE_ABOVE_LOTS = 1.0


def confirmation_needed(settings: ChatSettings, *, private_chat: bool, volume: float) -> bool:
    """Whether an order of `volume` lots needs a Confirm press in this chat.

    Unset: always in a group, above 1.0 lot in a private chat. `above X`: only when volume > X.
    """
    mode = settings.confirm_mode
    if mode is None:
        return volume > DEFAULT_PRIVATE_ABOVE_LOTS + 1e-9 if private_chat else True
    if mode == "always":
        return True
    if mode == "never":
        return False
    threshold = settings.confirm_above if settings.confirm_above is not None else DEFAULT_PRIVATE_ABOVE_LOTS
    return volume > threshold + 1e-9


def describe_policy(settings: ChatSettings, *, private_chat: bool) -> str:
    """The policy in words, e.g. "confirm orders above 1.00 lot (default for private chats)"."""
    mode = settings.confirm_mode
    if mode is None:
        if private_chat:
            return f"confirm orders above {DEFAULT_PRIVATE_ABOVE_LOTS:.2f} lot (default for private chats)"
        return "confirm every order (default for group chats)"
    if mode == "always":
        return "confirm every order"
    if mode == "never":
        return "send orders at once"
    threshold = settings.confirm_above if settings.confirm_above is not None else DEFAULT_PRIVATE_ABOVE_LOTS
    return f"confirm orders above {threshold:.2f} lots"
