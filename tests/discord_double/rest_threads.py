"""REST routes for forum posts, the guild's active threads, and announcement crossposts.

A forum post is a thread whose first message has the thread's id; Discord creates both in one
request (``POST /channels/{forum}/threads``) and tells the bot with THREAD_CREATE. Publishing a
message of an announcement channel (``…/crosspost``) works once; a second time is refused.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from tests.discord_double import payloads as p
from tests.discord_double.gateway import Gateway
from tests.discord_double.rest import Call, Route, discord_error, json_response, message_refusal
from tests.discord_double.state import DoubleState

THREAD_NAME_LIMIT = 100


class ThreadRoutes:
    """``/channels/{forum}/threads`` and ``/channels/{channel}/messages/{message}/crosspost``."""

    def __init__(self, state: DoubleState, gateway: Gateway) -> None:
        self.state = state
        self.gateway = gateway

    def routes(self) -> list[Route]:
        """What this group answers."""
        return [
            ("POST", "/channels/{channel}/threads", self._post_forum_thread),
            ("POST", "/channels/{channel}/messages/{message}/crosspost", self._post_crosspost),
            ("GET", "/guilds/{guild}/threads/active", self._get_active_threads),
        ]

    async def _get_active_threads(self, call: Call) -> web.Response:
        guild = self.state.world.find_guild(int(call.params["guild"]))
        if guild is None:
            return discord_error(404, 10004, "Unknown Guild")
        return json_response(
            200, {"threads": [thread.payload() for thread in guild.threads], "members": []}
        )

    async def _post_forum_thread(self, call: Call) -> web.Response:
        forum = self.state.world.find_channel(int(call.params["channel"]))
        if forum is None:
            return discord_error(404, 10003, "Unknown Channel")
        if forum.type != p.CHANNEL_FORUM:
            return discord_error(400, 50024, "Cannot execute action on this channel type")
        guild = self.state.world.find_guild(forum.guild_id)
        assert guild is not None
        needed = p.VIEW_CHANNEL | p.SEND_MESSAGES
        if self.state.bot_permissions(guild.id) & needed != needed:
            return discord_error(403, 50013, "Missing Permissions")
        body: dict[str, Any] = call.body if isinstance(call.body, dict) else {}
        name = str(body.get("name") or "")
        if not 1 <= len(name) <= THREAD_NAME_LIMIT:
            return json_response(
                400,
                p.invalid_form_body(
                    {
                        "name": {
                            "_errors": [
                                {
                                    "code": "BASE_TYPE_BAD_LENGTH",
                                    "message": f"Must be between 1 and {THREAD_NAME_LIMIT} in "
                                    "length.",
                                }
                            ]
                        }
                    }
                ),
            )
        first = body.get("message")
        if not isinstance(first, dict):
            return json_response(400, p.invalid_form_body({"message": "required"}))
        refusal = message_refusal(first, call.files)
        if refusal is not None:
            return refusal
        known_tags = {tag_id for tag_id, _ in forum.tags}
        tags = tuple(int(tag) for tag in body.get("applied_tags") or [])
        if any(tag not in known_tags for tag in tags):
            return json_response(400, p.invalid_form_body({"applied_tags": "unknown tag"}))
        if forum.flags & p.FORUM_REQUIRE_TAG and not tags:
            return discord_error(
                400, 40067, "A tag is required to create a forum post in this channel"
            )
        thread = p.FakeThread(
            id=p.new_snowflake(),
            name=name,
            guild_id=guild.id,
            type=p.CHANNEL_PUBLIC_THREAD,
            parent_id=forum.id,
            owner_id=self.state.world.bot_user.id,
            applied_tags=tags,
        )
        guild.threads.append(thread)
        message = self.state.new_message(
            channel_id=thread.id,
            guild_id=guild.id,
            body=first,
            files=call.files,
            kind="channel",
            ephemeral=False,
        )
        # A forum post's first message has the thread's id.
        del self.state.messages[message.id]
        message.id = thread.id
        self.state.messages[message.id] = message
        await self.gateway.announce_thread(thread)
        await self.gateway.echo("MESSAGE_CREATE", message)
        return json_response(201, {**thread.payload(), "message": message.payload()})

    async def _post_crosspost(self, call: Call) -> web.Response:
        channel = self.state.world.find_channel(int(call.params["channel"]))
        if channel is None:
            return discord_error(404, 10003, "Unknown Channel")
        message = self.state.messages.get(int(call.params["message"]))
        if message is None or message.deleted or message.channel_id != channel.id:
            return discord_error(404, 10008, "Unknown Message")
        if channel.type != p.CHANNEL_ANNOUNCEMENT:
            return discord_error(400, 50024, "Cannot execute action on this channel type")
        if message.flags & p.CROSSPOSTED_FLAG:
            return discord_error(400, 40033, "This message has already been crossposted.")
        is_own = message.author.id == self.state.world.bot_user.id
        permissions = self.state.bot_permissions(channel.guild_id)
        if not (permissions & p.SEND_MESSAGES if is_own else permissions & p.MANAGE_MESSAGES):
            return discord_error(403, 50013, "Missing Permissions")
        message.flags |= p.CROSSPOSTED_FLAG
        message.crossposts += 1
        await self.gateway.echo("MESSAGE_UPDATE", message)
        return json_response(200, message.payload())
