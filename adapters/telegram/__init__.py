"""The Telegram chat adapter (python-telegram-bot 22): translates Bot API updates and renders neutral replies."""
