"""REST routes for who the bot is: its user, the gateway URL, its application and commands."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aiohttp import web

from tests.discord_double import payloads as p
from tests.discord_double.rest import Call, Route, discord_error, json_response
from tests.discord_double.state import DoubleState


class ApplicationRoutes:
    """``/users/@me``, ``/gateway(/bot)``, ``/oauth2/applications/@me`` and command sync."""

    def __init__(self, state: DoubleState, *, gateway_url: Callable[[], str]) -> None:
        self.state = state
        self._gateway_url = gateway_url

    def routes(self) -> list[Route]:
        """What this group answers."""
        return [
            ("GET", "/users/@me", self._get_me),
            ("GET", "/gateway", self._get_gateway),
            ("GET", "/gateway/bot", self._get_gateway),
            ("GET", "/oauth2/applications/@me", self._get_application),
            ("GET", "/applications/{app}/commands", self._get_commands),
            ("PUT", "/applications/{app}/commands", self._put_commands),
            ("GET", "/applications/{app}/guilds/{guild}/commands", self._get_commands),
            ("PUT", "/applications/{app}/guilds/{guild}/commands", self._put_commands),
        ]

    async def _get_me(self, call: Call) -> web.Response:
        return json_response(200, self.state.world.bot_user.payload())

    async def _get_gateway(self, call: Call) -> web.Response:
        answer: dict[str, Any] = {"url": self._gateway_url()}
        if call.path.endswith("/bot"):
            answer["shards"] = 1
            answer["session_start_limit"] = {
                "total": 1000,
                "remaining": 999,
                "reset_after": 86_400_000,
                "max_concurrency": 1,
            }
        return json_response(200, answer)

    async def _get_application(self, call: Call) -> web.Response:
        return json_response(200, self.state.world.application_payload())

    def _check_application(self, call: Call) -> web.Response | None:
        if call.params["app"] != str(self.state.world.application_id):
            return discord_error(403, 50001, "Missing Access")
        return None

    async def _get_commands(self, call: Call) -> web.Response:
        refusal = self._check_application(call)
        if refusal is not None:
            return refusal
        guild = call.params.get("guild")
        commands = (
            self.state.global_commands
            if guild is None
            else self.state.guild_commands.get(int(guild), [])
        )
        return json_response(200, commands)

    async def _put_commands(self, call: Call) -> web.Response:
        refusal = self._check_application(call)
        if refusal is not None:
            return refusal
        guild = call.params.get("guild")
        if guild is not None and self.state.world.find_guild(int(guild)) is None:
            return discord_error(403, 50001, "Missing Access")
        submitted = call.body or []
        errors = p.command_errors(submitted)
        if errors:
            return json_response(400, p.invalid_form_body(errors))
        if len([c for c in submitted if c.get("type", 1) == 1]) > 100:
            return discord_error(400, 30032, "Maximum number of application commands reached (100)")
        stored = []
        for command in submitted:
            entry = {
                "id": str(p.new_snowflake()),
                "application_id": str(self.state.world.application_id),
                "version": str(p.new_snowflake()),
                "type": command.get("type", 1),
                "name": command["name"],
                "description": command.get("description", ""),
                "options": command.get("options", []),
                "default_member_permissions": (
                    None
                    if command.get("default_member_permissions") is None
                    else str(command["default_member_permissions"])
                ),
                "dm_permission": command.get("dm_permission", True),
                "nsfw": command.get("nsfw", False),
                "contexts": command.get("contexts"),
                "integration_types": command.get("integration_types", [0]),
                "name_localizations": command.get("name_localizations"),
                "description_localizations": command.get("description_localizations"),
            }
            if guild is not None:
                entry["guild_id"] = guild
            stored.append(entry)
        if guild is None:
            self.state.global_commands = stored
        else:
            self.state.guild_commands[int(guild)] = stored
        return json_response(200, stored)
