"""REST routes for interactions: the callback, followups, and the interaction's messages.

Discord's rules live here: the 3-second deadline, one callback per interaction, and the first
followup after a deferral replacing the "thinking" message with the deferral's visibility.
"""

from __future__ import annotations

import asyncio
from typing import Any

from aiohttp import web

from tests.discord_double import payloads as p
from tests.discord_double.gateway import Gateway
from tests.discord_double.records import (
    CALLBACK_AUTOCOMPLETE,
    CALLBACK_DEFERRED_MESSAGE,
    CALLBACK_DEFERRED_UPDATE,
    CALLBACK_MESSAGE,
    CALLBACK_MODAL,
    CALLBACK_PONG,
    CALLBACK_UPDATE_MESSAGE,
    InteractionRecord,
    SentMessage,
)
from tests.discord_double.rest import Call, Route, discord_error, json_response, message_refusal
from tests.discord_double.state import DoubleState


class InteractionRoutes:
    """``/interactions/{id}/{token}/callback`` and ``/webhooks/{app}/{token}…``."""

    def __init__(self, state: DoubleState, gateway: Gateway) -> None:
        self.state = state
        self.gateway = gateway

    def routes(self) -> list[Route]:
        """What this group answers."""
        return [
            ("POST", "/interactions/{interaction}/{token}/callback", self._post_callback),
            ("POST", "/webhooks/{app}/{token}", self._post_followup),
            ("GET", "/webhooks/{app}/{token}/messages/{message}", self._get_webhook_message),
            ("PATCH", "/webhooks/{app}/{token}/messages/{message}", self._patch_webhook_message),
            ("DELETE", "/webhooks/{app}/{token}/messages/{message}", self._delete_webhook_message),
        ]

    async def _post_callback(self, call: Call) -> web.Response:
        interaction = self.state.interactions.get(int(call.params["interaction"]))
        if interaction is None or interaction.token != call.params["token"]:
            return discord_error(404, 10062, "Unknown interaction")
        if (
            asyncio.get_running_loop().time() - interaction.created_at
            > self.state.interaction_deadline_s
        ):
            return discord_error(404, 10062, "Unknown interaction")
        if interaction.callback_type is not None:
            return discord_error(400, 40060, "Interaction has already been acknowledged.")
        body = call.body if isinstance(call.body, dict) else {}
        callback_type = body.get("type")
        data = body.get("data") or {}
        resource: dict[str, Any] | None = None
        if callback_type in (CALLBACK_MESSAGE, CALLBACK_UPDATE_MESSAGE):
            refusal = message_refusal(
                data, call.files, editing=callback_type == CALLBACK_UPDATE_MESSAGE
            )
            if refusal is not None:
                return refusal
        if callback_type == CALLBACK_AUTOCOMPLETE and len(data.get("choices") or []) > 25:
            return json_response(400, p.invalid_form_body({"choices": "Must be 25 or fewer"}))
        if callback_type not in (
            CALLBACK_PONG,
            CALLBACK_MESSAGE,
            CALLBACK_DEFERRED_MESSAGE,
            CALLBACK_DEFERRED_UPDATE,
            CALLBACK_UPDATE_MESSAGE,
            CALLBACK_AUTOCOMPLETE,
            CALLBACK_MODAL,
        ):
            return json_response(400, p.invalid_form_body({"type": "Invalid callback type"}))
        interaction.callback = body
        interaction.callback_type = callback_type
        message: SentMessage | None = None
        if callback_type == CALLBACK_MESSAGE:
            message = self.state.new_message(
                channel_id=interaction.channel_id,
                guild_id=interaction.guild_id,
                body=data,
                files=call.files,
                kind="response",
                ephemeral=interaction.forced_ephemeral
                or bool(int(data.get("flags") or 0) & p.EPHEMERAL_FLAG),
                interaction_id=interaction.id,
            )
        elif callback_type == CALLBACK_DEFERRED_MESSAGE:
            interaction.deferred_ephemeral = interaction.forced_ephemeral or bool(
                int(data.get("flags") or 0) & p.EPHEMERAL_FLAG
            )
            message = self.state.new_message(
                channel_id=interaction.channel_id,
                guild_id=interaction.guild_id,
                body={},
                files=(),
                kind="response",
                ephemeral=interaction.deferred_ephemeral,
                interaction_id=interaction.id,
                loading=True,
            )
        elif callback_type == CALLBACK_UPDATE_MESSAGE:
            target = self._component_message(interaction)
            if target is not None:
                self.state.apply_edit(target, data)
        if message is not None:
            interaction.original_message_id = message.id
            interaction.messages.append(message)
            await self.gateway.echo("MESSAGE_CREATE", message)
            resource = {"type": callback_type, "message": message.payload()}
        if call.request.query.get("with_response") not in ("1", "true", "True"):
            return web.Response(status=204)
        summary: dict[str, Any] = {
            "id": str(interaction.id),
            "type": interaction.type,
            "response_message_loading": callback_type == CALLBACK_DEFERRED_MESSAGE,
            "response_message_ephemeral": bool(message and message.ephemeral),
        }
        if message is not None:
            summary["response_message_id"] = str(message.id)
        answer: dict[str, Any] = {"interaction": summary}
        if resource is not None:
            answer["resource"] = resource
        return json_response(200, answer)

    def _component_message(self, interaction: InteractionRecord) -> SentMessage | None:
        raw = interaction.payload.get("message")
        return self.state.messages.get(int(raw["id"])) if raw else None

    def _webhook_interaction(self, call: Call) -> InteractionRecord | web.Response:
        if call.params["app"] != str(self.state.world.application_id):
            return discord_error(404, 10015, "Unknown Webhook")
        interaction = next(
            (i for i in self.state.interactions.values() if i.token == call.params["token"]), None
        )
        if interaction is None or interaction.callback_type is None:
            return discord_error(404, 10015, "Unknown Webhook")
        return interaction

    async def _post_followup(self, call: Call) -> web.Response:
        interaction = self._webhook_interaction(call)
        if isinstance(interaction, web.Response):
            return interaction
        refusal = message_refusal(call.body, call.files)
        if refusal is not None:
            return refusal
        body = call.body if isinstance(call.body, dict) else {}
        original = interaction.original
        if interaction.deferred and not interaction.deferral_completed and original is not None:
            # Discord: the first followup replaces the "thinking" message and keeps its
            # visibility; the followup's own ephemeral flag is ignored.
            self.state.apply_edit(original, body)
            original.files = call.files
            original.edit_count = 0
            original.edited_timestamp = None
            interaction.deferral_completed = True
            message = original
            await self.gateway.echo("MESSAGE_UPDATE", message)
        else:
            message = self.state.new_message(
                channel_id=interaction.channel_id,
                guild_id=interaction.guild_id,
                body=body,
                files=call.files,
                kind="followup",
                ephemeral=interaction.forced_ephemeral
                or bool(int(body.get("flags") or 0) & p.EPHEMERAL_FLAG),
                interaction_id=interaction.id,
            )
            interaction.messages.append(message)
            await self.gateway.echo("MESSAGE_CREATE", message)
        if call.request.query.get("wait") not in ("1", "true", "True"):
            return web.Response(status=204)
        return json_response(200, message.payload())

    def _webhook_message(self, call: Call) -> tuple[InteractionRecord, SentMessage] | web.Response:
        interaction = self._webhook_interaction(call)
        if isinstance(interaction, web.Response):
            return interaction
        wanted = call.params["message"]
        if wanted == "@original":
            message = interaction.original
        else:
            message = next((m for m in interaction.messages if str(m.id) == wanted), None)
        if message is None or message.deleted:
            return discord_error(404, 10008, "Unknown Message")
        return interaction, message

    async def _get_webhook_message(self, call: Call) -> web.Response:
        found = self._webhook_message(call)
        if isinstance(found, web.Response):
            return found
        return json_response(200, found[1].payload())

    async def _patch_webhook_message(self, call: Call) -> web.Response:
        found = self._webhook_message(call)
        if isinstance(found, web.Response):
            return found
        interaction, message = found
        refusal = message_refusal(call.body, call.files, editing=True)
        if refusal is not None:
            return refusal
        self.state.apply_edit(message, call.body if isinstance(call.body, dict) else {})
        if call.files:
            message.files = call.files
        if message.id == interaction.original_message_id and interaction.deferred:
            interaction.deferral_completed = True
        await self.gateway.echo("MESSAGE_UPDATE", message)
        return json_response(200, message.payload())

    async def _delete_webhook_message(self, call: Call) -> web.Response:
        found = self._webhook_message(call)
        if isinstance(found, web.Response):
            return found
        interaction, message = found
        message.deleted = True
        if message.id == interaction.original_message_id and interaction.deferred:
            # With the "thinking" message gone, later followups keep their own visibility.
            interaction.deferral_completed = True
        if not message.ephemeral:
            await self.gateway.echo_delete(message)
        return web.Response(status=204)
