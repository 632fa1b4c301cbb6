"""Sym flow implementation for sym_access.

The database decides what may be granted (sym_access.allow_role, dangerous-role
checks, max_duration); this file only decides who is asked to approve.
"""

from sym.sdk.annotations import reducer
from sym.sdk.integrations import slack


@reducer
def get_approvers(event):
    """Post every request in the approval channel set by the Terraform module."""
    fvars = event.flow.vars
    allow_self = fvars.get("allow_self_approval", "false") == "true"
    return slack.channel(fvars["approval_channel"], allow_self=allow_self)
