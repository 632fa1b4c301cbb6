"""Sym flow implementation for sym_access.

The database decides what may be granted (sym_access.allow_role, dangerous-role
checks, max_duration); this file decides who is asked to approve, and who may.
"""

from sym.sdk.annotations import hook, reducer
from sym.sdk.integrations import slack
from sym.sdk.templates import ApprovalTemplate


def _approvers(event):
    """The approvers group from the Terraform module (comma-separated e-mails)."""
    raw = event.flow.vars.get("approvers", "")
    return {a.strip().lower() for a in raw.split(",") if a.strip()}


@reducer
def get_approvers(event):
    """Post every request in the approval channel set by the Terraform module."""
    fvars = event.flow.vars
    allow_self = fvars.get("allow_self_approval", "false") == "true"
    return slack.channel(fvars["approval_channel"], allow_self=allow_self)


@hook
def on_approve(event):
    """Anyone in the channel can press Approve: only the approvers group counts.

    An approval from anyone else is ignored (the request stays open) and the
    person is told why. An empty group approves nothing.
    """
    email = (event.user.email or "").strip().lower()
    if email not in _approvers(event):
        return ApprovalTemplate.ignore(
            message="You are not in the approvers group of this flow: your approval was ignored."
        )
