"""A local stand-in for Slack's Web API, shared by the tests and the demo."""

from slack_standin.server import Call, Fault, SlackStandIn, fault_plan

__all__ = ["Call", "Fault", "SlackStandIn", "fault_plan"]
