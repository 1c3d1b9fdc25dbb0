"""Anonymous conversations relayed through the app: the Slack side of the feature."""

from __future__ import annotations

from handlers.common.feature import Feature
from handlers.relay import listeners
from handlers.relay.ids import RelayAction, RelayBlockId, RelayCallback, RelayField

FEATURE = Feature(
    name="relay",
    register=listeners.register,
    actions=(RelayAction,),
    callbacks=(RelayCallback,),
    fields=(RelayField,),
    block_ids=(RelayBlockId,),
)
