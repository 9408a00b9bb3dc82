"""Needs and pledges: what a point lacks, which organisation promised to bring it, whether it came.

Who answers for a point (its operators, its region's coordinators, admins) posts and closes its
needs. Members of an organisation (donors, NGOs: a user whose `organisation_id` is set) pledge
against needs they may see and mark their pledges delivered; once delivered pledges reach the
quantity asked for, the need is met. Every change is in the audit log ("need", "pledge").

Who sees a need follows the point's visibility, as the public API does: a public point's needs
with its address, a protected (`locality_only`) point's with its locality only and without the
operator's free-text details, a hidden point's never — except for the coordinators of its region.

The parts: `visibility` (who sees a need, how much of its point, who manages it), `posting`
(needs posted and closed), `pledges` (promised, delivered, withdrawn), `listing` (the reads),
`demo` (the demo's needs).
"""

from __future__ import annotations

from nezlam.store.needs.demo import DEMO_GENERATED_ITEMS, DEMO_NEEDS, demo_needs
from nezlam.store.needs.listing import BOARD_LIMIT, board, needs_of_point, public_needs
from nezlam.store.needs.pledges import mark_delivered, pledge, withdraw_pledge
from nezlam.store.needs.posting import (
    CLOSED_STATES,
    MAX_QUANTITY,
    NEED_FIELDS,
    PLEDGE_FIELDS,
    NeedInput,
    close_need,
    post_need,
)
from nezlam.store.needs.visibility import (
    NeedSummary,
    PledgeLine,
    Viewer,
    board_precision,
    organisation_name,
    public_precision,
    viewer_of,
)

__all__ = [
    "BOARD_LIMIT",
    "CLOSED_STATES",
    "DEMO_GENERATED_ITEMS",
    "DEMO_NEEDS",
    "MAX_QUANTITY",
    "NEED_FIELDS",
    "PLEDGE_FIELDS",
    "NeedInput",
    "NeedSummary",
    "PledgeLine",
    "Viewer",
    "board",
    "board_precision",
    "close_need",
    "demo_needs",
    "mark_delivered",
    "needs_of_point",
    "organisation_name",
    "pledge",
    "post_need",
    "public_needs",
    "public_precision",
    "viewer_of",
    "withdraw_pledge",
]
