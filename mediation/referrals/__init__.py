"""Referred cases in, feedback out (诉调/警调/访调对接): the referral, the 反馈函, the lists."""
