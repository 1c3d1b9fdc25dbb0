"""Statistics across offices (``/peer association``), for the deployment's association
administrators only: the Slack side of the feature."""

from __future__ import annotations

from handlers.association import commands
from handlers.common.feature import Feature

FEATURE = Feature(
    name="association",
    register=lambda app: None,  # a command only: no buttons, modals or events
    deployment_reports=commands.DEPLOYMENT_REPORTS,
)
