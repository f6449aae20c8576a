"""Presentation without Discord: plain text for the console and CLI, JSON for scripts.

Renderers read only bot.domain values; Discord embeds live beside the cogs (commands/embeds.py).
"""
