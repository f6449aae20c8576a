"""REST routes for guilds and channels: channels, members, typing, and channel messages.

Messages the bot posts in a channel (not interaction answers): created with Discord's nonce
dedupe, fetched, edited, deleted; creations, edits and deletions are echoed over the gateway.
"""

from __future__ import annotations

import time

from aiohttp import web

from tests.discord_double import payloads as p
from tests.discord_double.gateway import Gateway
from tests.discord_double.records import SentMessage
from tests.discord_double.rest import Call, Route, discord_error, json_response, message_refusal
from tests.discord_double.state import DoubleState


class ChannelRoutes:
    """``/channels/{channel}…`` and ``/guilds/{guild}/members/{user}``."""

    def __init__(self, state: DoubleState, gateway: Gateway) -> None:
        self.state = state
        self.gateway = gateway

    def routes(self) -> list[Route]:
        """What this group answers."""
        return [
            ("GET", "/channels/{channel}", self._get_channel),
            ("POST", "/channels/{channel}/messages", self._post_channel_message),
            ("GET", "/channels/{channel}/messages/{message}", self._get_channel_message),
            ("PATCH", "/channels/{channel}/messages/{message}", self._patch_channel_message),
            ("DELETE", "/channels/{channel}/messages/{message}", self._delete_channel_message),
            ("POST", "/channels/{channel}/typing", self._post_typing),
            ("GET", "/guilds/{guild}/members/{user}", self._get_member),
        ]

    async def _get_channel(self, call: Call) -> web.Response:
        channel = self.state.world.find_channel(int(call.params["channel"]))
        if channel is None:
            return discord_error(404, 10003, "Unknown Channel")
        return json_response(200, channel.payload())

    async def _get_member(self, call: Call) -> web.Response:
        guild = self.state.world.find_guild(int(call.params["guild"]))
        if guild is None:
            return discord_error(404, 10004, "Unknown Guild")
        member = guild.member(int(call.params["user"]))
        if member is None:
            return discord_error(404, 10007, "Unknown Member")
        return json_response(200, member.payload(guild))

    async def _post_typing(self, call: Call) -> web.Response:
        if self.state.world.find_channel(int(call.params["channel"])) is None:
            return discord_error(404, 10003, "Unknown Channel")
        return web.Response(status=204)

    async def _post_channel_message(self, call: Call) -> web.Response:
        channel = self.state.world.find_channel(int(call.params["channel"]))
        if channel is None:
            return discord_error(404, 10003, "Unknown Channel")
        needed = p.VIEW_CHANNEL | p.SEND_MESSAGES
        if self.state.bot_permissions(channel.guild_id) & needed != needed:
            return discord_error(403, 50013, "Missing Permissions")
        refusal = message_refusal(call.body, call.files)
        if refusal is not None:
            return refusal
        # Discord's enforce_nonce: a message this author already created with the same nonce in
        # the past few minutes is returned as it is instead of being posted a second time.
        body = call.body if isinstance(call.body, dict) else {}
        nonce = str(body["nonce"]) if body.get("nonce") is not None else None
        nonce_key = (
            (self.state.world.bot_user.id, nonce) if nonce and body.get("enforce_nonce") else None
        )
        if nonce_key is not None and nonce_key in self.state.nonces:
            created_at, earlier_id = self.state.nonces[nonce_key]
            earlier = self.state.messages.get(earlier_id)
            if earlier is not None and time.monotonic() - created_at < self.state.nonce_dedupe_s:
                if earlier.deleted:
                    return discord_error(404, 10008, "Unknown Message")
                return json_response(200, earlier.payload())
        message = self.state.new_message(
            channel_id=channel.id,
            guild_id=channel.guild_id,
            body=call.body,
            files=call.files,
            kind="channel",
            ephemeral=False,
        )
        message.nonce = nonce
        if nonce_key is not None:
            self.state.nonces[nonce_key] = (time.monotonic(), message.id)
        await self.gateway.echo("MESSAGE_CREATE", message)
        if self.state.hold_channel_posts is not None:
            self.state.notify()
            await self.state.hold_channel_posts.wait()
        return json_response(200, message.payload())

    def _channel_message(self, call: Call) -> SentMessage | web.Response:
        if self.state.world.find_channel(int(call.params["channel"])) is None:
            return discord_error(404, 10003, "Unknown Channel")
        message = self.state.messages.get(int(call.params["message"]))
        if message is None or message.deleted or str(message.channel_id) != call.params["channel"]:
            return discord_error(404, 10008, "Unknown Message")
        if message.ephemeral:
            return discord_error(404, 10008, "Unknown Message")
        return message

    async def _get_channel_message(self, call: Call) -> web.Response:
        found = self._channel_message(call)
        if isinstance(found, web.Response):
            return found
        return json_response(200, found.payload())

    async def _patch_channel_message(self, call: Call) -> web.Response:
        found = self._channel_message(call)
        if isinstance(found, web.Response):
            return found
        if found.author.id != self.state.world.bot_user.id:
            return discord_error(403, 50005, "Cannot edit a message authored by another user")
        refusal = message_refusal(call.body, call.files, editing=True)
        if refusal is not None:
            return refusal
        self.state.apply_edit(found, call.body or {})
        await self.gateway.echo("MESSAGE_UPDATE", found)
        return json_response(200, found.payload())

    async def _delete_channel_message(self, call: Call) -> web.Response:
        found = self._channel_message(call)
        if isinstance(found, web.Response):
            return found
        if found.author.id != self.state.world.bot_user.id and not (
            self.state.bot_permissions(found.guild_id) & p.MANAGE_MESSAGES
        ):
            return discord_error(403, 50013, "Missing Permissions")
        found.deleted = True
        await self.gateway.echo_delete(found)
        return web.Response(status=204)
