"""The services: the only thing the front ends (Discord cogs, console, CLI) call.

They take and return bot.domain values, hold no Discord objects, read and write through the
storage Protocols and run CPU work through the analysis pool.
"""
