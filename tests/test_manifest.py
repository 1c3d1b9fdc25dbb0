"""manifest.yml is valid for Slack and asks for exactly the scopes the app uses."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import jsonschema
import yaml

ROOT = Path(__file__).resolve().parents[1]
# Slack's manifest schema (slackapi/manifest-schema, MIT), copied from shared/.
SCHEMA = json.loads((ROOT / "tests/fixtures/slack-manifest.schema.json").read_text(encoding="utf-8"))
MANIFEST = yaml.safe_load((ROOT / "manifest.yml").read_text(encoding="utf-8"))

# The Web API methods each scope covers (Slack's scope docs).
SCOPE_OF_METHOD: dict[str, tuple[str, ...]] = {
    "chat_postMessage": ("chat:write",),
    "chat_update": ("chat:write",),
    "chat_postEphemeral": ("chat:write",),
    # A bot token deletes only the bot's own messages; chat:write covers it.
    "chat_delete": ("chat:write",),
    "views_open": (),
    "views_publish": (),
    "views_update": (),
    "conversations_open": ("im:write",),
    "users_info": ("users:read",),
    "users_list": ("users:read",),
    "files_upload_v2": ("files:write",),
    # Members of public and of private channels.
    "conversations_members": ("channels:read", "groups:read"),
    # Whether the bot is in a channel it is asked to announce an event in (public and private).
    "conversations_info": ("channels:read", "groups:read"),
}
# The scopes each subscribed event needs (Slack's event docs), and the type Bolt binds it as:
# Bolt refuses "message.im" and binds every message event as "message".
SCOPE_OF_EVENT: dict[str, tuple[str, ...]] = {
    "app_home_opened": (),
    "message.im": ("im:history",),
    # Slack sends these to every app, whatever its scopes.
    "app_uninstalled": (),
    "tokens_revoked": (),
}
LISTENER_OF_EVENT = {"message.im": "message"}


def test_manifest_validates_against_slacks_schema() -> None:
    jsonschema.validate(MANIFEST, SCHEMA)


def test_peer_command_escapes_mentions_and_everything_points_at_one_endpoint() -> None:
    [command] = MANIFEST["features"]["slash_commands"]
    assert command["command"] == "/peer" and command["should_escape"] is True
    urls = {
        command["url"],
        MANIFEST["settings"]["interactivity"]["request_url"],
        MANIFEST["settings"]["event_subscriptions"]["request_url"],
    }
    assert len(urls) == 1 and next(iter(urls)).endswith("/slack/events")
    home = MANIFEST["features"]["app_home"]
    assert home["home_tab_enabled"] and home["messages_tab_enabled"]
    assert MANIFEST["settings"]["interactivity"]["is_enabled"]
    assert MANIFEST["settings"]["token_rotation_enabled"] is False


def test_bot_scopes_are_exactly_those_the_code_uses() -> None:
    used_methods = set()
    for path in (ROOT / "handlers").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Attribute) and node.attr in SCOPE_OF_METHOD:
                used_methods.add(node.attr)
    needed = {"commands"} | {scope for m in used_methods for scope in SCOPE_OF_METHOD[m]}
    events = MANIFEST["settings"]["event_subscriptions"]["bot_events"]
    needed |= {scope for event in events for scope in SCOPE_OF_EVENT[event]}
    assert set(MANIFEST["oauth_config"]["scopes"]["bot"]) == needed
    assert {"chat_postMessage", "chat_update", "views_open"} <= used_methods


def test_subscribed_events_have_listeners() -> None:
    # Each feature's listeners.py, and distribution mode's (handlers/oauth.py).
    paths = [*(ROOT / "handlers").rglob("listeners.py"), ROOT / "handlers/oauth.py"]
    source = "".join(p.read_text(encoding="utf-8") for p in paths)
    for event in MANIFEST["settings"]["event_subscriptions"]["bot_events"]:
        assert f'app.event("{LISTENER_OF_EVENT.get(event, event)}")' in source


def test_the_readme_lists_exactly_the_manifest_scopes_each_with_a_reason() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("The app asks only for the bot scopes it uses", 1)[1].split("\n\n", 2)[1]
    listed: dict[str, str] = {}
    for line in section.splitlines():
        if line.startswith("- `"):
            names, _, reason = line[2:].partition("`: ")
            for name in names.split(","):
                listed[name.strip().strip("`")] = reason.strip()
    assert set(listed) == set(MANIFEST["oauth_config"]["scopes"]["bot"])
    assert all(len(reason) > 10 for reason in listed.values()), listed


def test_distribution_mode_asks_for_the_manifest_scopes_and_comes_back_to_the_redirect_path() -> None:
    from handlers.oauth import BOT_SCOPES, REDIRECT_PATH

    # One list: an install asks Slack for exactly what the manifest (and so this test file) names.
    assert list(BOT_SCOPES) == MANIFEST["oauth_config"]["scopes"]["bot"]
    [redirect] = MANIFEST["oauth_config"]["redirect_urls"]
    assert redirect.startswith("https://") and redirect.endswith(REDIRECT_PATH)
    events_url = MANIFEST["settings"]["event_subscriptions"]["request_url"]
    assert redirect.removesuffix(REDIRECT_PATH) == events_url.removesuffix("/slack/events")
