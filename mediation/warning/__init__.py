"""Early warning (预警研判) for the justice office: disputes that may escalate, each with its
reasons; 督办 instructions to the committee and its answers; the weekly analysis."""
